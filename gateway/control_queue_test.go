package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/spool"
)

// queueFixture is a Server with a real spool and audit trail, its admin
// handler on a real loopback socket, and three messages: one pending,
// one deferred by the next hop, one failed.
type queueFixture struct {
	srv                       *Server
	sp                        *spool.Spool
	base                      string // http://127.0.0.1:port
	auditPath                 string
	pending, deferred, failed string
}

// fixtureToken is the fixture server's control token.
const fixtureToken = "fixture-token"

const queueFixtureYAML = `
admin: {listen: "127.0.0.1:0"}
spool_dir: %DIR%/spool
quarantine: {dir: %DIR%/quarantine}
log: {audit: %DIR%/audit.log}
routes:
  - name: inbound
    listen: ["127.0.0.1:0"]
    hostname: gw.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: [lgwan.example]
    policy: default
    deliver: {to: "smtp://127.0.0.1:1", tls: none}
policies:
  default: {}
`

const queueFixtureBody = "From: Alice <alice@example.org>\r\n" +
	"To: bob@lgwan.example\r\n" +
	"Subject: =?UTF-8?B?5Lya6K2w44Gu5Lu2?=\r\n" +
	"X-Long: a\r\n" +
	" folded continuation\r\n" +
	"\r\n" +
	"BODY-MUST-NOT-SHOW\r\n" +
	"Subject: not a header, the body\r\n"

func newQueueFixture(t *testing.T) *queueFixture {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "mugai.yaml"), []byte(strings.ReplaceAll(queueFixtureYAML, "%DIR%", dir)))
	if err != nil {
		t.Fatal(err)
	}
	f := &queueFixture{auditPath: cfg.Log.Audit}
	if f.sp, err = spool.Open(cfg.SpoolDir, spool.Options{}); err != nil {
		t.Fatal(err)
	}
	audit, err := OpenAudit(cfg.Log.Audit, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if f.srv, err = New(cfg, Deps{Logger: logger, Metrics: metrics.New("test"), Spool: f.sp, Audit: audit, ControlToken: fixtureToken}); err != nil {
		t.Fatal(err)
	}
	hs, addr, err := ServeAdmin("127.0.0.1:0", f.srv.AdminHandler(nil))
	if err != nil {
		t.Fatal(err)
	}
	f.base = "http://" + addr.String()
	t.Cleanup(func() {
		hs.Close()
		f.sp.Close()
		audit.Close()
	})

	put := func(to ...string) string {
		env := spool.Envelope{Route: "inbound", From: "alice@example.org", To: to, ClientAddr: "192.0.2.7:40000",
			Helo: "mx.example.org", TLS: true, Received: time.Now(), Policy: "default", QuarantineID: "Q0000000000000001"}
		id, err := f.sp.Put(env, strings.NewReader(queueFixtureBody), int64(len(queueFixtureBody)))
		if err != nil {
			t.Fatal(err)
		}
		audit.Write(&AuditRecord{Time: time.Now().UTC(), Event: "accept", Route: "inbound", QueueID: id, Verdict: "rebuilt"})
		return id
	}
	// attempt leases the oldest due message and records an outcome, as
	// the runner would.
	attempt := func(id string, st spool.State, why string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m, err := f.sp.NextFor(ctx, "inbound")
		if err != nil || m.ID != id {
			t.Fatalf("lease %s: got %v, %v", id, m, err)
		}
		rcpts := m.Rcpts
		for i := range rcpts {
			rcpts[i].State, rcpts[i].LastError, rcpts[i].Attempts = st, why, 1
			if st == spool.Deferred {
				rcpts[i].NextAttempt = time.Now().Add(time.Hour)
			}
		}
		if err := f.sp.Update(id, rcpts); err != nil {
			t.Fatal(err)
		}
		audit.Write(&AuditRecord{Time: time.Now().UTC(), Event: "delivery", Route: "inbound", QueueID: id, NextHop: "smtp://127.0.0.1:1",
			Delivery: []AuditDeliveryRcpt{{Rcpt: rcpts[0].Addr, State: st.String(), Code: 451, Text: why}}})
	}
	f.deferred = put("bob@lgwan.example")
	attempt(f.deferred, spool.Deferred, "451 4.3.0 mailbox busy, try later")
	f.failed = put("nobody@lgwan.example")
	attempt(f.failed, spool.Failed, "550 5.1.1 no such user")
	f.pending = put("carol@lgwan.example", "dave@lgwan.example")
	return f
}

// call makes one admin request and decodes a JSON answer into out.
func (f *queueFixture) call(t *testing.T, method, path string, hdr map[string]string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, f.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+fixtureToken)
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func TestQueueAdminList(t *testing.T) {
	f := newQueueFixture(t)
	var msgs []QueueMessage
	if code := f.call(t, "GET", "/queue", nil, &msgs); code != 200 {
		t.Fatalf("GET /queue: %d", code)
	}
	want := []struct {
		id, state, rcptState, lastErr string
		rcpts                         int
	}{
		{f.deferred, "deferred", "deferred", "451 4.3.0 mailbox busy", 1},
		{f.failed, "failed", "failed", "550 5.1.1 no such user", 1},
		{f.pending, "active", "pending", "", 2},
	}
	if len(msgs) != len(want) {
		t.Fatalf("got %d messages, want %d: %+v", len(msgs), len(want), msgs)
	}
	for i, w := range want {
		t.Run(w.state, func(t *testing.T) {
			m := msgs[i]
			if m.ID != w.id || m.State != w.state || len(m.Recipients) != w.rcpts {
				t.Fatalf("message %d = %s %s %d recipients, want %s %s %d", i, m.ID, m.State, len(m.Recipients), w.id, w.state, w.rcpts)
			}
			rc := m.Recipients[0]
			if rc.State != w.rcptState || !strings.HasPrefix(rc.LastError, w.lastErr) {
				t.Errorf("recipient %+v, want state %s, error %q", rc, w.rcptState, w.lastErr)
			}
			if (w.state == "deferred") != !rc.NextAttempt.IsZero() {
				t.Errorf("next attempt %v for a %s recipient", rc.NextAttempt, rc.State)
			}
			if m.Sender != "alice@example.org" || m.Route != "inbound" || m.Size != int64(len(queueFixtureBody)) {
				t.Errorf("envelope %+v", m)
			}
			if m.Headers != nil || m.History != nil {
				t.Errorf("a listing carries no headers or history: %+v", m)
			}
		})
	}
}

func TestQueueAdminShow(t *testing.T) {
	f := newQueueFixture(t)
	var m QueueMessage
	if code := f.call(t, "GET", "/queue/"+f.deferred, nil, &m); code != 200 {
		t.Fatalf("GET /queue/%s: %d", f.deferred, code)
	}
	wantHeaders := []string{"From: Alice <alice@example.org>", "To: bob@lgwan.example",
		"Subject: =?UTF-8?B?5Lya6K2w44Gu5Lu2?=", "X-Long: a", " folded continuation"}
	if strings.Join(m.Headers, "\n") != strings.Join(wantHeaders, "\n") || m.HeadersTruncated {
		t.Errorf("headers %q (truncated %v), want %q", m.Headers, m.HeadersTruncated, wantHeaders)
	}
	b, _ := json.Marshal(m)
	if strings.Contains(string(b), "BODY-MUST-NOT-SHOW") || strings.Contains(string(b), "not a header") {
		t.Errorf("show carries the body: %s", b)
	}
	if m.Client != "192.0.2.7:40000" || m.Helo != "mx.example.org" || !m.TLS || m.Policy != "default" || m.QuarantineID != "Q0000000000000001" {
		t.Errorf("envelope %+v", m)
	}
	if len(m.History) != 2 || m.History[0].Event != "accept" || m.History[1].Event != "delivery" ||
		m.History[1].Rcpt != "bob@lgwan.example" || m.History[1].Code != 451 || m.History[1].NextHop != "smtp://127.0.0.1:1" {
		t.Errorf("history %+v", m.History)
	}

	var e struct{ Error string }
	if code := f.call(t, "GET", "/queue/NOSUCHID00000000", nil, &e); code != 404 || !strings.Contains(e.Error, "NOSUCHID00000000") {
		t.Errorf("unknown id: %d %q", code, e.Error)
	}
}

func TestQueueAdminRetry(t *testing.T) {
	f := newQueueFixture(t)
	// The pending message is due anyway: take it out of the way so that
	// only what retry makes due comes out of NextFor.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if m, err := f.sp.NextFor(ctx, "inbound"); err != nil || m.ID != f.pending {
		t.Fatalf("lease pending: %v %v", m, err)
	}
	due := func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		m, err := f.sp.NextFor(ctx, "inbound")
		if err != nil {
			return ""
		}
		f.sp.Release(m.ID)
		return m.ID
	}
	if id := due(); id != "" {
		t.Fatalf("%s due before any retry", id)
	}

	tests := []struct {
		name, path string
		code, due  int
		errHas     string
	}{
		{"deferred", "/queue/" + f.deferred + "/retry", 200, 1, ""},
		{"failed", "/queue/" + f.failed + "/retry", 409, 0, "no deferred recipient"},
		{"unknown", "/queue/NOSUCHID00000000/retry", 404, 0, "NOSUCHID00000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res struct {
				QueueRetry
				Error string
			}
			code := f.call(t, "POST", tt.path, nil, &res)
			if code != tt.code || res.Due != tt.due || !strings.Contains(res.Error, tt.errHas) {
				t.Errorf("POST %s: %d %+v, want %d due %d error %q", tt.path, code, res, tt.code, tt.due, tt.errHas)
			}
		})
	}
	if id := due(); id != f.deferred {
		t.Errorf("after retry, %q is due, want %s", id, f.deferred)
	}
	var all QueueRetry
	if code := f.call(t, "POST", "/queue/retry", nil, &all); code != 200 || all.Due != 1 {
		t.Errorf("retry all: %d %+v", code, all)
	}
}

func TestQueueAdminDelete(t *testing.T) {
	f := newQueueFixture(t)
	tests := []struct {
		name   string
		id     string
		q      url.Values
		hdr    map[string]string
		code   int
		errHas string
	}{
		{"no reason", f.failed, url.Values{"user": {"ops"}}, nil, 400, "reason"},
		{"no user", f.failed, url.Values{"reason": {"x"}}, nil, 400, "user"},
		{"escape in the user", f.failed, url.Values{"user": {"root\x1b[2K\x1b[1Aalice"}, "reason": {"x"}}, nil, 400, "control or formatting"},
		{"bidi override in the reason", f.failed, url.Values{"user": {"ops"}, "reason": {"x\u202e"}}, nil, 400, "control or formatting"},
		{"overlong user", f.failed, url.Values{"user": {strings.Repeat("u", 257)}, "reason": {"x"}}, nil, 400, "at most 256"},
		{"cross-site browser", f.failed, url.Values{"user": {"ops"}, "reason": {"x"}},
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403, ""},
		{"rebinding host", f.failed, url.Values{"user": {"ops"}, "reason": {"x"}}, map[string]string{"Host": "evil.example:9925"}, 403, "localhost"},
		{"unknown", "NOSUCHID00000000", url.Values{"user": {"ops"}, "reason": {"x"}}, nil, 404, "NOSUCHID00000000"},
		{"ok", f.failed, url.Values{"user": {"ops (sudo as root)"}, "reason": {"迷惑メール, reported by 総務課"}}, nil, 200, ""},
		{"again", f.failed, url.Values{"user": {"ops"}, "reason": {"x"}}, nil, 404, f.failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res struct {
				QueueMessage
				Error string
			}
			out := any(&res)
			if tt.code == 403 && tt.errHas == "" {
				out = nil // CrossOriginProtection answers in plain text
			}
			code := f.call(t, "DELETE", "/queue/"+tt.id+"?"+tt.q.Encode(), tt.hdr, out)
			if code != tt.code || !strings.Contains(res.Error, tt.errHas) {
				t.Fatalf("DELETE: %d %+v, want %d with %q", code, res, tt.code, tt.errHas)
			}
			_, err := f.sp.Get(f.failed)
			if gone := err != nil; gone != (tt.code == 200 || tt.name == "again") {
				t.Errorf("after %s the message is gone: %v", tt.name, gone)
			}
		})
	}
	if code := f.call(t, "GET", "/queue", map[string]string{"Host": "evil.example"}, nil); code != 403 {
		t.Errorf("GET /queue under a foreign host name: %d, want 403", code)
	}

	// The audit trail ends with the delete: who, why, what; the chain holds.
	recs := readAuditFile(t, f.auditPath)
	last := recs[len(recs)-1]
	if last.Event != "delete" || last.QueueID != f.failed || last.User != "ops (sudo as root)" || last.Why != "迷惑メール, reported by 総務課" ||
		last.Sender != "alice@example.org" || len(last.Rcpts) != 1 || last.Rcpts[0] != "nobody@lgwan.example" || last.Client == "" {
		t.Errorf("last audit record %+v", last)
	}
	af, _ := os.Open(f.auditPath)
	defer af.Close()
	if _, err := VerifyAudit(af); err != nil {
		t.Errorf("audit chain: %v", err)
	}
}

func TestQueueAdminRequeue(t *testing.T) {
	f := newQueueFixture(t)
	post := func(id, body string) (int, QueueRetry, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", f.base+"/queue/"+id+"/requeue", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+fixtureToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res struct {
			QueueRetry
			Error string
		}
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			t.Fatalf("requeue %s: %d: %v", id, resp.StatusCode, err)
		}
		return resp.StatusCode, res.QueueRetry, res.Error
	}
	const ok = `{"user":"ops (sudo as root)","reason":"mailbox created, ticket 12"}`
	for _, tt := range []struct {
		name, id, body string
		code           int
		errHas         string
	}{
		{"no reason", f.failed, `{"user":"ops"}`, 400, "reason"},
		{"not json", f.failed, `user=ops`, 400, "bad request"},
		{"newline in the reason", f.failed, `{"user":"ops","reason":"line1\nFAKE audit line"}`, 400, "control or formatting"},
		{"unknown", "NOSUCHID00000000", ok, 404, "NOSUCHID00000000"},
		{"deferred", f.deferred, ok, 409, "no failed recipient"},
	} {
		if code, _, msg := post(tt.id, tt.body); code != tt.code || !strings.Contains(msg, tt.errHas) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, code, msg, tt.code, tt.errHas)
		}
	}
	before := len(readAuditFile(t, f.auditPath))
	if code, res, msg := post(f.failed, ok); code != 200 || res.ID != f.failed || res.Due != 1 {
		t.Fatalf("requeue of the failed message: %d %+v %q", code, res, msg)
	}
	m, err := f.sp.Get(f.failed)
	if err != nil || m.Rcpts[0].State != spool.Pending || m.Rcpts[0].Requeued.IsZero() {
		t.Fatalf("after the requeue: %+v %v", m.Rcpts, err)
	}
	if code, _, msg := post(f.failed, ok); code != 409 || !strings.Contains(msg, "no failed recipient") {
		t.Errorf("second requeue: %d %q, want 409", code, msg)
	}
	// One audit record, for the requeue that happened; the history shows it.
	recs := readAuditFile(t, f.auditPath)
	if len(recs) != before+1 {
		t.Fatalf("%d audit records written, want 1", len(recs)-before)
	}
	last := recs[len(recs)-1]
	if last.Event != "requeue" || last.QueueID != f.failed || last.User != "ops (sudo as root)" || last.Why != "mailbox created, ticket 12" ||
		len(last.Rcpts) != 1 || last.Rcpts[0] != "nobody@lgwan.example" || last.Client == "" {
		t.Errorf("audit record %+v", last)
	}
	var show QueueMessage
	if code := f.call(t, "GET", "/queue/"+f.failed, nil, &show); code != 200 {
		t.Fatalf("show: %d", code)
	}
	if h := show.History; len(h) == 0 || h[len(h)-1].Event != "requeue" || h[len(h)-1].Rcpt != "nobody@lgwan.example" {
		t.Errorf("history %+v does not end with the requeue", h)
	}
}

func readAuditFile(t *testing.T, path string) []AuditRecord {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []AuditRecord
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestReadHeaderBlock(t *testing.T) {
	tests := []struct {
		name, in  string
		max       int
		want      []string
		truncated bool
	}{
		{"crlf", "A: 1\r\nB: 2\r\n\r\nbody\r\n", 100, []string{"A: 1", "B: 2"}, false},
		{"lf", "A: 1\nB: 2\n\nbody\n", 100, []string{"A: 1", "B: 2"}, false},
		{"no body", "A: 1\r\nB: 2", 100, []string{"A: 1", "B: 2"}, false},
		{"empty", "", 100, nil, false},
		{"body only", "\r\nbody", 100, nil, false},
		{"bare cr kept", "A: x\ry\r\n\r\n", 100, []string{"A: x\ry"}, false},
		{"cut", "A: 1\r\nB: 0123456789\r\n\r\n", 10, []string{"A: 1", "B: 0"}, true},
		{"blank line at the limit", "A: 1\r\n\r\nbody", 6, []string{"A: 1"}, false},
		{"cut at a line end", "A: 1\r\nB: 2\r\n\r\n", 6, []string{"A: 1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, tr, err := ReadHeaderBlock(strings.NewReader(tt.in), tt.max)
			if err != nil || tr != tt.truncated || strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("got %q truncated %v err %v, want %q truncated %v", got, tr, err, tt.want, tt.truncated)
			}
		})
	}
}

// FuzzReadHeaderBlock: whatever the input, the lines come from before the
// first blank line, in order, within max bytes, and hold no line feed.
func FuzzReadHeaderBlock(f *testing.F) {
	f.Add([]byte(queueFixtureBody), 64)
	f.Add([]byte("A: 1\n\n"), 3)
	f.Add([]byte("\r\r\n\r\n"), 2)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		lines, _, err := ReadHeaderBlock(strings.NewReader(string(in)), max)
		if err != nil {
			t.Fatal(err)
		}
		// The block ends with the line feed before the first empty line.
		s := string(in)
		head := s
		for _, sep := range []string{"\n\n", "\n\r\n"} {
			if i := strings.Index(s, sep); i >= 0 && i+1 < len(head) {
				head = s[:i+1]
			}
		}
		if strings.HasPrefix(s, "\n") || strings.HasPrefix(s, "\r\n") {
			head = ""
		}
		n, pos := 0, 0
		for _, l := range lines {
			if strings.Contains(l, "\n") {
				t.Fatalf("line %q holds a line feed", l)
			}
			if !strings.HasPrefix(head[pos:], l) {
				t.Fatalf("line %q is not next in the header block %q at %d", l, head, pos)
			}
			pos += len(l)
			if strings.HasPrefix(head[pos:], "\r\n") {
				pos += 2
			} else if strings.HasPrefix(head[pos:], "\n") {
				pos++
			}
			n += len(l)
		}
		if n > max {
			t.Fatalf("%d bytes of lines, max %d", n, max)
		}
	})
}

// TestQueueAdminFilterSummary: GET /queue narrows and caps the listing
// (X-Mugai-Total says how many matched), refuses a bad filter with 400,
// and GET /queue/summary counts by route, state, domain and age, as an
// operator with a queue grown in an outage asks first.
func TestQueueAdminFilterSummary(t *testing.T) {
	f := newQueueFixture(t)
	for i := range QueueSummaryDomains + 2 {
		env := spool.Envelope{Route: "inbound", From: "alice@example.org", To: []string{fmt.Sprintf("u@d%02d.example", i)}, Received: time.Now()}
		if _, err := f.sp.Put(env, strings.NewReader(queueFixtureBody), int64(len(queueFixtureBody))); err != nil {
			t.Fatal(err)
		}
	}
	list := func(query string) ([]QueueMessage, string, int) {
		t.Helper()
		resp, err := http.DefaultClient.Do(func() *http.Request {
			req, _ := http.NewRequest("GET", f.base+"/queue"+query, nil)
			req.Header.Set("Authorization", "Bearer "+fixtureToken)
			return req
		}())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var msgs []QueueMessage
		json.NewDecoder(resp.Body).Decode(&msgs)
		return msgs, resp.Header.Get("X-Mugai-Total"), resp.StatusCode
	}
	for _, tt := range []struct {
		query string
		n     int
		total string
	}{
		{"", 25, "25"},
		{"?state=failed", 1, "1"},
		{"?state=active&domain=LGWAN.EXAMPLE", 1, "1"}, // the fixture's pending one, two recipients
		{"?domain=d03.example", 1, "1"},
		{"?limit=4", 4, "25"},
		{"?failed=true", 1, "1"},
		{"?older_than=1h", 0, "0"},
		{"?route=inbound/bounces", 0, "0"},
	} {
		msgs, total, code := list(tt.query)
		if code != 200 || len(msgs) != tt.n || total != tt.total {
			t.Errorf("GET /queue%s: %d, %d messages, X-Mugai-Total %q; want 200, %d, %q", tt.query, code, len(msgs), total, tt.n, tt.total)
		}
	}
	for _, q := range []string{"?state=stuck", "?limit=0", "?limit=5001", "?older_than=soon", "?failed=maybe"} {
		var e struct{ Error string }
		if _, _, code := list(q); code != 400 {
			t.Errorf("GET /queue%s: %d, want 400", q, code)
		}
		f.call(t, "GET", "/queue"+q, nil, &e)
		if e.Error == "" {
			t.Errorf("GET /queue%s: no error text", q)
		}
	}

	var sum QueueSummary
	if code := f.call(t, "GET", "/queue/summary", nil, &sum); code != 200 {
		t.Fatalf("GET /queue/summary: %d", code)
	}
	if sum.Total != 25 || sum.States["active"] != 23 || sum.States["deferred"] != 1 || sum.States["failed"] != 1 ||
		len(sum.Routes) != 1 || sum.Routes[0].Total != 25 {
		t.Errorf("summary totals %+v", sum)
	}
	// lgwan.example has 3 waiting recipients (the failed one is not
	// waiting), each d.. domain 1: 20 lines, then the rest as (other).
	if len(sum.Domains) != QueueSummaryDomains+1 || sum.Domains[0].Domain != "lgwan.example" || sum.Domains[0].Total != 3 ||
		sum.Domains[QueueSummaryDomains].Domain != "(other)" || sum.Domains[QueueSummaryDomains].Total != 3 {
		t.Errorf("summary domains %+v", sum.Domains)
	}
	if sum.Domains[0].ByAge[0] != 3 || len(sum.Ages) != len(sum.Domains[0].ByAge) {
		t.Errorf("ages %q, lgwan.example by age %v, want all under 5m", sum.Ages, sum.Domains[0].ByAge)
	}
	// A day later they are all in the last column.
	later := QueueSummarise(f.sp, time.Now().Add(25*time.Hour))
	if d := later.Domains[0]; d.ByAge[len(d.ByAge)-1] != 3 {
		t.Errorf("a day later lgwan.example by age %v", d.ByAge)
	}
}

// TestQueueOlderThanRequeued: -older-than and the summary's ages count a
// requeued message from its requeue, as its retry lifetime and
// mugai_queue_oldest_message_age_seconds do, not from its arrival (the
// review of the whole change).
func TestQueueOlderThanRequeued(t *testing.T) {
	f := newQueueFixture(t)
	later := time.Now().Add(3 * time.Hour)
	if _, err := f.sp.Requeue(f.failed, later.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	msgs, total := QueueSelect(f.sp, QueueFilter{OlderThan: time.Hour}, later)
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	if total != 2 || slices.Contains(ids, f.failed) {
		t.Errorf("older than 1h, 3h on: %q (%d), want the two not requeued", ids, total)
	}
	sum := QueueSummarise(f.sp, later)
	// lgwan.example: bob (deferred, 3h), nobody (requeued 10m ago),
	// carol and dave (pending, 3h).
	if d := sum.Domains[0]; d.Domain != "lgwan.example" || d.Total != 4 || d.ByAge[1] != 1 || d.ByAge[3] != 3 {
		t.Errorf("lgwan.example %+v, want 1 under 30m and 3 under 6h", d)
	}
}
