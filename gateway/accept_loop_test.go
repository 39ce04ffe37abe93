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

// A route whose listener keeps failing to accept (out of file
// descriptors: EMFILE, ENFILE) takes no mail, and /readyz said ready all
// the while: a load balancer kept sending it connections that the kernel
// queued and nobody answered. /readyz now answers 503 naming the route,
// the address and the error while the failures go on, and ready again
// once an accept succeeds, or a few seconds after the last failure when
// no client comes to prove it. One failed accept alone (a client that
// reset before it was accepted, ECONNABORTED) passes and changes nothing.
func TestReadyzWhileAcceptFails(t *testing.T) {
	tests := []struct {
		name      string
		errno     syscall.Errno
		failures  int
		wantReady bool
	}{
		{"out of file descriptors", syscall.EMFILE, 1 << 30, false},
		{"one reset connection", syscall.ECONNABORTED, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
			tcp, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			fl := &failingListener{Listener: tcp, n: tt.failures, err: &net.OpError{Op: "accept", Net: "tcp", Err: tt.errno}}
			l := newListener(fl, g.srv.routes["inbound"])
			done := make(chan struct{})
			go func() { g.srv.acceptLoop(l); close(done) }()
			defer func() {
				// The failing listener fails whatever its socket does:
				// let it reach the socket, closed, to end the loop.
				fl.mu.Lock()
				fl.n = 0
				fl.mu.Unlock()
				tcp.Close()
				<-done
			}()
			time.Sleep(300 * time.Millisecond) // a few failed accepts
			code, text := g.ready()
			if ready := code == 200; ready != tt.wantReady {
				t.Fatalf("/readyz while accept fails: %d %q, want ready %v", code, text, tt.wantReady)
			}
			if tt.wantReady {
				return
			}
			want := "route inbound cannot accept connections on " + tcp.Addr().String() + ": accept tcp: too many open files"
			if code != 503 || !strings.Contains(text, want) {
				t.Errorf("/readyz: %d %q, want 503 with %q", code, text, want)
			}
			// The process has file descriptors again: a client is
			// accepted, and the gateway is ready at once.
			fl.mu.Lock()
			fl.n = 0
			fl.mu.Unlock()
			c, err := net.Dial("tcp", tcp.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if line, _ := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "220") {
				t.Fatalf("greeting %q", line)
			}
			if code, text := g.ready(); code != 200 {
				t.Errorf("/readyz after an accept succeeded: %d %q", code, text)
			}
		})
	}
}
