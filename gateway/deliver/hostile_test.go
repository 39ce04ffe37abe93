package deliver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// scriptedHop is a next hop written byte by byte: each accepted connection
// runs script, which reads our commands from r and writes what it likes.
// written counts the bytes the scripts managed to send (what the client
// read, give or take the socket buffers).
type scriptedHop struct {
	addr    string
	conns   atomic.Int32
	written atomic.Int64
}

func startScriptedHop(t *testing.T, script func(h *scriptedHop, c net.Conn, r *bufio.Reader)) *scriptedHop {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &scriptedHop{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				script(h, c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return h
}

// write sends s and counts it; false when the client has gone.
func (h *scriptedHop) write(c net.Conn, s string) bool {
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Write([]byte(s))
	h.written.Add(int64(n))
	return err == nil
}

// command reads one command line; "" when the client has gone.
func command(r *bufio.Reader) string {
	line, err := r.ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimRight(line, "\r\n")
}

// flood writes prefix once, then chunk until the client stops reading.
func (h *scriptedHop) flood(c net.Conn, prefix, chunk string) {
	if !h.write(c, prefix) {
		return
	}
	big := strings.Repeat(chunk, max(1, 64<<10/len(chunk)))
	for h.write(c, big) {
	}
}

// Every reply the next hop sends is bounded: a greeting or an EHLO reply
// that never ends, or one line that never ends, is a connection failure
// after a bounded number of bytes, not memory growing until the command
// timeout (five minutes by default) ends it.
func TestNextHopRepliesAreBounded(t *testing.T) {
	// Far above MaxReplyBytes plus the socket buffers, far below the
	// 75-150 MiB that 3 s of loopback carried before replies were bounded.
	const limit = 32 << 20
	ehlo := func(h *scriptedHop, c net.Conn, r *bufio.Reader) bool {
		return h.write(c, "220 hop ESMTP\r\n") && command(r) != ""
	}
	tests := []struct {
		name   string
		script func(h *scriptedHop, c net.Conn, r *bufio.Reader)
	}{
		{"endless multi-line greeting", func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
			h.flood(c, "", "220-hop still greeting you\r\n")
		}},
		{"endless greeting line", func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
			h.flood(c, "220 ", "x")
		}},
		{"endless EHLO reply", func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
			if ehlo(h, c, r) {
				h.flood(c, "250-hop\r\n", "250-X-EXTENSION-WITH-A-LONG-NAME\r\n")
			}
		}},
		{"endless EHLO line", func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
			if ehlo(h, c, r) {
				h.flood(c, "250-hop\r\n250-", "X")
			}
		}},
		{"endless reply to MAIL", func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
			if ehlo(h, c, r) && h.write(c, "250-hop\r\n250 8BITMIME\r\n") && command(r) != "" {
				h.flood(c, "", "250-2.1.0 ok, and more\r\n")
			}
		}},
	}
	for _, tt := range tests {
		for _, mode := range []string{"none", "opportunistic"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				h := startScriptedHop(t, tt.script)
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				defer cancel()
				start := time.Now()
				c, err := Dialer{}.Dial(ctx, hop("smtp", h.addr, mode), ourHost)
				if err == nil {
					_, err = c.Send(ctx, "s@example.org", []string{"a@city.example.lg.jp"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
					c.Close()
				}
				if err == nil {
					t.Fatal("delivered through an endless reply")
				}
				if ctx.Err() != nil {
					t.Errorf("gave up only when the context ended (%v, %s): %v", time.Since(start), fmtBytes(h.written.Load()), err)
				}
				if n := h.written.Load(); n > limit {
					t.Errorf("the next hop sent %s before the client gave up", fmtBytes(n))
				}
			})
		}
	}
}

func fmtBytes(n int64) string { return fmt.Sprintf("%d KiB", n>>10) }

// replyScript answers our commands as a next hop would: reply gets the
// command's verb (MAIL, RCPT, DATA, "." for the end of the body, ...), its
// whole line and how many of that verb came before on this connection, and
// returns the raw reply ("" hangs up). EHLO/LHLO, RSET and QUIT have
// defaults unless reply answers them.
func replyScript(lmtp bool, reply func(verb, line string, n int) string) func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
	return func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
		seen := map[string]int{}
		if !h.write(c, "220 hop ESMTP\r\n") {
			return
		}
		for {
			line := command(r)
			if line == "" {
				return
			}
			verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
			out := reply(verb, line, seen[verb])
			seen[verb]++
			if out == "" {
				switch verb {
				case "EHLO", "LHLO":
					out = "250-hop\r\n250 ENHANCEDSTATUSCODES\r\n"
				case "RSET":
					out = "250 2.0.0 ok\r\n"
				case "QUIT":
					h.write(c, "221 2.0.0 bye\r\n")
					return
				default:
					return
				}
			}
			if !h.write(c, out) {
				return
			}
			if verb == "DATA" && strings.HasPrefix(out, "354") {
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
				}
				out = reply(".", ".", seen["."])
				seen["."]++
				if out == "" || !h.write(c, out) {
					return
				}
			}
		}
	}
}

// What the next hop says ends up in Result.Text and in error messages,
// and from there in the spool (per recipient, at every attempt), the log,
// the audit trail and a bounce. It must come out as one line of bounded
// length without terminal controls, whatever the next hop sent.
func TestNextHopTextIsOneBoundedLine(t *testing.T) {
	long := strings.Repeat("550-5.1.1 "+strings.Repeat("y", 1900)+"\r\n", 30) + "550 5.1.1 end\r\n"
	nasty := "\x1b[2J\x1b]0;owned\x07 \x00nul \xff\xfe bad utf-8 \u202eevil\u202c \u009b31m c1 csi"
	tests := []struct {
		name string
		rcpt string // reply to RCPT of the second recipient
		err  bool   // a connection failure, not a per-recipient result
	}{
		{"long 550", long, false},
		{"long 421", strings.ReplaceAll(long, "550", "421"), true},
		{"controls in 550", "550-5.1.1 " + nasty + "\r\n550 5.1.1 " + nasty + "\r\n", false},
		{"controls in 421", "421 4.3.0 " + nasty + "\r\n", true},
		{"controls in a malformed reply", "2x0 " + nasty + "\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startScriptedHop(t, replyScript(false, func(verb, line string, n int) string {
				switch verb {
				case "MAIL":
					return "250 2.1.0 ok\r\n"
				case "RCPT":
					if n == 1 {
						return tt.rcpt
					}
					return "250 2.1.5 ok\r\n"
				case "DATA":
					return "354 go ahead\r\n"
				case ".":
					return "250 2.0.0 queued\r\n"
				}
				return ""
			}))
			c := dial(t, Dialer{}, hop("smtp", h.addr, "none"))
			res, err := trySend(c, "s@example.org", []string{"a@city.example.lg.jp", "b@city.example.lg.jp"}, testMessage(1))
			var text string
			if tt.err {
				if err == nil {
					t.Fatalf("results %v, want a connection failure", res)
				}
				text = err.Error()
			} else {
				if err != nil {
					t.Fatal(err)
				}
				text = res[1].String()
			}
			if len(text) > MaxTextBytes+200 {
				t.Errorf("text of %d bytes, want at most about %d", len(text), MaxTextBytes)
			}
			if !utf8.ValidString(text) {
				t.Errorf("text is not valid UTF-8: %q", text)
			}
			for _, r := range text {
				if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Bidi_Control, r) {
					t.Errorf("text holds control %U: %q", r, text)
					break
				}
			}
		})
	}
}

// A next hop that sends a reply nobody asked for (two replies to one
// command, one reply too many after an LMTP body) shifts every later reply
// onto the wrong command. We never pipeline, so bytes waiting when we are
// about to send a command are a protocol error: the connection is dropped
// and the recipients are deferred (or the message goes on a new
// connection), never given a reply that was meant for something else.
func TestNextHopUnsolicitedReplies(t *testing.T) {
	rcpts := []string{"a@city.example.lg.jp", "b@city.example.lg.jp"}
	t.Run("two replies to MAIL", func(t *testing.T) {
		h := startScriptedHop(t, replyScript(false, func(verb, line string, n int) string {
			switch verb {
			case "MAIL":
				return "250 2.1.0 ok\r\n250 2.1.0 ok again\r\n"
			case "RCPT":
				if strings.Contains(line, "<b@") {
					return "550 5.1.1 no such user b\r\n"
				}
				return "250 2.1.5 ok\r\n"
			case "DATA":
				return "354 go ahead\r\n"
			case ".":
				return "250 2.0.0 queued\r\n"
			}
			return ""
		}))
		c := dial(t, Dialer{}, hop("smtp", h.addr, "none"))
		res, err := trySend(c, "s@example.org", rcpts, testMessage(1))
		if err == nil {
			t.Fatalf("results %q from a desynchronised connection, want all deferred", res)
		}
	})
	t.Run("LMTP reply too many", func(t *testing.T) {
		h := startScriptedHop(t, replyScript(true, func(verb, line string, n int) string {
			switch verb {
			case "MAIL", "RCPT":
				return "250 2.1.0 ok\r\n"
			case "DATA":
				return "354 go ahead\r\n"
			case ".":
				if n == 0 {
					return "250 2.0.0 a delivered\r\n250 2.0.0 b delivered\r\n550 5.0.0 a reply too many\r\n"
				}
				return "250 2.0.0 a delivered\r\n250 2.0.0 b delivered\r\n"
			}
			return ""
		}))
		c := dial(t, Dialer{}, hop("lmtp", h.addr, "none"))
		if res := send(t, c, "s@example.org", rcpts, testMessage(1)); !res[0].OK() || !res[1].OK() {
			t.Fatalf("first message: %q", res)
		}
		// The stale 550 must not become the reply to the next MAIL.
		res, err := trySend(c, "s@example.org", rcpts, testMessage(2))
		if err == nil && (!res[0].OK() || !res[1].OK()) {
			t.Fatalf("second message: %q, want delivered on a new connection or deferred", res)
		}
	})
}

// With tls: required, nothing of the message goes out in plaintext
// whatever the next hop (or a man in the middle) does around STARTTLS:
// strip it from EHLO, refuse it, answer 220 and then not speak TLS, or
// inject plaintext after the 220, in the same segment or a later one.
func TestRequiredTLSNeverPlaintext(t *testing.T) {
	tests := []struct {
		name     string
		starttls string // reply to STARTTLS, then what follows it
		offer    bool
		later    string // written 100 ms after the reply
	}{
		{name: "STARTTLS stripped from EHLO"},
		{name: "STARTTLS refused", offer: true, starttls: "454 4.7.0 TLS not available\r\n"},
		{name: "STARTTLS answered 421", offer: true, starttls: "421 4.3.0 bye\r\n"},
		{name: "220 then plaintext", offer: true, starttls: "220 2.0.0 go ahead\r\n", later: "250 2.0.0 not TLS at all\r\n"},
		{name: "injection in the same segment", offer: true, starttls: "220 2.0.0 go ahead\r\n250-evil\r\n250 8BITMIME\r\n"},
		{name: "220 then a 220 reply", offer: true, starttls: "220 2.0.0 go ahead\r\n", later: "220 2.0.0 go ahead again\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plaintext atomic.Int32 // MAIL, RCPT or DATA seen in the clear
			h := startScriptedHop(t, func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
				if !h.write(c, "220 hop ESMTP\r\n") {
					return
				}
				for {
					line := command(r)
					verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
					switch verb {
					case "":
						return
					case "EHLO", "LHLO":
						ext := "250 8BITMIME\r\n"
						if tt.offer {
							ext = "250-8BITMIME\r\n250 STARTTLS\r\n"
						}
						h.write(c, "250-hop\r\n"+ext)
					case "STARTTLS":
						h.write(c, tt.starttls)
						if tt.later != "" {
							time.Sleep(100 * time.Millisecond)
							h.write(c, tt.later)
						}
					case "MAIL", "RCPT", "DATA":
						plaintext.Add(1)
						h.write(c, "250 ok\r\n")
					default:
						h.write(c, "250 ok\r\n")
					}
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			d := Dialer{CommandTimeout: time.Second, ConnectTimeout: time.Second}
			hp := hop("smtp", h.addr, "required")
			c, err := d.Dial(ctx, hp, ourHost)
			if err == nil {
				_, err = c.Send(ctx, "s@example.org", []string{"a@city.example.lg.jp"}, strings.NewReader("Subject: secret\r\n\r\nsecret\r\n"))
				c.Close()
			}
			if err == nil {
				t.Error("delivered, want a failure (deferred)")
			}
			if n := plaintext.Load(); n > 0 {
				t.Errorf("%d transaction commands sent in plaintext", n)
			}
			// The recipient probe goes the same way.
			if _, err := d.Verify(ctx, hp, ourHost, "a@city.example.lg.jp"); err == nil {
				t.Error("Verify got an answer, want a failure")
			}
			if n := plaintext.Load(); n > 0 {
				t.Errorf("%d commands of the probe sent in plaintext", n)
			}
		})
	}
}

// A DSN quotes the next hop's reply, which the next hop chose: on the
// outbound route an internet server's words reach an LGWAN user in a
// message that no sanitiser rebuilds. Links in it are defanged as the
// sanitiser defangs them, in the human-readable part and in the
// delivery-status part (mail clients show both), and the message stays
// 7-bit with lines within RFC 5322's limit.
func TestDSNNeutralisesNextHopText(t *testing.T) {
	live := []string{"https://evil.example/login", "http://phish.example", "www.evil.com", `\\smb.evil.example\share`}
	text := "Mailbox disabled; re-activate at https://evil.example/login or http://phish.example now (www.evil.com, \\\\smb.evil.example\\share)\r\nSubject: injected\r\n" + strings.Repeat("z", 3000)
	p := dsnParams()
	p.Recipients = []DSNRecipient{
		{Result: Result{Rcpt: "a@city.example.lg.jp", Code: 550, Enhanced: "5.2.1", Text: text}},
		{Result: Result{Rcpt: "b@city.example.lg.jp", Text: "expired after 5d: " + text}, Status: "5.4.7"},
	}
	var buf bytes.Buffer
	if err := BuildDSN(&buf, p); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	checkSevenBit(t, out)
	for _, l := range strings.Split(string(out), "\r\n") {
		if len(l) > 998 {
			t.Errorf("line of %d octets", len(l))
		}
	}
	e, err := message.Read(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if e.Header.Get("Subject") == "injected" || strings.Contains(string(out), "\r\nSubject: injected") {
		t.Error("the reply text made a header")
	}
	mr := e.MultipartReader()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := part.Header.ContentType()
		for _, l := range live {
			if strings.Contains(string(b), l) {
				t.Errorf("%s part carries the live link %q:\n%s", ct, l, b)
			}
		}
	}
}

// A next hop that trickles its replies a byte at a time is cut off by the
// command timeout (an absolute deadline per reply, not an idle timer that
// every byte resets), in every TLS mode and at every stage.
func TestNextHopTrickleHitsTimeouts(t *testing.T) {
	trickle := func(h *scriptedHop, c net.Conn, s string) {
		for i := 0; i < len(s); i++ {
			if !h.write(c, s[i:i+1]) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	endless := strings.Repeat("250-still talking\r\n", 1000)
	tests := []struct {
		name   string
		lmtp   bool
		script func(h *scriptedHop, c net.Conn, r *bufio.Reader)
	}{
		{"greeting", false, func(h *scriptedHop, c net.Conn, r *bufio.Reader) { trickle(h, c, "220-"+endless) }},
		{"EHLO", false, func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
			if h.write(c, "220 hop\r\n") && command(r) != "" {
				trickle(h, c, endless)
			}
		}},
		{"final dot", false, replyScript(false, func(verb, line string, n int) string {
			switch verb {
			case "MAIL", "RCPT":
				return "250 ok\r\n"
			case "DATA":
				return "354 go ahead\r\n"
			case ".":
				time.Sleep(time.Second) // stands for a trickle: nothing complete comes
				return "250 2.0.0 too late\r\n"
			}
			return ""
		})},
		{"LMTP second reply", true, replyScript(true, func(verb, line string, n int) string {
			switch verb {
			case "MAIL", "RCPT":
				return "250 ok\r\n"
			case "DATA":
				return "354 go ahead\r\n"
			case ".":
				return "250 2.0.0 a delivered\r\n" + endless
			}
			return ""
		})},
	}
	for _, tt := range tests {
		for _, mode := range []string{"none", "opportunistic"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				h := startScriptedHop(t, tt.script)
				scheme := "smtp"
				if tt.lmtp {
					scheme = "lmtp"
				}
				d := Dialer{CommandTimeout: 400 * time.Millisecond, DoneTimeout: 400 * time.Millisecond}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				start := time.Now()
				c, err := d.Dial(ctx, hop(scheme, h.addr, mode), ourHost)
				var res []Result
				if err == nil {
					res, err = c.Send(ctx, "s@example.org", []string{"a@city.example.lg.jp", "b@city.example.lg.jp"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
					c.Close()
				}
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("took %v with 400 ms timeouts", took)
				}
				if tt.lmtp {
					if err != nil || !res[0].OK() || !res[1].Temporary() {
						t.Errorf("results %q, %v; want a delivered, b deferred", res, err)
					}
				} else if err == nil {
					t.Errorf("results %q, want an error (deferred)", res)
				}
			})
		}
	}
}

// A next hop may refuse a message in the middle of its body (Postfix past
// message_size_limit, a content filter) and hang up, or stop reading. The
// write then fails, but the reason is waiting in our receive buffer
// (RFC 5321 3.3 lets a server reply before the end of the data): a 5xx
// fails the recipients at once with the next hop's words, so the sender
// hears why today rather than after five days of uploads; a 4xx defers
// them with its words; no reply at all is a plain connection failure.
func TestNextHopRefusesMidData(t *testing.T) {
	rcpts := []string{"a@city.example.lg.jp", "b@city.example.lg.jp"}
	tests := []struct {
		name  string
		lmtp  bool
		reply string // sent after 64 KiB of the body; "" sends nothing
		stall bool   // keep the connection open and stop reading, instead of hanging up
		small bool   // a message the socket buffers hold: the body is written, the final dot may fail
		// want: the result of every recipient ("" for an error: all deferred)
		code     int
		enhanced string
		text     string
	}{
		{name: "552 and hang up", reply: "552 5.3.4 Message too big for system\r\n", code: 552, enhanced: "5.3.4", text: "Message too big for system"},
		{name: "554 multi-line and hang up", reply: "554-5.7.1 content refused\r\n554 5.7.1 see policy\r\n", code: 554, enhanced: "5.7.1", text: "content refused see policy"},
		{name: "552 and stop reading", reply: "552 5.3.4 Message too big\r\n", stall: true, code: 552, enhanced: "5.3.4", text: "Message too big"},
		{name: "452 and hang up", reply: "452 4.3.1 Insufficient system storage\r\n", code: 452, enhanced: "4.3.1", text: "Insufficient system storage"},
		{name: "421 and hang up", reply: "421 4.4.2 timeout, bye\r\n", code: 421, enhanced: "4.4.2", text: "timeout, bye"},
		{name: "LMTP 552 and hang up", lmtp: true, reply: "552 5.2.2 mailbox full\r\n", code: 552, enhanced: "5.2.2", text: "mailbox full"},
		{name: "552 to a small message", small: true, reply: "552 5.3.4 Message too big\r\n", code: 552, enhanced: "5.3.4", text: "Message too big"},
		{name: "silent hang up"},
		{name: "silent stop reading", stall: true},
		{name: "a 250 is not believed", reply: "250 2.0.0 queued early\r\n"},
		{name: "garbage", reply: "hello there\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			h := startScriptedHop(t, func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
				if !h.write(c, "220 hop ESMTP\r\n") {
					return
				}
				for {
					switch verb := strings.ToUpper(strings.SplitN(command(r), " ", 2)[0]); verb {
					case "":
						return
					case "EHLO", "LHLO":
						h.write(c, "250-hop\r\n250 ENHANCEDSTATUSCODES\r\n")
					case "DATA":
						h.write(c, "354 go ahead\r\n")
						if h.conns.Load() > 1 {
							// Later connections take the message.
							for l := ""; l != ".\r\n"; {
								var err error
								if l, err = r.ReadString('\n'); err != nil {
									return
								}
							}
							ok := "250 2.0.0 queued\r\n"
							if tt.lmtp {
								ok += ok // one per recipient
							}
							h.write(c, ok)
							continue
						}
						n := int64(64 << 10)
						if tt.small {
							n = 1 << 10
						}
						if _, err := io.CopyN(io.Discard, r, n); err != nil {
							return
						}
						if tt.reply != "" {
							h.write(c, tt.reply)
						}
						if tt.stall {
							<-done
						}
						return // unread data: the kernel answers our next segment with a reset
					default:
						h.write(c, "250 2.0.0 ok\r\n")
					}
				}
			})
			t.Cleanup(func() { close(done) }) // runs before the hop's cleanup
			scheme := "smtp"
			if tt.lmtp {
				scheme = "lmtp"
			}
			c := dial(t, Dialer{DataTimeout: 300 * time.Millisecond}, hop(scheme, h.addr, "none"))
			// Far more than the socket buffers on both sides hold.
			size := int64(64 << 20)
			if tt.small {
				size = 4 << 10
			}
			body := io.LimitReader(&repeatReader{line: []byte("0123456789012345678901234567890123456789012345678901234567890123456789\r\n")}, size)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			res, err := c.Send(ctx, "s@example.org", rcpts, body)
			// The late reply is waited for 2s at most, after a write that
			// takes DataTimeout to fail: about 2.5s alone, more under
			// -race on two busy cores. The context's 20s is the failure.
			if d := time.Since(start); d > 12*time.Second {
				t.Errorf("took %v", d)
			}
			if ctx.Err() != nil {
				t.Fatalf("gave up only when the context ended: %v", err)
			}
			if tt.code == 0 {
				if err == nil {
					t.Fatalf("results %q, want an error (all deferred)", res)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v; want each recipient to carry the next hop's %d", err, tt.code)
			}
			for i, r := range res {
				if r.Rcpt != rcpts[i] || r.Code != tt.code || r.Enhanced != tt.enhanced || r.Text != tt.text {
					t.Errorf("result %d: %+v, want %d %s %q", i, r, tt.code, tt.enhanced, tt.text)
				}
				if tt.code >= 500 && !r.Permanent() || tt.code < 500 && !r.Temporary() {
					t.Errorf("result %d: %v is not classified by its code", i, r)
				}
			}
			// The broken connection is not reused: the next message goes on a new one.
			if res, err := c.Send(ctx, "s@example.org", rcpts, strings.NewReader("Subject: x\r\n\r\nx\r\n")); err != nil || !res[0].OK() {
				t.Errorf("next message: %v %v", res, err)
			}
			if n := h.conns.Load(); n != 2 {
				t.Errorf("%d connections for two messages, want 2", n)
			}
		})
	}
}

// A next hop that answers every command just inside the command timeout
// would hold a worker for recipients × command timeout (hours for 100
// recipients at the default five minutes). WithAttemptTimeout bounds the
// attempt as a whole, the connection included: when it passes, the
// connection is closed and the error says why. Before the reply to the
// final dot nothing is delivered, so everything is deferred; an LMTP
// recipient whose own reply came keeps it.
func TestAttemptDeadline(t *testing.T) {
	rcpts := make([]string, 20)
	for i := range rcpts {
		rcpts[i] = fmt.Sprintf("u%d@city.example.lg.jp", i)
	}
	slow := func(s string) string { time.Sleep(150 * time.Millisecond); return s }
	tests := []struct {
		name   string
		lmtp   bool
		rcpts  int
		script func(verb, line string, n int) string
		dial   bool // the deadline passes in Dial
	}{
		{name: "every command slow", rcpts: 20, script: func(verb, line string, n int) string {
			switch verb {
			case "MAIL", "RCPT":
				return slow("250 2.1.0 ok\r\n")
			case "DATA":
				return slow("354 go ahead\r\n")
			case ".":
				return slow("250 2.0.0 queued\r\n")
			}
			return ""
		}},
		{name: "final dot slow", rcpts: 2, script: func(verb, line string, n int) string {
			switch verb {
			case "MAIL", "RCPT":
				return "250 2.1.0 ok\r\n"
			case "DATA":
				return "354 go ahead\r\n"
			case ".":
				time.Sleep(1500 * time.Millisecond)
				return "250 2.0.0 queued\r\n"
			}
			return ""
		}},
		{name: "greeting and EHLO slow", dial: true, rcpts: 2, script: func(verb, line string, n int) string {
			if verb == "EHLO" {
				time.Sleep(1200 * time.Millisecond)
			}
			return ""
		}},
		{name: "LMTP second reply never comes", lmtp: true, rcpts: 3, script: func(verb, line string, n int) string {
			switch verb {
			case "MAIL", "RCPT":
				return "250 2.1.0 ok\r\n"
			case "DATA":
				return "354 go ahead\r\n"
			case ".":
				return "250 2.0.0 first delivered\r\n"
			}
			return ""
		}},
	}
	const limit = 500 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startScriptedHop(t, replyScript(tt.lmtp, tt.script))
			scheme := "smtp"
			if tt.lmtp {
				scheme = "lmtp"
			}
			start := time.Now()
			ctx, cancel := WithAttemptTimeout(context.Background(), limit)
			defer cancel()
			var res []Result
			c, err := Dialer{}.Dial(ctx, hop(scheme, h.addr, "none"), ourHost)
			if tt.dial && err == nil {
				c.Close()
				t.Fatal("Dial succeeded, want the deadline to end it")
			}
			if err == nil {
				defer c.Close()
				res, err = c.Send(ctx, "s@example.org", rcpts[:tt.rcpts], strings.NewReader("Subject: x\r\n\r\nx\r\n"))
			}
			took := time.Since(start)
			if took < limit || took > limit+time.Second {
				t.Errorf("the attempt took %v, want about %v", took, limit)
			}
			const why = "next hop too slow: attempt exceeded 500ms"
			if tt.lmtp {
				if err != nil || !res[0].OK() {
					t.Fatalf("results %v, %v; want the first recipient delivered", res, err)
				}
				for _, r := range res[1:] {
					if !r.Temporary() || !strings.Contains(r.Text, why) {
						t.Errorf("result %v, want deferred, saying %q", r, why)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("results %v, want an error (all deferred)", res)
			}
			if !errors.Is(err, ErrTooSlow) || !strings.Contains(err.Error(), why) {
				t.Errorf("error %q, want ErrTooSlow saying %q", err, why)
			}
		})
	}
}
