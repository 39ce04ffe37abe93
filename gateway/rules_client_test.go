package gateway

import (
	"net"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestRuleClients: a rule with clients picks its policy only for mail
// from those networks. The envelope sender alone is anyone's to write;
// the sending server's address is not.
func TestRuleClients(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", `rules:
  - name: prefecture
    match: {sender_domain: [pref.example.lg.jp], clients: [127.0.0.8/29]}
    policy: relaxed
`)
	g := startGateway(t, cfg, false)
	const msg = "From: a@pref.example.lg.jp\r\nTo: kikaku@lgwan.example\r\nSubject: x\r\n\r\nhttps://pref.example.lg.jp/a\r\n"
	for _, tt := range []struct {
		src, from, want string
	}{
		{"127.0.0.9", "a@pref.example.lg.jp", "relaxed"},
		{"127.0.0.1", "a@pref.example.lg.jp", "default"}, // the sender forged from elsewhere
		{"127.0.0.9", "a@other.example", "default"},
	} {
		d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(tt.src)}}
		conn, err := d.Dial("tcp", g.addr("inbound"))
		if err != nil {
			t.Fatal(err)
		}
		c := smtp.NewClient(conn)
		if err := c.Hello("client.example"); err != nil {
			t.Fatal(err)
		}
		if code, text := sendOn(c, tt.from, []string{"kikaku@lgwan.example"}, msg); code != 250 {
			t.Fatalf("from %s as %s: %s", tt.src, tt.from, text)
		}
		c.Close()
		var rec *AuditRecord
		for _, r := range readAudit(t, g.audit) {
			if r.Event == "accept" && r.Client == tt.src && r.Sender == tt.from {
				rec = &r
			}
		}
		if rec == nil || rec.Policy != tt.want {
			t.Errorf("from %s as %s: accept record %+v, want policy %s", tt.src, tt.from, rec, tt.want)
		}
	}
}
