package main

import (
	"strings"
	"testing"
)

// TestForgottenConfigHint: run without -config, the CLI works on the
// embedded default configuration (its admin listener 127.0.0.1:9925, its
// store under ./mugai-data). An operator who forgot -config was told to
// start mugai serve, or that mugai serve had not run, while the gateway
// ran with /etc/mugai/mugai.yaml; now every such message says that no
// -config was given and how to give it.
func TestForgottenConfigHint(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./mugai-data here
	const hint = "no -config was given, so this is the embedded default configuration: give -config FILE, for example -config /etc/mugai/mugai.yaml"
	for _, args := range [][]string{
		{"quarantine", "release", "06H1VC4EZP3HBQCX", "-policy", "relaxed", "-reason", "ticket 7"},
		{"quarantine", "list"},
		{"queue", "list"},
		{"ctl", "lockdown", "status"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			code, _, stderr := runCmd(args...)
			// A gateway of the embedded default answering on this host
			// (a developer's) is told apart by its own message, which
			// names -config too.
			if code != 1 || !strings.Contains(stderr, hint) && !strings.Contains(stderr, "give -config") {
				t.Errorf("exit %d, stderr:\n%s\nwant it to say %q", code, stderr, hint)
			}
		})
	}
}
