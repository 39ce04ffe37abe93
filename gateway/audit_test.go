package gateway

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuditChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	a, err := OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "accept", Route: "inbound", Sender: "a@example.jp"})
	a.Write(&AuditRecord{Event: "accept", Route: "inbound", Sender: "b@example.jp"})
	a.Close()
	// Reopening continues the chain.
	a, err = OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "delivery", Route: "inbound", Verdict: "delivered"})
	a.Close()

	data, _ := os.ReadFile(path)
	if n, err := VerifyAudit(bytes.NewReader(data)); err != nil || n != 3 {
		t.Fatalf("intact trail: %d lines, %v", n, err)
	}
	lines := strings.SplitAfter(string(data), "\n")

	tampered := strings.Replace(string(data), "b@example.jp", "c@example.jp", 1)
	if _, err := VerifyAudit(strings.NewReader(tampered)); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("changed line 2: want a break reported at line 3, got %v", err)
	}
	deleted := lines[0] + lines[2]
	if _, err := VerifyAudit(strings.NewReader(deleted)); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("deleted line 2: want a break at line 2, got %v", err)
	}
	if _, err := VerifyAudit(strings.NewReader(lines[0] + "garbage\n")); err == nil || !strings.Contains(err.Error(), "line 2: not an audit record") {
		t.Errorf("garbage: %v", err)
	}
}

func TestAuditRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	a, err := OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "accept", Sender: "a@example.jp"})
	os.Rename(path, path+".1")
	if err := a.Reopen(); err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "accept", Sender: "b@example.jp"})
	a.Close()
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if bytes.Count(old, []byte("\n")) != 1 || bytes.Count(cur, []byte("\n")) != 1 {
		t.Fatalf("rotation: %q / %q", old, cur)
	}
	// The two files together are one intact chain.
	if n, err := VerifyAudit(bytes.NewReader(append(old, cur...))); err != nil || n != 2 {
		t.Errorf("chain across the rotation: %d, %v", n, err)
	}
}
