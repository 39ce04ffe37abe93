package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mugai/gateway"
	"mugai/gateway/quarantine"
	"mugai/sanitize"
)

// TestAnswersReachTerminalEscaped: every field the CLI prints from an
// admin listener's answer (a release's result, a listing, a report, a
// queued message, a retry's or delete's answer, an error's text) reaches
// the operator's terminal with its control and invisible formatting
// characters escaped, as message data from the store does. The fields
// hold message data (recipients, filenames, the sanitiser's reasons),
// and what answers on the admin address may be no gateway at all (a
// local program that took the port while mugai was stopped). Before,
// release printed its queue id, recipients, route and next hop as they
// came, show the route, client, policy, verdict and decisions, queue
// the states, and every command an error's text. -json output escapes
// them as JSON \u escapes, which decode to the same text.
func TestAnswersReachTerminalEscaped(t *testing.T) {
	const evil = "\x1b]0;pwned\x07\u202e\u009b2J\x7f"
	detail := gateway.QuarantineDetail{
		QuarantineEntry: gateway.QuarantineEntry{ID: "Q" + evil, Time: time.Now(), Route: "r" + evil, Client: "c" + evil,
			Sender: "s" + evil, HeaderFrom: "f" + evil, Recipients: []string{"t" + evil}, Subject: "j" + evil,
			MessageID: "m" + evil, Size: 10, Policy: "p" + evil, Verdict: "v" + evil, Removed: []string{"x" + evil}},
		SHA256:   "h" + evil,
		Releases: []quarantine.Release{{Time: time.Now(), User: "u" + evil, To: []string{"t" + evil}, Policy: "p" + evil, QueueID: "q" + evil}},
	}
	rep, _ := json.Marshal(sanitize.Report{Verdict: "v" + evil, Actions: []string{"a" + evil},
		Parts:    []sanitize.Part{{Path: "1" + evil, Class: "c" + evil, SniffedType: "t" + evil, Filename: "n" + evil, Decision: "d" + evil, Reason: "r" + evil}},
		Findings: []sanitize.Finding{{Path: "1" + evil, Kind: "k" + evil, Detail: "d" + evil}}})
	detail.Report = rep
	qmsg := gateway.QueueMessage{ID: "M" + evil, State: "s" + evil, Route: "r" + evil, Sender: "f" + evil, Client: "c" + evil,
		Helo: "h" + evil, Policy: "p" + evil, QuarantineID: "q" + evil, Created: time.Now(),
		Recipients: []gateway.QueueRecipient{{Addr: "a" + evil, State: "s" + evil, LastError: "e" + evil}},
		Headers:    []string{"Subject: " + evil},
		History:    []gateway.QueueEvent{{Time: time.Now(), Event: "e" + evil, NextHop: "n" + evil, Rcpt: "r" + evil, State: "s" + evil, Text: "t" + evil}}}
	answer := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(v)
		}
	}
	refuse := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": "refused" + evil})
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /quarantine", answer([]gateway.QuarantineEntry{detail.QuarantineEntry}))
	mux.Handle("GET /quarantine/{id}", answer(detail))
	mux.Handle("POST /quarantine/{id}/release", answer(gateway.ReleaseResult{ID: "Q" + evil, QueueID: "M" + evil, Route: "r" + evil,
		NextHop: "smtp://" + evil, Policy: "p" + evil, To: []string{"t" + evil}, Kept: []string{"k" + evil}, Removed: []string{"x" + evil}}))
	mux.Handle("GET /quarantine/{id}/original", refuse(http.StatusConflict))
	mux.Handle("POST /quarantine/purge", refuse(http.StatusForbidden))
	mux.Handle("GET /queue", answer([]gateway.QueueMessage{qmsg}))
	mux.Handle("GET /queue/{id}", answer(qmsg))
	mux.Handle("POST /queue/{id}/retry", answer(gateway.QueueRetry{ID: "M" + evil, Due: 1}))
	mux.Handle("POST /queue/{id}/requeue", answer(gateway.QueueRetry{ID: "M" + evil, Due: 1}))
	mux.Handle("DELETE /queue/{id}", answer(qmsg))
	mux.Handle("POST /lockdown", refuse(http.StatusServiceUnavailable))
	dir, cli := fakeAdmin(t, mux)
	out := filepath.Join(dir, "original.eml")
	for _, args := range [][]string{
		{"quarantine", "list"},
		{"quarantine", "list", "-json"},
		{"quarantine", "show", "Q1"},
		{"quarantine", "show", "-json", "Q1"},
		{"quarantine", "release", "Q1", "-policy", "relaxed", "-reason", "ticket 7"},
		{"quarantine", "show", "-original", "-o", out, "-reason", "ticket 7", "Q1"},
		{"quarantine", "purge", "-reason", "ticket 7"},
		{"queue", "list"},
		{"queue", "list", "-json"},
		{"queue", "show", "M1"},
		{"queue", "retry", "M1"},
		{"queue", "requeue", "M1", "-reason", "ticket 7"},
		{"queue", "delete", "M1", "-reason", "ticket 7"},
		{"ctl", "lockdown", "on", "-reason", "ticket 7"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, stdout, stderr := runCmd(append(args, "-config", cli)...)
			for name, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
				for _, r := range s {
					if r != '\n' && needsEscape(r) {
						t.Errorf("%s holds %U:\n%q", name, r, s)
						break
					}
				}
			}
			// Escaped, not dropped: the operator still sees what was there.
			if all := stdout + stderr; !strings.Contains(all, `\x1b]0;pwned\x07\u202e\u009b2J\x7f`) &&
				!strings.Contains(all, `\u001b]0;pwned\u0007\u202e\u009b2J\u007f`) {
				t.Errorf("the escaped text is not shown:\n%s%s", stdout, stderr)
			}
		})
	}
	// -json stays lossless: the escapes decode to what was answered.
	_, stdout, _ := runCmd("quarantine", "-config", cli, "show", "-json", "Q1")
	var got gateway.QuarantineDetail
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.ID != detail.ID || got.Route != detail.Route {
		t.Errorf("show -json decodes to id %q route %q (%v), want %q %q", got.ID, got.Route, err, detail.ID, detail.Route)
	}
}

// TestAuditVerifyForgedPrev: `mugai audit verify` prints where a trail's
// chain begins, the prev of its first line, which whoever changed the
// trail wrote: one that is no line's hash (here a terminal escape) is
// refused as a change, and the error reaches the terminal escaped.
// Before, it was printed as it was, "chain intact".
func TestAuditVerifyForgedPrev(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	line := `{"time":"2026-01-01T00:00:00Z","event":"accept","prev":"\u001b]0;pwned\u0007` + strings.Repeat("a", 100) + `"}` + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd("audit", "verify", path)
	want := path + `: line 1: prev "\x1b]0;pwned\aaaaaaa…(110 bytes)" is not the SHA-256 of a line (the line was changed)` + "\n"
	if code != 1 || stderr != want || !strings.Contains(stdout, "0 lines intact before the break") {
		t.Errorf("exit %d\nstdout: %q\nstderr: %q\nwant %q", code, stdout, stderr, want)
	}
}
