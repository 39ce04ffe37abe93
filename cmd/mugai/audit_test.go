package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mugai/gateway"
)

// TestAuditVerifyEnds: the hash chain shows a line changed, inserted or
// removed between others, but not lines removed at either end (the
// first line may continue a rotated file, and nothing follows the
// last): a trail with its first or last records deleted verified as
// "chain intact" and nothing more. verify now says where the file's
// chain begins and the hash it ends with, which the auditor holds
// against the hashes the gateway logs at each start and stop.
func TestAuditVerifyEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	a, err := gateway.OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"a@example.jp", "b@example.jp", "c@example.jp"} {
		a.Write(&gateway.AuditRecord{Event: "accept", Sender: s})
	}
	a.Close()
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	hash := func(line string) string {
		h := sha256.Sum256([]byte(strings.TrimSuffix(line, "\n")))
		return hex.EncodeToString(h[:])
	}
	verify := func(content string) string {
		t.Helper()
		os.WriteFile(path, []byte(content), 0o600)
		var out, errb bytes.Buffer
		if code := run([]string{"audit", "verify", path}, nil, &out, &errb); code != 0 {
			t.Fatalf("audit verify: %d %s %s", code, out.String(), errb.String())
		}
		return out.String()
	}

	out := verify(string(b))
	if !strings.Contains(out, "3 lines, chain intact") || !strings.Contains(out, "begins: a new chain") || !strings.Contains(out, "last line hashes to "+hash(lines[2])) {
		t.Errorf("whole trail:\n%s", out)
	}
	// The first record deleted: still intact, but said to continue a
	// chain from a line not in the file.
	out = verify(lines[1] + lines[2] + "\n")
	if !strings.Contains(out, "2 lines, chain intact") || !strings.Contains(out, "continues the chain of a line hashing to "+hash(lines[0])) {
		t.Errorf("first line deleted:\n%s", out)
	}
	// The last record deleted: intact, ending with another hash than
	// the one the gateway logged at its stop.
	out = verify(lines[0] + lines[1])
	if !strings.Contains(out, "last line hashes to "+hash(lines[1])) || strings.Contains(out, hash(lines[2])) {
		t.Errorf("last line deleted:\n%s", out)
	}
}
