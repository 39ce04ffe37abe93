package mtatest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// noLeftovers registers (first, so it runs last) a check that no process
// whose command line or environment names *marker survives the test;
// marker is filled in once the server has started. pgrep -f sees command
// lines (the sink's dump directory, Postfix's master -c DIR); Postfix's
// daemons are found by the MAIL_CONFIG in their environment.
func noLeftovers(t *testing.T, marker *string) {
	t.Helper()
	t.Cleanup(func() {
		if *marker == "" {
			return
		}
		out, err := exec.Command("pgrep", "-af", *marker).CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("pgrep -f %s after cleanup: %v: %s", *marker, err, out)
		}
		if left := findProcs(*marker); len(left) > 0 {
			t.Errorf("processes of %s after cleanup: %+v", *marker, left)
		}
	})
}

// recordingTB records Skipf and Fatalf instead of ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                        {}
func (r *recordingTB) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }
func (r *recordingTB) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestRequire(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         string
		tool        string
		skip, fatal bool
	}{
		{"present", "1", "sh", false, false},
		{"missing skips", "", "mugai-no-such-tool", true, false},
		{"missing fails when required", "1", "mugai-no-such-tool", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvRequire, tc.env)
			r := &recordingTB{TB: t}
			Require(r, tc.tool)
			if (r.skipped != "") != tc.skip || (r.failed != "") != tc.fatal {
				t.Fatalf("skipped %q, failed %q; want skip %v, fatal %v", r.skipped, r.failed, tc.skip, tc.fatal)
			}
			if msg := r.skipped + r.failed; tc.skip || tc.fatal {
				if !strings.Contains(msg, tc.tool) || !strings.Contains(msg, EnvRequire) {
					t.Errorf("message %q should name the tool and %s", msg, EnvRequire)
				}
			}
		})
	}
}

func TestFreePort(t *testing.T) {
	port := FreePort(t)
	ln, err := net.Listen("tcp4", LoopbackAddr(port))
	if err != nil {
		t.Fatalf("FreePort gave %d, which cannot be bound: %v", port, err)
	}
	ln.Close()
}

// swaksSend sends one message with swaks and fails t if that fails.
func swaksSend(t *testing.T, server, to, msgID, body string, extra ...string) string {
	t.Helper()
	args := append([]string{"--server", server, "--from", "sender@internet.example", "--to", to,
		"--helo", "client.example", "--header", "Message-Id: " + msgID, "--body", body}, extra...)
	out, err := Swaks(t, args...)
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	return out
}

func TestSink(t *testing.T) {
	var marker string
	noLeftovers(t, &marker)
	s := StartSink(t, SinkOptions{})
	marker = s.DumpDir()

	swaksSend(t, s.Addr(), "a@lgwan.example", "<one@test>", "line 1\n.leading dot\nlast")
	swaksSend(t, s.Addr(), "b@lgwan.example,c@lgwan.example", "<two@test>", "second")
	if n := s.WaitCount(t, 2, 10*time.Second); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	msgs := s.Messages(t)
	if len(msgs) != 2 {
		t.Fatalf("%d messages dumped, want 2", len(msgs))
	}
	if got := s.MessageIDs(t); strings.Join(got, " ") != "<one@test> <two@test>" {
		t.Errorf("MessageIDs = %q", got)
	}
	m := msgs[0]
	if m.From != "sender@internet.example" || strings.Join(m.To, ",") != "a@lgwan.example" {
		t.Errorf("envelope %q -> %q", m.From, m.To)
	}
	if !bytes.Contains(m.Data, []byte("\n\nline 1\n.leading dot\nlast\n")) {
		t.Errorf("body not unstuffed as expected: %q", m.Data)
	}
	if bytes.Contains(m.Data, []byte("X-Mail-Args")) || bytes.Contains(m.Data, []byte("smtp-sink")) {
		t.Errorf("smtp-sink's own header lines left in Data: %q", m.Data)
	}
	if got := m.Header("Subject"); len(got) != 1 || !strings.HasPrefix(got[0], "test ") {
		t.Errorf("Subject = %q", got)
	}
	if got := strings.Join(msgs[1].To, ","); got != "b@lgwan.example,c@lgwan.example" {
		t.Errorf("second message recipients %q", got)
	}
}

// TestSinkExactData checks that Message.Data is exactly what the client
// sent, CRs aside: dot-stuffing undone, smtp-sink's own lines and its
// final empty line removed.
func TestSinkExactData(t *testing.T) {
	var marker string
	noLeftovers(t, &marker)
	s := StartSink(t, SinkOptions{})
	marker = s.DumpDir()
	sent := "Subject: exact\r\nMessage-ID: <exact@test>\r\n\r\nbody\r\n.dotted\r\n\r\nend\r\n"
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@internet.example", []string{"b@lgwan.example"}, strings.NewReader(sent)); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	s.WaitCount(t, 1, 10*time.Second)
	msgs := s.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if want := strings.ReplaceAll(sent, "\r", ""); string(msgs[0].Data) != want {
		t.Errorf("Data = %q, want %q", msgs[0].Data, want)
	}
	if msgs[0].MessageID != "<exact@test>" || msgs[0].From != "a@internet.example" || strings.Join(msgs[0].To, ",") != "b@lgwan.example" {
		t.Errorf("parsed %+v", msgs[0])
	}
}

func TestSinkReplies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opt   SinkOptions
		args  []string
		reply string // expected in swaks' transcript
		exit  int    // swaks exit code
		count int    // messages counted by the sink
	}{
		{"accept", SinkOptions{}, nil, "<-  250 2.0.0 Ok", 0, 1},
		{"4xx RCPT", SinkOptions{TempFail: []string{"RCPT"}}, nil, "<** 450 4.3.0", 24, 0},
		{"5xx RCPT", SinkOptions{PermFail: []string{"RCPT"}}, nil, "<** 500 5.3.0", 24, 0},
		{"4xx end of data", SinkOptions{TempFail: []string{"."}}, nil, "<** 450 4.3.0", 26, 1},
		{"421 MAIL", SinkOptions{Hangup: []string{"MAIL"}}, nil, "<** 421", 23, 0},
		{"LMTP", SinkOptions{LMTP: true}, []string{"--protocol", "LMTP"}, "<-  250 2.2.0 Ok", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var marker string
			noLeftovers(t, &marker)
			s := StartSink(t, tc.opt)
			marker = s.DumpDir()
			args := append([]string{"--server", s.Addr(), "--from", "x@internet.example", "--to", "a@lgwan.example"}, tc.args...)
			out, err := Swaks(t, args...)
			var exit *exec.ExitError
			code := 0
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatalf("swaks: %v", err)
			}
			if code != tc.exit || !strings.Contains(out, tc.reply) {
				t.Fatalf("swaks exit %d (want %d), transcript lacks %q:\n%s", code, tc.exit, tc.reply, out)
			}
			// QUIT is answered after the "." reply: once swaks is done,
			// every count it caused has been printed.
			deadline := time.Now().Add(5 * time.Second)
			for s.Count() < tc.count && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := s.Count(); got != tc.count {
				t.Errorf("count %d, want %d", got, tc.count)
			}
			if got := len(s.Messages(t)); got != tc.count {
				t.Errorf("%d dumped messages, want %d", got, tc.count)
			}
		})
	}
}

func TestSinkStopStart(t *testing.T) {
	var marker string
	noLeftovers(t, &marker)
	s := StartSink(t, SinkOptions{TempFail: []string{"RCPT"}})
	marker = s.DumpDir()
	port := s.Port()

	if out, err := Swaks(t, "--server", s.Addr(), "--to", "a@lgwan.example"); err == nil || !strings.Contains(out, "<** 450") {
		t.Fatalf("sink with TempFail RCPT accepted: %v\n%s", err, out)
	}
	swaksOK := func(id string) {
		t.Helper()
		swaksSend(t, s.Addr(), "a@lgwan.example", id, "body")
	}

	s.Stop(t)
	if c, err := net.DialTimeout("tcp4", s.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("stopped sink still accepts connections")
	}
	if left := findProcs(s.DumpDir()); len(left) != 0 {
		t.Fatalf("stopped sink left processes: %+v", left)
	}

	s.Options.TempFail = nil // it comes back healthy
	s.Start(t)
	if s.Port() != port {
		t.Fatalf("port changed from %d to %d", port, s.Port())
	}
	swaksOK("<after-1@test>")
	s.Stop(t)
	s.Start(t)
	swaksOK("<after-2@test>")
	s.WaitCount(t, 2, 10*time.Second)
	if got := strings.Join(s.MessageIDs(t), " "); got != "<after-1@test> <after-2@test>" {
		t.Errorf("messages over restarts: %q", got)
	}
}

// nextHop is a go-smtp server that records what it receives.
type nextHop struct {
	mu   sync.Mutex
	msgs []recorded
}

type recorded struct {
	from string
	to   []string
	data []byte
}

func (h *nextHop) NewSession(*smtp.Conn) (smtp.Session, error) { return &hopSession{hop: h}, nil }

func (h *nextHop) received() []recorded {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]recorded(nil), h.msgs...)
}

type hopSession struct {
	hop *nextHop
	cur recorded
}

func (s *hopSession) Reset()        { s.cur = recorded{} }
func (s *hopSession) Logout() error { return nil }
func (s *hopSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *hopSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *hopSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.hop.mu.Lock()
	s.hop.msgs = append(s.hop.msgs, s.cur)
	s.hop.mu.Unlock()
	return nil
}

func startNextHop(t *testing.T, smtputf8 bool) (*nextHop, string) {
	t.Helper()
	h := &nextHop{}
	srv := smtp.NewServer(h)
	srv.Domain = "next-hop.test"
	srv.EnableSMTPUTF8 = smtputf8
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return h, ln.Addr().String()
}

func waitReceived(t *testing.T, h *nextHop, n int, timeout time.Duration) []recorded {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := h.received()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("next hop received %d messages after %v, want %d", len(got), timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPostfixRelay(t *testing.T) {
	var marker string
	noLeftovers(t, &marker)
	hop, hopAddr := startNextHop(t, false)
	start := time.Now()
	p := StartPostfix(t, PostfixOptions{RelayHost: hopAddr})
	marker = p.ConfigDir()
	t.Logf("postfix started in %v", time.Since(start))

	// sendmail: postdrop -> pickup -> cleanup -> qmgr -> smtp.
	msg := "From: sender@internet.example\nTo: user@lgwan.example\nSubject: relay\nMessage-ID: <relay-1@test>\n\nhello\n"
	p.Sendmail(t, "sender@internet.example", []string{"user@lgwan.example"}, []byte(msg))
	// swaks into its smtpd: smtpd -> cleanup -> qmgr -> smtp.
	swaksSend(t, p.Addr(), "other@lgwan.example", "<relay-2@test>", "via smtpd")

	got := waitReceived(t, hop, 2, 20*time.Second)
	byID := map[string]recorded{}
	for _, r := range got {
		byID[firstHeader(r.data, "Message-ID")] = r
	}
	for _, tc := range []struct {
		id, rcpt, received string
	}{
		{"<relay-1@test>", "user@lgwan.example", `by %s \(Postfix, from userid 0\)\s+id %s;`},
		{"<relay-2@test>", "other@lgwan.example", `by %s \(Postfix\) with ESMTP id %s\b`},
	} {
		t.Run(tc.id, func(t *testing.T) {
			r, ok := byID[tc.id]
			if !ok {
				t.Fatalf("next hop did not receive %s; got %d messages", tc.id, len(got))
			}
			if r.from != "sender@internet.example" || strings.Join(r.to, ",") != tc.rcpt {
				t.Errorf("envelope %q -> %q", r.from, r.to)
			}
			qid := p.QueueID(t, tc.id, 5*time.Second)
			m := Message{Data: r.data}
			trace := strings.Join(m.Header("Received"), "\n")
			re := regexp.MustCompile(fmt.Sprintf(tc.received, regexp.QuoteMeta(p.Hostname()), qid))
			if !re.MatchString(trace) {
				t.Errorf("queue id %s not in the Received lines:\n%s", qid, trace)
			}
			p.WaitLog(t, qid+`: to=<`+regexp.QuoteMeta(tc.rcpt)+`>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent`, 5*time.Second)
		})
	}
	p.WaitQueueEmpty(t, 10*time.Second)
}

func TestPostfixMaildir(t *testing.T) {
	var marker string
	noLeftovers(t, &marker)
	p := StartPostfix(t, PostfixOptions{MailboxDomains: []string{"lgwan.example"}})
	marker = p.ConfigDir()

	body := "無害化済みのメールです。\nline two"
	out := swaksSend(t, p.Addr(), "taro@lgwan.example", "<md-1@test>", body,
		"--header", "Content-Type: text/plain; charset=UTF-8")
	re := regexp.MustCompile(`<-  250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)`)
	qm := re.FindStringSubmatch(out)
	if qm == nil {
		t.Fatalf("no queue id in swaks transcript:\n%s", out)
	}
	msgs := p.WaitDelivered(t, "taro@lgwan.example", 1, 20*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(msgs))
	}
	m := msgs[0]
	if m.MessageID != "<md-1@test>" || m.From != "sender@internet.example" || strings.Join(m.To, ",") != "taro@lgwan.example" {
		t.Errorf("delivered %q from %q to %q", m.MessageID, m.From, m.To)
	}
	if !bytes.Contains(m.Data, []byte(body)) {
		t.Errorf("body not delivered intact:\n%s", m.Data)
	}
	if trace := strings.Join(m.Header("Received"), "\n"); !strings.Contains(trace, "id "+qm[1]) {
		t.Errorf("queue id %s not in Received:\n%s", qm[1], trace)
	}
	if !strings.HasPrefix(m.File, p.Maildir("lgwan.example")+"/new/") {
		t.Errorf("file %s is not in the Maildir's new/", m.File)
	}
	if other := p.Delivered(t, "hanako@lgwan.example"); len(other) != 0 {
		t.Errorf("another recipient got %d messages", len(other))
	}

	// Two recipients of one message: one file each, told apart by
	// Delivered-To.
	swaksSend(t, p.Addr(), "hanako@lgwan.example,jiro@lgwan.example", "<md-2@test>", "to two")
	for _, rcpt := range []string{"hanako@lgwan.example", "jiro@lgwan.example"} {
		got := p.WaitDelivered(t, rcpt, 1, 20*time.Second)
		if len(got) != 1 || got[0].MessageID != "<md-2@test>" {
			t.Errorf("%s got %d messages (%+v)", rcpt, len(got), got)
		}
	}
	if all := p.Delivered(t, "lgwan.example"); len(all) != 3 {
		t.Errorf("domain Maildir holds %d messages, want 3", len(all))
	}
	p.WaitQueueEmpty(t, 10*time.Second)
}

func TestPostfixRecipientReplies(t *testing.T) {
	var marker string
	noLeftovers(t, &marker)
	p := StartPostfix(t, PostfixOptions{
		MailboxDomains: []string{"lgwan.example", "busy.example"},
		RecipientAccess: map[string]string{
			"busy@lgwan.example":  "450 4.2.0 mailbox busy",
			"gone@lgwan.example":  "550 5.1.1 no such user",
			"defer@lgwan.example": "DEFER",
			"nope@lgwan.example":  "REJECT",
			"busy.example":        "451 4.3.0 whole domain down",
		},
	})
	marker = p.ConfigDir()
	for _, tc := range []struct {
		rcpt  string
		reply string
	}{
		{"busy@lgwan.example", "<** 450 4.2.0 <busy@lgwan.example>: Recipient address rejected: mailbox busy"},
		{"gone@lgwan.example", "<** 550 5.1.1 <gone@lgwan.example>: Recipient address rejected: no such user"},
		{"defer@lgwan.example", "<** 450 4.7.1 <defer@lgwan.example>: Recipient address rejected: Access denied"},
		{"nope@lgwan.example", "<** 554 5.7.1 <nope@lgwan.example>: Recipient address rejected: Access denied"},
		{"anyone@busy.example", "<** 451 4.3.0 <anyone@busy.example>: Recipient address rejected: whole domain down"},
		{"ok@lgwan.example", "<-  250 2.1.5 Ok"},
	} {
		t.Run(tc.rcpt, func(t *testing.T) {
			out, err := Swaks(t, "--server", p.Addr(), "--from", "x@internet.example", "--to", tc.rcpt)
			if !strings.Contains(out, tc.reply) {
				t.Fatalf("transcript lacks %q (err %v):\n%s", tc.reply, err, out)
			}
			if (err == nil) != strings.HasPrefix(tc.reply, "<-  250") {
				t.Errorf("swaks error %v for reply %q", err, tc.reply)
			}
		})
	}
	p.WaitDelivered(t, "ok@lgwan.example", 1, 20*time.Second)

	// soft_bounce turns every 5xx into a 4xx: a next hop that is "down".
	p.Stop(t)
	p.Options.Main = map[string]string{"soft_bounce": "yes"}
	p.Start(t)
	out, _ := Swaks(t, "--server", p.Addr(), "--from", "x@internet.example", "--to", "gone@lgwan.example")
	if !strings.Contains(out, "<** 450 4.1.1 <gone@lgwan.example>: Recipient address rejected: no such user") {
		t.Errorf("soft_bounce did not turn 550 5.1.1 into 450 4.1.1:\n%s", out)
	}
}

// TestPostfixDeferredThenDelivered is the outage pattern with Postfix as
// the sender: the next hop answers 4xx, the message waits in Postfix's
// deferred queue, the next hop comes back, a flush delivers it once.
func TestPostfixDeferredThenDelivered(t *testing.T) {
	var sinkMarker, pfMarker string
	noLeftovers(t, &sinkMarker)
	noLeftovers(t, &pfMarker)
	s := StartSink(t, SinkOptions{TempFail: []string{"RCPT"}})
	sinkMarker = s.DumpDir()
	p := StartPostfix(t, PostfixOptions{RelayHost: s.Addr()})
	pfMarker = p.ConfigDir()

	msg := "Subject: outage\nMessage-ID: <outage-1@test>\n\nwaiting\n"
	p.Sendmail(t, "sender@internet.example", []string{"user@lgwan.example"}, []byte(msg))
	qid := p.QueueID(t, "<outage-1@test>", 5*time.Second)
	p.WaitLog(t, qid+`: to=<user@lgwan\.example>.*status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 450 4\.3\.0`, 10*time.Second)
	q := p.Queue(t)
	// With 1 s backoff the message moves between deferred, incoming and
	// active all the time; the delay reason stays.
	if len(q) != 1 || q[0].QueueID != qid || !strings.Contains(q[0].Recipients[0].DelayReason, "450 4.3.0") {
		t.Fatalf("queue = %+v, want %s with the 450 as delay reason", q, qid)
	}

	s.Stop(t)
	p.Flush(t) // next hop down: connection refused, still deferred
	p.WaitLog(t, qid+`: to=<user@lgwan\.example>.*status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused\)`, 10*time.Second)

	s.Options.TempFail = nil
	s.Start(t)
	p.Flush(t)
	s.WaitCount(t, 1, 20*time.Second)
	p.WaitQueueEmpty(t, 10*time.Second)
	if ids := s.MessageIDs(t); len(ids) != 1 || ids[0] != "<outage-1@test>" {
		t.Errorf("sink got %q, want the message exactly once", ids)
	}
}

// TestPostfixSMTPUTF8 pins a Postfix behaviour that interop tests with
// Japanese mail run into: a message submitted with sendmail whose header
// holds raw UTF-8 is flagged SMTPUTF8 (smtputf8_autodetect_classes =
// sendmail, verify) and bounced with 5.6.7 by a next hop that does not
// announce SMTPUTF8; with RFC 2047 encoded words it is relayed.
func TestPostfixSMTPUTF8(t *testing.T) {
	const rawUTF8 = "From: 差出人 <sender@internet.example>\nSubject: 件名\nMessage-ID: <%s>\n" +
		"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n本文です\n"
	const encoded = "From: =?UTF-8?B?5beu5Ye65Lq6?= <sender@internet.example>\nSubject: =?ISO-2022-JP?B?GyRCN29MPhsoQg==?=\n" +
		"Message-ID: <%s>\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n本文です\n"
	for _, tc := range []struct {
		name      string
		smtputf8  bool // next hop announces SMTPUTF8
		msg       string
		delivered bool
	}{
		{"raw UTF-8 header, next hop without SMTPUTF8", false, rawUTF8, false},
		{"raw UTF-8 header, next hop with SMTPUTF8", true, rawUTF8, true},
		{"encoded words, next hop without SMTPUTF8", false, encoded, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var marker string
			noLeftovers(t, &marker)
			hop, hopAddr := startNextHop(t, tc.smtputf8)
			p := StartPostfix(t, PostfixOptions{RelayHost: hopAddr})
			marker = p.ConfigDir()
			id := strings.ReplaceAll(tc.name, " ", "-") + "@test"
			p.Sendmail(t, "sender@internet.example", []string{"u@lgwan.example"}, []byte(fmt.Sprintf(tc.msg, id)))
			qid := p.QueueID(t, id, 10*time.Second)
			if !tc.delivered {
				p.WaitLog(t, qid+`: to=<u@lgwan\.example>.*dsn=5\.6\.7, status=bounced \(SMTPUTF8 is required, but was not offered`, 20*time.Second)
				return
			}
			got := waitReceived(t, hop, 1, 20*time.Second)
			if !bytes.Contains(got[0].data, []byte("本文です")) {
				t.Errorf("8-bit body not relayed as is:\n%s", got[0].data)
			}
		})
	}
}
