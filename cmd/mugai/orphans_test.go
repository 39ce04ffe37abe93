package main

import (
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOrphanedOriginalsWarned: originals kept for a route that the
// configuration no longer has (here renamed) cannot be released under a
// policy. `mugai serve` says so at its start and on every reload, in one
// warning naming how many and which routes, and
// mugai_quarantine_orphaned_originals{route} counts them, on a real
// quarantine directory. Before, nothing said it until a release was
// refused ("its route is no longer configured").
func TestOrphanedOriginalsWarned(t *testing.T) {
	dir := t.TempDir()
	smtpAddr, adminAddr := freePort(t), freePort(t)
	cfg := writeServeConfig(t, dir, smtpAddr, adminAddr, "maildir:"+dir+"/md", "")
	const warning = "quarantine: originals of routes no longer configured cannot be released under a policy"
	c := startChild(t, cfg, smtpAddr)
	for _, id := range []string{"o1@example.jp", "o2@example.jp"} {
		if err := sendOne(smtpAddr, id); err != nil {
			t.Fatal(err)
		}
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
	if strings.Contains(c.logs(), warning) {
		t.Errorf("warned with every route configured:\n%s", c.logs())
	}

	y, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg, []byte(strings.Replace(string(y), "name: inbound", "name: from-internet", 1)), 0o600)
	c = startChild(t, cfg, smtpAddr)
	defer c.kill()
	waitLog(t, c, warning)
	if want := "originals=2 routes=[inbound]"; !strings.Contains(c.logs(), want) {
		t.Errorf("the warning does not say %q:\n%s", want, c.logs())
	}
	if got := scrapeLine(t, adminAddr, "mugai_quarantine_orphaned_originals"); got != `mugai_quarantine_orphaned_originals{route="inbound"} 2` {
		t.Errorf("gauge %q", got)
	}
	c.cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); strings.Count(c.logs(), warning) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no warning on reload:\n%s", c.logs())
		}
	}
	if n := strings.Count(c.logs(), warning); n != 2 {
		t.Errorf("%d warnings after a start and a reload, want 2", n)
	}
	// Purged, they are no longer counted: the series goes.
	time.Sleep(1100 * time.Millisecond)
	if code, stdout, stderr := runCmd("quarantine", "-config", cfg, "purge", "-older-than", "1s", "-reason", "route gone"); code != 0 {
		t.Fatalf("purge: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := scrapeLine(t, adminAddr, "mugai_quarantine_orphaned_originals"); got != "" {
		t.Errorf("after the purge: %q, want no series", got)
	}
}

// scrapeLine returns the first sample line of /metrics at admin that
// starts with name, or "". The admin listener opens after the SMTP
// listeners that startChild waits for (and after the start's warnings):
// a refused connection is tried again for a while.
func scrapeLine(t *testing.T, admin, name string) string {
	t.Helper()
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err = http.Get("http://" + admin + "/metrics"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, name+"{") || strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}
