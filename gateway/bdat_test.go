package gateway

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// bdat sends one BDAT chunk and returns the reply to it.
func (s *rawSession) bdat(chunk string, last bool) string {
	l := ""
	if last {
		l = " LAST"
	}
	fmt.Fprintf(s.conn, "BDAT %d%s\r\n%s", len(chunk), l, chunk)
	return s.reply(5 * time.Second)
}

// tx gives MAIL and RCPT, which must be accepted.
func (s *rawSession) tx(rcpt string) {
	s.t.Helper()
	if r := s.cmd("MAIL FROM:<a@example.jp>"); !strings.HasPrefix(r, "250") {
		s.t.Fatalf("MAIL: %q", r)
	}
	if r := s.cmd("RCPT TO:<" + rcpt + ">"); !strings.HasPrefix(r, "250") {
		s.t.Fatalf("RCPT: %q", r)
	}
}

// TestBDAT: go-smtp offers CHUNKING whatever we configure, so BDAT is a
// second way for a message to come in, and everything the DATA path
// guarantees must hold for it too: size and line limits (refused with
// the reply DATA gives, counted and audited), the minimum data rate
// (421 and hang up, also while the client idles between chunks or in
// the middle of one), line ends normalised, nothing spooled or
// quarantined from a transfer that did not end with LAST, no temporary
// file left, no reply giving away addresses or error texts.
func TestBDAT(t *testing.T) {
	dir := t.TempDir()
	const limits = "    limits: {max_message_size: 2MiB, command_timeout: 3s, data_timeout: 1s, min_data_rate: 1KiB}\n"
	outbound := `  - name: outbound
    listen: ["127.0.0.1:0"]
    hostname: out.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: ["*"]
    policy: none
` + limits + `    deliver: {to: "maildir:` + dir + `/out"}`
	g := startGateway(t, gatewayConfig(t, dir, "", outbound, "    policy: default\n", "    policy: default\n"+limits), false)

	msg := "From: a@example.jp\r\nTo: s@lgwan.example\r\nSubject: chunks\r\n\r\n"
	long := strings.Repeat("y", 80<<10)
	cases := []struct {
		name   string
		route  string
		run    func(s *rawSession) []string
		want   []string // prefixes of the replies run returns
		closed bool     // the server ends the connection
		drop   bool     // the client hangs up without QUIT
		// what is on disk and in the audit trail afterwards
		spooled, quarantined int
		verdict              string // of the accept record; "" for none
		reply                int    // of the accept record
		rejects              string // code counted in smtp_rejects_total{stage="data"}, if any
		body                 func(t *testing.T, spooled string)
	}{
		{
			name: "sanitising route, three chunks, bare LF and CR", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				return []string{s.bdat(msg, false), s.bdat("line 1\nline 2\rline 3\r\n", false), s.bdat("end\r\n", true)}
			},
			want:    []string{"250 2.0.0", "250 2.0.0", "250 2.0.0 Ok: queued as"},
			spooled: 1, quarantined: 1, verdict: "rebuilt", reply: 250,
			body: func(t *testing.T, out string) {
				if text, _ := readable(t, out); !strings.Contains(text, "line 1\r\nline 2\r\nline 3\r\nend") {
					t.Errorf("body lost or not normalised:\n%s", out)
				}
			},
		},
		{
			name: "pass-through route, bare LF and CR", route: "outbound",
			run: func(s *rawSession) []string {
				s.tx("b@example.com")
				return []string{s.bdat("Subject: out\n\nline 1\nline 2\rline 3\r\n", false), s.bdat("", true)}
			},
			want:    []string{"250 2.0.0", "250 2.0.0 Ok: queued as"},
			spooled: 1, verdict: "passed", reply: 250,
			body: func(t *testing.T, out string) {
				if !strings.HasSuffix(out, "\r\nSubject: out\r\n\r\nline 1\r\nline 2\r\nline 3\r\n") {
					t.Errorf("pass-through body not normalised:\n%q", out)
				}
			},
		},
		{
			name: "pipelined with the next command", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				body := msg + "hi\r\n"
				fmt.Fprintf(s.conn, "BDAT %d LAST\r\n%sNOOP\r\n", len(body), body)
				return []string{s.reply(5 * time.Second), s.reply(5 * time.Second)}
			},
			want:    []string{"250 2.0.0 Ok: queued as", "250 2.0.0"},
			spooled: 1, quarantined: 1, verdict: "rebuilt", reply: 250,
		},
		{
			name: "without MAIL, without RCPT, after a refused RCPT", route: "inbound",
			run: func(s *rawSession) []string {
				r := []string{s.bdat(msg, true)}
				s.cmd("MAIL FROM:<a@example.jp>")
				r = append(r, s.bdat(msg, true))
				r = append(r, s.cmd("RCPT TO:<x@evil.example>"))
				return append(r, s.bdat(msg, true), s.cmd("RSET"))
			},
			want:    []string{"502 5.5.1", "502 5.5.1", "550 5.7.1", "502 5.5.1", "250"},
			verdict: "refused", reply: 550,
		},
		{
			name: "mixed with DATA and MAIL", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				return []string{s.bdat(msg, false), s.cmd("DATA"), s.cmd("MAIL FROM:<b@example.jp>"), s.bdat("x\r\n", true)}
			},
			want:    []string{"250 2.0.0", "502 5.5.1", "502 5.5.1", "250 2.0.0 Ok: queued as"},
			spooled: 1, quarantined: 1, verdict: "rebuilt", reply: 250,
		},
		{
			name: "many small chunks over the size limit", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				chunk := strings.Repeat("0123456789abcde\r\n", 4<<10) // 68 KiB
				r := s.bdat(msg, false)
				for i := 0; i < 40 && strings.HasPrefix(r, "250"); i++ {
					r = s.bdat(chunk, false)
				}
				return []string{r, s.bdat("more\r\n", true)}
			},
			// go-smtp answers the chunk that would pass the limit itself,
			// before reading it; the rest of the transfer finds no
			// transaction.
			want:    []string{"552 5.3.4", "502 5.5.1"},
			verdict: "abandoned",
		},
		{
			name: "one chunk declaring 4 GB", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				fmt.Fprintf(s.conn, "BDAT 4000000000 LAST\r\n")
				start := time.Now()
				r := s.reply(5 * time.Second)
				// At once, not after waiting for bytes (a loaded machine
				// may take a while to answer at all).
				if el := time.Since(start); el > 3*time.Second {
					t.Errorf("552 took %v", el)
				}
				return []string{r}
			},
			// The client owes the server 4 GB now; it hangs up instead.
			want: []string{"552 5.3.4"}, drop: true,
		},
		{
			name: "a line over the limit, sanitising route", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				return []string{s.bdat(msg+long+"\r\nafter\r\n", true), s.cmd("NOOP")}
			},
			want:    []string{"554 5.6.0", "250"},
			verdict: "line-too-long", reply: 554, rejects: "554",
		},
		{
			name: "a line over the limit, pass-through route", route: "outbound",
			run: func(s *rawSession) []string {
				s.tx("b@example.com")
				return []string{s.bdat(msg+long+"\r\n", true)}
			},
			want:    []string{"554 5.6.0"},
			verdict: "line-too-long", reply: 554, rejects: "554",
		},
		{
			name: "a line over the limit across chunks", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				return []string{s.bdat(msg+long[:40<<10], false), s.bdat(long[:40<<10], false), s.bdat("\r\n", true)}
			},
			want:    []string{"250 2.0.0", "554 5.6.0", "502 5.5.1"},
			verdict: "line-too-long", reply: 554, rejects: "554",
		},
		{
			name: "slow chunks", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				r := s.bdat(msg, false)
				for i := 0; i < 10 && strings.HasPrefix(r, "250"); i++ {
					time.Sleep(600 * time.Millisecond)
					r = s.bdat("x", false)
				}
				return []string{r}
			},
			want: []string{"421 4.4.2"}, closed: true,
			verdict: "timeout", reply: 421, rejects: "421",
		},
		{
			name: "NOOPs between chunks", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				s.bdat(msg, false)
				start := time.Now()
				r := ""
				for time.Since(start) < 4*time.Second {
					time.Sleep(300 * time.Millisecond)
					if r = s.cmd("NOOP"); !strings.HasPrefix(r, "250") {
						break
					}
				}
				if el := time.Since(start); el > 3*time.Second {
					t.Errorf("a client idling in a BDAT transfer was cut after %v, want about the 1s data timeout", el)
				}
				return []string{r}
			},
			want: []string{"421 4.4.2"}, closed: true,
			verdict: "timeout", reply: 421, rejects: "421",
		},
		{
			name: "stops in the middle of a chunk", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				r := s.bdat(msg, false)
				fmt.Fprintf(s.conn, "BDAT 1000\r\nabc")
				start := time.Now()
				r2 := s.reply(5 * time.Second)
				if el := time.Since(start); el > 3*time.Second {
					t.Errorf("cut after %v, want about the 1s data timeout", el)
				}
				return []string{r, r2}
			},
			want: []string{"250 2.0.0", "421 4.4.2"}, closed: true,
			verdict: "timeout", reply: 421, rejects: "421",
		},
		{
			name: "closed in the middle of a chunk, after a spill to disk", route: "inbound",
			run: func(s *rawSession) []string {
				s.tx("s@lgwan.example")
				r := s.bdat(msg+strings.Repeat("0123456789abcde\r\n", 90<<10), false) // 1.5 MiB
				fmt.Fprintf(s.conn, "BDAT 100000\r\nabc")
				time.Sleep(100 * time.Millisecond)
				s.conn.Close()
				return []string{r}
			},
			want: []string{"250 2.0.0"}, closed: true,
			verdict: "abandoned",
		},
		{
			name: "RSET in the middle of a transfer", route: "outbound",
			run: func(s *rawSession) []string {
				s.tx("b@example.com")
				return []string{s.bdat(msg, false), s.cmd("RSET"), s.bdat("x", true)}
			},
			want:    []string{"250 2.0.0", "250", "502 5.5.1"},
			verdict: "abandoned",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spoolBefore := len(g.sp.List())
			qBefore, _ := g.q.Stats()
			auditBefore := len(readAudit(t, g.audit))
			rejects := map[string]float64{}
			for _, code := range []string{"421", "451", "552", "554"} {
				rejects[code] = testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues(tc.route, "data", code))
			}

			s := rawDial(t, g.addr(tc.route))
			s.reply(5 * time.Second)
			s.cmd("EHLO c.example")
			got := tc.run(s)
			for i, w := range tc.want {
				if i >= len(got) || !strings.HasPrefix(got[i], w) {
					t.Errorf("replies %q, want prefixes %q", got, tc.want)
					break
				}
			}
			for _, r := range got {
				if strings.Contains(r, "127.0.0.1") || strings.Contains(r, "tcp") || strings.Contains(r, "smtp:") {
					t.Errorf("reply gives away internals: %q", r)
				}
			}
			if tc.closed {
				if r := s.reply(2 * time.Second); !strings.HasPrefix(r, "ERR") {
					t.Errorf("connection still open: %q", r)
				}
			} else if !tc.drop {
				if r := s.cmd("QUIT"); !strings.HasPrefix(r, "221") {
					t.Errorf("QUIT: %q", r)
				}
			}
			s.conn.Close()

			// The record is written as the transaction or the session
			// ends, which the server learns of asynchronously.
			var recs []AuditRecord
			for i := 0; i < 100; i++ {
				recs = readAudit(t, g.audit)[auditBefore:]
				if len(recs) > 0 || tc.verdict == "" && i > 20 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			switch {
			case tc.verdict == "" && len(recs) > 0:
				t.Errorf("accept records %+v, want none", recs)
			case tc.verdict != "" && (len(recs) != 1 || recs[0].Verdict != tc.verdict || recs[0].Reply != tc.reply):
				t.Errorf("accept records %+v, want one %s %d", recs, tc.verdict, tc.reply)
			}
			for code, before := range rejects {
				want := before
				if code == tc.rejects {
					want++
				}
				if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues(tc.route, "data", code)); v != want {
					t.Errorf("smtp_rejects_total{%s,data,%s} = %v, want %v", tc.route, code, v, want)
				}
			}

			list := g.sp.List()
			if n := len(list) - spoolBefore; n != tc.spooled {
				t.Errorf("%d messages spooled, want %d", n, tc.spooled)
			}
			if q, _ := g.q.Stats(); q-qBefore != tc.quarantined {
				t.Errorf("%d originals quarantined, want %d", q-qBefore, tc.quarantined)
			}
			if tc.spooled == 1 && len(list) > spoolBefore {
				var newest string
				for _, m := range list {
					if m.ID > newest {
						newest = m.ID
					}
				}
				b, err := g.sp.Body(newest)
				if err != nil {
					t.Fatal(err)
				}
				out, _ := io.ReadAll(b)
				if i := bytes.IndexFunc(out, func(r rune) bool { return r == '\r' || r == '\n' }); i >= 0 {
					if bytes.Count(out, []byte("\r")) != bytes.Count(out, []byte("\n")) || bytes.Count(out, []byte("\r\n")) != bytes.Count(out, []byte("\n")) {
						t.Errorf("spooled message has a bare CR or LF:\n%q", out)
					}
				}
				if tc.body != nil {
					tc.body(t, string(out))
				}
			}
			if ents, _ := os.ReadDir(g.srv.TempDir); len(ents) > 0 {
				t.Errorf("%d temporary files left in %s", len(ents), g.srv.TempDir)
			}
		})
	}
}

// TestBDATResetRace: go-smtp runs Data for BDAT in a goroutine of its
// own, while its command loop goes on and may reset the transaction
// (RSET, EHLO, the connection lost) before that goroutine has begun.
// A transaction abandoned with a recipient refused has one accept
// record, naming its sender, recipients and refusals: never two, never
// an empty one.
func TestBDATResetRace(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	const n = 20
	for i := 0; i < n; i++ {
		s := rawDial(t, g.addr("inbound"))
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		s.cmd("MAIL FROM:<a@example.jp>")
		s.cmd("RCPT TO:<x@evil.example>")
		s.cmd("RCPT TO:<s@lgwan.example>")
		if i%2 == 0 {
			fmt.Fprintf(s.conn, "BDAT 0\r\nRSET\r\n")
			if r1, r2 := s.reply(5*time.Second), s.reply(5*time.Second); !strings.HasPrefix(r1, "250") || !strings.HasPrefix(r2, "250") {
				t.Errorf("BDAT 0, RSET: %q %q", r1, r2)
			}
		} else {
			fmt.Fprintf(s.conn, "BDAT 100\r\n")
		}
		s.conn.Close()
	}
	var recs []AuditRecord
	for i := 0; i < 100; i++ {
		if recs = readAudit(t, g.audit); len(recs) >= n {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a duplicate would come late
	recs = readAudit(t, g.audit)
	if len(recs) != n {
		t.Errorf("%d accept records for %d sessions", len(recs), n)
	}
	for _, r := range recs {
		if r.Verdict != "abandoned" || r.Sender != "a@example.jp" || len(r.Rcpts) != 1 || len(r.Refused) != 1 {
			t.Errorf("accept record %+v", r)
		}
	}
}

// TestBDATCommandTimeoutShorter: between chunks the client is at the
// command level, where go-smtp reads under the command timeout; with a
// data timeout longer than that, a client that stops after a BDAT line
// still gets 421 4.4.2 and the hang-up, not go-smtp's permanent
// "554 5.0.0 … i/o timeout" naming addresses, with the connection left
// to read the rest of the chunk as commands.
func TestBDATCommandTimeoutShorter(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		"    policy: default\n    limits: {command_timeout: 1s, data_timeout: 5s, min_data_rate: 1KiB}\n")
	g := startGateway(t, cfg, false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.tx("s@lgwan.example")
	if r := s.bdat("Subject: x\r\n\r\n", false); !strings.HasPrefix(r, "250") {
		t.Fatalf("first chunk: %q", r)
	}
	fmt.Fprintf(s.conn, "BDAT 1000\r\n")
	start := time.Now()
	if r := s.reply(4 * time.Second); !strings.HasPrefix(r, "421 4.4.2") {
		t.Errorf("client silent after a BDAT line: %q, want 421 4.4.2", r)
	}
	if el := time.Since(start); el > 2500*time.Millisecond {
		t.Errorf("cut after %v, want about the 1s command timeout", el)
	}
	if r := s.reply(2 * time.Second); !strings.HasPrefix(r, "ERR") {
		t.Errorf("connection still open: %q", r)
	}
}

// TestBDATOverTLS: the BDAT paths over STARTTLS, where the connection
// the rate timer answers on and closes is a *tls.Conn that go-smtp
// writes to at the same time: a message in chunks is accepted, and a
// client idling between chunks gets 421 4.4.2 and the hang-up.
func TestBDATOverTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	cfg := gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: default\n    tls: {cert: "+cert+", key: "+key+", require: true}\n"+
		"    limits: {command_timeout: 3s, data_timeout: 1s, min_data_rate: 1KiB}\n")
	g := startGateway(t, cfg, false)
	dialTLS := func() *rawSession {
		s := rawDial(t, g.addr("inbound"))
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		s.startTLS(pool)
		s.cmd("EHLO c.example")
		s.tx("s@lgwan.example")
		return s
	}
	s := dialTLS()
	if r := s.bdat("Subject: tls\r\n\r\n", false); !strings.HasPrefix(r, "250") {
		t.Fatalf("chunk: %q", r)
	}
	if r := s.bdat("hello\r\n", true); !strings.HasPrefix(r, "250 2.0.0 Ok: queued as") {
		t.Fatalf("last chunk: %q", r)
	}
	if list := g.sp.List(); len(list) != 1 || !list[0].Env.TLS {
		t.Fatalf("spooled %+v", list)
	}

	s = dialTLS()
	s.bdat("Subject: tls\r\n\r\n", false)
	r := ""
	for i := 0; i < 12; i++ {
		time.Sleep(250 * time.Millisecond)
		if r = s.cmd("NOOP"); !strings.HasPrefix(r, "250") {
			break
		}
	}
	if !strings.HasPrefix(r, "421 4.4.2") {
		t.Errorf("client idling between chunks: %q, want 421 4.4.2", r)
	}
	if r := s.reply(2 * time.Second); !strings.HasPrefix(r, "ERR") {
		t.Errorf("connection still open: %q", r)
	}
}
