package gateway

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"mugai/gateway/internal/netnstest"
)

// TestConnectionsPerClientIPv6: max_connections_per_client counts an
// IPv6 client by its /64, as the admin listener does. Every IPv6 host on
// the internet gets a /64 of its own (SLAAC, a home router's LAN), so
// counting by address let one sender take all of max_connections from
// as many addresses of its /64, and shut every other sender out: the
// per-client limit is there to prevent just that. IPv4 addresses count
// one by one, as before.
func TestConnectionsPerClientIPv6(t *testing.T) {
	tp := netnstest.New(t)
	// Addresses on the gateway namespace's loopback: the gateway, five
	// of one /64, one of another, and two IPv4 addresses.
	for _, a := range []string{"fd00:64:0:1::1", "fd00:64:0:1::2", "fd00:64:0:1::3", "fd00:64:0:1::4", "fd00:64:0:1::5", "fd00:64:0:1::6", "fd00:64:0:2::2"} {
		if out, err := tp.Command(tp.Gateway, "ip", "-6", "addr", "add", a+"/128", "dev", "lo", "nodad").CombinedOutput(); err != nil {
			t.Fatalf("ip addr add %s: %v %s", a, err, out)
		}
	}
	cfg := gatewayConfig(t, t.TempDir(), "", "",
		`listen: ["127.0.0.1:0"]`, `listen: ["127.0.0.1:0", "[fd00:64:0:1::1]:0"]`,
		`clients: ["127.0.0.0/8"]`, `clients: ["127.0.0.0/8", "fd00:64::/32"]`,
		"    policy: default\n", "    policy: default\n    limits: {max_connections: 20, max_connections_per_client: 3}\n")
	g := startGatewayIn(t, cfg, false, t.TempDir(), func(f func() error) error { return tp.Do(tp.Gateway, f) })
	var addr6, addr4 string
	for _, a := range g.srv.Addrs()["inbound"] {
		if ap := netip.MustParseAddrPort(a.String()); ap.Addr().Is6() {
			addr6 = a.String()
		} else {
			addr4 = a.String()
		}
	}

	// greet connects from src and returns the server's first reply code.
	greet := func(src, dst string) string {
		t.Helper()
		var c net.Conn
		err := tp.Do(tp.Gateway, func() (err error) {
			d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
			c, err = d.Dial("tcp", dst)
			return err
		})
		if err != nil {
			t.Fatalf("dial %s from %s: %v", dst, src, err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("greeting to %s: %v", src, err)
		}
		return line[:3]
	}

	var got []string
	for i := 2; i <= 6; i++ {
		got = append(got, greet(fmt.Sprintf("fd00:64:0:1::%d", i), addr6))
	}
	if want := "220 220 220 421 421"; strings.Join(got, " ") != want {
		t.Errorf("five connections from five addresses of one /64: %s, want %s (max_connections_per_client 3)", strings.Join(got, " "), want)
	}
	if code := greet("fd00:64:0:2::2", addr6); code != "220" {
		t.Errorf("a client of another /64: %s, want 220", code)
	}
	// IPv4: each address is a client of its own.
	for _, src := range []string{"127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.3"} {
		if code := greet(src, addr4); code != "220" {
			t.Errorf("IPv4 %s: %s, want 220", src, code)
		}
	}
	if code := greet("127.0.0.2", addr4); code != "421" {
		t.Errorf("a 4th connection from 127.0.0.2: %s, want 421", code)
	}
}
