package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"mugai/gateway"
)

// TestAdminAnswersBounded: what answers on the admin address may be no
// gateway (a local program that took the port while mugai was stopped),
// and an answer that never ends must not grow the CLI, often run as root,
// without end: it reads at most what a gateway ever sends, and says the
// answer was too long.
func TestAdminAnswersBounded(t *testing.T) {
	defer func(n int64) { maxAnswer = n }(maxAnswer)
	maxAnswer = 1 << 20
	const endless = 64 << 20 // the fake stops here; a bounded CLI stops long before
	var sent atomic.Int64
	stream := func(start, fill string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			n, _ := w.Write([]byte(start))
			sent.Store(int64(n))
			chunk := []byte(strings.Repeat(fill, 32<<10/len(fill)))
			for sent.Load() < endless {
				n, err := w.Write(chunk)
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /quarantine/{id}/headers", stream("", "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaa\r\n"))
	mux.Handle("GET /quarantine", stream(`[{"id":"`, "a"))
	mux.Handle("GET /queue", stream(`[{"id":"`, "a"))
	mux.Handle("POST /lockdown", stream(`{"lockdown":true,"x":"`, "a"))
	mux.Handle("POST /queue/{id}/requeue", stream(`{"id":"`, "a"))
	_, cli := fakeAdmin(t, mux)
	for _, args := range [][]string{
		{"quarantine", "show", "Q1", "-headers", "-reason", "incident 7"},
		{"quarantine", "list"},
		{"queue", "list"},
		{"ctl", "lockdown", "on", "-reason", "incident 7"},
		{"queue", "requeue", "M1", "-reason", "incident 7"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			sent.Store(0)
			code, _, errOut := runCmd(append(args, "-config", cli)...)
			if code != 1 || !strings.Contains(errOut, "answer too long") {
				t.Errorf("exit %d, stderr %.300q; want 1 and the answer too long", code, errOut)
			}
			if n := sent.Load(); n >= 32<<20 {
				t.Errorf("the CLI read on: %d bytes sent, at most %d taken", n, maxAnswer)
			}
		})
	}
}

// fakeAdmin serves mux as a gateway's admin listener, for the CLI to talk
// to: it returns the directory of a configuration whose admin.listen is
// that server, and the configuration's path, with the control token the
// CLI presents in its spool.
func fakeAdmin(t *testing.T, mux http.Handler) (dir, cli string) {
	t.Helper()
	fake := httptest.NewServer(mux)
	t.Cleanup(fake.Close)
	dir = t.TempDir()
	_, cli = queueConfig(t, dir, strings.TrimPrefix(fake.URL, "http://"), "127.0.0.1:1")
	if err := os.MkdirAll(filepath.Join(dir, "spool"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gateway.ControlTokenPath(filepath.Join(dir, "spool")), []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, cli
}
