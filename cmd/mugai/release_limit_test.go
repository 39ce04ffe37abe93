package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestQuarantineReleaseTooManyRecipients: `release -to` with more
// addresses than the route takes in one message (limits.max_recipients,
// 100 in the test configuration as by default) is refused by the gateway
// and the CLI says why, how many and where the limit is set; nothing is
// delivered and the refusal is in the audit trail.
func TestQuarantineReleaseTooManyRecipients(t *testing.T) {
	e := startQtEnv(t)
	id := e.quarantined(qtMessage("form", qtPDF()))
	var to []string
	for i := range 101 {
		to = append(to, fmt.Sprintf("staff%03d@city.example.lg.jp", i))
	}
	code, out, errOut := e.quarantine("release", id, "-policy", "relaxed", "-to", strings.Join(to, ","), "-reason", "tell everyone")
	want := fmt.Sprintf("mugai quarantine: release %s: refused: too many recipients: 101 given, route inbound delivers to at most 100 in one message (its limits.max_recipients); split them over several releases (-to)\n", id)
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d\nstdout: %q\nstderr: %q\nwant stderr %q", code, out, errOut, want)
	}
	e.lgwan.none(t)
	if rel := e.audit("release"); len(rel) != 1 || rel[0].Verdict != "refused" || !strings.Contains(rel[0].Reason, "too many recipients") {
		t.Errorf("release records %+v, want one refusal", rel)
	}
}
