package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFlagPlaceholders: -h shows each flag that takes a value with a
// placeholder that says what to give ("-config FILE", "-reason TEXT"),
// the same for -config in every command. queue, serve and check showed
// "-config string" where quarantine and sanitize showed "-config FILE".
func TestFlagPlaceholders(t *testing.T) {
	typeName := regexp.MustCompile(`(?m)^  -\S+ (string|int|duration|value)$`)
	tests := []struct {
		args []string
		want []string // lines of -h, whole
	}{
		{[]string{"serve"}, []string{"Usage: mugai serve [flags]", "  -config FILE", "    \tconfiguration FILE (default: the embedded default configuration)"}},
		{[]string{"check"}, []string{"Usage: mugai check [flags]", "  -config FILE", "    \tconfiguration FILE (default: the embedded default configuration)"}},
		{[]string{"queue"}, []string{"  -config FILE", "    \tconfiguration FILE (default: the embedded default configuration)",
			"  -reason TEXT", "    \tthe reason (TEXT) the message is deleted or requeued (required for both; recorded in the audit trail)"}},
		{[]string{"sanitize"}, []string{"  -config FILE", "    \tconfiguration FILE (default: the embedded default configuration)"}},
		{[]string{"ctl"}, []string{"  -config FILE", "    \tconfiguration FILE (default: the embedded default configuration)",
			"  -reason TEXT", "    \tthe reason (TEXT) for the audit trail (required for on and off)"}},
		{[]string{"quarantine", "list"}, []string{"  -config FILE"}},
		{[]string{"quarantine", "show"}, []string{"  -config FILE"}},
		{[]string{"quarantine", "release"}, []string{"  -config FILE"}},
		{[]string{"quarantine", "purge"}, []string{"  -config FILE"}},
		// Help after the subcommand, not a file named -h.
		{[]string{"audit", "verify"}, []string{"Usage: mugai audit [flags] verify FILE"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(append(tt.args, "-h")...)
			if code != 0 || stdout != "" {
				t.Fatalf("exit %d, stdout %q", code, stdout)
			}
			lines := strings.Split(stderr, "\n")
			for _, want := range tt.want {
				if !slices.Contains(lines, want) {
					t.Errorf("-h has no line %q:\n%s", want, stderr)
				}
			}
			if m := typeName.FindString(stderr); m != "" {
				t.Errorf("-h shows a type name for a placeholder: %q\n%s", m, stderr)
			}
		})
	}
}

// TestQuarantineSubcommandFlags: -config and -dir given before a
// quarantine subcommand reach it, and its -h shows their defaults, not
// the values given: "quarantine -config cfg.yaml purge -h" printed
// `(default "cfg.yaml")`.
func TestQuarantineSubcommandFlags(t *testing.T) {
	code, _, stderr := runCmd("quarantine", "-config", "cfg.yaml", "-dir", "/srv/other-node", "purge", "-h")
	want := strings.Join([]string{
		"Usage: mugai quarantine purge [-older-than DURATION] [-reason TEXT]",
		"  -config FILE",
		"    \tconfiguration FILE (default: the embedded default configuration)",
		"  -dir DIR",
		"    \tread the store in DIR directly (read-only)",
		"  -older-than DURATION",
		"    \tpurge originals older than DURATION (default: quarantine.retention)",
		"  -reason TEXT",
		"    \tthe reason (TEXT), for the audit trail (default: \"manual purge of originals older than …\")",
		"",
	}, "\n")
	if code != 0 || stderr != want {
		t.Errorf("exit %d, -h:\n%s\nwant:\n%s", code, stderr, want)
	}

	// The values given before the subcommand are still the ones used;
	// one given after it wins.
	dir := t.TempDir()
	missing := dir + "/missing.yaml"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"quarantine", "-config", missing, "list"}, missing + ": cannot read: no such file or directory\n"},
		{[]string{"quarantine", "-config", dir + "/other.yaml", "list", "-config", missing}, missing + ": cannot read: no such file or directory\n"},
		{[]string{"quarantine", "-dir", dir + "/none", "list"}, "mugai quarantine: no quarantine store at " + dir + "/none (mugai serve makes it at its first start: check -dir or quarantine.dir)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(tt.args...)
			if code != 1 || stdout != "" || !strings.HasPrefix(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant it to begin %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

// TestUnexpectedArgument: a command that takes no arguments refuses one
// with a usage error (exit 1) and runs nothing; the -config hint goes
// only to commands that have -config. "mugai version x" printed the
// version and exited 0.
func TestUnexpectedArgument(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string // its first lines, whole
	}{
		{[]string{"version", "x"}, "mugai version: unexpected argument \"x\"\nUsage: mugai version [flags]\n"},
		{[]string{"version", "-h"}, "Usage: mugai version [flags]\n"},
		{[]string{"serve", "/etc/mugai/mugai.yaml"}, "mugai serve: unexpected argument \"/etc/mugai/mugai.yaml\" (a configuration file is given with -config FILE)\nUsage: mugai serve [flags]\n  -config FILE\n"},
		{[]string{"check", "x"}, "mugai check: unexpected argument \"x\" (a configuration file is given with -config FILE)\nUsage: mugai check [flags]\n  -config FILE\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(tt.args...)
			want := 1
			if tt.args[1] == "-h" {
				want = 0
			}
			if code != want || stdout != "" || !strings.HasPrefix(stderr, tt.stderr) {
				t.Errorf("exit %d (want %d), stdout %q, stderr:\n%s\nwant it to begin:\n%s", code, want, stdout, stderr, tt.stderr)
			}
		})
	}
	if code, stdout, stderr := runCmd("version"); code != 0 || stdout != "mugai dev\n" || stderr != "" {
		t.Errorf("version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
