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
		{[]string{"quarantine", "list"}, []string{"  -config FILE"}},
		{[]string{"quarantine", "show"}, []string{"  -config FILE"}},
		{[]string{"quarantine", "release"}, []string{"  -config FILE"}},
		{[]string{"quarantine", "purge"}, []string{"  -config FILE"}},
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
