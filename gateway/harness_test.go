package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
)

// testGateway is a whole gateway in the test process, wired as `mugai
// serve` wires it: real listeners on loopback, a real spool and
// quarantine on disk.
type testGateway struct {
	t      *testing.T
	dir    string
	cfg    *config.Config
	inst   *Instance
	srv    *Server
	sp     *spool.Spool
	q      *quarantine.Store
	m      *metrics.Metrics
	audit  string // path of the audit trail
	runner *Runner
	admin  string // host:port of the admin listener
	logs   *syncBuffer
	stop   func() // closes the instance (once; Cleanup calls it too)
}

// baseYAML is a one-route configuration; %DIR% and %NEXTHOP% are
// replaced, and extra is appended to the route.
const baseYAML = `
admin: {listen: "127.0.0.1:0"}
spool_dir: %DIR%/spool
quarantine: {dir: %DIR%/quarantine}
log: {audit: %DIR%/audit.log}
routes:
  - name: inbound
    listen: ["127.0.0.1:0"]
    hostname: gw.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: [lgwan.example]
    policy: default
    deliver: {to: "%NEXTHOP%", retry: {initial: 1s, max: 2s, lifetime: 1h}}
%EXTRA%
policies:
  default: {}
  relaxed:
    attachments:
      keep: [{extensions: [.pdf], types: [application/pdf]}]
`

// gatewayConfig loads baseYAML; repl are old/new pairs applied to it
// first, so tests change settings through the same loader admins use.
func gatewayConfig(t *testing.T, dir, nextHop, extra string, repl ...string) *config.Config {
	t.Helper()
	if nextHop == "" {
		nextHop = "maildir:" + filepath.Join(dir, "maildir")
	}
	y := strings.NewReplacer(repl...).Replace(baseYAML)
	y = strings.NewReplacer("%DIR%", dir, "%NEXTHOP%", nextHop, "%EXTRA%", extra).Replace(y)
	cfg, err := config.Parse(filepath.Join(dir, "mugai.yaml"), []byte(y))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	return cfg
}

// startGateway starts the gateway; deliver also starts the runner.
func startGateway(t *testing.T, cfg *config.Config, deliver bool) *testGateway {
	t.Helper()
	return startGatewayTemp(t, cfg, deliver, t.TempDir())
}

// startGatewayTemp is startGateway with large messages spilling to
// tempDir.
func startGatewayTemp(t *testing.T, cfg *config.Config, deliver bool, tempDir string) *testGateway {
	t.Helper()
	return startGatewayIn(t, cfg, deliver, tempDir, nil)
}

// startGatewayIn is startGatewayTemp with Open run through in (a
// network namespace's Do, so that the listeners are opened there); nil
// runs it here.
func startGatewayIn(t *testing.T, cfg *config.Config, deliver bool, tempDir string, in func(func() error) error) *testGateway {
	t.Helper()
	g := &testGateway{t: t, dir: filepath.Dir(cfg.File), cfg: cfg, logs: &syncBuffer{}, audit: cfg.Log.Audit}
	logger := slog.New(slog.NewTextHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if in == nil {
		in = func(f func() error) error { return f() }
	}
	var inst *Instance
	err := in(func() (err error) {
		inst, err = Open(cfg, InstanceOptions{Logger: logger, Version: "test", TempDir: tempDir, NoDelivery: !deliver})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	g.inst, g.srv, g.sp, g.q, g.m, g.runner = inst, inst.Server, inst.Spool, inst.Quarantine, inst.Metrics, inst.Runner
	g.admin = inst.AdminAddr.String()
	var once sync.Once
	g.stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			inst.Close(ctx)
		})
	}
	t.Cleanup(func() {
		g.stop()
		if t.Failed() {
			t.Logf("gateway log:\n%s", g.logs.String())
		}
	})
	return g
}

func (g *testGateway) addr(route string) string {
	return g.srv.Addrs()[route][0].String()
}

// dial opens an SMTP client session that has said EHLO.
func (g *testGateway) dial(route string) *smtp.Client {
	g.t.Helper()
	c, err := smtp.Dial(g.addr(route))
	if err != nil {
		g.t.Fatal(err)
	}
	if err := c.Hello("client.example"); err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { c.Close() })
	return c
}

// send runs one transaction and returns the final reply (code, text) or
// the first refusal.
func (g *testGateway) send(route, from string, to []string, msg string) (int, string) {
	g.t.Helper()
	c := g.dial(route)
	defer c.Close()
	return sendOn(c, from, to, msg)
}

func sendOn(c *smtp.Client, from string, to []string, msg string) (int, string) {
	if err := c.Mail(from, nil); err != nil {
		return smtpCode(err)
	}
	for _, rc := range to {
		if err := c.Rcpt(rc, nil); err != nil {
			return smtpCode(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpCode(err)
	}
	io.WriteString(w, msg)
	if err := w.Close(); err != nil {
		return smtpCode(err)
	}
	return 250, ""
}

func smtpCode(err error) (int, string) {
	if se, ok := err.(*smtp.SMTPError); ok {
		e := se.EnhancedCode
		return se.Code, fmt.Sprintf("%d %d.%d.%d %s", se.Code, e[0], e[1], e[2], se.Message)
	}
	return -1, err.Error()
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gw.lgwan.example"},
		DNSNames: []string{"gw.lgwan.example"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// readable decodes a rebuilt message for assertions: the decoded text of
// every text part, and the filenames of the attachments.
func readable(t *testing.T, raw string) (text string, files []string) {
	t.Helper()
	mr, err := mail.CreateReader(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("rebuilt message does not parse: %v", err)
	}
	var sb strings.Builder
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("rebuilt message does not parse: %v", err)
		}
		switch h := p.Header.(type) {
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			files = append(files, name)
		case *mail.InlineHeader:
			b, _ := io.ReadAll(p.Body)
			sb.Write(b)
		}
	}
	return sb.String(), files
}
