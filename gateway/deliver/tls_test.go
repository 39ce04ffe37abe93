package deliver

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestTLSModes(t *testing.T) {
	ca := newTestCA(t, "right")
	wrong := newTestCA(t, "wrong")
	rcpt := []string{"a@city.example.lg.jp"}

	tests := []struct {
		name      string
		scheme    string
		serverTLS bool // server offers STARTTLS (or speaks smtps)
		mode      string
		caFile    string // "right", "wrong" or "" (system pool)
		wantTLS   bool   // delivered, over TLS
		wantErr   error  // Dial fails (all deferred); nil: any error
		fail      bool
	}{
		{name: "required, valid CA", scheme: "smtp", serverTLS: true, mode: "required", caFile: "right", wantTLS: true},
		{name: "required, wrong CA", scheme: "smtp", serverTLS: true, mode: "required", caFile: "wrong", fail: true},
		{name: "required, system pool does not know the test CA", scheme: "smtp", serverTLS: true, mode: "required", fail: true},
		{name: "required, STARTTLS not offered", scheme: "smtp", mode: "required", caFile: "right", fail: true, wantErr: ErrNoStartTLS},
		{name: "opportunistic, untrusted certificate", scheme: "smtp", serverTLS: true, mode: "opportunistic", wantTLS: true},
		{name: "opportunistic is the default", scheme: "smtp", serverTLS: true, mode: "", wantTLS: true},
		{name: "opportunistic, STARTTLS not offered", scheme: "smtp", mode: "opportunistic", wantTLS: false},
		{name: "none ignores STARTTLS", scheme: "smtp", serverTLS: true, mode: "none", wantTLS: false},
		{name: "lmtp, required, valid CA", scheme: "lmtp", serverTLS: true, mode: "required", caFile: "right", wantTLS: true},
		{name: "smtps, required, valid CA", scheme: "smtps", serverTLS: true, mode: "required", caFile: "right", wantTLS: true},
		{name: "smtps, required, wrong CA", scheme: "smtps", serverTLS: true, mode: "required", caFile: "wrong", fail: true},
		{name: "smtps, opportunistic, untrusted", scheme: "smtps", serverTLS: true, mode: "opportunistic", wantTLS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []serverOpt
			if tt.serverTLS {
				opts = append(opts, withTLS(ca.server))
			}
			if tt.scheme == "lmtp" {
				opts = append(opts, withLMTP())
			}
			srv := startServerOn(t, "tcp", "127.0.0.1:0", tt.scheme == "smtps", opts...)
			h := hop(tt.scheme, srv.addr, tt.mode)
			switch tt.caFile {
			case "right":
				h.CAFile = ca.file(t)
			case "wrong":
				h.CAFile = wrong.file(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, h, ourHost)
			if tt.fail {
				if err == nil {
					c.Close()
					t.Fatal("Dial succeeded, want a failure (message deferred)")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
				if n := len(srv.messages()); n != 0 {
					t.Errorf("%d messages arrived", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			for i := range 2 {
				res := send(t, c, "s@example.org", rcpt, testMessage(i))
				if !res[0].OK() {
					t.Fatalf("result %v", res[0])
				}
			}
			msgs := srv.messages()
			if len(msgs) != 2 {
				t.Fatalf("%d messages", len(msgs))
			}
			if msgs[0].TLS != tt.wantTLS {
				t.Errorf("delivered over TLS: %v, want %v", msgs[0].TLS, tt.wantTLS)
			}
			if msgs[0].Helo != ourHost {
				t.Errorf("EHLO name %q after TLS, want %q", msgs[0].Helo, ourHost)
			}
			if n := srv.conns.Load(); n != 1 {
				t.Errorf("%d connections, want 1", n)
			}
		})
	}
}

// A next hop whose TLS cannot be negotiated still gets the mail in
// plaintext in opportunistic mode (as Postfix's "may"), on a new connection,
// and not at all in required mode.
func TestOpportunisticFallsBackAfterHandshakeFailure(t *testing.T) {
	ca := newTestCA(t, "old")
	srv := startServer(t, func(s *testServer) {
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.server}, MaxVersion: tls.VersionTLS11}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, hop("smtp", srv.addr, "opportunistic"), ourHost)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if res := send(t, c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(1)); !res[0].OK() {
		t.Fatalf("%v", res[0])
	}
	if m := srv.messages(); len(m) != 1 || m[0].TLS {
		t.Fatalf("want one plaintext message, got %+v", m)
	}
	if n := srv.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (TLS attempt, then plaintext)", n)
	}

	h := hop("smtp", srv.addr, "required")
	h.CAFile = ca.file(t)
	if c, err := Dial(ctx, h, ourHost); err == nil {
		c.Close()
		t.Fatal("required mode delivered without TLS")
	}
}

// Bytes a server (or a man in the middle) sends after "220 ready for TLS"
// must not be read as replies inside the TLS session (CVE-2011-0411).
func TestSTARTTLSInjectionRefused(t *testing.T) {
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
		buf := make([]byte, 512)
		conn.Write([]byte("220 evil ESMTP\r\n"))
		conn.Read(buf)
		conn.Write([]byte("250-evil\r\n250 STARTTLS\r\n"))
		conn.Read(buf)
		conn.Write([]byte("220 go ahead\r\n250 injected\r\n"))
		time.Sleep(time.Second)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = Dial(ctx, hop("smtp", ln.Addr().String(), "opportunistic"), ourHost)
	if !errors.Is(err, ErrTLSInjection) {
		t.Fatalf("Dial error %v, want ErrTLSInjection", err)
	}
}

func TestHasExtension(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"mx.example\nPIPELINING\nSTARTTLS\n8BITMIME", true},
		{"mx.example\nstarttls", true},
		{"mx.example\nSTARTTLSX", false},
		{"STARTTLS greets you", false}, // the first line is the server's name
		{"mx.example\nAUTH PLAIN STARTTLS", false},
		{"mx.example\n", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.msg, "\n", "|"), func(t *testing.T) {
			if got := hasExtension(tt.msg, "STARTTLS"); got != tt.want {
				t.Errorf("hasExtension = %v, want %v", got, tt.want)
			}
		})
	}
}

// Dialer.Plaintext hears of an opportunistic connection that goes on in
// the clear though the next hop offered STARTTLS (refused with a reply,
// or a handshake that failed), and not of one that never offered it.
func TestPlaintextReported(t *testing.T) {
	tests := []struct {
		name     string
		offer    bool
		starttls string // reply to STARTTLS
		want     string // what Plaintext hears; "" nothing
	}{
		{"STARTTLS refused", true, "454 4.7.0 TLS not available\r\n", "STARTTLS refused: 454 4.7.0 TLS not available"},
		{"STARTTLS not offered", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startScriptedHop(t, replyScript(false, func(verb, line string, n int) string {
				switch verb {
				case "EHLO":
					if tt.offer {
						return "250-hop\r\n250 STARTTLS\r\n"
					}
					return "250 hop\r\n"
				case "STARTTLS":
					return tt.starttls
				case "MAIL", "RCPT":
					return "250 2.0.0 ok\r\n"
				case "DATA":
					return "354 go\r\n"
				case ".":
					return "250 2.0.0 queued\r\n"
				}
				return ""
			}))
			var heard []string
			d := Dialer{CommandTimeout: time.Second, ConnectTimeout: time.Second, Plaintext: func(why string) { heard = append(heard, why) }}
			c := dial(t, d, hop("smtp", h.addr, "opportunistic"))
			defer c.Close()
			if res := send(t, c, "s@example.org", []string{"a@city.example.lg.jp"}, testMessage(1)); !res[0].OK() {
				t.Fatalf("%v", res[0])
			}
			switch {
			case tt.want == "" && len(heard) != 0:
				t.Errorf("Plaintext heard %q, want nothing", heard)
			case tt.want != "" && (len(heard) != 1 || !strings.HasPrefix(heard[0], tt.want)):
				t.Errorf("Plaintext heard %q, want one starting %q", heard, tt.want)
			}
		})
	}
}
