package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	if code, _, errOut := run("lockdown", "status"); code != 1 || !strings.Contains(errOut, "is mugai serve running") {
		t.Errorf("status with the gateway stopped: %d %q", code, errOut)
	}
}
