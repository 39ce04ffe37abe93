package deliver

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"mugai/config"
)

// TestErrUnreachable: an error that says no session came about is
// ErrUnreachable, and the caller suspends the next hop on it; a failure
// in the transaction, or a refusal of the message, is not.
func TestErrUnreachable(t *testing.T) {
	greetThen := func(after func(c net.Conn, r *bufio.Reader)) func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
		return func(h *scriptedHop, c net.Conn, r *bufio.Reader) {
			h.write(c, "220 hop.example ESMTP\r\n")
			after(c, r)
		}
	}
	ehloOK := "250-hop.example\r\n250 8BITMIME\r\n"
	tests := []struct {
		name        string
		tls         string
		script      func(h *scriptedHop, c net.Conn, r *bufio.Reader) // nil: nothing listens
		unreachable bool
	}{
		{name: "connection refused", unreachable: true},
		{name: "closed before the greeting", script: func(*scriptedHop, net.Conn, *bufio.Reader) {}, unreachable: true},
		{name: "421 greeting", script: func(h *scriptedHop, c net.Conn, _ *bufio.Reader) {
			h.write(c, "421 4.3.2 hop.example shutting down\r\n")
		}, unreachable: true},
		{name: "EHLO refused", script: greetThen(func(c net.Conn, r *bufio.Reader) {
			command(r)
			c.Write([]byte("554 5.7.1 go away\r\n"))
		}), unreachable: true},
		{name: "STARTTLS required, not offered", tls: "required", script: greetThen(func(c net.Conn, r *bufio.Reader) {
			command(r)
			c.Write([]byte(ehloOK))
			command(r)
		}), unreachable: true},
		{name: "connection lost in the transaction", script: greetThen(func(c net.Conn, r *bufio.Reader) {
			command(r)
			c.Write([]byte(ehloOK))
			command(r) // MAIL
			c.Write([]byte("250 2.1.0 ok\r\n"))
			command(r) // RCPT: hang up
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := unusedAddr(t)
			if tt.script != nil {
				addr = startScriptedHop(t, tt.script).addr
			}
			mode := tt.tls
			if mode == "" {
				mode = "none"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var err error
			c, derr := Dialer{}.Dial(ctx, hop("smtp", addr, mode), ourHost)
			if derr != nil {
				err = derr
			} else {
				defer c.Close()
				_, err = c.Send(ctx, "a@example.org", []string{"b@city.example.lg.jp"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
			}
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrUnreachable); got != tt.unreachable {
				t.Errorf("errors.Is(%q, ErrUnreachable) = %v, want %v", err, got, tt.unreachable)
			}
		})
	}
}

// TestSendRedialUnreachable: a Send that has to dial again (the kept
// connection was closed) and cannot is ErrUnreachable as Dial is; a
// refusal of a recipient is a Result, no error.
func TestSendRedialUnreachable(t *testing.T) {
	s := startServer(t)
	s.setHook(func(stage, addr string) error {
		if stage == "RCPT" && addr == "busy@city.example.lg.jp" {
			return smtpErr(451, [3]int{4, 2, 1}, "busy")
		}
		return nil
	})
	c := dial(t, Dialer{}, hop("smtp", s.addr, "none"))
	res := send(t, c, "a@example.org", []string{"busy@city.example.lg.jp"}, testMessage(1))
	if !res[0].Temporary() {
		t.Fatalf("result %v, want the 451", res[0])
	}
	c.Close()
	s.srv.Close()
	_, err := trySend(c, "a@example.org", []string{"b@city.example.lg.jp"}, testMessage(2))
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("Send to a next hop gone: %v, want ErrUnreachable", err)
	}
}

// TestMaildirUnreachable: a Maildir that cannot be made is the next hop
// unusable.
func TestMaildirUnreachable(t *testing.T) {
	_, err := Dial(context.Background(), config.Deliver{To: "maildir:/proc/mugai-none", URL: config.NextHop{Scheme: "maildir", Path: "/proc/mugai-none/md"}}, ourHost)
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("Dial of an impossible Maildir: %v, want ErrUnreachable", err)
	}
}
