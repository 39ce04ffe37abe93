package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/gateway"
	"mugai/gateway/internal/netnstest"
)

// The segmentation proof (issue 8, item 2): the real mugai binary runs in
// a gateway network namespace between an internet namespace and an LGWAN
// namespace, IP forwarding off, and the test shows from both sides that
// the only way mail crosses is through mugai's routes, sanitised inbound.

const (
	segSMTPPort    = 25   // mugai's two routes and both sinks
	segControlPort = 2525 // the negative control listener
	segAdmin       = "127.0.0.1:9925"
	segInboundHost = "mx.city.example.jp"
	segOutHost     = "gw.lgwan.example"
	segBuildLimit  = 3 * time.Minute
	segDropTimeout = 1500 * time.Millisecond // dials expected to be dropped
	segWait        = 20 * time.Second        // readiness, delivery
)

// segRefused are recipients the inbound route must refuse with 550 5.7.1.
var segRefused = []string{
	"user@other.example",
	"user@lgwan.example.other.example", // suffix trick
	"user%other.example@lgwan.example", // %-hack relaying through an allowed domain
	"user@[192.0.2.2]",                 // address literal of the internet host
}

func TestSegmentation(t *testing.T) {
	// netnstest.New skips without root (fails with MUGAI_REQUIRE_INTEROP=1)
	// and removes the namespaces, and anything still running in them,
	// last of all cleanups, also when the test fails or panics.
	tp := netnstest.New(t)
	start := time.Now()
	bin := buildMugai(t)
	t.Logf("mugai built in %v", time.Since(start).Round(time.Millisecond))
	dir := t.TempDir() // before mugai starts, so it is removed after mugai stops

	ap := func(a netip.Addr, port uint16) string { return netip.AddrPortFrom(a, port).String() }
	inbound := ap(tp.GatewayInternetAddr, segSMTPPort)
	outbound := ap(tp.GatewayLGWANAddr, segSMTPPort)
	lgwanSinkAddr := ap(tp.LGWANAddr, segSMTPPort)
	inetSinkAddr := ap(tp.InternetAddr, segSMTPPort)
	control := ap(tp.GatewayLGWANAddr, segControlPort)

	lgwanSink := startSegSink(t, tp, tp.LGWAN, lgwanSinkAddr, "sink.lgwan.example")
	inetSink := startSegSink(t, tp, tp.Internet, inetSinkAddr, "sink.internet.example")

	// Negative control: the same kind of listener mugai's outbound route
	// would have without `interface:` — bound to the gateway's LGWAN-side
	// address only. Linux implements the weak host model: with
	// forwarding off, a packet for any local address is delivered locally
	// whichever interface it arrived on, so a SYN from internet for
	// 198.51.100.1 reaches this socket through the internet-side veth.
	// Binding to an address is therefore no segmentation at all; only
	// SO_BINDTODEVICE (mugai's route key `interface:`) restricts a
	// listener to the interface it belongs to. If this dial ever failed,
	// the reachability checks below would prove nothing about mugai.
	cln, err := tp.Listen(tp.Gateway, control)
	if err != nil {
		t.Fatal(err)
	}
	go bannerServer(cln, "control-without-interface")

	cfgFile := filepath.Join(dir, "mugai.yaml")
	writeSegConfig(t, cfgFile, dir, segAdmin, tp, inbound, outbound, lgwanSinkAddr, inetSinkAddr)
	m := startSegMugai(t, tp, bin, cfgFile)
	admin := segAdminClient(t, tp)
	m.waitReady(t, admin, segAdmin)
	t.Logf("mugai ready %v after start of test", time.Since(start).Round(time.Millisecond))
	token, err := gateway.ReadControlToken(filepath.Join(dir, "spool"))
	if err != nil || token == "" {
		t.Fatalf("control token: %q %v", token, err)
	}

	t.Run("reachability", func(t *testing.T) {
		tests := []struct {
			name     string
			from, to string
			reach    bool   // a TCP connection must (true) or must not (false) be established
			greeting string // for reach: who answered
		}{
			{"internet reaches the inbound route", tp.Internet, inbound, true, segInboundHost},
			{"internet cannot reach the outbound route", tp.Internet, outbound, false, ""},
			{"internet cannot reach the lgwan sink", tp.Internet, lgwanSinkAddr, false, ""},
			{"lgwan reaches the outbound route", tp.LGWAN, outbound, true, segOutHost},
			{"lgwan cannot reach the inbound route", tp.LGWAN, inbound, false, ""},
			{"lgwan cannot reach the internet sink", tp.LGWAN, inetSinkAddr, false, ""},
			{"negative control: internet reaches an lgwan-side listener without interface binding (weak host)", tp.Internet, control, true, "control-without-interface"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				reached, how, greeting, err := segProbe(tp, tc.from, tc.to)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case reached != tc.reach:
					t.Errorf("dial %s from %s: %s, want reached=%v", tc.to, tc.from, how, tc.reach)
				case tc.reach && !strings.HasPrefix(greeting, tc.greeting):
					t.Errorf("dial %s from %s: greeting %q, want %q", tc.to, tc.from, greeting, tc.greeting)
				default:
					t.Logf("dial %s from %s: %s %s", tc.to, tc.from, how, greeting)
				}
			})
		}
	})

	inMsg := segInboundMessage()
	t.Run("internet to lgwan.example is accepted", func(t *testing.T) {
		if err := segSend(tp, tp.Internet, inbound, "citizen@example.jp", []string{"user@lgwan.example"}, inMsg); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("internet to any other domain is refused", func(t *testing.T) {
		c, err := segClient(tp, tp.Internet, inbound)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, rcpt := range segRefused {
			t.Run(rcpt, func(t *testing.T) {
				if err := c.Mail("spammer@example.net", nil); err != nil {
					t.Fatalf("MAIL: %v", err)
				}
				err := c.Rcpt(rcpt, nil)
				var se *smtp.SMTPError
				if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
					t.Errorf("RCPT TO:<%s>: %v, want 550 5.7.1", rcpt, err)
				}
				// With every recipient refused there is nothing to send.
				if w, err := c.Data(); err == nil {
					w.Close()
					t.Errorf("DATA after refused RCPT TO:<%s> accepted", rcpt)
				}
				if err := c.Reset(); err != nil {
					t.Fatalf("RSET: %v", err)
				}
			})
		}
		if err := c.Quit(); err != nil {
			t.Errorf("QUIT: %v", err)
		}
	})

	outMsg := segOutboundMessage()
	t.Run("lgwan to internet through the outbound route is accepted", func(t *testing.T) {
		if err := segSend(tp, tp.LGWAN, outbound, "staff@lgwan.example", []string{"citizen@example.jp"}, outMsg); err != nil {
			t.Fatal(err)
		}
	})

	// Wait until both messages are delivered and the queue is empty: from
	// then on nothing more can arrive anywhere, so the sinks' contents
	// are final.
	waitSeg(t, "both messages delivered and the queue empty", func() bool {
		return len(lgwanSink.messages()) >= 1 && len(inetSink.messages()) >= 1 && segQueueLen(admin, token) == 0
	}, m)

	t.Run("lgwan sink holds the inbound message, sanitised", func(t *testing.T) {
		msgs := lgwanSink.messages()
		if len(msgs) != 1 {
			t.Fatalf("lgwan sink holds %d messages, want 1: %v", len(msgs), msgs)
		}
		got := msgs[0]
		if got.From != "citizen@example.jp" || !slices.Equal(got.To, []string{"user@lgwan.example"}) {
			t.Errorf("envelope %s → %v, want citizen@example.jp → [user@lgwan.example]", got.From, got.To)
		}
		checkSanitised(t, got.Data, tp.InternetAddr)
	})

	t.Run("internet sink holds only the outbound message, unchanged apart from the trace line", func(t *testing.T) {
		msgs := inetSink.messages()
		if len(msgs) != 1 {
			t.Fatalf("internet sink holds %d messages, want only the outbound one: %v", len(msgs), msgs)
		}
		got := msgs[0]
		if got.From != "staff@lgwan.example" || !slices.Equal(got.To, []string{"citizen@example.jp"}) {
			t.Errorf("envelope %s → %v, want staff@lgwan.example → [citizen@example.jp]", got.From, got.To)
		}
		trace, rest := splitTrace(got.Data)
		if !bytes.Equal(rest, []byte(outMsg)) {
			t.Errorf("outbound message changed in transit:\n--- got (after the trace) ---\n%s\n--- sent ---\n%s", rest, outMsg)
		}
		for _, want := range []string{"Received: from ", "[" + tp.LGWANAddr.String(), "by " + segOutHost + " (mugai)", "for <citizen@example.jp>"} {
			if !strings.Contains(trace, want) {
				t.Errorf("trace line %q lacks %q", trace, want)
			}
		}
	})

	t.Run("each sink was only ever contacted from its own side of the gateway", func(t *testing.T) {
		for _, s := range []struct {
			sink *segSink
			from netip.Addr
		}{{lgwanSink, tp.GatewayLGWANAddr}, {inetSink, tp.GatewayInternetAddr}} {
			for _, c := range s.sink.connections() {
				if ap, err := netip.ParseAddrPort(c); err != nil || ap.Addr() != s.from {
					t.Errorf("%s: connection from %s, want only from %s", s.sink.name, c, s.from)
				}
			}
		}
	})

	t.Run("audit trail: refusals recorded, each route delivered only to its own next hop", func(t *testing.T) {
		recs := readSegAudit(t, filepath.Join(dir, "audit.log"))
		refused := map[string]int{}
		delivered := map[string][]string{} // route → next hops
		for _, r := range recs {
			for _, x := range r.Refused {
				refused[x.Addr] = x.Code
			}
			if r.Event == "delivery" {
				delivered[r.Route] = append(delivered[r.Route], r.NextHop)
			}
		}
		for _, rcpt := range segRefused {
			if refused[rcpt] != 550 {
				t.Errorf("audit: refusal of %s recorded with %d, want 550 (all refusals: %v)", rcpt, refused[rcpt], refused)
			}
		}
		for route, hop := range map[string]string{"inbound": lgwanSinkAddr, "outbound": inetSinkAddr} {
			if len(delivered[route]) == 0 {
				t.Errorf("audit: no delivery record for route %s", route)
			}
			for _, h := range delivered[route] {
				if !strings.Contains(h, hop) {
					t.Errorf("audit: route %s delivered to %q, want only %s", route, h, hop)
				}
			}
		}
	})

	m.stop(t)
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// buildMugai builds cmd/mugai into a temporary directory, in bounded time.
func buildMugai(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mugai")
	ctx, cancel := context.WithTimeout(t.Context(), segBuildLimit)
	defer cancel()
	// go test puts its own GOROOT/bin first in PATH.
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "mugai/cmd/mugai")
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build mugai/cmd/mugai: %v\n%s", err, out)
	}
	return bin
}

// writeSegConfig writes the gateway's configuration: the inbound route on
// the internet-side address and interface only, sanitising for
// lgwan.example into the lgwan sink; the outbound pass-through route on
// the LGWAN-side address and interface only, for the lgwan host alone,
// into the internet sink. The policies are the embedded default's.
func writeSegConfig(t *testing.T, file, dir, admin string, tp *netnstest.Topology, inbound, outbound, lgwanSink, inetSink string) {
	t.Helper()
	def := string(config.DefaultYAML())
	i := strings.Index(def, "\npolicies:\n")
	if i < 0 {
		t.Fatal("embedded default configuration has no policies section")
	}
	yaml := fmt.Sprintf(`admin:
  listen: %q
spool_dir: %q
quarantine:
  dir: %q
log:
  level: info
  format: text
  audit: %q
routes:
  - name: inbound
    listen: [%q]
    interface: %s
    hostname: %s
    clients: ["0.0.0.0/0"]
    domains: [lgwan.example]
    policy: default
    deliver:
      to: "smtp://%s"
  - name: outbound
    listen: [%q]
    interface: %s
    hostname: %s
    clients: ["%s/32"]
    domains: ["*"]
    policy: none
    deliver:
      to: "smtp://%s"
`, admin, filepath.Join(dir, "spool"), filepath.Join(dir, "quarantine"), filepath.Join(dir, "audit.log"),
		inbound, netnstest.GatewayInternetIf, segInboundHost, lgwanSink,
		outbound, netnstest.GatewayLGWANIf, segOutHost, tp.LGWANAddr, inetSink)
	yaml += def[i+1:]
	if _, err := config.Parse(file, []byte(yaml)); err != nil {
		t.Fatalf("test configuration invalid: %v\n%s", err, yaml)
	}
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// segMugai is `mugai serve` running in the gateway namespace.
type segMugai struct {
	cmd    *exec.Cmd
	out    *segBuffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

type segBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *segBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *segBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func startSegMugai(t *testing.T, tp *netnstest.Topology, bin, cfgFile string) *segMugai {
	t.Helper()
	m := &segMugai{out: &segBuffer{}, exited: make(chan struct{})}
	// ip netns exec execs mugai in place: the process is mugai itself.
	m.cmd = tp.Command(tp.Gateway, bin, "serve", "-config", cfgFile)
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	// When the test's context ends, ask for a clean stop first; WaitDelay
	// (set by Command) then kills it.
	m.cmd.Cancel = func() error { return m.cmd.Process.Signal(syscall.SIGTERM) }
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		m.err = m.cmd.Wait()
		close(m.exited)
	}()
	t.Cleanup(func() {
		m.kill()
		if t.Failed() {
			t.Logf("mugai output:\n%s", m.out.String())
		}
	})
	return m
}

// kill stops mugai however it can; used by cleanup.
func (m *segMugai) kill() {
	select {
	case <-m.exited:
		return
	default:
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
}

// stop is the orderly end of the test: SIGTERM, and mugai must exit 0
// promptly.
func (m *segMugai) stop(t *testing.T) {
	t.Helper()
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
		if m.err != nil {
			t.Errorf("mugai serve after SIGTERM: %v", m.err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("mugai serve still running 10s after SIGTERM")
	}
}

func (m *segMugai) waitReady(t *testing.T, admin *http.Client, addr string) {
	t.Helper()
	waitSeg(t, "mugai ready (GET /readyz)", func() bool {
		resp, err := admin.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, m)
}

// waitSeg polls cond until it holds, failing after segWait or as soon as
// mugai exits.
func waitSeg(t *testing.T, what string, cond func() bool, m *segMugai) {
	t.Helper()
	deadline := time.Now().Add(segWait)
	for !cond() {
		select {
		case <-m.exited:
			t.Fatalf("%s: mugai exited: %v\n%s", what, m.err, m.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, segWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// segAdminClient talks HTTP to mugai's admin listener from the gateway
// namespace itself.
func segAdminClient(t *testing.T, tp *netnstest.Topology) *http.Client {
	return segNSClient(t, tp, tp.Gateway)
}

// segNSClient is an HTTP client whose connections start in namespace ns.
func segNSClient(t *testing.T, tp *netnstest.Topology, ns string) *http.Client {
	tr := &http.Transport{
		DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			return tp.Dial(ns, addr, 2*time.Second)
		},
		DisableKeepAlives: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// segQueueLen is the number of messages in mugai's queue, -1 if unknown.
func segQueueLen(admin *http.Client, token string) int {
	req, _ := http.NewRequest("GET", "http://"+segAdmin+"/queue", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := admin.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var list []json.RawMessage
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&list) != nil {
		return -1
	}
	return len(list)
}

// segSink is an SMTP server inside one namespace that records every
// message and the source of every connection.
type segSink struct {
	name  string
	mu    sync.Mutex
	conns []string
	msgs  []segMsg
}

type segMsg struct {
	From string
	To   []string
	Data []byte
}

func (m segMsg) String() string {
	return fmt.Sprintf("%s → %v (%d bytes)", m.From, m.To, len(m.Data))
}

func startSegSink(t *testing.T, tp *netnstest.Topology, ns, addr, name string) *segSink {
	t.Helper()
	ln, err := tp.Listen(ns, addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &segSink{name: name}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns = append(s.conns, c.Conn().RemoteAddr().String())
		s.mu.Unlock()
		return &segSession{s: s}, nil
	}))
	srv.Domain = name
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *segSink) messages() []segMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

func (s *segSink) connections() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.conns)
}

type segSession struct {
	s   *segSink
	msg segMsg
}

func (ss *segSession) Reset()        { ss.msg = segMsg{} }
func (ss *segSession) Logout() error { return nil }
func (ss *segSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.msg.From = from
	return nil
}
func (ss *segSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.To = append(ss.msg.To, to)
	return nil
}
func (ss *segSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.msg.Data = b
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ss.msg)
	ss.s.mu.Unlock()
	ss.msg = segMsg{}
	return nil
}

// bannerServer greets every connection with "220 name" and closes it.
func bannerServer(ln net.Listener, name string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "220 %s\r\n", name)
		c.Close()
	}
}

// segProbe dials addr from namespace ns and reports whether a TCP
// connection was established, how the dial ended, and the greeting line.
// A destination behind the gateway is silently dropped (no forwarding,
// no ICMP): a timeout. A gateway address whose only listener is bound to
// the other interface answers with a reset: refused.
func segProbe(tp *netnstest.Topology, ns, addr string) (reached bool, how, greeting string, err error) {
	c, err := tp.Dial(ns, addr, segDropTimeout)
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return false, "dropped (timeout)", "", nil
		case errors.Is(err, syscall.ECONNREFUSED):
			return false, "refused (reset)", "", nil
		case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
			return false, "unreachable", "", nil
		}
		return false, "", "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return true, "reached", "", fmt.Errorf("read greeting from %s: %w", addr, err)
	}
	io.WriteString(c, "QUIT\r\n")
	return true, "reached", strings.TrimPrefix(strings.TrimSpace(line), "220 "), nil
}

func segClient(tp *netnstest.Topology, ns, addr string) (*smtp.Client, error) {
	conn, err := tp.Dial(ns, addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	c := smtp.NewClient(conn)
	if err := c.Hello("client.example.jp"); err != nil {
		c.Close()
		return nil, fmt.Errorf("EHLO %s: %w", addr, err)
	}
	return c, nil
}

// segSend sends one message from namespace ns through the SMTP server at
// addr and requires 250 to the final dot.
func segSend(tp *netnstest.Topology, ns, addr, from string, to []string, msg string) error {
	c, err := segClient(tp, ns, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return fmt.Errorf("RCPT %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of DATA: %w", err)
	}
	return c.Quit()
}

// segExe is the start of a PE executable: the attachment that must not
// reach the LGWAN.
var segExe = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte("This program cannot be run in DOS mode. "), 8)...)

// segInboundMessage is HTML only, with a link, and an .exe attached.
func segInboundMessage() string {
	return strings.ReplaceAll(`From: Citizen <citizen@example.jp>
To: Staff <user@lgwan.example>
Subject: segmentation proof
Date: Wed, 25 Nov 2026 10:00:00 +0900
Message-ID: <seg-inbound-1@example.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/html; charset=utf-8

<html><body><p>Please <b>sign in</b> at <a href="https://evil.example/login">the citizen portal</a>.</p><script>alert("xss")</script></body></html>
--outer
Content-Type: application/octet-stream; name="setup.exe"
Content-Disposition: attachment; filename="setup.exe"
Content-Transfer-Encoding: base64

`+base64.StdEncoding.EncodeToString(segExe)+`
--outer--
`, "\n", "\r\n")
}

// segOutboundMessage carries everything the default policy would change
// (HTML, a link, an executable): the pass-through route must not.
func segOutboundMessage() string {
	return strings.ReplaceAll(`From: Staff <staff@lgwan.example>
To: Citizen <citizen@example.jp>
Subject: reply from the city office
Date: Wed, 25 Nov 2026 11:00:00 +0900
Message-ID: <seg-outbound-1@lgwan.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/html; charset=utf-8

<p>See <a href="https://city.example.jp/form">the form</a>.</p>
--b
Content-Type: application/octet-stream; name="tool.exe"
Content-Disposition: attachment; filename="tool.exe"
Content-Transfer-Encoding: base64

`+base64.StdEncoding.EncodeToString(segExe)+`
--b--
`, "\n", "\r\n")
}

// splitTrace removes the first header field (mugai's Received line with
// its continuation lines) and returns it unfolded, and the rest.
func splitTrace(data []byte) (trace string, rest []byte) {
	end := bytes.Index(data, []byte("\r\n"))
	for end >= 0 && end+2 < len(data) && (data[end+2] == ' ' || data[end+2] == '\t') {
		next := bytes.Index(data[end+2:], []byte("\r\n"))
		if next < 0 {
			break
		}
		end += 2 + next
	}
	if end < 0 {
		return "", data
	}
	return string(data[:end]), data[end+2:]
}

func checkSanitised(t *testing.T, data []byte, client netip.Addr) {
	t.Helper()
	trace, _ := splitTrace(data)
	for _, want := range []string{"Received: from ", "[" + client.String(), "by " + segInboundHost + " (mugai)"} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace line %q lacks %q", trace, want)
		}
	}
	mr, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v\n%s", err, data)
	}
	sanitized := mr.Header.Get("X-Mugai-Sanitized")
	for _, want := range []string{"html-to-text", "links-defanged", "attachments-removed=1"} {
		if !slices.Contains(strings.Fields(sanitized), want) {
			t.Errorf("X-Mugai-Sanitized: %q lacks %q", sanitized, want)
		}
	}
	if p := mr.Header.Get("X-Mugai-Policy"); p != "default" {
		t.Errorf("X-Mugai-Policy: %q, want default", p)
	}
	var text strings.Builder
	var files []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("delivered message does not parse: %v", err)
		}
		switch h := p.Header.(type) {
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			files = append(files, name)
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			if ct != "text/plain" {
				t.Errorf("inline part of type %s, want text/plain only", ct)
			}
			b, _ := io.ReadAll(p.Body)
			text.Write(b)
		}
	}
	body := text.String()
	if len(files) != 0 {
		t.Errorf("attachments delivered into the LGWAN: %v", files)
	}
	for _, want := range []string{"sign in", "the citizen portal", "hxxps://evil[.]example/login"} {
		if !strings.Contains(body, want) {
			t.Errorf("text lacks %q:\n%s", want, body)
		}
	}
	for _, bad := range []string{"https://evil.example", "<p>", "<a ", "<script", "alert(", "href="} {
		if strings.Contains(body, bad) {
			t.Errorf("text still holds %q:\n%s", bad, body)
		}
	}
	// No trace of the executable, in any encoding the message could use.
	for _, bad := range [][]byte{segExe[:16], []byte(base64.StdEncoding.EncodeToString(segExe)[:20]), []byte("This program cannot be run")} {
		if bytes.Contains(data, bad) {
			t.Errorf("delivered message contains executable bytes %q", bad)
		}
	}
}

type segAuditRecord struct {
	Event   string `json:"event"`
	Route   string `json:"route"`
	Client  string `json:"client"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
	NextHop string `json:"next_hop"`
	Refused []struct {
		Addr string `json:"addr"`
		Code int    `json:"code"`
	} `json:"refused"`
}

func readSegAudit(t *testing.T, path string) []segAuditRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []segAuditRecord
	for line := range strings.Lines(string(b)) {
		var r segAuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}
