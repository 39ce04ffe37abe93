package gateway

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mugai/gateway/metrics"
)

// listener admits connections to one route before go-smtp sees them:
// go-smtp creates a session only at EHLO and counts nothing, so the
// client-network check and the connection limits live here, where a
// refused client never reaches the SMTP state machine.
type listener struct {
	net.Listener
	route *routeState // current settings, swapped on reload

	mu   sync.Mutex
	open map[*countedConn]struct{} // admitted and not yet closed
}

// connCounts counts the connections a route admitted, over all its
// listeners: max_connections and max_connections_per_client bound a
// route, whatever the number of addresses it listens on (a route on
// ports 25 and 587, or on an IPv4 and an IPv6 address, is one route).
type connCounts struct {
	mu        sync.Mutex
	total     int
	perClient map[netip.Prefix]int // by clientBlock
}

func newListener(l net.Listener, rs *routeState) *listener {
	return &listener{Listener: l, route: rs, open: map[*countedConn]struct{}{}}
}

// cut closes the socket of every connection still open. Its session
// then fails at its next read or write and ends as after any broken
// connection (go-smtp's Close does nothing once its Shutdown began, so
// this is how Shutdown ends sessions at the end of its grace period).
func (l *listener) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.open {
		c.Conn.Close()
	}
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if ac := l.admit(c); ac != nil {
			return ac, nil
		}
	}
}

// admit returns the connection wrapped for counting, or nil after
// refusing it with a reply of its own.
func (l *listener) admit(c net.Conn) net.Conn {
	st := l.route.load()
	m := st.srv.Metrics
	name := st.route.Name
	ip := remoteIP(c)
	if !st.clientAllowed(ip) {
		m.SMTPConnections.WithLabelValues(name, metrics.ConnRefused).Inc()
		m.SMTPRejects.WithLabelValues(name, metrics.StageConnect, "554").Inc()
		st.srv.Logger.Info("connection refused: client network not allowed", "route", name, "client", ip.String())
		refuse(c, fmt.Sprintf("554 5.7.1 %s access denied to %s\r\n", st.route.Hostname, ip))
		return nil
	}
	lim := st.route.Limits
	block := clientBlock(ip)
	n := &l.route.conns
	n.mu.Lock()
	if n.perClient == nil {
		n.perClient = map[netip.Prefix]int{}
	}
	switch {
	case n.total >= lim.MaxConnections:
		n.mu.Unlock()
		m.SMTPConnections.WithLabelValues(name, metrics.ConnLimited).Inc()
		m.SMTPRejects.WithLabelValues(name, metrics.StageConnect, "421").Inc()
		st.srv.Logger.Warn("connection refused: too many connections", "route", name, "client", ip.String(), "limit", lim.MaxConnections)
		refuse(c, fmt.Sprintf("421 4.7.0 %s too many connections, try again later\r\n", st.route.Hostname))
		return nil
	case n.perClient[block] >= lim.MaxConnectionsPerClient:
		n.mu.Unlock()
		m.SMTPConnections.WithLabelValues(name, metrics.ConnLimited).Inc()
		m.SMTPRejects.WithLabelValues(name, metrics.StageConnect, "421").Inc()
		st.srv.Logger.Warn("connection refused: too many connections from client", "route", name, "client", ip.String(), "counted_as", block.String(), "limit", lim.MaxConnectionsPerClient)
		refuse(c, fmt.Sprintf("421 4.7.0 %s too many connections from your address, try again later\r\n", st.route.Hostname))
		return nil
	}
	n.total++
	n.perClient[block]++
	n.mu.Unlock()
	cc := &countedConn{Conn: c}
	l.mu.Lock()
	l.open[cc] = struct{}{}
	l.mu.Unlock()
	m.SMTPConnections.WithLabelValues(name, metrics.ConnAccepted).Inc()
	m.SMTPSessionsActive.WithLabelValues(name).Inc()
	cc.release = func() {
		l.mu.Lock()
		delete(l.open, cc)
		l.mu.Unlock()
		n.mu.Lock()
		n.total--
		if n.perClient[block]--; n.perClient[block] <= 0 {
			delete(n.perClient, block)
		}
		n.mu.Unlock()
		m.SMTPSessionsActive.WithLabelValues(name).Dec()
	}
	cc.startClock(st)
	return cc
}

// refuse answers and closes without blocking the accept loop on a client
// that does not read.
func refuse(c net.Conn, reply string) {
	go func() {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		c.Write([]byte(reply))
		c.Close()
	}()
}

// clientBlock is what max_connections_per_client counts a client by: an
// IPv4 address, or the /64 of an IPv6 one. An IPv6 host is given a /64 of
// its own (SLAAC, a home router's LAN) and may connect from any address
// in it: counted by address, one sender could take all of
// max_connections and shut every other sender out. The admin listener
// counts the same way (connSource).
func clientBlock(ip netip.Addr) netip.Prefix {
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

func remoteIP(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		a, _ := netip.AddrFromSlice(ta.IP)
		return a.Unmap()
	}
	return netip.Addr{}
}

type countedConn struct {
	net.Conn
	once    sync.Once
	release func()

	// The session time limit (sessiontime.go): snap is the route as
	// the connection found it, clock fires at start+limit.
	snap  *routeSnap
	start time.Time
	limit time.Duration
	clock *time.Timer
	// mu guards what the clock reads: the session since the last EHLO,
	// the connection as go-smtp had it when none is (TLS after
	// STARTTLS), and whether the connection is closed.
	mu     sync.Mutex
	sess   *session
	w      net.Conn
	closed bool

	// handshake holds the client's highest TLS version while a STARTTLS
	// handshake has begun (its ClientHello read: handshakeBegun) and not
	// been seen to succeed; nil otherwise.
	handshake atomic.Pointer[string]
}

// handshakeBegun is the GetConfigForClient of a route's TLS
// configuration: it notes on the connection that a STARTTLS handshake
// has begun, and changes nothing of the configuration.
func handshakeBegun(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if cc := countedOf(hello.Conn); cc != nil {
		v := "none"
		if len(hello.SupportedVersions) > 0 {
			v = tls.VersionName(slices.Max(hello.SupportedVersions))
		}
		cc.handshake.Store(&v)
	}
	return nil, nil
}

// Write notices a STARTTLS handshake that failed. go-smtp answers it
// "550 5.0.0 Handshake error" in plaintext on this connection and tells
// the session nothing, so a certificate that expired, or a client that
// speaks only TLS 1.0 or 1.1, showed nowhere: no refusal counted (the
// documented stage starttls was never used), no log line. A TLS record
// never starts with an ASCII digit (its first byte is its content type,
// 20 to 24), so a reply line written while a handshake is pending means
// the handshake failed.
func (c *countedConn) Write(p []byte) (int, error) {
	if len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
		if v := c.handshake.Swap(nil); v != nil {
			c.handshakeFailed(*v)
		}
	}
	return c.Conn.Write(p)
}

// handshakeSucceeded clears the pending handshake: the session found the
// connection under TLS.
func (c *countedConn) handshakeSucceeded() { c.handshake.Store(nil) }

// handshakeFailed counts a failed STARTTLS handshake in
// smtp_rejects_total{stage="starttls",code="550"}, as the client was
// answered, and logs it at most once a second per client.
func (c *countedConn) handshakeFailed(clientMax string) {
	st := c.snap
	if st == nil {
		return
	}
	st.srv.Metrics.SMTPRejects.WithLabelValues(st.route.Name, metrics.StageStartTLS, "550").Inc()
	ip := remoteIP(c.Conn)
	if st.srv.tlsFailed.allowAddr(ip, time.Now()) {
		st.srv.Logger.Info("STARTTLS handshake failed: the client may go on without TLS, or give up", "route", st.route.Name,
			"client", ip.String(), "client_tls_max", clientMax)
	}
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		if c.clock != nil {
			c.clock.Stop()
		}
		c.release()
	})
	return c.Conn.Close()
}
