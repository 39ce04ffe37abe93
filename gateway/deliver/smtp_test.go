package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/gateway/internal/mtatest"
)

const ourHost = "mugai.test.example"

// unusedAddr is a loopback address with a port free when it was asked
// for, for a server to start on later or for a connection to be refused
// at: below the kernel's ephemeral range (mtatest.FreePort), so that a
// listener a test opens on port 0 meanwhile is not given it.
func unusedAddr(t *testing.T) string {
	t.Helper()
	return mtatest.LoopbackAddr(mtatest.FreePort(t))
}

func testMessage(n int) []byte {
	return fmt.Appendf(nil, "From: <a@example.org>\r\nTo: <b@city.example.lg.jp>\r\nSubject: test %d\r\nMessage-ID: <%d@example.org>\r\n\r\nbody %d\r\n.leading dot\r\n", n, n, n)
}

func dial(t testing.TB, d Dialer, h config.Deliver) Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, h, ourHost)
	if err != nil {
		t.Fatalf("Dial %s: %v", h.To, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// send is Send with a timeout, failing the test on error.
func send(t testing.TB, c Conn, from string, rcpts []string, body []byte) []Result {
	t.Helper()
	res, err := trySend(c, from, rcpts, body)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return res
}

func trySend(c Conn, from string, rcpts []string, body []byte) ([]Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Send(ctx, from, rcpts, bytes.NewReader(body))
}

// codes renders results as "rcpt=code" for comparison.
func codes(rs []Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%s=%d", r.Rcpt, r.Code))
	}
	return strings.Join(s, " ")
}

func TestSendReusesOneConnection(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
	for i := range 5 {
		res := send(t, c, "sender@example.org", []string{"u1@city.example.lg.jp", "u2@city.example.lg.jp"}, testMessage(i))
		if got, want := codes(res), "u1@city.example.lg.jp=250 u2@city.example.lg.jp=250"; got != want {
			t.Fatalf("message %d: results %s, want %s", i, got, want)
		}
		if !res[0].OK() || res[0].Temporary() || res[0].Permanent() {
			t.Errorf("250 result: OK=%v Temporary=%v Permanent=%v", res[0].OK(), res[0].Temporary(), res[0].Permanent())
		}
		if res[0].Enhanced != "2.0.0" {
			t.Errorf("enhanced code %q, want 2.0.0 (text %q)", res[0].Enhanced, res[0].Text)
		}
	}
	if n := srv.conns.Load(); n != 1 {
		t.Errorf("server saw %d connections for 5 messages, want 1", n)
	}
	msgs := srv.messages()
	if len(msgs) != 5 {
		t.Fatalf("server got %d messages, want 5", len(msgs))
	}
	for i, m := range msgs {
		if !bytes.Equal(m.Data, testMessage(i)) {
			t.Errorf("message %d bytes differ:\n%q\nwant\n%q", i, m.Data, testMessage(i))
		}
		if m.Helo != ourHost {
			t.Errorf("EHLO name %q, want %q", m.Helo, ourHost)
		}
		if m.From != "sender@example.org" || len(m.Rcpts) != 2 {
			t.Errorf("envelope %q %q", m.From, m.Rcpts)
		}
	}
}

func TestSendReplies(t *testing.T) {
	rcpts := []string{"ok@city.example.lg.jp", "bad@city.example.lg.jp"}
	tests := []struct {
		name    string
		hook    hookFunc
		want    string // codes
		enh     string // enhanced code of the second result
		perm    []bool // Permanent() per result
		temp    []bool // Temporary() per result
		arrived bool
	}{
		{
			name: "one recipient unknown",
			hook: func(stage, addr string) error {
				if stage == "RCPT" && strings.HasPrefix(addr, "bad@") {
					return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
				}
				return nil
			},
			want: "ok@city.example.lg.jp=250 bad@city.example.lg.jp=550", enh: "5.1.1",
			perm: []bool{false, true}, temp: []bool{false, false}, arrived: true,
		},
		{
			name: "one recipient over quota",
			hook: func(stage, addr string) error {
				if stage == "RCPT" && strings.HasPrefix(addr, "bad@") {
					return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")
				}
				return nil
			},
			want: "ok@city.example.lg.jp=250 bad@city.example.lg.jp=452", enh: "4.2.2",
			perm: []bool{false, false}, temp: []bool{false, true}, arrived: true,
		},
		{
			name: "all recipients refused",
			hook: func(stage, addr string) error {
				if stage == "RCPT" && !strings.HasPrefix(addr, "next@") {
					return smtpErr(550, smtp.EnhancedCode{5, 7, 1}, "relay denied")
				}
				return nil
			},
			want: "ok@city.example.lg.jp=550 bad@city.example.lg.jp=550", enh: "5.7.1",
			perm: []bool{true, true}, temp: []bool{false, false},
		},
		{
			name: "sender refused permanently",
			hook: func(stage, addr string) error {
				if stage == "MAIL" && addr == "refused@example.org" {
					return smtpErr(553, smtp.EnhancedCode{5, 7, 1}, "sender rejected")
				}
				return nil
			},
			want: "ok@city.example.lg.jp=553 bad@city.example.lg.jp=553", enh: "5.7.1",
			perm: []bool{true, true}, temp: []bool{false, false},
		},
		{
			name: "sender deferred",
			hook: func(stage, addr string) error {
				if stage == "MAIL" && addr == "refused@example.org" {
					return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later")
				}
				return nil
			},
			want: "ok@city.example.lg.jp=451 bad@city.example.lg.jp=451", enh: "4.3.0",
			perm: []bool{false, false}, temp: []bool{true, true},
		},
		{
			name: "message refused after DATA",
			hook: func(stage, addr string) error {
				if stage == "DATA" && addr == "refused@example.org" {
					return smtpErr(554, smtp.EnhancedCode{5, 6, 0}, "content rejected")
				}
				return nil
			},
			want: "ok@city.example.lg.jp=554 bad@city.example.lg.jp=554", enh: "5.6.0",
			perm: []bool{true, true}, temp: []bool{false, false},
		},
		{
			name: "message deferred after DATA",
			hook: func(stage, addr string) error {
				if stage == "DATA" && addr == "refused@example.org" {
					return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "disk full")
				}
				return nil
			},
			want: "ok@city.example.lg.jp=451 bad@city.example.lg.jp=451", enh: "4.3.0",
			perm: []bool{false, false}, temp: []bool{true, true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			srv.setHook(tt.hook)
			c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
			from := "refused@example.org"
			res := send(t, c, from, rcpts, testMessage(1))
			if got := codes(res); got != tt.want {
				t.Fatalf("results %s, want %s", got, tt.want)
			}
			for i, r := range res {
				if r.Permanent() != tt.perm[i] || r.Temporary() != tt.temp[i] || r.OK() != (r.Code == 250) {
					t.Errorf("result %d %v: Permanent=%v Temporary=%v", i, r, r.Permanent(), r.Temporary())
				}
			}
			if res[1].Enhanced != tt.enh {
				t.Errorf("enhanced %q, want %q", res[1].Enhanced, tt.enh)
			}
			if arrived := len(srv.messages()) == 1; arrived != tt.arrived {
				t.Errorf("message arrived: %v, want %v", arrived, tt.arrived)
			}
			// The same connection carries the next message (after RSET
			// where a transaction was left open).
			res = send(t, c, "fine@example.org", []string{"next@city.example.lg.jp"}, testMessage(2))
			if !res[0].OK() {
				t.Fatalf("next message on the connection: %v", res[0])
			}
			if n := srv.conns.Load(); n != 1 {
				t.Errorf("%d connections, want 1", n)
			}
		})
	}
}

func TestSendServerHangsUp(t *testing.T) {
	rcpts := []string{"a@city.example.lg.jp", "b@city.example.lg.jp"}
	tests := []struct {
		name string
		hook func(first *atomic.Bool) hookFunc
		// err: the first Send fails (all deferred); otherwise it must
		// succeed on a second connection.
		err   bool
		conns int32
	}{
		{
			name: "at RCPT",
			hook: func(first *atomic.Bool) hookFunc {
				return func(stage, addr string) error {
					if stage == "RCPT" && addr == "b@city.example.lg.jp" && first.CompareAndSwap(true, false) {
						return errHangup
					}
					return nil
				}
			},
			err: true, conns: 2,
		},
		{
			name: "after the body, before the reply",
			hook: func(first *atomic.Bool) hookFunc {
				return func(stage, addr string) error {
					if stage == "DATA" && first.CompareAndSwap(true, false) {
						return errHangup
					}
					return nil
				}
			},
			err: true, conns: 2,
		},
		{
			name: "421 at RCPT",
			hook: func(first *atomic.Bool) hookFunc {
				return func(stage, addr string) error {
					if stage == "RCPT" && first.CompareAndSwap(true, false) {
						return smtpErr(421, smtp.EnhancedCode{4, 3, 2}, "shutting down")
					}
					return nil
				}
			},
			err: true, conns: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t)
			var first atomic.Bool
			first.Store(true)
			srv.setHook(tt.hook(&first))
			c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
			res, err := trySend(c, "s@example.org", rcpts, testMessage(1))
			if tt.err && err == nil {
				t.Fatalf("Send succeeded with %s, want an error (all deferred)", codes(res))
			}
			if err != nil && res != nil {
				t.Errorf("Send returned results with an error: %v", res)
			}
			if n := len(srv.messages()); n != 0 {
				t.Errorf("%d messages arrived", n)
			}
			// The Conn dials again by itself.
			res = send(t, c, "s@example.org", rcpts, testMessage(2))
			if codes(res) != "a@city.example.lg.jp=250 b@city.example.lg.jp=250" {
				t.Fatalf("after reconnect: %s", codes(res))
			}
			if n := srv.conns.Load(); n != tt.conns {
				t.Errorf("%d connections, want %d", n, tt.conns)
			}
		})
	}
}

// A kept connection that the next hop closed while idle is replaced at
// MAIL FROM without failing the message.
func TestSendReconnectsStaleConnection(t *testing.T) {
	for _, kind := range []string{"hang up", "421"} {
		t.Run(kind, func(t *testing.T) {
			srv := startServer(t)
			c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
			send(t, c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(1))
			var once atomic.Bool
			once.Store(true)
			srv.setHook(func(stage, addr string) error {
				if stage == "MAIL" && once.CompareAndSwap(true, false) {
					if kind == "421" {
						return smtpErr(421, smtp.EnhancedCode{4, 4, 2}, "idle timeout")
					}
					return errHangup
				}
				return nil
			})
			res := send(t, c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(2))
			if !res[0].OK() {
				t.Fatalf("second message: %v", res[0])
			}
			if n := srv.conns.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
			if n := len(srv.messages()); n != 2 {
				t.Errorf("%d messages arrived, want 2", n)
			}
		})
	}
}

func TestSendBodyReadErrorSendsNothing(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
	broken := io.MultiReader(bytes.NewReader(testMessage(1)[:40]), iotest.ErrReader(errors.New("disk read failed")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Send(ctx, "s@example.org", []string{"a@city.example.lg.jp"}, broken)
	if err == nil || !strings.Contains(err.Error(), "disk read failed") || !errors.Is(err, ErrReadingMessage) {
		t.Fatalf("Send error %v, want the read error, as ErrReadingMessage (no fault of the next hop)", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("a truncated message was delivered")
	}
	if res := send(t, c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(2)); !res[0].OK() {
		t.Fatalf("next message: %v", res[0])
	}
}

func TestSendLocalChecks(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
	rcpts := []string{"a@city.example.lg.jp", "evil@x\r\nRCPT TO:<other@x>", "a@city.example.lg.jp", "ユーザー@city.example.lg.jp", ""}
	res := send(t, c, "s@example.org", rcpts, testMessage(1))
	want := []struct {
		code int
		enh  string
	}{{250, "2.0.0"}, {501, "5.1.3"}, {250, "2.0.0"}, {553, "5.6.7"}, {501, "5.1.3"}}
	for i, w := range want {
		if res[i].Rcpt != rcpts[i] || res[i].Code != w.code || res[i].Enhanced != w.enh {
			t.Errorf("result %d: %+v, want %d %s", i, res[i], w.code, w.enh)
		}
	}
	msgs := srv.messages()
	if len(msgs) != 1 || strings.Join(msgs[0].Rcpts, ",") != "a@city.example.lg.jp" {
		t.Fatalf("server got %+v, want one message to a@ once", msgs)
	}
	res = send(t, c, "bad\nsender", []string{"a@city.example.lg.jp"}, testMessage(2))
	if res[0].Code != 501 || res[0].Enhanced != "5.1.7" {
		t.Errorf("invalid sender: %v", res[0])
	}
	// The null sender is a valid reverse-path (bounces are sent with it).
	res = send(t, c, "", []string{"a@city.example.lg.jp"}, testMessage(3))
	if !res[0].OK() {
		t.Errorf("null sender: %v", res[0])
	}
}

func TestSendSMTPUTF8Offered(t *testing.T) {
	srv := startServer(t, func(s *testServer) { s.srv.EnableSMTPUTF8 = true })
	c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
	res := send(t, c, "s@example.org", []string{"ユーザー@city.example.lg.jp"}, testMessage(1))
	if !res[0].OK() {
		t.Fatalf("%v", res[0])
	}
}

func TestMaxMessagesPerConnection(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Dialer{MaxMessages: 2}, hop("smtp", srv.addr, "none"))
	for i := range 5 {
		send(t, c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(i))
	}
	if n := srv.conns.Load(); n != 3 {
		t.Errorf("%d connections for 5 messages at 2 per connection, want 3", n)
	}
}

func TestCloseThenSendDialsAgain(t *testing.T) {
	srv := startServer(t)
	c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
	send(t, c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(1))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	send(t, c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(2))
	if n := srv.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestTimeouts(t *testing.T) {
	t.Run("command timeout", func(t *testing.T) {
		srv := startServer(t)
		release := make(chan struct{})
		defer close(release)
		srv.setHook(func(stage, addr string) error {
			if stage == "RCPT" {
				<-release
			}
			return nil
		})
		c := dial(t, Dialer{CommandTimeout: 300 * time.Millisecond}, hop("smtp", srv.addr, "none"))
		start := time.Now()
		_, err := trySend(c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(1))
		if err == nil {
			t.Fatal("Send succeeded against a silent server")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v with a 300ms command timeout", d)
		}
	})
	t.Run("reply to the final dot", func(t *testing.T) {
		srv := startServer(t)
		release := make(chan struct{})
		defer close(release)
		srv.setHook(func(stage, addr string) error {
			if stage == "DATA" {
				<-release
			}
			return nil
		})
		c := dial(t, Dialer{DoneTimeout: 300 * time.Millisecond}, hop("smtp", srv.addr, "none"))
		start := time.Now()
		if _, err := trySend(c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(1)); err == nil {
			t.Fatal("Send succeeded without a reply to the final dot")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v with a 300ms done timeout", d)
		}
	})
	t.Run("next hop stops reading the body", func(t *testing.T) {
		srv := startServer(t)
		release := make(chan struct{})
		defer close(release)
		srv.setHook(func(stage, addr string) error {
			if stage == "DATA-START" {
				<-release
			}
			return nil
		})
		c := dial(t, Dialer{DataTimeout: 300 * time.Millisecond}, hop("smtp", srv.addr, "none"))
		// Far more than the socket buffers hold, generated as it is read.
		line := []byte("0123456789012345678901234567890123456789012345678901234567890123456789\r\n")
		body := io.LimitReader(&repeatReader{line: line}, 256<<20)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		if _, err := c.Send(ctx, "s@example.org", []string{"a@city.example.lg.jp"}, body); err == nil || ctx.Err() != nil {
			t.Fatalf("Send: %v (ctx %v), want a write timeout", err, ctx.Err())
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v with a 300ms data timeout", d)
		}
	})
	t.Run("context", func(t *testing.T) {
		srv := startServer(t)
		release := make(chan struct{})
		defer close(release)
		srv.setHook(func(stage, addr string) error {
			if stage == "DATA" {
				<-release
			}
			return nil
		})
		c := dial(t, Dialer{}, hop("smtp", srv.addr, "none"))
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Send(ctx, "s@example.org", []string{"a@city.example.lg.jp"}, bytes.NewReader(testMessage(1)))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send error %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v with a 300ms context", d)
		}
	})
	t.Run("connect to a closed port", func(t *testing.T) {
		addr := unusedAddr(t)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := Dial(ctx, hop("smtp", addr, "none"), ourHost); err == nil {
			t.Fatal("Dial to a closed port succeeded")
		}
	})
}

func TestLMTP(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			var srv *testServer
			var h config.Deliver
			if network == "tcp" {
				srv = startServer(t, withLMTP())
				h = hop("lmtp", srv.addr, "")
			} else {
				sock := filepath.Join(t.TempDir(), "lmtp.sock")
				srv = startServerOn(t, "unix", sock, false, withLMTP())
				h = hop("lmtp+unix", sock, "")
			}
			srv.lmtpStatus = func(rcpt string) error {
				if strings.HasPrefix(rcpt, "full@") {
					return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")
				}
				if strings.HasPrefix(rcpt, "gone@") {
					return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "mailbox gone")
				}
				return nil
			}
			srv.setHook(func(stage, addr string) error {
				if stage == "RCPT" && strings.HasPrefix(addr, "nobody@") {
					return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "unknown user")
				}
				return nil
			})
			c := dial(t, Dialer{}, h)
			rcpts := []string{"ok@city.example.lg.jp", "full@city.example.lg.jp", "nobody@city.example.lg.jp", "gone@city.example.lg.jp", "ok2@city.example.lg.jp"}
			for i := range 2 {
				res := send(t, c, "s@example.org", rcpts, testMessage(i))
				want := "ok@city.example.lg.jp=250 full@city.example.lg.jp=452 nobody@city.example.lg.jp=550 gone@city.example.lg.jp=550 ok2@city.example.lg.jp=250"
				if got := codes(res); got != want {
					t.Fatalf("results %s\nwant %s", got, want)
				}
				if !res[1].Temporary() || res[1].Enhanced != "4.2.2" || !res[3].Permanent() || res[3].Enhanced != "5.1.1" {
					t.Errorf("per-recipient DATA replies: %v / %v", res[1], res[3])
				}
			}
			msgs := srv.messages()
			if len(msgs) != 2 || strings.Join(msgs[0].Rcpts, ",") != "ok@city.example.lg.jp,ok2@city.example.lg.jp" {
				t.Fatalf("server recorded %+v", msgs)
			}
			if !bytes.Equal(msgs[1].Data, testMessage(1)) {
				t.Errorf("bytes differ")
			}
			if msgs[0].Helo != ourHost {
				t.Errorf("LHLO name %q", msgs[0].Helo)
			}
			if n := srv.conns.Load(); n != 1 {
				t.Errorf("%d connections, want 1", n)
			}
		})
	}
}

func TestDialRejectsBadHops(t *testing.T) {
	ctx := context.Background()
	for _, h := range []config.Deliver{
		{To: "gopher://x"},
		hop("smtp", "127.0.0.1:1", "sometimes"),
		hop("lmtp+unix", "/nonexistent/sock", "required"),
		hop("ftp", "127.0.0.1:21", ""),
	} {
		if c, err := Dial(ctx, h, ourHost); err == nil {
			c.Close()
			t.Errorf("Dial(%+v) succeeded", h)
		}
	}
}

// repeatReader repeats line forever.
type repeatReader struct {
	line []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.line[r.off:])
		n += k
		r.off = (r.off + k) % len(r.line)
	}
	return n, nil
}

// An LMTP server that delivered to the first recipient and then died
// before answering for the second: the first is done (it must not get the
// message twice), the second is deferred.
func TestLMTPConnectionLostBetweenReplies(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		tp := textproto.NewConn(conn)
		tp.PrintfLine("220 lmtp ready")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0]); cmd {
			case "LHLO":
				tp.PrintfLine("250-lmtp\r\n250 ENHANCEDSTATUSCODES")
			case "MAIL", "RCPT":
				tp.PrintfLine("250 2.1.0 ok")
			case "DATA":
				tp.PrintfLine("354 go ahead")
				if _, err := tp.ReadDotBytes(); err != nil {
					return
				}
				tp.PrintfLine("250 2.0.0 <a@city.example.lg.jp> delivered")
				return // and hang up before the second reply
			default:
				tp.PrintfLine("502 5.5.1 no")
			}
		}
	}()
	c := dial(t, Dialer{}, hop("lmtp", ln.Addr().String(), "none"))
	res, err := trySend(c, "s@example.org", []string{"a@city.example.lg.jp", "b@city.example.lg.jp"}, testMessage(1))
	if err != nil {
		t.Fatalf("Send: %v (want per-recipient results)", err)
	}
	if !res[0].OK() || !res[1].Temporary() || res[1].Enhanced != "4.4.2" {
		t.Fatalf("results %v, want a delivered and b deferred", res)
	}
}
