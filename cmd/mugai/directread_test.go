package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mugai/gateway"
)

// TestQuarantineDirectReadWrongKey: read with the gateway stopped and
// another key in quarantine.encryption_key_file, show -original says the
// key is not the original's and which file it read, writes nothing, and
// says where its refusal record left the trail, as a read's: the
// gateway's next start continues from there. Before, it said neither
// (and the message stuttered "quarantine: … quarantine: …" without the
// key's file).
func TestQuarantineDirectReadWrongKey(t *testing.T) {
	e := startQtEnv(t)
	id := e.quarantined(qtMessage("form", qtPDF()))
	e.stop()
	keyFile := filepath.Join(e.dir, "quarantine.key")
	if err := os.WriteFile(keyFile, bytes.Repeat([]byte{0x33}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "o.eml")
	code, stdout, stderr := e.quarantine("show", "-original", "-o", out, "-reason", "ticket 5", id)
	trail, err := os.ReadFile(e.cfg.Log.Audit)
	if err != nil {
		t.Fatal(err)
	}
	c, err := gateway.VerifyAuditChain(bytes.NewReader(trail))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"mugai quarantine: the refused read is recorded in the audit trail " + e.cfg.Log.Audit + ", which now ends with a line hashing to " + c.Last,
		"original was encrypted with a different key (the key read is quarantine.encryption_key_file " + keyFile + ")",
	} {
		if code != 1 || stdout != "" || !strings.Contains(stderr, want) {
			t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant it to say %q", code, stdout, stderr, want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written (%v)", out, err)
	}
	if ex := e.audit("export"); len(ex) != 1 || ex[0].Verdict != "error" {
		t.Errorf("export records %+v, want the one refusal", ex)
	}
}
