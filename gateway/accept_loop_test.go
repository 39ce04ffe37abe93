package gateway

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// failingListener fails its first n Accepts with err, as the kernel
// does when the process is out of file descriptors (EMFILE) or a client
// reset before accept (ECONNABORTED).
type failingListener struct {
	net.Listener
	mu  sync.Mutex
	n   int
	err error
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.n > 0 {
		l.n--
		l.mu.Unlock()
		return nil, l.err
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// TestAcceptLoopSurvivesErrors: an error of accept(2) that passes (the
// process out of file descriptors for a moment, a connection reset
// before it was accepted) ended the route's accept loop for good: the
// listener stayed open, the kernel queued connections that were never
// answered, /readyz said ready, and only a restart brought the route
// back. The loop now waits and accepts again; only closing the listener
// ends it.
func TestAcceptLoopSurvivesErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ECONNABORTED, syscall.ENOBUFS} {
		t.Run(errno.Error(), func(t *testing.T) {
			g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
			tcp, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			fl := &failingListener{Listener: tcp, n: 3, err: &net.OpError{Op: "accept", Net: "tcp", Err: errno}}
			l := newListener(fl, g.srv.routes["inbound"])
			done := make(chan struct{})
			go func() { g.srv.acceptLoop(l); close(done) }()
			c, err := net.Dial("tcp", tcp.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if line, err := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "220") {
				t.Errorf("after %d failed accepts (%v): greeting %q, %v", 3, errno, line, err)
			}
			if n := strings.Count(g.logs.String(), "accept failed"); n != 1 {
				t.Errorf("%d log lines for 3 failed accepts in a row, want 1", n)
			}
			tcp.Close()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Errorf("the accept loop did not end when its listener was closed")
			}
		})
	}
}
