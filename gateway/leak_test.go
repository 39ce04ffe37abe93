package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"weak"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/config"
	"mugai/gateway/metrics"
)

// TestLeak drives a few hundred SMTP sessions of mixed behaviour through a
// whole gateway (both sides real: loopback listeners, a go-smtp next hop,
// spool and quarantine on disk), with a next-hop outage and configuration
// reloads in the middle, and checks that once every delivery has settled
// the process holds what it held before: no goroutine, file descriptor,
// temporary file or replaced configuration more. Every message answered
// 250 must reach the next hop exactly once (or fail there, with one
// delivery status notification), and nothing refused may reach it. Then
// Close, with sessions still open, must release everything the gateway
// took.
func TestLeak(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd")
	}
	dir := t.TempDir()
	spill := filepath.Join(dir, "tmp")
	if err := os.Mkdir(spill, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		largeMu.Lock()
		clear(largeMsgs)
		largeMu.Unlock()
	})
	cert, key, pool := selfSigned(t, dir)
	hop := startLeakHop(t, cert, key)
	// Warm the process up (poller, TLS, DNS-free dialling) so that what
	// the runtime opens once does not count as the gateway's.
	warmUp(t, hop.addr, pool)

	// Baseline A: before the gateway exists.
	base0 := settle(t)

	gen := 0
	load := func() *config.Config {
		gen++
		return leakConfig(t, dir, hop.addr, cert, key, gen)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	inst, err := Open(load(), InstanceOptions{Logger: logger, Version: "test", TempDir: spill, DeliveryIdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			inst.Close(ctx)
		}
		if t.Failed() {
			t.Logf("gateway log (tail):\n%s", tail(logs.String(), 60))
		}
	})
	srv := inst.Server
	inbound := srv.Addrs()["inbound"][0].String()
	verified := srv.Addrs()["verified"][0].String()
	dataDirs := []string{inst.Server.Config().SpoolDir, inst.Server.Config().Quarantine.Dir, spill}

	// Baseline B: the gateway running idle.
	var heap1 runtime.MemStats
	readHeap(&heap1)
	base1 := settle(t)
	files1 := listFiles(t, dataDirs...)

	// No garbage collection from here: an *os.File or a socket that
	// nobody closed is closed by its finalizer at the next collection,
	// which would hide the leak from the count (the process would still
	// run out of descriptors between two collections). The limit is a
	// safety net, far above what the load needs.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(2 << 30))
	var gc0 runtime.MemStats
	runtime.ReadMemStats(&gc0)

	// The configuration the reloads replace must become garbage once the
	// sessions that began under it have ended.
	var replaced []weak.Pointer[config.Config]
	reload := func() {
		old := srv.Config()
		replaced = append(replaced, weak.Make(old))
		// As SIGHUP does (cmd/mugai serve): reopen the audit trail, load
		// and swap the configuration.
		if _, _, err := inst.Audit.Reopen(); err != nil {
			t.Errorf("audit reopen: %v", err)
		}
		if err := srv.Reload(load()); err != nil {
			t.Errorf("reload: %v", err)
		}
	}

	const sessions = 336 // 16 of each scenario
	const clients = 16
	d := &leakDriver{t: t, inbound: inbound, verified: verified, pool: pool, accepted: map[string]string{}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				d.session(i)
			}
		}()
	}
	start := time.Now()
	for i := 0; i < sessions; i++ {
		switch i {
		case sessions / 4:
			// Down for a while: deliveries are deferred. It stays down
			// until one was (a delivery attempt may come late on a loaded
			// machine), at least 1.5 s and at most 20 s.
			deferred := inst.Metrics.DeliveryAttempts.WithLabelValues("inbound", metrics.DeliveryDeferred)
			n0 := testutil.ToFloat64(deferred)
			hop.setDown(true)
			go func() {
				t0 := time.Now()
				for time.Since(t0) < 1500*time.Millisecond || testutil.ToFloat64(deferred) == n0 && time.Since(t0) < 20*time.Second {
					time.Sleep(50 * time.Millisecond)
				}
				hop.setDown(false)
			}()
		case sessions / 3, 2 * sessions / 3:
			reload()
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	// One more message, begun and ended after the last reload (sessions
	// that began before it may still have prepared their policies from
	// the configuration it replaced).
	d.transaction(inbound, false, nil, "last@example.jp", "ok-last@lgwan.example", []byte("Subject: last\r\n\r\nlast\r\n"), 250, "ok")
	t.Logf("%d sessions in %v: %d accepted, %s", sessions, time.Since(start).Round(time.Millisecond), len(d.accepted), d.summary())
	if t.Failed() {
		t.FailNow()
	}

	// Every accepted message settles: delivered exactly once, or failed
	// at the next hop with one notification to its sender.
	deadline := time.Now().Add(30 * time.Second)
	for {
		active, deferred, _, _ := inst.Spool.Stats()
		if active == 0 && deferred == 0 && hop.settled(d.accepted) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries did not settle: spool active %d deferred %d; next hop %s", active, deferred, hop.diff(d.accepted))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if diff := hop.diff(d.accepted); diff != "" {
		t.Errorf("next hop: %s", diff)
	}
	if _, _, failed, _ := inst.Spool.Stats(); failed != d.count("fail") {
		t.Errorf("spool holds %d failed messages, want %d (refused for good at the next hop)", failed, d.count("fail"))
	}
	t.Logf("settled after %v", time.Since(start).Round(time.Millisecond))
	// The outage deferred deliveries beyond the ones the next hop
	// answered 451 (else the test lost what it meant to drive).
	if n := testutil.ToFloat64(inst.Metrics.DeliveryAttempts.WithLabelValues("inbound", metrics.DeliveryDeferred)); int(n) <= d.count("tempfail") {
		t.Errorf("%v deliveries deferred, no more than the %d the next hop answered 451: the outage deferred none", n, d.count("tempfail"))
	}

	// Back to baseline B, exactly: idle next-hop connections are closed
	// after DeliveryIdleTimeout, sessions have ended.
	hopFD := hop.listenerFD(t)
	expectBaseline(t, "after the load", base1, []string{hopFD})
	if got := listFiles(t, dataDirs...); !slices.Equal(got, files1) {
		t.Errorf("files in the spool, quarantine and temporary directories:\n got %v\nwant %v", got, files1)
	}
	var heap2 runtime.MemStats
	runtime.ReadMemStats(&heap2)
	if heap2.NumGC != gc0.NumGC {
		t.Logf("warning: %d garbage collections ran during the load (memory limit reached?): descriptors left to finalizers may have been missed", heap2.NumGC-gc0.NumGC)
	}
	t.Logf("allocated during the load: %.0f MiB", mib(heap2.TotalAlloc-gc0.TotalAlloc))
	for i, w := range replaced {
		if !waitGone(w) {
			t.Errorf("the configuration replaced by reload %d is still referenced after its sessions ended", i+1)
		}
	}
	largeMu.Lock()
	clear(largeMsgs) // the test's own
	largeMu.Unlock()
	readHeap(&heap2)
	t.Logf("heap in use: %.1f MiB idle, %.1f MiB after the load", mib(heap1.HeapAlloc), mib(heap2.HeapAlloc))
	// What may stay: the index entries of the failed messages, metric
	// series, the verifier's cache and the audit chain, a few hundred KiB
	// here. A leak of what a message holds (the large ones here are 1 to
	// 2.5 MiB) or of a session's connection buffers (about 8 KiB, 336
	// sessions) would exceed this bound.
	if grown := int64(heap2.HeapAlloc) - int64(heap1.HeapAlloc); grown > 2<<20 {
		t.Errorf("heap grew by %.1f MiB over the load", float64(grown)/(1<<20))
	}

	// Close with sessions in progress (one idle after EHLO, one in the
	// middle of DATA): after the grace period they are cut, and nothing
	// of the gateway is left running or open.
	var open []net.Conn
	var openFDs []string
	for _, mid := range []bool{false, true} {
		c, err := net.DialTimeout("tcp", inbound, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		readReply(r)
		fmt.Fprintf(c, "EHLO client.example\r\n")
		readReply(r)
		if mid {
			fmt.Fprintf(c, "MAIL FROM:<a@example.jp>\r\nRCPT TO:<ok-close@lgwan.example>\r\nDATA\r\n")
			readReply(r)
			readReply(r)
			if rep := readReply(r); !strings.HasPrefix(rep, "354") {
				t.Fatalf("DATA: %q", rep)
			}
			io.WriteString(c, "Subject: half\r\n\r\nhalf a body\r\n")
		}
		open = append(open, c)
		openFDs = append(openFDs, fdTarget(t, c.(*net.TCPConn)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	t0 := time.Now()
	inst.Close(ctx)
	cancel()
	closed = true
	t.Logf("Close took %v", time.Since(t0).Round(time.Millisecond))
	for i, c := range open {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("session %d still open after Close: %v", i, err)
		}
	}
	// The test's own ends of those sessions are still open here, on
	// purpose: the gateway must not have needed the client to go away.
	expectBaseline(t, "after Close", base0, append(openFDs, hopFD))
}

// leakConfig is the gateway of TestLeak: an inbound route with STARTTLS
// and delivery status notifications, and a route that verifies
// recipients with the next hop. gen varies with each reload.
func leakConfig(t *testing.T, dir, hop, cert, key string, gen int) *config.Config {
	t.Helper()
	y := fmt.Sprintf(`
admin: {listen: "127.0.0.1:0"}
spool_dir: %[1]s/spool
quarantine: {dir: %[1]s/quarantine}
log: {audit: %[1]s/audit.log}
routes:
  - name: inbound
    listen: ["127.0.0.1:0"]
    hostname: gw.lgwan.example
    tls: {cert: %[3]s, key: %[4]s}
    clients: ["127.0.0.0/8"]
    domains: [lgwan.example]
    limits: {max_message_size: 2MiB, max_recipients: %[5]d, max_connections: 200, max_connections_per_client: 200}
    policy: default
    deliver: {to: "smtp://%[2]s", connections: 4, retry: {initial: 200ms, max: 1s, lifetime: 1h}}
    bounces: {to: "smtp://%[2]s", connections: 1, retry: {initial: 200ms, max: 1s, lifetime: 1h}}
  - name: verified
    listen: ["127.0.0.1:0"]
    hostname: gw.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: [lgwan.example]
    recipients: {verify: next-hop}
    limits: {max_message_size: 2MiB, max_connections: 200, max_connections_per_client: 200}
    policy: default
    deliver: {to: "smtp://%[2]s", connections: 2, retry: {initial: 200ms, max: 1s, lifetime: 1h}}
rules:
  - {name: strict, match: {sender_domain: [strict.example]}, policy: strict}
policies:
  default: {}
  strict: {attachments: {default: reject}}
`, dir, hop, cert, key, 50+gen)
	cfg, err := config.Parse(filepath.Join(dir, "mugai.yaml"), []byte(y))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	return cfg
}

// leakDriver runs the client side: session i does what i selects.
type leakDriver struct {
	t                 *testing.T
	inbound, verified string
	pool              *x509.CertPool // for STARTTLS clients

	mu       sync.Mutex
	accepted map[string]string // rcpt → kind ("ok", "tempfail", "fail") of every message answered 250
	kinds    map[string]int    // scenario → sessions run
}

func (d *leakDriver) count(kind string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, k := range d.accepted {
		if k == kind {
			n++
		}
	}
	return n
}

func (d *leakDriver) summary() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var s []string
	for k, n := range d.kinds {
		s = append(s, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

func (d *leakDriver) ran(kind string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kinds == nil {
		d.kinds = map[string]int{}
	}
	d.kinds[kind]++
}

func (d *leakDriver) accept(rcpt, kind string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accepted[rcpt] = kind
}

// scenarios, in the order session numbers pick them.
var leakScenarios = []string{
	"plain", "html", "attachment", "large", "large-attachment", "tempfail", "permfail",
	"drop-mid-data", "drop-after-rcpt", "drop-at-connect", "drop-in-starttls",
	"relay-denied", "too-big", "too-big-declared", "policy-reject",
	"verified", "verified-unknown", "starttls", "drop-mid-large-data", "rset",
	"drop-after-greeting",
}

func (d *leakDriver) session(i int) {
	t := d.t
	kind := leakScenarios[i%len(leakScenarios)]
	d.ran(kind)
	from := fmt.Sprintf("s%d@example.jp", i)
	ok := fmt.Sprintf("ok-%d@lgwan.example", i)
	msgID := fmt.Sprintf("<leak-%d@example.jp>", i)
	plain := []byte("Message-ID: " + msgID + "\r\nSubject: plain " + fmt.Sprint(i) + "\r\n\r\nhello\r\n")
	switch kind {
	case "plain":
		d.transaction(d.inbound, false, nil, from, ok, plain, 250, "ok")
	case "html":
		d.transaction(d.inbound, false, nil, from, ok, []byte(htmlMessage(msgID)), 250, "ok")
	case "attachment":
		d.transaction(d.inbound, false, nil, from, ok, []byte(mixedMessage()), 250, "ok")
	case "large":
		// Past memThreshold: the original and the rebuilt message spill
		// to temporary files.
		d.transaction(d.inbound, false, nil, from, ok, largeMessage(1300<<10, true), 250, "ok")
	case "large-attachment":
		// The original spills, and the decoded attachment.
		d.transaction(d.inbound, false, nil, from, ok, largeMessage(1300<<10, false), 250, "ok")
	case "tempfail":
		// The next hop answers 451 to the first RCPT, then takes it.
		d.transaction(d.inbound, false, nil, from, fmt.Sprintf("tf-%d@lgwan.example", i), plain, 250, "tempfail")
	case "permfail":
		// The next hop refuses for good: failed, and a notification to
		// the sender through the bounces target.
		d.transaction(d.inbound, false, nil, from, fmt.Sprintf("pf-%d@lgwan.example", i), plain, 250, "fail")
	case "relay-denied":
		d.transaction(d.inbound, false, nil, from, fmt.Sprintf("x-%d@elsewhere.example", i), plain, 550, "")
	case "too-big":
		d.transaction(d.inbound, false, nil, from, ok, largeMessage(2500<<10, false), 552, "")
	case "too-big-declared":
		d.transaction(d.inbound, false, &smtp.MailOptions{Size: 3 << 20}, from, ok, plain, 552, "")
	case "policy-reject":
		d.transaction(d.inbound, false, nil, fmt.Sprintf("s%d@strict.example", i), ok, []byte(mixedMessage()), 550, "")
	case "verified":
		// 250, or 450 while the next hop cannot be asked.
		d.transaction(d.verified, false, nil, from, ok, plain, 250, "ok", 450)
	case "verified-unknown":
		d.transaction(d.verified, false, nil, from, fmt.Sprintf("pf-%d@lgwan.example", i), plain, 550, "", 450)
	case "starttls":
		d.transaction(d.inbound, true, nil, from, ok, plain, 250, "ok")
	case "rset":
		// Two transactions on one connection, the first abandoned.
		c := d.dial(d.inbound, false)
		if c == nil {
			return
		}
		defer c.Close()
		if err := c.Mail(from, nil); err != nil {
			t.Errorf("session %d: MAIL: %v", i, err)
			return
		}
		c.Rcpt(fmt.Sprintf("never-%d@lgwan.example", i), nil)
		if err := c.Reset(); err != nil {
			t.Errorf("session %d: RSET: %v", i, err)
			return
		}
		d.tx(c, nil, from, ok, plain, 250, "ok")
	default:
		d.drop(i, kind, from, ok)
	}
}

// transaction runs one transaction on a new connection (after STARTTLS
// when tlsFirst) and checks its final reply.
func (d *leakDriver) transaction(addr string, tlsFirst bool, opts *smtp.MailOptions, from, rcpt string, msg []byte, want int, kind string, also ...int) {
	c := d.dial(addr, tlsFirst)
	if c == nil {
		return
	}
	defer c.Close()
	d.tx(c, opts, from, rcpt, msg, want, kind, also...)
	c.Quit()
}

// tx runs MAIL, RCPT and DATA on c; want (or one of also) is the reply
// expected to the first command refused, or to the final dot.
func (d *leakDriver) tx(c *smtp.Client, opts *smtp.MailOptions, from, rcpt string, msg []byte, want int, kind string, also ...int) {
	if err := c.Mail(from, opts); err != nil {
		d.check(from, rcpt, err, want, kind, also)
		return
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		d.check(from, rcpt, err, want, kind, also)
		return
	}
	w, err := c.Data()
	if err != nil {
		d.check(from, rcpt, err, want, kind, also)
		return
	}
	if _, err := w.Write(msg); err != nil {
		d.check(from, rcpt, err, want, kind, also)
		return
	}
	d.check(from, rcpt, w.Close(), want, kind, also)
}

// check records the outcome of a transaction and fails on a reply other
// than want (or one of also).
func (d *leakDriver) check(from, rcpt string, err error, want int, kind string, also []int) {
	code := 250
	if err != nil {
		code = -1
		if se, ok := err.(*smtp.SMTPError); ok {
			code = se.Code
		}
	}
	if code == 250 {
		// What was not accepted must never arrive (leakHop.diff).
		d.accept(rcpt, kind)
	}
	if code != want && !slices.Contains(also, code) {
		d.t.Errorf("%s → %s: got %d (%v), want %d", from, rcpt, code, err, want)
	}
}

func (d *leakDriver) dial(addr string, startTLS bool) *smtp.Client {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		d.t.Errorf("dial: %v", err)
		return nil
	}
	var c *smtp.Client
	if startTLS {
		c, err = smtp.NewClientStartTLS(conn, &tls.Config{ServerName: "gw.lgwan.example", RootCAs: d.pool})
		if err != nil {
			d.t.Errorf("STARTTLS: %v", err)
			conn.Close()
			return nil
		}
	} else {
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = 20 * time.Second
	c.SubmissionTimeout = 20 * time.Second
	if err := c.Hello("client.example"); err != nil {
		d.t.Errorf("EHLO: %v", err)
		c.Close()
		return nil
	}
	return c
}

// drop runs a client that goes away at some point of a session; every
// other time a scenario comes round it goes a little differently.
func (d *leakDriver) drop(i int, kind, from, rcpt string) {
	t := d.t
	odd := i/len(leakScenarios)%2 == 1
	c, err := net.DialTimeout("tcp", d.inbound, 5*time.Second)
	if err != nil {
		t.Errorf("dial: %v", err)
		return
	}
	defer c.Close()
	if kind == "drop-at-connect" {
		return // not even the greeting read
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	cmd := func(line string) string {
		fmt.Fprintf(c, "%s\r\n", line)
		return readReply(r)
	}
	if rep := readReply(r); !strings.HasPrefix(rep, "220") {
		t.Errorf("session %d: greeting %q", i, rep)
		return
	}
	if kind == "drop-after-greeting" {
		return
	}
	cmd("EHLO client.example")
	switch kind {
	case "drop-in-starttls":
		if rep := cmd("STARTTLS"); !strings.HasPrefix(rep, "220") {
			t.Errorf("session %d: STARTTLS: %q", i, rep)
			return
		}
		if odd {
			// Half a ClientHello, then gone.
			var buf bytes.Buffer
			tc := tls.Client(&recordConn{Conn: c, w: &buf}, &tls.Config{ServerName: "gw.lgwan.example", InsecureSkipVerify: true})
			tc.Handshake() // fails: nothing is sent, the hello is captured
			hello := buf.Bytes()
			c.Write(hello[:len(hello)/2])
		}
		return
	}
	if rep := cmd("MAIL FROM:<" + from + ">"); !strings.HasPrefix(rep, "250") {
		t.Errorf("session %d: MAIL: %q", i, rep)
		return
	}
	if rep := cmd("RCPT TO:<" + rcpt + ">"); !strings.HasPrefix(rep, "250") {
		t.Errorf("session %d: RCPT: %q", i, rep)
		return
	}
	if kind == "drop-after-rcpt" {
		return
	}
	if rep := cmd("DATA"); !strings.HasPrefix(rep, "354") {
		t.Errorf("session %d: DATA: %q", i, rep)
		return
	}
	body := []byte("Subject: cut\r\n\r\n" + strings.Repeat("a line of a message that will never end\r\n", 200))
	if kind == "drop-mid-large-data" {
		// Past memThreshold, so the gateway holds a spill file when the
		// client goes away.
		body = largeMessage(1200<<10, false)
	}
	c.Write(body)
	if tc, ok := c.(*net.TCPConn); ok && odd {
		tc.SetLinger(0) // a reset rather than a FIN
	}
}

// recordConn captures what a TLS client writes instead of sending it.
type recordConn struct {
	net.Conn
	w io.Writer
}

func (c *recordConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *recordConn) Read(p []byte) (int, error) {
	return 0, os.ErrDeadlineExceeded
}

func readReply(r *bufio.Reader) string {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "ERR " + err.Error()
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n")
		}
	}
}

func htmlMessage(id string) string {
	return "Message-ID: " + id + "\r\nSubject: html\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><head><style>p{}</style></head><body><p>お知らせ <a href=\"https://example.com/x\">link</a></p><script>x()</script></body></html>\r\n"
}

// largeMessage is a message of about size bytes: a text body (kept, so
// that the rebuilt message is as large) or a base64 attachment (stripped;
// the sanitiser decodes it to a buffer of its own). It is built once per
// kind and size: with the garbage collector off, a copy per session would
// cost the test hundreds of MiB.
func largeMessage(size int, text bool) []byte {
	largeMu.Lock()
	defer largeMu.Unlock()
	k := largeKey{size, text}
	if m, ok := largeMsgs[k]; ok {
		return m
	}
	var b bytes.Buffer
	if text {
		b.WriteString("Subject: large text\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
		line := "mugai leak test: a long letter from a citizen, line after line.\r\n"
		for b.Len() < size {
			b.WriteString(line)
		}
		largeMsgs[k] = b.Bytes()
		return b.Bytes()
	}
	b.WriteString("Subject: large\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee the attachment\r\n--b\r\nContent-Type: application/octet-stream; name=data.bin\r\nContent-Disposition: attachment; filename=data.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	raw := bytes.Repeat([]byte("mugai leak test payload 0123456789\n"), size*3/4/35+1)
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b--\r\n")
	largeMsgs[k] = b.Bytes()
	return b.Bytes()
}

type largeKey struct {
	size int
	text bool
}

var (
	largeMu   sync.Mutex
	largeMsgs = map[largeKey][]byte{}
)

// leakHop is the next hop of TestLeak: a go-smtp server (with STARTTLS,
// so deliveries negotiate TLS) that counts what it receives per
// recipient. A recipient tf-* is refused with 451 the first time, pf-*
// always with 550. While down it accepts no connection, and a connection
// it kept is closed at the next MAIL (never in the middle of a
// transaction, so that a delivery is never both made and retried).
type leakHop struct {
	addr string
	srv  *smtp.Server

	lns chan net.Listener // served one after the other

	mu        sync.Mutex
	ln        net.Listener
	down      bool
	delivered map[string]int // rcpt → messages received (not notifications)
	dsn       map[string]int // rcpt → delivery status notifications received
	tempFail  map[string]bool
}

func startLeakHop(t *testing.T, cert, key string) *leakHop {
	t.Helper()
	kp, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	h := &leakHop{delivered: map[string]int{}, dsn: map[string]int{}, tempFail: map[string]bool{}}
	h.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &leakHopSession{h: h, c: c}, nil }))
	h.srv.Domain = "hop.lgwan.example"
	h.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{kp}}
	h.srv.ReadTimeout = time.Minute
	h.srv.ErrorLog = nopLogger{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr, h.ln = ln.Addr().String(), ln
	// One goroutine serves the listener and, after an outage, its
	// replacement: the next hop's own goroutines stay the same.
	h.lns = make(chan net.Listener, 1)
	h.lns <- ln
	go func() {
		for ln := range h.lns {
			h.srv.Serve(ln)
		}
	}()
	t.Cleanup(func() { close(h.lns); h.srv.Close() })
	return h
}

// listenerFD is what /proc says the next hop's listening socket is: after
// an outage a new one, not the gateway's.
func (h *leakHop) listenerFD(t *testing.T) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fdTarget(t, h.ln.(*net.TCPListener))
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}

func (h *leakHop) setDown(down bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if down == h.down {
		return
	}
	h.down = down
	if down {
		h.ln.Close()
		return
	}
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		panic(fmt.Sprintf("next hop: listen again on %s: %v", h.addr, err))
	}
	h.ln = ln
	h.lns <- ln
}

// settled reports whether every accepted message has arrived (or, for a
// refused one, its notification).
func (h *leakHop) settled(accepted map[string]string) bool {
	return h.diff(accepted) == ""
}

// diff says how what arrived differs from what should have.
func (h *leakHop) diff(accepted map[string]string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for rcpt, kind := range accepted {
		want := 1
		if kind == "fail" {
			want = 0
			sender := "s" + strings.TrimPrefix(strings.Split(rcpt, "@")[0], "pf-") + "@example.jp"
			if n := h.dsn[sender]; n != 1 {
				out = append(out, fmt.Sprintf("%d notifications to %s", n, sender))
			}
		}
		if n := h.delivered[rcpt]; n != want {
			out = append(out, fmt.Sprintf("%s received %d times, want %d", rcpt, n, want))
		}
	}
	for rcpt, n := range h.delivered {
		if _, ok := accepted[rcpt]; !ok {
			out = append(out, fmt.Sprintf("%s received %d times but was never accepted", rcpt, n))
		}
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("and %d more", len(out)-10))
	}
	return strings.Join(out, "; ")
}

type leakHopSession struct {
	h    *leakHop
	c    *smtp.Conn
	from string
	to   []string
}

func (s *leakHopSession) Reset()        { s.from, s.to = "", nil }
func (s *leakHopSession) Logout() error { return nil }
func (s *leakHopSession) Mail(from string, _ *smtp.MailOptions) error {
	s.h.mu.Lock()
	down := s.h.down
	s.h.mu.Unlock()
	if down {
		s.c.Conn().Close()
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "down"}
	}
	s.from = from
	return nil
}
func (s *leakHopSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	switch {
	case strings.HasPrefix(to, "pf-"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case strings.HasPrefix(to, "tf-") && !s.h.tempFail[to]:
		s.h.tempFail[to] = true
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *leakHopSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	for _, rc := range s.to {
		if s.from == "" {
			s.h.dsn[rc]++
		} else {
			s.h.delivered[rc]++
		}
	}
	return nil
}

// warmUp makes one TLS session with the next hop.
func warmUp(t *testing.T, addr string, pool *x509.CertPool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClientStartTLS(conn, &tls.Config{ServerName: "gw.lgwan.example", RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	c.Quit()
}

// baseline is what the process holds: its goroutines, by the function
// each started in and who started it (so the same worker blocked in
// different places counts the same), and its open files, by what they
// point to.
type baseline struct {
	goroutines map[string]int
	stacks     map[string]string // one full stack per signature
	fds        map[string]int
	n          int
}

func snapshot(t *testing.T) baseline {
	b := baseline{goroutines: map[string]int{}, stacks: map[string]string{}, fds: map[string]int{}}
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "gateway.snapshot(") {
			continue // this one
		}
		sig := goroutineSig(g)
		b.goroutines[sig]++
		b.stacks[sig] = g
		b.n++
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory being read, closed by now
		}
		b.fds[target]++
	}
	return b
}

// goroutineSig is the function a goroutine started in and the one that
// created it.
func goroutineSig(stack string) string {
	lines := strings.Split(strings.TrimSpace(stack), "\n")
	var start, created string
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "created by ") {
			created = strings.TrimPrefix(l, "created by ")
			if j := strings.Index(created, " in goroutine"); j >= 0 {
				created = created[:j]
			}
			break
		}
		if !strings.HasPrefix(l, "\t") {
			start = l
			if j := strings.LastIndex(start, "("); j > 0 {
				start = start[:j]
			}
		}
	}
	return start + " ← " + created
}

// settle waits until the number of goroutines stops changing and returns
// a snapshot.
func settle(t *testing.T) baseline {
	t.Helper()
	prev := -1
	for i := 0; i < 100; i++ {
		n := runtime.NumGoroutine()
		if n == prev {
			break
		}
		prev = n
		time.Sleep(50 * time.Millisecond)
	}
	return snapshot(t)
}

// expectBaseline waits (a bounded time) for the process to hold no
// goroutine and no file more than in base, the files in allow excepted,
// and reports what it holds beyond.
func expectBaseline(t *testing.T, when string, base baseline, allow []string) {
	t.Helper()
	var extraG, extraF []string
	var now baseline
	for deadline := time.Now().Add(10 * time.Second); ; {
		now = snapshot(t)
		extraG, extraF = nil, nil
		for sig, n := range now.goroutines {
			if n > base.goroutines[sig] {
				extraG = append(extraG, fmt.Sprintf("%d× %s\n%s", n-base.goroutines[sig], sig, now.stacks[sig]))
			}
		}
		fds := maps2(now.fds)
		for _, a := range allow {
			fds[a]--
		}
		for target, n := range fds {
			if n > base.fds[target] {
				extraF = append(extraF, fmt.Sprintf("%d× %s", n-base.fds[target], target))
			}
		}
		if len(extraG)+len(extraF) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	nfd := 0
	for _, n := range now.fds {
		nfd += n
	}
	bfd := 0
	for _, n := range base.fds {
		bfd += n
	}
	t.Logf("%s: %d goroutines (baseline %d), %d open files (baseline %d; %d more expected, the test's own)", when, now.n, base.n, nfd, bfd, len(allow))
	sort.Strings(extraG)
	sort.Strings(extraF)
	if len(extraF) > 0 {
		socks := tcpSockets()
		for i, f := range extraF {
			if _, inode, ok := strings.Cut(f, "socket:["); ok {
				if a, ok := socks[strings.TrimSuffix(inode, "]")]; ok {
					extraF[i] += " " + a
				}
			}
		}
	}
	for _, g := range extraG {
		t.Errorf("%s: goroutine leaked: %s", when, g)
	}
	for _, f := range extraF {
		t.Errorf("%s: file descriptor leaked: %s", when, f)
	}
}

// tcpSockets maps the inode of each TCP socket of the process to its
// addresses ("local → remote"), to tell a leaked session from a leaked
// next-hop connection.
func tcpSockets() map[string]string {
	out := map[string]string{}
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) > 9 {
				out[fs[9]] = procAddr(fs[1]) + " → " + procAddr(fs[2])
			}
		}
	}
	return out
}

// procAddr formats an IPv4 address of /proc/net/tcp ("0100007F:0019");
// others stay as they are.
func procAddr(a string) string {
	ip, port, _ := strings.Cut(a, ":")
	var p, x uint64
	if _, err := fmt.Sscanf(port, "%x", &p); err != nil || len(ip) != 8 {
		return a
	}
	fmt.Sscanf(ip, "%x", &x)
	return fmt.Sprintf("%d.%d.%d.%d:%d", x&0xff, x>>8&0xff, x>>16&0xff, x>>24, p)
}

func maps2(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fdTarget is what /proc says the socket under c is.
func fdTarget(t *testing.T, c syscall.Conn) string {
	t.Helper()
	sc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var target string
	sc.Control(func(fd uintptr) { target, err = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)) })
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// listFiles lists every file under dirs, sorted.
func listFiles(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				out = append(out, p)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// waitGone reports whether w's value is collected within a few GCs.
func waitGone[T any](w weak.Pointer[T]) bool {
	for i := 0; i < 20; i++ {
		runtime.GC()
		if w.Value() == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func readHeap(m *runtime.MemStats) {
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(m)
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
