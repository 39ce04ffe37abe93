package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mugai/config"
)

func TestCtlLockdown(t *testing.T) {
	dir := t.TempDir()
	hop := startQueueHop(t)
	g := startQueueGateway(t, dir, hop.addr)
	run := func(args ...string) (int, string, string) {
		return runCmd(append([]string{"ctl", "-config", g.cli}, args...)...)
	}
	if code, out, errOut := run("lockdown", "status"); code != 0 || !strings.Contains(out, "lockdown: off") {
		t.Fatalf("status: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := run("lockdown", "on"); code != 1 || !strings.Contains(errOut, "-reason is required") {
		t.Errorf("on without a reason: %d %q", code, errOut)
	}
	if code, _, errOut := run("lockdown", "status", "-reason", "x"); code != 1 || !strings.Contains(errOut, "takes no -reason") {
		t.Errorf("status with a reason: %d %q", code, errOut)
	}
	t.Setenv("SUDO_USER", "sato")
	if code, out, errOut := run("lockdown", "on", "-reason", "phishing wave"); code != 0 || !strings.Contains(out, "lockdown: on") {
		t.Fatalf("on: %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(g.cfg.SpoolDir, "lockdown")); err != nil {
		t.Errorf("lockdown not recorded on disk: %v", err)
	}
	rec := queueLastAudit(t, g.cfg.Log.Audit)
	if rec.Event != "lockdown" || rec.Verdict != "on" || !strings.HasPrefix(rec.User, "sato") || rec.Why != "phishing wave" {
		t.Errorf("audit record %+v", rec)
	}
	if code, out, _ := run("lockdown", "off", "-reason", "over"); code != 0 || !strings.Contains(out, "lockdown: off") {
		t.Errorf("off: %d %q", code, out)
	}
	// A call the running gateway refuses is not "is mugai serve running?".
	if code, _, errOut := run("lockdown", "on", "-reason", "line1\nline2"); code != 1 || !strings.Contains(errOut, "control or formatting characters") || strings.Contains(errOut, "is mugai serve running") {
		t.Errorf("on with a reason the gateway refuses: %d %q", code, errOut)
	}
	// A configuration whose spool_dir is not the running gateway's (as
	// when -config is forgotten and the embedded default's admin address
	// is the gateway's): no token there, so no call is made, which the
	// gateway would refuse, audit and alert on as an intrusion attempt.
	cli, err := config.Load(g.cli)
	if err != nil {
		t.Fatal(err)
	}
	_, other := queueConfig(t, t.TempDir(), cli.Admin.Listen, hop.addr)
	if code, _, errOut := runCmd("ctl", "-config", other, "lockdown", "status"); code != 1 || !strings.Contains(errOut, "no control token at ") || !strings.Contains(errOut, "give -config the file") {
		t.Errorf("status with another configuration's spool: %d %q", code, errOut)
	}
	if rec := queueLastAudit(t, g.cfg.Log.Audit); rec.Event == "control" {
		t.Errorf("a call without the token was made and refused: %+v", rec)
	}
	g.close()
	// With the gateway stopped the status is its marker's, read
	// directly, as queue and quarantine read their stores; a switch
	// needs the gateway, which writes the record.
	if code, out, errOut := run("lockdown", "status"); code != 0 || out != "lockdown: off — the configured policies apply\n" || !strings.Contains(errOut, "the gateway is not running") {
		t.Errorf("status with the gateway stopped: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := run("lockdown", "on", "-reason", "x"); code != 1 || !strings.Contains(errOut, "is mugai serve running") {
		t.Errorf("on with the gateway stopped: %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(g.cfg.SpoolDir, "lockdown")); !os.IsNotExist(err) {
		t.Errorf("on with the gateway stopped left a marker (%v)", err)
	}
}

// The reviewer's report: lockdown on with a reason, on again with
// another, then status and the marker. The status printed only "on";
// the marker held the second call's time, user and reason, the first's
// gone; the repeat was taken silently. Now the status (text and -json)
// gives since when, by whom and why, the same with the gateway stopped
// (read from the marker), and a repeated on or off says it was already
// so, leaves the marker's bytes as they were and is recorded as
// already-on or already-off.
func TestCtlLockdownStamp(t *testing.T) {
	dir := t.TempDir()
	hop := startQueueHop(t)
	g := startQueueGateway(t, dir, hop.addr)
	marker := filepath.Join(g.cfg.SpoolDir, "lockdown")
	const onLine = "lockdown: on — every sanitising route strips all attachments and removes all links\n"
	// stampLine is the status's second line for the stamp in the marker.
	stampLine := func(user, why string) string {
		t.Helper()
		b, err := os.ReadFile(marker)
		if err != nil {
			t.Fatal(err)
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(string(b), "on since "), " ")
		since, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			t.Fatalf("marker %q: %v", b, err)
		}
		return `  since ` + regexp.QuoteMeta(localTime(since)) + ` \(\d+s ago\) by ` + regexp.QuoteMeta(user) + ` \(sudo as [^)]+\): ` + regexp.QuoteMeta(why) + `\n`
	}
	readMarker := func() string {
		b, _ := os.ReadFile(marker)
		return string(b)
	}

	t.Setenv("SUDO_USER", "sato")
	if code, out, errOut := runCmd("ctl", "-config", g.cli, "lockdown", "on", "-reason", "incident 1"); code != 0 ||
		!regexp.MustCompile("^"+regexp.QuoteMeta(onLine)+stampLine("sato", "incident 1")+"$").MatchString(out) {
		t.Errorf("on: %d %q %q", code, out, errOut)
	}
	first := readMarker()
	if !regexp.MustCompile(`^on since \S+Z by sato \(sudo as [^)]+\): incident 1\n$`).MatchString(first) {
		t.Fatalf("marker %q", first)
	}
	firstStamp := stampLine("sato", "incident 1")

	steps := []struct {
		name    string
		user    string // SUDO_USER
		args    []string
		out     string // stdout, a regular expression for all of it
		verdict string // of the last audit record, "" when the step writes none
	}{
		{"status", "", []string{"lockdown", "status"}, regexp.QuoteMeta(onLine) + firstStamp, ""},
		{"on again", "suzuki", []string{"lockdown", "on", "-reason", "again"},
			regexp.QuoteMeta("lockdown: already on, nothing switched (this call is recorded in the audit trail as already-on)\n"+onLine) + firstStamp, "already-on"},
		{"on again -json", "suzuki", []string{"lockdown", "on", "-json", "-reason", "once more"},
			`\{\n  "lockdown": true,\n  "since": "\S+Z",\n  "user": "sato \(sudo as [^)]+\)",\n  "reason": "incident 1",\n  "already": true\n\}\n`, "already-on"},
		{"status -json", "", []string{"lockdown", "status", "-json"},
			`\{\n  "lockdown": true,\n  "since": "\S+Z",\n  "user": "sato \(sudo as [^)]+\)",\n  "reason": "incident 1"\n\}\n`, ""},
		{"off", "tanaka", []string{"lockdown", "off", "-reason", "over"},
			regexp.QuoteMeta("lockdown: off — the configured policies apply\n"), "off"},
		{"off again", "tanaka", []string{"lockdown", "off", "-reason", "still over"},
			regexp.QuoteMeta("lockdown: already off, nothing switched (this call is recorded in the audit trail as already-off)\nlockdown: off — the configured policies apply\n"), "already-off"},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SUDO_USER", tt.user)
			before := queueLastAudit(t, g.cfg.Log.Audit)
			code, out, errOut := runCmd(append([]string{"ctl", "-config", g.cli}, tt.args...)...)
			if code != 0 || !regexp.MustCompile("^"+tt.out+"$").MatchString(out) {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant stdout matching %q", code, out, errOut, tt.out)
			}
			switch m := readMarker(); {
			case tt.verdict == "off" || tt.verdict == "already-off":
				if _, err := os.Stat(marker); !os.IsNotExist(err) {
					t.Errorf("marker %q (%v) after off, want none", m, err)
				}
			case m != first:
				t.Errorf("marker %q, want %q as the first on wrote it", m, first)
			}
			rec := queueLastAudit(t, g.cfg.Log.Audit)
			if tt.verdict == "" {
				if rec.Time != before.Time || rec.Prev != before.Prev {
					t.Errorf("the status wrote a record: %+v", rec)
				}
				return
			}
			if rec.Event != "lockdown" || rec.Verdict != tt.verdict || !strings.HasPrefix(rec.User, tt.user+" ") || rec.Why != tt.args[len(tt.args)-1] {
				t.Errorf("record %+v, want verdict %s by %s for %q", rec, tt.verdict, tt.user, tt.args[len(tt.args)-1])
			}
			if tt.verdict == "already-on" && (!strings.HasPrefix(rec.Reason, "already on since ") || !strings.HasSuffix(rec.Reason, ": incident 1")) {
				t.Errorf("record's reason %q, want the stamp in force", rec.Reason)
			}
		})
	}

	// Stopped with the lockdown on: the status is the marker's stamp.
	t.Setenv("SUDO_USER", "kato")
	if code, out, errOut := runCmd("ctl", "-config", g.cli, "lockdown", "on", "-reason", "incident 2"); code != 0 {
		t.Fatalf("on: %d %q %q", code, out, errOut)
	}
	running := stampLine("kato", "incident 2")
	g.close()
	code, out, errOut := runCmd("ctl", "-config", g.cli, "lockdown", "status")
	if code != 0 || !regexp.MustCompile("^"+regexp.QuoteMeta(onLine)+running+"$").MatchString(out) ||
		!strings.Contains(errOut, "the gateway is not running") || !strings.Contains(errOut, "its marker "+marker+" read directly says how it starts") {
		t.Errorf("status with the gateway stopped: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}
