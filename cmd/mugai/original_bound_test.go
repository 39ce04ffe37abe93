package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mugai/config"
	"mugai/gateway"
)

// originalBoundYAML: originals come from the sanitising route (at most
// 1 MiB each); the pass-through route's larger limit keeps none.
const originalBoundYAML = `
admin: {listen: "%ADMIN%"}
spool_dir: %DIR%/spool
quarantine: {dir: %DIR%/quarantine}
log: {audit: %DIR%/audit.log}
routes:
  - name: inbound
    listen: ["127.0.0.1:0"]
    hostname: gw.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: [lgwan.example]
    limits: {max_message_size: 1MiB}
    policy: default
    deliver: {to: "smtp://127.0.0.1:1", tls: none}
  - name: outbound
    listen: ["127.0.0.1:0"]
    hostname: gw.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: ["*"]
    limits: {max_message_size: 8MiB}
    policy: none
    deliver: {to: "smtp://127.0.0.1:1", tls: none}
policies:
  default: {}
`

// TestShowOriginalBounded: `show -original -o FILE` writes at most what
// the quarantine keeps of one original (here the sanitising route's
// max_message_size, 1 MiB), whether or not the answer says its length:
// before, an answer without Content-Length (chunked) was written to the
// file without end, and one that said 8 GiB was taken at its word. An
// answer is also checked against the SHA-256 it gives, so a cut or
// changed one is not taken for the original. A refusal, or Ctrl-C, says
// why and leaves no file (before, an interrupted run left the part it had
// written under the name given).
func TestShowOriginalBounded(t *testing.T) {
	body := []byte(strings.Repeat("Subject: x\r\n", 100) + "\r\nbody\r\n")
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	var sent atomic.Int64
	var mode atomic.Value // which answer the fake gives
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quarantine/{id}/original", func(w http.ResponseWriter, r *http.Request) {
		m := mode.Load().(string)
		w.Header().Set("Content-Type", "application/octet-stream")
		if m != "no digest" {
			w.Header().Set("X-Mugai-SHA256", digest)
		}
		switch m {
		case "endless":
			// No Content-Length: the body is chunked, and goes on.
			chunk := []byte(strings.Repeat("a", 32<<10))
			for sent.Load() < 64<<20 {
				n, err := w.Write(chunk)
				sent.Add(int64(n))
				if err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		case "interrupted":
			// The operator presses Ctrl-C while the original arrives:
			// part of it is written, the rest never comes.
			w.Write([]byte(strings.Repeat("a", 64<<10)))
			w.(http.Flusher).Flush()
			syscall.Kill(os.Getpid(), syscall.SIGINT)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "claims 8 GiB":
			w.Header().Set("Content-Length", strconv.Itoa(8<<30))
			w.WriteHeader(http.StatusOK)
			w.Write(body)
		case "changed":
			w.(http.Flusher).Flush()
			w.Write(append([]byte("X"), body[1:]...))
		default: // "whole" and "no digest", chunked
			w.(http.Flusher).Flush()
			w.Write(body)
		}
	})
	fake := httptest.NewServer(mux)
	defer fake.Close()

	dir := t.TempDir()
	y := strings.NewReplacer("%DIR%", dir, "%ADMIN%", strings.TrimPrefix(fake.URL, "http://")).Replace(originalBoundYAML)
	cli := filepath.Join(dir, "mugai.yaml")
	if err := os.WriteFile(cli, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "spool"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gateway.ControlTokenPath(filepath.Join(dir, "spool")), []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ mode, msg string }{
		{"endless", "mugai quarantine: original Q1: the answer goes on past 1048576 bytes, the most the quarantine keeps of one original (limits.max_message_size 1MiB of route inbound)"},
		{"claims 8 GiB", "mugai quarantine: original Q1: the answer says it is 8589934592 bytes long, more than 1048576, the most the quarantine keeps of one original (limits.max_message_size 1MiB of route inbound)"},
		{"changed", "do not have the SHA-256 the answer gives (" + digest + "): cut short or changed on the way"},
		{"no digest", "the answer has no X-Mugai-SHA256"},
		// Interrupted, it removes what it wrote: no half original is
		// left under the name.
		{"interrupted", "mugai quarantine: original Q1: interrupted after "},
		{"whole", ""},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			mode.Store(tt.mode)
			sent.Store(0)
			out := filepath.Join(dir, strings.ReplaceAll(tt.mode, " ", "-")+".eml")
			code, stdout, stderr := runCmd("quarantine", "-config", cli, "show", "-original", "-o", out, "-reason", "ticket 7", "Q1")
			got, rerr := os.ReadFile(out)
			if tt.msg == "" {
				if code != 0 || string(got) != string(body) || !strings.Contains(stdout, "wrote the original of Q1 to "+out+" ("+strconv.Itoa(len(body))+" bytes)") {
					t.Errorf("exit %d, %d bytes in the file (%v)\nstdout: %s\nstderr: %s", code, len(got), rerr, stdout, stderr)
				}
				return
			}
			if code != 1 || !strings.Contains(stderr, tt.msg) || !strings.HasSuffix(stderr, "; "+out+" removed\n") || stdout != "" {
				t.Errorf("exit %d\nstdout: %q\nstderr: %q\nwant it to say %q", code, stdout, stderr, tt.msg)
			}
			if !os.IsNotExist(rerr) {
				t.Errorf("%s is left behind (%d bytes)", out, len(got))
			}
			if n := sent.Load(); n >= 32<<20 {
				t.Errorf("the CLI read on: %d bytes sent", n)
			}
		})
	}
}

// TestMaxOriginal: the bound of show -original is the largest
// max_message_size of a route that keeps originals (a pass-through route
// keeps none), and quarantine.max_bytes when that is smaller: past it an
// original is not kept.
func TestMaxOriginal(t *testing.T) {
	for _, tt := range []struct {
		name, old, new string
		limit          int64
		why            string
	}{
		{"route", "", "", 1 << 20, "limits.max_message_size 1MiB of route inbound"},
		{"max_bytes", "quarantine: {dir: %DIR%/quarantine}", "quarantine: {dir: %DIR%/quarantine, max_bytes: 512KiB}", 512 << 10, "quarantine.max_bytes 512KiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			y := strings.NewReplacer("%DIR%", dir, "%ADMIN%", "127.0.0.1:0").Replace(strings.Replace(originalBoundYAML, tt.old, tt.new, 1))
			cfg, err := config.Parse(filepath.Join(dir, "mugai.yaml"), []byte(y))
			if err != nil {
				t.Fatal(err)
			}
			if limit, why := maxOriginal(cfg); limit != tt.limit || why != tt.why {
				t.Errorf("maxOriginal = %d, %q; want %d, %q", limit, why, tt.limit, tt.why)
			}
		})
	}
}
