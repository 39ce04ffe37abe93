package gateway

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReloadKeepsArrivingConnections: a connection that arrives while a
// reload swaps the route's go-smtp server is greeted by the new one, not
// closed unanswered.
func TestReloadKeepsArrivingConnections(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), false)
	addr := g.addr("inbound")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := g.srv.Reload(gatewayConfig(t, dir, "", "")); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	bad := 0
	for i := 0; i < 300; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if !strings.HasPrefix(line, "220") {
			bad++
			t.Logf("connection %d: greeting %q, %v", i, line, err)
		}
	}
	close(stop)
	wg.Wait()
	if bad > 0 {
		t.Errorf("%d of 300 connections arriving during reloads were not greeted", bad)
	}
}
