package main

import (
	"strings"
	"testing"
)

// TestQuarantineReleaseUnderLockdown: a release while the lockdown is on
// strips every attachment, and the warning says how to deliver the
// original properly once it is off: release it again with -again, since
// its recipients have had it (a release without -again is refused then),
// to the recipients it went to.
// Before, the warning said only "release again once it is off", and
// that release was refused as a second one.
func TestQuarantineReleaseUnderLockdown(t *testing.T) {
	e := startQtEnv(t)
	id := e.quarantined(qtMessage("form", qtPDF()))
	ctl := func(state string) {
		t.Helper()
		if code, out, errOut := runCmd("ctl", "-config", e.file, "lockdown", state, "-reason", "drill"); code != 0 {
			t.Fatalf("lockdown %s: %d %s%s", state, code, out, errOut)
		}
	}
	ctl("on")
	release := []string{"release", id, "-policy", "relaxed", "-reason", "ticket 8"}
	code, out, errOut := e.quarantine(release...)
	want := "mugai quarantine: warning: lockdown is on, so every attachment was stripped and every link removed; once it is off, release it again with -again (its recipients have had this one): " +
		"mugai quarantine -config " + e.file + " release " + id + " -policy relaxed -to kikaku@city.example.lg.jp -again -reason TEXT\n"
	if code != 0 || errOut != want {
		t.Errorf("release under lockdown: exit %d\nstdout: %s\nstderr: %q\nwant %q", code, out, errOut, want)
	}
	if got := qtAttachments(t, e.lgwan.next(t)); len(got) != 0 {
		t.Errorf("delivered under lockdown with attachments %v", got)
	}
	ctl("off")
	if code, _, errOut := e.quarantine(release...); code != 1 || !strings.Contains(errOut, "already released") {
		t.Errorf("release without -again after the lockdown: exit %d %s", code, errOut)
	}
	if code, _, errOut := e.quarantine(append(release, "-again")...); code != 0 || errOut != "" {
		t.Fatalf("release -again after the lockdown: exit %d %s", code, errOut)
	}
	if got := qtAttachments(t, e.lgwan.next(t)); got["application.pdf"] != qtSHA(qtPDF()) {
		t.Errorf("released again after the lockdown: attachments %v", got)
	}
}
