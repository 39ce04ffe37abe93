package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSpillOnSpoolDisk: without a TempDir, a message past the in-memory
// threshold spills into the spool directory's tmp, not $TMPDIR (often a
// tmpfs, which is memory), and the directory is the gateway's alone.
func TestSpillOnSpoolDisk(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd")
	}
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "")
	g := startGatewayTemp(t, cfg, false, "")
	want := filepath.Join(cfg.SpoolDir, "tmp")
	if g.srv.TempDir != want {
		t.Fatalf("TempDir = %q, want %q", g.srv.TempDir, want)
	}
	fi, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode(); !m.IsDir() || m.Perm() != 0o700 {
		t.Errorf("%s: mode %v, want a directory with 0700", want, m)
	}

	c := g.dial("inbound")
	if err := c.Mail("sender@internet.example", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("user@lgwan.example", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 76) + "\r\n"
	if _, err := w.Write([]byte("From: a@internet.example\r\nTo: user@lgwan.example\r\nSubject: big\r\n\r\n" +
		strings.Repeat(line, 2*memThreshold/len(line)))); err != nil {
		t.Fatal(err)
	}
	// The DATA is still open: the received part past 1 MiB is in an
	// unlinked file, which only the process's descriptors still name.
	prefix := want + string(filepath.Separator) + "mugai-spill-"
	deadline := time.Now().Add(10 * time.Second)
	var seen []string
	for {
		seen = seen[:0]
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range ents {
			target, err := os.Readlink("/proc/self/fd/" + e.Name())
			if err != nil {
				continue
			}
			if strings.Contains(target, "mugai-spill-") {
				seen = append(seen, target)
				found = found || strings.HasPrefix(target, prefix)
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no spill file under %s while the DATA was open; spill files open: %q", want, seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("final dot: %v", err)
	}
	ents, err := os.ReadDir(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("%s holds %d names after the message; spill files are unlinked at once", want, len(ents))
	}
}

// TestSpillLeftRemoved: a spill file that a crash left between its
// creation and its unlinking is removed at the next start.
func TestSpillLeftRemoved(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "")
	// A path that filepath.Glob would read as a pattern.
	cfg.SpoolDir = filepath.Join(dir, "spool[1]")
	tmp := filepath.Join(cfg.SpoolDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(tmp, "mugai-spill-123456")
	other := filepath.Join(tmp, "notes.txt")
	for _, f := range []string{left, other} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	startGatewayTemp(t, cfg, false, "")
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("%s still there after the start: %v", left, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("%s, not a spill file, was touched: %v", other, err)
	}
}
