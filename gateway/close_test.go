package gateway

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestCloseGraceWithAdminStuck: an admin client that has sent half a
// request does not hold Close past its grace period, or stay connected
// after it; an SMTP session finishes its message within the grace.
func TestCloseGraceWithAdminStuck(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	admin, err := net.Dial("tcp", g.admin)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	fmt.Fprint(admin, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n") // and no blank line
	s := rawDial(t, g.addr("inbound"))
	s.toData()
	fmt.Fprint(s.conn, "Subject: late\r\n\r\nhalf a body\r\n")
	time.Sleep(100 * time.Millisecond) // both requests are in

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	closed := make(chan time.Duration, 1)
	t0 := time.Now()
	go func() { g.inst.Close(ctx); closed <- time.Since(t0) }()
	time.Sleep(500 * time.Millisecond)
	if r := s.cmd("the other half\r\n."); !strings.HasPrefix(r, "250 ") {
		t.Errorf("message finished within the grace period: %q, want 250", r)
	}
	select {
	case d := <-closed:
		if d > 3*time.Second {
			t.Errorf("Close took %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	admin.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := admin.Read(make([]byte, 1)); err == nil {
		t.Errorf("admin connection still open after Close (read %d bytes)", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("admin connection still open after Close: %v", err)
	}
}
