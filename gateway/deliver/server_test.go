package deliver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/config"
)

// received is one message as the test server got it.
type received struct {
	From  string
	Rcpts []string
	Data  []byte
	Helo  string
	TLS   bool
}

// hookFunc lets a test answer a command: stage is MAIL, RCPT, DATA-START
// (before the body is read) or DATA (after), addr the sender or recipient.
// Returning errHangup closes the connection.
type hookFunc func(stage, addr string) error

var errHangup = errors.New("test: hang up")

// testServer is a go-smtp server on 127.0.0.1:0 with a recording backend.
type testServer struct {
	srv   *smtp.Server
	addr  string
	conns atomic.Int32 // accepted connections

	mu   sync.Mutex
	msgs []received
	hook hookFunc
	// lmtpStatus answers a recipient at DATA in LMTP mode (nil: accept).
	lmtpStatus func(rcpt string) error
	discard    bool // count messages, keep nothing (benchmarks)
	count      atomic.Int64
}

type serverOpt func(*testServer)

func withTLS(cert tls.Certificate) serverOpt {
	return func(s *testServer) { s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} }
}

func withLMTP() serverOpt { return func(s *testServer) { s.srv.LMTP = true } }

func withDiscard() serverOpt { return func(s *testServer) { s.discard = true } }

func startServer(t testing.TB, opts ...serverOpt) *testServer {
	return startServerOn(t, "tcp", "127.0.0.1:0", false, opts...)
}

// startServerOn listens on network/addr; implicitTLS wraps the listener
// (smtps) with the server's TLSConfig.
func startServerOn(t testing.TB, network, addr string, implicitTLS bool, opts ...serverOpt) *testServer {
	t.Helper()
	s := &testServer{}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.test"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.ErrorLog = nopLogger{}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	if implicitTLS {
		ln = tls.NewListener(ln, s.srv.TLSConfig)
		s.srv.TLSConfig = nil // no STARTTLS inside TLS
	}
	s.addr = ln.Addr().String()
	go s.srv.Serve(&countingListener{Listener: ln, n: &s.conns})
	t.Cleanup(func() { s.srv.Close() })
	return s
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}
func (nopLogger) Println(...interface{})        {}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func (s *testServer) setHook(h hookFunc) {
	s.mu.Lock()
	s.hook = h
	s.mu.Unlock()
}

func (s *testServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *testServer) call(stage, addr string, c *smtp.Conn) error {
	s.mu.Lock()
	h := s.hook
	s.mu.Unlock()
	if h == nil {
		return nil
	}
	err := h(stage, addr)
	if errors.Is(err, errHangup) {
		c.Close()
	}
	return err
}

func (s *testServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &testSession{s: s, c: c}, nil
}

type testSession struct {
	s    *testServer
	c    *smtp.Conn
	from string
	to   []string
}

func (ss *testSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *testSession) Logout() error { return nil }

func (ss *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if err := ss.s.call("MAIL", from, ss.c); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.call("RCPT", to, ss.c); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *testSession) Data(r io.Reader) error {
	if err := ss.s.call("DATA-START", ss.from, ss.c); err != nil {
		return err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.s.call("DATA", ss.from, ss.c); err != nil {
		return err
	}
	ss.record(b, ss.to)
	return nil
}

func (ss *testSession) record(b []byte, rcpts []string) {
	ss.s.count.Add(1)
	if ss.s.discard {
		return
	}
	_, isTLS := ss.c.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, received{From: ss.from, Rcpts: rcpts, Data: b, Helo: ss.c.Hostname(), TLS: isTLS})
	ss.s.mu.Unlock()
}

// LMTPData answers each recipient with lmtpStatus and records the message
// for the accepted ones.
func (ss *testSession) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.s.call("DATA", ss.from, ss.c); err != nil {
		return err
	}
	// Record first: the replies go out as soon as a status is set.
	var ok []string
	st := make([]error, len(ss.to))
	for i, rc := range ss.to {
		if f := ss.s.lmtpStatus; f != nil {
			st[i] = f(rc)
		}
		if st[i] == nil {
			ok = append(ok, rc)
		}
	}
	ss.record(b, ok)
	for i, rc := range ss.to {
		status.SetStatus(rc, st[i])
	}
	return nil
}

func smtpErr(code int, enh smtp.EnhancedCode, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

// hop builds a parsed config.Deliver the way config.Load would.
func hop(scheme, addr, tlsMode string) config.Deliver {
	d := config.Deliver{To: scheme + "://" + addr, TLS: tlsMode, URL: config.NextHop{Scheme: scheme, Addr: addr}}
	if scheme == "lmtp+unix" || scheme == "maildir" {
		d.URL.Addr, d.URL.Path = "", addr
	}
	return d
}

// testCA is a CA and a server certificate for 127.0.0.1 it signed.
type testCA struct {
	certPEM []byte // the CA certificate
	server  tls.Certificate
}

func newTestCA(t testing.TB, name string) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name + " test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		server:  tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
	}
}

// file writes the CA certificate where a ca_file would be.
func (ca testCA) file(t testing.TB) string {
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, ca.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
