package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/gateway"
	"mugai/gateway/spool"
)

// queueYAML is a one-route gateway whose next hop is the test's hop;
// retries are an hour apart, so a deferred message stays deferred unless
// an operator asks for a retry.
const queueYAML = `
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
    recipients: {verify: none}
    policy: default
    deliver: {to: "smtp://%HOP%", tls: none, connections: 2, retry: {initial: 1h, max: 2h, lifetime: 120h}}
policies:
  default: {}
`

func queueConfig(t *testing.T, dir, admin, hop string) (*config.Config, string) {
	t.Helper()
	y := strings.NewReplacer("%DIR%", dir, "%ADMIN%", admin, "%HOP%", hop).Replace(queueYAML)
	path := filepath.Join(dir, "mugai-"+strings.NewReplacer(":", "_", ".", "_").Replace(admin)+".yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(path, []byte(y))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	return cfg, path
}

// queueHop is the route's next hop: a go-smtp server that refuses
// bad@… for good (550) and every other recipient for now (451) until
// accept is set.
type queueHop struct {
	addr   string
	mu     sync.Mutex
	accept bool
	got    map[string]int // recipient → messages received
}

func startQueueHop(t *testing.T) *queueHop {
	t.Helper()
	h := &queueHop{got: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &queueHopSession{h: h}, nil }))
	srv.Domain = "hop.lgwan.example"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h
}

func (h *queueHop) setAccept(on bool) {
	h.mu.Lock()
	h.accept = on
	h.mu.Unlock()
}

func (h *queueHop) received(rcpt string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[rcpt]
}

type queueHopSession struct {
	h  *queueHop
	to []string
}

func (s *queueHopSession) Reset()                               { s.to = nil }
func (s *queueHopSession) Logout() error                        { return nil }
func (s *queueHopSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *queueHopSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	switch {
	case strings.HasPrefix(to, "bad@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no mailbox bad here"}
	case !s.h.accept:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "hop busy, try later"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *queueHopSession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	for _, to := range s.to {
		s.h.got[to]++
	}
	return nil
}

// queueGateway is the gateway in the test process, wired as mugai serve
// wires it.
type queueGateway struct {
	cfg   *config.Config
	sp    *spool.Spool
	addr  string // the route's SMTP address
	cli   string // configuration file for the CLI: the admin listener's real address
	close func()
}

func startQueueGateway(t *testing.T, dir, hop string) *queueGateway {
	t.Helper()
	cfg, _ := queueConfig(t, dir, "127.0.0.1:0", hop)
	inst, err := gateway.Open(cfg, gateway.InstanceOptions{Version: "test", TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	g := &queueGateway{cfg: cfg, sp: inst.Spool, addr: inst.Server.Addrs()["inbound"][0].String()}
	_, g.cli = queueConfig(t, dir, inst.AdminAddr.String(), hop)
	var once sync.Once
	g.close = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			inst.Close(ctx)
		})
	}
	t.Cleanup(g.close)
	return g
}

var queueIDRE = regexp.MustCompile(`queued as (\S+)`)

// send submits one message with go-smtp's client and returns its queue id.
func (g *queueGateway) send(t *testing.T, rcpt, tag string) string {
	t.Helper()
	c, err := smtp.Dial(g.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("alice@example.org", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "From: Alice <alice@example.org>\r\nTo: %s\r\nSubject: queue test %s\r\nMessage-ID: <%s@example.org>\r\n"+
		"Date: Mon, 02 Jun 2025 10:00:00 +0900\r\n\r\nBODY-SECRET-%s\r\n", rcpt, tag, tag, tag)
	resp, err := w.CloseWithResponse()
	if err != nil {
		t.Fatal(err)
	}
	m := queueIDRE.FindStringSubmatch(resp.StatusText)
	if m == nil {
		t.Fatalf("no queue id in %q", resp.StatusText)
	}
	c.Quit()
	return m[1]
}

func queueWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queueRcptState is the spool's state of a message's first recipient ("gone"
// once it left the queue).
func queueRcptState(sp *spool.Spool, id string) string {
	m, err := sp.Get(id)
	if err != nil {
		return "gone"
	}
	if m.Rcpts[0].Attempts == 0 {
		return "untried"
	}
	return m.Rcpts[0].State.String()
}

type queueCase struct {
	name      string
	args      []string
	code      int
	stdout    []string // substrings that must appear
	notStdout []string // …and must not
	stderr    []string
}

func (c queueCase) run(t *testing.T) (stdout, stderr string) {
	t.Helper()
	code, out, errOut := runCmd(c.args...)
	if code != c.code {
		t.Errorf("mugai %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(c.args, " "), code, c.code, out, errOut)
	}
	for _, s := range c.stdout {
		if !strings.Contains(out, s) {
			t.Errorf("mugai %s: stdout lacks %q:\n%s", strings.Join(c.args, " "), s, out)
		}
	}
	for _, s := range c.notStdout {
		if strings.Contains(out, s) {
			t.Errorf("mugai %s: stdout has %q:\n%s", strings.Join(c.args, " "), s, out)
		}
	}
	for _, s := range c.stderr {
		if !strings.Contains(errOut, s) {
			t.Errorf("mugai %s: stderr lacks %q:\n%s", strings.Join(c.args, " "), s, errOut)
		}
	}
	return out, errOut
}

// queueAudit reads every record of the audit trail.
func queueAudit(t *testing.T, path string) []gateway.AuditRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []gateway.AuditRecord
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var rec gateway.AuditRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

func queueLastAudit(t *testing.T, path string) gateway.AuditRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rec gateway.AuditRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rec = gateway.AuditRecord{}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := gateway.VerifyAudit(f); err != nil {
		t.Errorf("audit chain broken after %d lines: %v", n, err)
	}
	return rec
}

// TestQueueCommand runs every subcommand against a gateway in the test
// process whose next hop defers (451) and refuses (550), then against
// the spool alone after the gateway stopped.
func TestQueueCommand(t *testing.T) {
	dir := t.TempDir()
	hop := startQueueHop(t)
	g := startQueueGateway(t, dir, hop.addr)
	t.Setenv("SUDO_USER", "tanaka")
	operator := invokingUser()
	if !strings.HasPrefix(operator, "tanaka (sudo as ") {
		t.Fatalf("operator %q", operator)
	}

	a := g.send(t, "bob@lgwan.example", "A")
	b := g.send(t, "bad@lgwan.example", "B")
	c := g.send(t, "carol@lgwan.example", "C")
	d := g.send(t, "dave@lgwan.example", "D")
	for id, want := range map[string]string{a: "deferred", b: "failed", c: "deferred", d: "deferred"} {
		queueWait(t, id+" is "+want, func() bool { return queueRcptState(g.sp, id) == want })
	}
	qa, _ := g.sp.Get(a)
	cfgArg := []string{"-config", g.cli}
	q := func(args ...string) []string { return append(append([]string{"queue"}, cfgArg...), args...) }

	// Every error of a subcommand as a whole line after "mugai queue SUBCOMMAND: ".
	noSuch := `no message "0000NOSUCHID0000" in the queue (delivered, deleted or never there)` + "\n"
	online := []queueCase{
		{name: "list", args: q("list"), stdout: []string{
			a + "  deferred", b + "  failed  ", c, d, "<alice@example.org>",
			"deferred  <bob@lgwan.example>  1 attempt, next in ", "451 4.3.0 hop busy, try later",
			"failed    <bad@lgwan.example>  1 attempt", "550 5.1.1 no mailbox bad here",
			"-- 4 messages, 3 deferred, 1 failed"}},
		{name: "failed", args: q("failed"), stdout: []string{b, "550 5.1.1 no mailbox bad here", "-- 1 message with failed recipients"},
			notStdout: []string{a, c, d}},
		// Narrowed, as an operator with 20,000 queued does (an operator
		// review: the listing could not say how many per domain, or how
		// old, and printed every message).
		{name: "list -state", args: q("list", "-state", "failed"), stdout: []string{b, "-- 1 message, 1 failed"}, notStdout: []string{a, c, d}},
		{name: "list -domain", args: q("list", "-domain", "LGWAN.example."), stdout: []string{a, b, c, d, "-- 4 messages"}},
		{name: "list -domain none", args: q("list", "-domain", "other.example"), stdout: []string{"-- no message matches"}, notStdout: []string{a}},
		{name: "list -route", args: q("list", "-route", "inbound", "-state", "deferred"), stdout: []string{a, c, d, "-- 3 messages, 3 deferred"}, notStdout: []string{b}},
		{name: "list -older-than", args: q("list", "-older-than", "1d"), stdout: []string{"-- no message matches"}, notStdout: []string{a}},
		{name: "list -limit", args: q("list", "-limit", "2"), stdout: []string{a, b, "-- 2 messages"}, notStdout: []string{c, d},
			stderr: []string{"mugai queue list: 4 messages match; listing the oldest 2 (mugai queue summary counts them;"}},
		{name: "list -state bogus", args: q("list", "-state", "stuck"), code: 1, stderr: []string{`mugai queue list: state "stuck": one of active, deferred, failed` + "\n"}},
		{name: "list -limit 0", args: q("list", "-limit", "0"), stdout: []string{a, d}},
		{name: "list -limit too many", args: q("list", "-limit", "5001"), code: 1, stderr: []string{`mugai queue list: limit "5001": a number from 1 to 5000` + "\n"}},
		{name: "list -older-than bogus", args: q("list", "-older-than", "soon"), code: 1, stderr: []string{`mugai queue list: -older-than "soon": a duration such as 30m, 2h or 1d` + "\n"}},
		{name: "filter on failed", args: q("failed", "-route", "inbound"), code: 1, stderr: []string{"mugai queue failed: -route, -state, -domain, -older-than and -limit narrow list only\n"}},
		{name: "summary", args: q("summary"), stdout: []string{
			"ROUTE                     MESSAGES    ACTIVE  DEFERRED    FAILED\ninbound                          4         0         3         1\n(all)                            4         0         3         1\n",
			"RECIPIENT DOMAIN           WAITING     <5m    <30m     <1h     <6h     <1d    >=1d  OLDEST\nlgwan.example                    3       3       0       0       0       0       0  "}},
		{name: "show", args: q("show", a), stdout: []string{
			"Queue ID:    " + a, "State:       deferred", "Route:       inbound", "Sender:      <alice@example.org>",
			"Client:      127.0.0.1", "HELO:        client.example.org", "TLS:         no", "Policy:      default",
			"Quarantine:  " + qa.Env.QuarantineID, "deferred  <bob@lgwan.example>", "451 4.3.0 hop busy, try later",
			"History:", "accept    rebuilt", "delivery  <bob@lgwan.example>  deferred  via smtp://" + hop.addr,
			"Headers:", "Subject: queue test A", "Message-Id: <A@example.org>"},
			notStdout: []string{"BODY-SECRET"}},
		{name: "show unknown", args: q("show", "0000NOSUCHID0000"), code: 1, stderr: []string{"mugai queue show: " + noSuch}},
		{name: "retry failed", args: q("retry", b), code: 1, stderr: []string{"mugai queue retry: message " + b + " has no deferred recipient to retry (state failed;"}},
		{name: "retry unknown", args: q("retry", "0000NOSUCHID0000"), code: 1, stderr: []string{"0000NOSUCHID0000"}},
		{name: "requeue without reason", args: q("requeue", b), code: 1, stderr: []string{"-reason TEXT is required"}},
		// The whole line, prefixed as every error of a subcommand: not
		// "mugai queue: requeue ID: …", nor "mugai queue requeue: queue: requeue ID: …".
		{name: "requeue deferred", args: q("requeue", a, "-reason", "x"), code: 1, stderr: []string{"mugai queue requeue: " + a + ": no failed recipient (state deferred)\n"}},
		{name: "requeue unknown", args: q("requeue", "0000NOSUCHID0000", "-reason", "x"), code: 1, stderr: []string{"mugai queue requeue: " + noSuch}},
		{name: "delete without reason", args: q("delete", c), code: 1, stderr: []string{"-reason TEXT is required"}},
		{name: "delete unknown", args: q("delete", "0000NOSUCHID0000", "-reason", "x"), code: 1, stderr: []string{"mugai queue delete: " + noSuch}},
		{name: "usage", args: q("show"), code: 1, stderr: []string{"mugai queue show: needs one ID, got 0 arguments", "Usage: mugai queue"}},
		{name: "unknown subcommand", args: q("flush"), code: 1, stderr: []string{`mugai queue: unknown subcommand "flush"`, "Usage: mugai queue"}},
		{name: "bogus subcommand", args: q("bogus"), code: 1, stderr: []string{`mugai queue: unknown subcommand "bogus"`, "Usage: mugai queue"}},
		{name: "all alone", args: q("all"), code: 1, stderr: []string{`unknown subcommand "all" (did you mean "retry all"?)`, "retry ID | retry all"}},
		{name: "list with an argument", args: q("list", "extra"), code: 1, stderr: []string{`mugai queue list: unexpected argument "extra"`}},
		{name: "retry without operand", args: q("retry"), code: 1, stderr: []string{"mugai queue retry: needs one ID or all"}},
	}
	for _, tt := range online {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut := tt.run(t)
			if strings.Contains(errOut, "not running") {
				t.Errorf("went around the running gateway: %s", errOut)
			}
		})
	}

	t.Run("list -json", func(t *testing.T) {
		out, _ := queueCase{args: q("list", "-json")}.run(t)
		var msgs []gateway.QueueMessage
		if err := json.Unmarshal([]byte(out), &msgs); err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 4 || msgs[0].ID != a || msgs[1].State != "failed" || msgs[0].Recipients[0].LastError == "" {
			t.Errorf("%+v", msgs)
		}
	})

	t.Run("retry makes the runner try at once", func(t *testing.T) {
		hop.setAccept(true)
		start := time.Now()
		queueCase{args: q("retry", a), stdout: []string{a + ": 1 deferred recipient due now"}}.run(t)
		queueWait(t, a+" is delivered", func() bool { return queueRcptState(g.sp, a) == "gone" })
		if hop.received("bob@lgwan.example") != 1 {
			t.Errorf("bob got %d messages", hop.received("bob@lgwan.example"))
		}
		t.Logf("delivered %v after retry", time.Since(start).Round(time.Millisecond))
		// The others were not asked for: still deferred for an hour.
		if st := queueRcptState(g.sp, c); st != "deferred" || hop.received("carol@lgwan.example") != 0 {
			t.Errorf("carol's message is %s", st)
		}
	})

	t.Run("delete is audited", func(t *testing.T) {
		queueCase{args: q("delete", c, "-reason", "誤送信: sender asked to withdraw"),
			stdout: []string{c + ": deleted (deferred from <alice@example.org>, 1 recipient); recorded in the audit trail as " + operator}}.run(t)
		if st := queueRcptState(g.sp, c); st != "gone" {
			t.Errorf("deleted message is %s", st)
		}
		rec := queueLastAudit(t, g.cfg.Log.Audit)
		if rec.Event != "delete" || rec.QueueID != c || rec.User != operator || rec.Why != "誤送信: sender asked to withdraw" ||
			len(rec.Rcpts) != 1 || rec.Rcpts[0] != "carol@lgwan.example" {
			t.Errorf("audit record %+v", rec)
		}
	})

	t.Run("retry all", func(t *testing.T) {
		queueCase{args: q("retry", "all"), stdout: []string{"1 deferred message due now"}}.run(t)
		queueWait(t, d+" is delivered", func() bool { return queueRcptState(g.sp, d) == "gone" })
		if queueRcptState(g.sp, b) != "failed" {
			t.Errorf("the failed message changed: %s", queueRcptState(g.sp, b))
		}
	})

	t.Run("requeue is audited and tried at once", func(t *testing.T) {
		queueCase{args: q("requeue", b, "-reason", "mailbox created, ticket 7"),
			stdout: []string{b + ": 1 failed recipient queued again, due now; recorded in the audit trail as " + operator}}.run(t)
		// bad@ still has no mailbox at the hop: it fails again, and its
		// notice to the sender is delivered.
		queueWait(t, b+" tried again", func() bool {
			m, err := g.sp.Get(b)
			return err == nil && m.Rcpts[0].Attempts == 2 && m.Rcpts[0].State == spool.Failed && len(g.sp.List()) == 1
		})
		var found bool
		for _, rec := range queueAudit(t, g.cfg.Log.Audit) {
			if rec.Event == "requeue" {
				found = rec.QueueID == b && rec.User == operator && rec.Why == "mailbox created, ticket 7" &&
					len(rec.Rcpts) == 1 && rec.Rcpts[0] == "bad@lgwan.example"
			}
		}
		if !found {
			t.Error("no audit record of the requeue")
		}
	})

	// The gateway stops: read-only commands read the spool, delete works
	// on it directly, retry says why it cannot.
	g.close()
	offline := []queueCase{
		{name: "offline list", args: q("list"), stdout: []string{b + "  failed", "550 5.1.1 no mailbox bad here", "-- 1 message, 1 failed"},
			notStdout: []string{a, c, d}, stderr: []string{"the gateway is not running", "reading the spool"}},
		{name: "offline show", args: q("show", b), stdout: []string{"Queue ID:    " + b, "Subject: queue test B", "History:", "failed"},
			notStdout: []string{"BODY-SECRET"}},
		{name: "offline list -state", args: q("list", "-state", "deferred"), stdout: []string{"-- no message matches"}, notStdout: []string{b},
			stderr: []string{"the gateway is not running", "reading the spool"}},
		{name: "offline summary", args: q("summary"), stdout: []string{"inbound                          1         0         0         1\n"},
			notStdout: []string{"RECIPIENT DOMAIN"}, stderr: []string{"the gateway is not running", "reading the spool"}},
		{name: "offline retry", args: q("retry", b), code: 1, stderr: []string{"the gateway is not running", "mugai serve"}},
		{name: "offline retry unknown", args: q("retry", "0000NOSUCHID0000"), code: 1, stderr: []string{"mugai queue retry: " + noSuch}},
		{name: "offline delete unknown", args: q("delete", "0000NOSUCHID0000", "-reason", "x"), code: 1, stderr: []string{"mugai queue delete: " + noSuch}},
	}
	for _, tt := range offline {
		t.Run(tt.name, func(t *testing.T) { tt.run(t) })
	}

	t.Run("offline delete while another process holds the spool", func(t *testing.T) {
		sp, err := spool.Open(g.cfg.SpoolDir, spool.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		queueCase{args: q("delete", b, "-reason", "x"), code: 1, stderr: []string{"in use by a running gateway", "one writer"}}.run(t)
		if _, err := sp.Get(b); err != nil {
			t.Errorf("message gone: %v", err)
		}
	})

	t.Run("offline requeue", func(t *testing.T) {
		queueCase{args: q("requeue", b, "-reason", "second try"),
			stdout: []string{b + ": 1 failed recipient queued again"}, stderr: []string{"changing the spool"}}.run(t)
		if rec := queueLastAudit(t, g.cfg.Log.Audit); rec.Event != "requeue" || rec.QueueID != b || rec.Why != "second try" {
			t.Errorf("audit record %+v", rec)
		}
		queueCase{args: q("list"), stdout: []string{b + "  active", "pending   <bad@lgwan.example>  2 attempts, requeued ", "-- 1 message, 1 active"}}.run(t)
		queueCase{args: q("requeue", b, "-reason", "again"), code: 1, stderr: []string{"mugai queue requeue: " + b + ": no failed recipient (state active)\n"}}.run(t)
	})

	t.Run("offline delete", func(t *testing.T) {
		queueCase{args: q("delete", b, "-reason", "bounced, sender informed by phone"),
			stdout: []string{b + ": deleted (active from <alice@example.org>"}, stderr: []string{"changing the spool"}}.run(t)
		rec := queueLastAudit(t, g.cfg.Log.Audit)
		if rec.Event != "delete" || rec.QueueID != b || rec.User != operator || rec.Why != "bounced, sender informed by phone" {
			t.Errorf("audit record %+v", rec)
		}
		queueCase{args: q("list"), stdout: []string{"-- queue is empty"}}.run(t)
		queueCase{args: q("failed", "-json"), stdout: []string{"[]"}}.run(t)
	})
}

// TestQueueShowEscapes puts a message with hostile header lines and a
// hostile next-hop reply into a spool and checks that nothing reaches
// the terminal raw.
func TestQueueShowEscapes(t *testing.T) {
	dir := t.TempDir()
	// Nothing listens on port 1: the CLI reads the spool directly.
	cfg, cli := queueConfig(t, dir, "127.0.0.1:1", "127.0.0.1:1")
	sp, err := spool.Open(cfg.SpoolDir, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := "Subject: =?UTF-8?B?5Lya6K2w44Gu5Lu2?=\r\n" +
		"X-Evil: \x1b[2J\x1b]0;owned\x07 text\u202egnp.exe\r\n" +
		"X-Bytes: \xff\xfe\r\n" +
		"\r\n" +
		"BODY-SECRET\r\n"
	id, err := sp.Put(spool.Envelope{Route: "inbound", From: "ev\x1bil@example.org", To: []string{"bob@lgwan.example"}},
		strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := sp.NextFor(ctx, "inbound")
	if err != nil {
		t.Fatal(err)
	}
	m.Rcpts[0].State, m.Rcpts[0].Attempts, m.Rcpts[0].LastError = spool.Deferred, 1, "451 \x1b[31mred\r\nforged line"
	m.Rcpts[0].NextAttempt = time.Now().Add(time.Hour)
	if err := sp.Update(id, m.Rcpts); err != nil {
		t.Fatal(err)
	}
	sp.Close()

	for _, args := range [][]string{{"show", id}, {"list"}} {
		t.Run(args[0], func(t *testing.T) {
			code, out, errOut := runCmd(append([]string{"queue", "-config", cli}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, r := range out {
				if r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
					t.Errorf("raw %U in the output:\n%q", r, out)
				}
			}
			if !utf8.ValidString(out) {
				t.Errorf("invalid UTF-8 in the output: %q", out)
			}
			want := []string{`<ev\x1bil@example.org>`, `451 \x1b[31mred\r\nforged line`}
			if args[0] == "show" {
				want = append(want, `X-Evil: \x1b[2J\x1b]0;owned\x07 text\u202egnp.exe`, `X-Bytes: \xff\xfe`, "(decoded) 会議の件")
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "BODY-SECRET") {
				t.Errorf("the body was shown:\n%s", out)
			}
		})
	}
}

func TestSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text <a@b>", "plain text <a@b>"},
		{"会議の件", "会議の件"},
		{"tab\tkept", "tab\tkept"},
		{"\x1b[31m", `\x1b[31m`},
		{"a\r\nb", `a\r\nb`},
		{"del\x7f", `del\x7f`},
		{"c1\u0085", `c1\u0085`},
		{"bidi\u202eexe.txt", `bidi\u202eexe.txt`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad\xffutf8", `bad\xffutf8`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := safe(tt.in); got != tt.want {
				t.Errorf("safe(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzSafe: what safe returns is valid UTF-8 without control or format
// characters (tab aside), whatever it is given.
func FuzzSafe(f *testing.F) {
	f.Add("Subject: \x1b]0;x\x07\u202e\xff")
	f.Add("会議の件")
	f.Fuzz(func(t *testing.T, s string) {
		out := safe(s)
		if !utf8.ValidString(out) {
			t.Fatalf("safe(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if r != '\t' && needsEscape(r) {
				t.Fatalf("safe(%q) = %q holds %U", s, out, r)
			}
		}
	})
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 42 * time.Second: "42s", 12 * time.Minute: "12m",
		5*time.Hour + 3*time.Minute: "5h03m", 76 * time.Hour: "3d04h",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAdminAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9925": "127.0.0.1:9925", "0.0.0.0:9925": "127.0.0.1:9925", "[::]:9925": "[::1]:9925",
		":9925": "127.0.0.1:9925", "[::1]:9925": "[::1]:9925", "": "",
	} {
		if got := adminAddr(in); got != want {
			t.Errorf("adminAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestQueuePrintReleased: a released message says so in the listing and
// in show, with what becomes of a failure (no bounce to the sender).
func TestQueuePrintReleased(t *testing.T) {
	now := time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)
	m := gateway.QueueMessage{ID: "06H1GV6ZC60G2H7R", State: "failed", Route: "inbound", Sender: "taro@citizen.example",
		Created: now.Add(-time.Hour), QuarantineID: "06H1GV6Z9HN2YTHY", Released: true,
		Recipients: []gateway.QueueRecipient{{Addr: "kikaku@city.example.lg.jp", State: "failed", Attempts: 1, LastError: "550 5.1.1 no such user here"}}}
	var list, show bytes.Buffer
	printQueue(&list, []gateway.QueueMessage{m}, now, false, false)
	printMessage(&show, m, now)
	if !strings.Contains(list.String(), "<taro@citizen.example>  (released from quarantine 06H1GV6Z9HN2YTHY)") {
		t.Errorf("listing:\n%s", list.String())
	}
	if !strings.Contains(show.String(), "Released:    by an administrator from quarantine; a failure is not bounced to the sender") {
		t.Errorf("show:\n%s", show.String())
	}
	m.Released = false
	list.Reset()
	printQueue(&list, []gateway.QueueMessage{m}, now, false, false)
	if strings.Contains(list.String(), "released") {
		t.Errorf("a message the sender sent listed as released:\n%s", list.String())
	}
}

// TestQueuePrintSize: queue list gives the size as quarantine list does
// (1.9 KiB, not 1951), aligned under SIZE; show gives both; -json keeps
// the bytes.
func TestQueuePrintSize(t *testing.T) {
	now := time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)
	msg := func(id string, size int64) gateway.QueueMessage {
		return gateway.QueueMessage{ID: id, State: "active", Route: "inbound", Sender: "taro@citizen.example", Created: now.Add(-90 * time.Second), Size: size}
	}
	msgs := []gateway.QueueMessage{msg("06H1GV6ZC60G2H7R", 1951), msg("06H1GV6ZC60G2H7S", 512), msg("06H1GV6ZC60G2H7T", 1048575)}
	var list bytes.Buffer
	printQueue(&list, msgs, now, false, false)
	want := "" +
		"QUEUE ID          STATE        AGE        SIZE  ROUTE         SENDER\n" +
		"06H1GV6ZC60G2H7R  active        1m     1.9 KiB  inbound       <taro@citizen.example>\n" +
		"06H1GV6ZC60G2H7S  active        1m       512 B  inbound       <taro@citizen.example>\n" +
		"06H1GV6ZC60G2H7T  active        1m  1024.0 KiB  inbound       <taro@citizen.example>\n" +
		"-- 3 messages, 3 active\n"
	if list.String() != want {
		t.Errorf("list:\n%s\nwant:\n%s", list.String(), want)
	}

	var show bytes.Buffer
	printMessage(&show, msgs[0], now)
	if line := "Size:        1.9 KiB (1951 bytes)\n"; !strings.Contains(show.String(), line) {
		t.Errorf("show lacks the line %q:\n%s", line, show.String())
	}

	var js bytes.Buffer
	if err := writeJSON(&js, msgs[:1]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"size": 1951,`) {
		t.Errorf("-json:\n%s", js.String())
	}
}

// TestQueuePrintRecipients: a recipient's line gives its events in the
// order they happened. One requeued and failed again read "2 attempts,
// failed T2, requeued T1", backwards.
func TestQueuePrintRecipients(t *testing.T) {
	now := time.Date(2025, 4, 1, 7, 30, 0, 0, time.UTC)
	t1, t2 := now.Add(-3*time.Minute), now.Add(-2*time.Minute)
	// The layout spelled out, as an operator reads it.
	at := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 -0700") }
	tests := []struct {
		name string
		rc   gateway.QueueRecipient
		want string
	}{
		{"failed", gateway.QueueRecipient{Addr: "bad@lgwan.example", State: "failed", Attempts: 1, FailedAt: t1},
			"    failed    <bad@lgwan.example>  1 attempt, failed " + at(t1)},
		{"requeued", gateway.QueueRecipient{Addr: "bad@lgwan.example", State: "pending", Attempts: 1, Requeued: t1},
			"    pending   <bad@lgwan.example>  1 attempt, requeued " + at(t1)},
		{"requeued and failed again", gateway.QueueRecipient{Addr: "bad@lgwan.example", State: "failed", Attempts: 2, Requeued: t1, FailedAt: t2},
			"    failed    <bad@lgwan.example>  2 attempts, requeued " + at(t1) + ", failed " + at(t2)},
		{"requeued and deferred", gateway.QueueRecipient{Addr: "bad@lgwan.example", State: "deferred", Attempts: 2, Requeued: t1, NextAttempt: now.Add(time.Hour)},
			"    deferred  <bad@lgwan.example>  2 attempts, requeued " + at(t1) + ", next in 1h00m (" + at(now.Add(time.Hour)) + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printRecipients(&out, []gateway.QueueRecipient{tt.rc}, now)
			if got := out.String(); got != tt.want+"\n" {
				t.Errorf("got  %q\nwant %q", got, tt.want+"\n")
			}
		})
	}
}

// TestQueuePrintSuspended: a message of a queue whose next hop is
// suspended says so, with the next hop's error, in the listing, show
// and the summary; a message never tried has no last error of its own
// to say why it waits.
func TestQueuePrintSuspended(t *testing.T) {
	now := time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)
	susp := &gateway.QueueSuspension{Since: now.Add(-30 * time.Minute), NextProbe: now.Add(10 * time.Minute), NextHop: "smtp://10.1.0.25:25",
		Reason: "deliver: smtp://10.1.0.25:25: connect: dial tcp 10.1.0.25:25: connect: connection refused"}
	m := gateway.QueueMessage{ID: "06H1GV6ZC60G2H7R", State: "active", Route: "inbound", Sender: "taro@citizen.example",
		Created: now.Add(-time.Minute), Suspended: susp, Recipients: []gateway.QueueRecipient{{Addr: "kikaku@city.example.lg.jp", State: "pending"}}}
	want := "delivery temporarily suspended since " + localTime(susp.Since) + " (30m ago), next probe in 10m (" + localTime(susp.NextProbe) + "): " + susp.Reason
	var list, show, sum bytes.Buffer
	printQueue(&list, []gateway.QueueMessage{m}, now, false, false)
	printMessage(&show, m, now)
	printSummary(&sum, gateway.QueueSummary{Total: 1, States: map[string]int{"active": 1},
		Routes: []gateway.QueueRouteLine{{Route: "inbound", Total: 1, States: map[string]int{"active": 1}, Suspended: susp}}}, now)
	for name, out := range map[string]string{"list": list.String(), "show": show.String(), "summary": sum.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("%s without %q:\n%s", name, want, out)
		}
	}
	m.Suspended = nil
	list.Reset()
	printQueue(&list, []gateway.QueueMessage{m}, now, false, false)
	if strings.Contains(list.String(), "suspended") {
		t.Errorf("listing of a queue not suspended:\n%s", list.String())
	}
}
