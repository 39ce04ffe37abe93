package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Each reload, taken or refused, is a record in the audit trail that
// names the file and the SHA-256 of what was read. The configuration
// decides what crosses (a route that sanitises or passes mail through,
// what attachments are kept), and the trail recorded lockdown switches
// but no reload: an auditor holding the trail alone could not tell under
// which configuration a message had been accepted, nor that a reload
// had been tried and refused.
func TestReloadAudited(t *testing.T) {
	dir := t.TempDir()
	smtpAddr, adminAddr := freePort(t), freePort(t)
	cfg := writeServeConfig(t, dir, smtpAddr, adminAddr, "maildir:"+dir+"/md", "")
	c := startChild(t, cfg, smtpAddr)
	defer c.kill()

	type record struct {
		Event, Verdict, Reason, Config string
		SHA256                         string `json:"config_sha256"`
	}
	reloads := func() []record {
		b, err := os.ReadFile(filepath.Join(dir, "audit.log"))
		if err != nil {
			t.Fatal(err)
		}
		var out []record
		for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var r record
			if err := json.Unmarshal(l, &r); err != nil {
				t.Fatalf("audit line %q: %v", l, err)
			}
			if r.Event == "reload" {
				out = append(out, r)
			}
		}
		return out
	}
	sighup := func(n int, logLine string) {
		t.Helper()
		c.cmd.Process.Signal(syscall.SIGHUP)
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(c.logs(), logLine) < n {
			if time.Now().After(deadline) {
				t.Fatalf("log never said %q %d times:\n%s", logLine, n, c.logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	sum := func() string {
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}

	tests := []struct {
		name    string
		write   func()
		logLine string
		verdict string
		reason  string // a part of the record's reason; "" wants none
		hasSum  bool
	}{
		{"a policy change taken", func() {
			writeServeConfig(t, dir, smtpAddr, adminAddr, "maildir:"+dir+"/md", "attachments: {default: reject}")
		}, "configuration reloaded", "success", "", true},
		{"a file that does not parse", func() {
			os.WriteFile(cfg, []byte("routes: [\n"), 0o600)
		}, "reload refused", "failure", "the running configuration stays in force: " + cfg, false},
		{"a key read only at a start", func() {
			y, _ := os.ReadFile(writeServeConfig(t, dir, smtpAddr, adminAddr, "maildir:"+dir+"/md", ""))
			os.WriteFile(cfg, bytes.Replace(y, []byte("/spool\n"), []byte("/spool2\n"), 1), 0o600)
		}, "reload refused", "failure", "spool_dir", true},
	}
	counts := map[string]int{}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.write()
			counts[tt.logLine]++
			sighup(counts[tt.logLine], tt.logLine)
			recs := reloads()
			if len(recs) != i+1 {
				t.Fatalf("%d reload records after %d reloads: %+v", len(recs), i+1, recs)
			}
			r := recs[i]
			if r.Verdict != tt.verdict || r.Config != cfg {
				t.Errorf("record %+v, want verdict %s for %s", r, tt.verdict, cfg)
			}
			if tt.reason == "" && r.Reason != "" || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("reason %q, want one with %q", r.Reason, tt.reason)
			}
			if want := sum(); tt.hasSum && r.SHA256 != want || !tt.hasSum && r.SHA256 != "" {
				t.Errorf("config_sha256 %q, want %q (sha256sum of the file; none when it did not parse: %v)", r.SHA256, want, !tt.hasSum)
			}
		})
	}
}
