package deliver

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
