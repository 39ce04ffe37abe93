package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// A STARTTLS handshake that fails (the client does not trust the
// certificate, which is what an expired one looks like to a sender that
// checks; a client that speaks only TLS 1.1) is answered by go-smtp with
// "550 5.0.0 Handshake error", and nothing was counted or logged: the
// refusals panel, which the MugaiNoMailDuringOfficeHours runbook points
// to for an expired certificate, showed nothing, and the documented
// stage starttls of smtp_rejects_total was never used. Now each is
// counted there with the code the client got, and logged.
func TestStartTLSHandshakeFailureCounted(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	cfg := gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: default\n    tls: {cert: "+cert+", key: "+key+"}\n")
	g := startGateway(t, cfg, false)
	const series = `mugai_smtp_rejects_total{code="550",route="inbound",stage="starttls"}`
	if v, ok := scrape(t, "http://"+g.admin+"/metrics")[series]; !ok || v != 0 {
		t.Fatalf("%s = %v (on the page: %v), want 0 from the start", series, v, ok)
	}
	tests := []struct {
		name    string
		tls     *tls.Config
		failed  float64 // the count after the attempt
		logLine string  // a part of the log line; "" none
	}{
		{"certificate not trusted", &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "gw.lgwan.example"}, 1, `client_tls_max="TLS 1.3"`},
		{"TLS 1.1 only", &tls.Config{RootCAs: pool, ServerName: "gw.lgwan.example", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, 2, `client_tls_max="TLS 1.1"`},
		{"handshake succeeds", &tls.Config{RootCAs: pool, ServerName: "gw.lgwan.example"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := strings.Count(g.logs.String(), "STARTTLS handshake failed")
			time.Sleep(1100 * time.Millisecond) // the log's once a second per client
			// The handshake happens at the client's first write.
			c, err := smtp.DialStartTLS(g.addr("inbound"), tt.tls)
			if err == nil {
				if code, text := sendOn(c, "a@example.jp", []string{"s@lgwan.example"}, "Subject: tls\r\n\r\nhello\r\n"); code != 250 {
					err = errors.New(text)
				}
				c.Close()
			}
			if (err != nil) != (tt.logLine != "") {
				t.Fatalf("STARTTLS and a message: %v", err)
			}
			waitFor(t, "the count", 5*time.Second, func() bool {
				return scrape(t, "http://"+g.admin+"/metrics")[series] == tt.failed
			})
			time.Sleep(100 * time.Millisecond) // a count too many would come now
			if v := scrape(t, "http://"+g.admin+"/metrics")[series]; v != tt.failed {
				t.Errorf("%s = %v, want %v", series, v, tt.failed)
			}
			logs := g.logs.String()
			after := strings.Count(logs, "STARTTLS handshake failed")
			switch {
			case tt.logLine == "" && after != before:
				t.Errorf("a successful handshake was logged as failed:\n%s", logs)
			case tt.logLine != "" && (after != before+1 || !strings.Contains(logs, tt.logLine)):
				t.Errorf("log lines %d→%d, want one more with %q:\n%s", before, after, tt.logLine, logs)
			}
		})
	}
}
