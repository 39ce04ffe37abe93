package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestQuarantineErrorTexts holds the whole line an operator reads when
// an original cannot be read out or released, so that no layer says
// again what a layer below said ("package: what id: cause", once).
// Before, the direct read said "mugai quarantine: quarantine: original
// of ID: quarantine: original ID: quarantine: original was encrypted
// with a different key …", and a release "release ID: quarantine:
// original ID: quarantine: original fails its integrity check …".
func TestQuarantineErrorTexts(t *testing.T) {
	e := startQtEnv(t)
	id := e.quarantined(qtMessage("form", qtPDF()))
	out := filepath.Join(t.TempDir(), "o.eml")
	check := func(what string, code int, stderr, want string) {
		t.Helper()
		if code != 1 || stderr != want {
			t.Errorf("%s: exit %d\n got: %q\nwant: %q", what, code, stderr, want)
		}
	}

	// -dir while the gateway runs: the gateway's own refusal.
	code, _, stderr := e.quarantine("show", "-dir", e.cfg.Quarantine.Dir, "-original", "-o", out, "-reason", "ticket 5", id)
	check("-dir while running", code, stderr, "mugai quarantine: original of "+id+": a running gateway holds the spool and writes the audit trail (spool "+
		e.cfg.SpoolDir+"): read the original through it, without -dir, on the node that owns the store, so that the read is in its audit trail; "+out+" removed\n")

	// A tampered original: one byte flipped in the middle of the stored
	// original (its metadata record follows it in the segment).
	segs, err := filepath.Glob(filepath.Join(e.cfg.Quarantine.Dir, "*.seg"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v %v", segs, err)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	metaAt := bytes.Index(b, []byte(`{"v":1,"meta"`))
	if metaAt < 1000 {
		t.Fatalf("metadata record at %d", metaAt)
	}
	b[metaAt/2] ^= 0x20
	if err := os.WriteFile(segs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = e.quarantine("release", "-policy", "relaxed", "-reason", "ticket 5", id)
	check("release", code, stderr, "mugai quarantine: release "+id+": original fails its integrity check (tampered or corrupted)\n")
	if rel := e.audit("release"); len(rel) != 1 || rel[0].Reason != "release "+id+": original fails its integrity check (tampered or corrupted)" {
		t.Errorf("release records %+v", rel)
	}
	code, _, stderr = e.quarantine("show", "-original", "-o", out, "-reason", "ticket 5", id)
	check("show -original", code, stderr, "mugai quarantine: read "+id+": original fails its integrity check (tampered or corrupted); "+out+" removed\n")
	code, _, stderr = e.quarantine("show", "-headers", "-reason", "ticket 5", id)
	check("show -headers", code, stderr, "mugai quarantine: read "+id+": original fails its integrity check (tampered or corrupted)\n")
	if ex := e.audit("export"); len(ex) != 2 || ex[1].Reason != "quarantine: read "+id+": original fails its integrity check (tampered or corrupted)" {
		t.Errorf("export records %+v", ex)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written (%v)", out, err)
	}

	// With the gateway stopped and another key: read directly (an
	// untampered original: recovery drops a damaged record).
	e = startQtEnv(t)
	id = e.quarantined(qtMessage("form", qtPDF()))
	e.stop()
	keyFile := filepath.Join(e.dir, "quarantine.key")
	if err := os.WriteFile(keyFile, bytes.Repeat([]byte{0x33}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = e.quarantine("show", "-original", "-o", out, "-reason", "ticket 5", id)
	lines := bytes.Split([]byte(stderr), []byte("\n"))
	last := ""
	if len(lines) >= 2 {
		last = string(lines[len(lines)-2]) + "\n"
	}
	check("direct read, another key", code, last, "mugai quarantine: read "+id+": original was encrypted with a different key (the key read is quarantine.encryption_key_file "+keyFile+"); "+out+" removed\n")
}
