package gateway

import (
	"bytes"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/internal/mtatest"
)

// policySplitRules give the tax office (zeimu@) a stricter policy than
// the route's: links removed, not defanged.
const policySplitRules = `rules:
  - name: zeimu
    match: {recipient: [zeimu@lgwan.example]}
    policy: strict
`

var policySplitRepl = []string{"  default: {}\n", "  default: {}\n  strict:\n    body: {links: remove}\n"}

// TestPolicySplit: a message takes only recipients whose mail the rules
// check under one policy. A recipient under another gets 452 4.5.3 and
// is sent in a message of its own, so that adding a recipient the rule
// does not name does not move the tax office's mail to the route's
// policy, nor the other way round.
func TestPolicySplit(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", policySplitRules, policySplitRepl...), false)
	const msg = "From: a@internet.example\r\nSubject: x\r\n\r\nhttps://evil.example/a\r\n"
	for i, tt := range []struct {
		to       []string
		accepted []string
		policy   string
		deferred string // refused with 452 4.5.3, under this policy
	}{
		{[]string{"zeimu@lgwan.example", "somu@lgwan.example"}, []string{"zeimu@lgwan.example"}, "strict", "default"},
		{[]string{"somu@lgwan.example", "zeimu@lgwan.example", "kikaku@lgwan.example"}, []string{"somu@lgwan.example", "kikaku@lgwan.example"}, "default", "strict"},
		{[]string{"somu@lgwan.example", "kikaku@lgwan.example"}, []string{"somu@lgwan.example", "kikaku@lgwan.example"}, "default", ""},
	} {
		c := g.dial("inbound")
		if err := c.Mail("a@internet.example", nil); err != nil {
			t.Fatal(err)
		}
		for _, rc := range tt.to {
			err := c.Rcpt(rc, nil)
			code, text := 250, ""
			if err != nil {
				code, text = smtpCode(err)
			}
			want := 250
			if !slices.Contains(tt.accepted, rc) {
				want = 452
				if !strings.HasPrefix(text, "452 4.5.3 Too many recipients: this one's mail is checked under another policy") {
					t.Errorf("%d: RCPT %s: %q, want 452 4.5.3 saying why", i, rc, text)
				}
			}
			if code != want {
				t.Errorf("%d: RCPT %s: %d %s, want %d", i, rc, code, text, want)
			}
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(msg))
		if err := w.Close(); err != nil {
			t.Fatalf("%d: DATA: %v", i, err)
		}
		c.Close()
		var rec *AuditRecord
		waitFor(t, "the accept record", 5*time.Second, func() bool {
			n := 0
			for _, r := range readAudit(t, g.audit) {
				if r.Event == "accept" {
					if n == i {
						rec = &r
						return true
					}
					n++
				}
			}
			return false
		})
		if rec.Policy != tt.policy || !slices.Equal(rec.Rcpts, tt.accepted) {
			t.Errorf("%d: accept record: policy %q, recipients %q; want %q, %q", i, rec.Policy, rec.Rcpts, tt.policy, tt.accepted)
		}
		if tt.deferred != "" && (len(rec.Refused) != 1 || rec.Refused[0].Code != 452 || rec.Refused[0].Status != "4.5.3" || rec.Refused[0].Policy != tt.deferred) {
			t.Errorf("%d: refused in the record: %+v, want one 452 4.5.3 under policy %s", i, rec.Refused, tt.deferred)
		}
	}
	if v := testutil.ToFloat64(g.m.RecipientsPolicySplit.WithLabelValues("inbound")); v != 2 {
		t.Errorf("mugai_smtp_recipients_policy_split_total = %v, want 2", v)
	}
}

// TestPostfixPolicySplit: Postfix, sending one message to the tax
// office and another office, takes the 452 4.5.3 for the second and
// sends it again on its own: each office gets the message under its own
// policy, the tax office's links removed, the other's defanged.
func TestPostfixPolicySplit(t *testing.T) {
	mtatest.Require(t, "postfix", "sendmail")
	nh := startSink(t, false)
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, policySplitRules, policySplitRepl...), true)
	p := mtatest.StartPostfix(t, mtatest.PostfixOptions{RelayHost: g.addr("inbound")})

	const msgID = "<pf-split-1@internet.example>"
	msg := "From: billing@internet.example\r\nTo: zeimu@lgwan.example, somu@lgwan.example\r\nSubject: split\r\nMessage-ID: " + msgID + "\r\n\r\nsee https://evil.example/pay\r\n"
	p.Sendmail(t, "billing@internet.example", []string{"zeimu@lgwan.example", "somu@lgwan.example"}, []byte(msg))
	qid := p.QueueID(t, msgID, pfWait)
	// Postfix sends its recipients in its own order: the second gets
	// the 452, and is sent again (after its 1 s backoff here).
	p.WaitLog(t, regexp.QuoteMeta(qid)+`: to=<(somu|zeimu)@lgwan\.example>, .*dsn=4\.5\.3, status=deferred \(.*452 4\.5\.3 Too many recipients: this one's mail is checked under another policy`, pfWait)
	for _, rc := range []string{"somu", "zeimu"} {
		p.WaitLog(t, regexp.QuoteMeta(qid)+`: to=<`+rc+`@lgwan\.example>, .*status=sent \(250 `, pfWait)
	}
	p.WaitQueueEmpty(t, pfWait)
	waitFor(t, "two messages at mugai's next hop", pfWait, func() bool { return len(nh.messages()) == 2 })
	for _, m := range nh.messages() {
		e, err := message.Read(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatalf("delivered message does not parse: %v", err)
		}
		text, _ := io.ReadAll(e.Body)
		body := e.Header.Get("X-Mugai-Policy") + "\n" + string(text)
		switch strings.Join(m.To, ",") {
		case "zeimu@lgwan.example":
			if !strings.HasPrefix(body, "strict\n") || !strings.Contains(body, "[リンク削除]") || strings.Contains(body, "evil") {
				t.Errorf("the tax office's message is not under policy strict:\n%s", body)
			}
		case "somu@lgwan.example":
			if !strings.HasPrefix(body, "default\n") || !strings.Contains(body, "hxxps://evil[.]example/pay") {
				t.Errorf("somu's message is not under policy default:\n%s", body)
			}
		default:
			t.Errorf("a message to %q", m.To)
		}
	}
}
