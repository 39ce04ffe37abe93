package gateway

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"mugai/gateway/internal/mtatest"
)

// SMTP smuggling (SEC Consult, December 2023; Postfix CVE-2023-51764):
// a message whose data holds an end of data that one server does not
// take as one and the next does ("\n.\r\n", "\r.\r\n", ...), followed by
// a second transaction. A relay that passes those bytes on unchanged
// lets a sender hand its next hop a message with any envelope and From,
// past every check the relay made: on this boundary, one that was never
// sanitised. mugai ends DATA only at CRLF.CRLF (go-smtp) and stores
// every line end as CRLF before anything is relayed, so the second
// transaction reaches the next hop as text of the first.

// smugglingEnds are the ends of data that some MTA takes and go-smtp
// does not.
var smugglingEnds = []struct{ name, end string }{
	{"LF-LF", "\n.\n"},
	{"LF-CRLF", "\n.\r\n"},
	{"CRLF-LF", "\r\n.\n"},
	{"CR-CRLF", "\r.\r\n"},
	{"CRLF-CR", "\r\n.\r"},
	{"CR-CR", "\r.\r"},
}

// smuggle is one transaction whose data carries a second one after end,
// for victim, from a sender of the LGWAN side.
func smuggle(to, victim, tag, end string) string {
	return "From: sender@internet.example\r\nTo: " + to + "\r\nSubject: carrier " + tag + "\r\n" +
		"Message-ID: <carrier-" + tag + "@internet.example>\r\n\r\nhello" + end +
		"MAIL FROM:<mayor@city.lgwan.example>\r\nRCPT TO:<" + victim + ">\r\nDATA\r\n" +
		"From: mayor@city.lgwan.example\r\nTo: " + victim + "\r\nSubject: smuggled " + tag + "\r\n" +
		"Message-ID: <smuggled-" + tag + "@city.lgwan.example>\r\n\r\npay the invoice https://evil.example/pay\r\n" +
		"\r\n.\r\n"
}

// rawTransaction sends MAIL and RCPT, then data in one write after DATA
// (data carries its own end), or as one BDAT LAST chunk, as a smuggling
// client does, and returns every reply to what follows up to QUIT's.
func rawTransaction(t *testing.T, addr, method, to, data string) []string {
	t.Helper()
	s := rawDial(t, addr)
	if r := s.reply(10 * time.Second); !strings.HasPrefix(r, "220") {
		t.Fatalf("greeting: %q", r)
	}
	s.cmd("EHLO client.internet.example")
	if r := s.cmd("MAIL FROM:<sender@internet.example>"); !strings.HasPrefix(r, "250") {
		t.Fatalf("MAIL: %q", r)
	}
	if r := s.cmd("RCPT TO:<" + to + ">"); !strings.HasPrefix(r, "250") {
		t.Fatalf("RCPT: %q", r)
	}
	if method == "bdat" {
		fmt.Fprintf(s.conn, "BDAT %d LAST\r\n%sQUIT\r\n", len(data), data)
	} else {
		if r := s.cmd("DATA"); !strings.HasPrefix(r, "354") {
			t.Fatalf("DATA: %q", r)
		}
		fmt.Fprint(s.conn, data+"QUIT\r\n")
	}
	var replies []string
	for {
		r := s.reply(10 * time.Second)
		replies = append(replies, r)
		if strings.HasPrefix(r, "221") || strings.HasPrefix(r, "ERR") || len(replies) > 10 {
			return replies
		}
	}
}

// smugglingRoutes are the two kinds of route a smuggled transaction
// may cross: one that rebuilds, one that passes messages on.
var smugglingRoutes = []struct {
	name, domain string
	sanitised    bool
}{
	{"inbound", "lgwan.example", true},
	{"outbound", "internet.example", false},
}

var smugglingMethods = []string{"data", "bdat"}

// smuggleThrough starts a gateway whose routes deliver to nextHop and
// sends it one smuggling transaction per route, end of data and way of
// sending (DATA, and BDAT, whose data mugai relays with DATA): the
// client must get one reply to its data. It returns when mugai's queue
// is empty. The tags, which the recipients carry, are
// ROUTE-METHOD-END.
func smuggleThrough(t *testing.T, nextHop string) {
	t.Helper()
	dir := t.TempDir()
	outbound := `  - name: outbound
    listen: ["127.0.0.1:0"]
    hostname: out.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: ["*"]
    policy: none
    deliver: {to: "` + nextHop + `", retry: {initial: 1s, max: 2s, lifetime: 1h}}`
	g := startGateway(t, gatewayConfig(t, dir, nextHop, outbound), true)
	for _, rt := range smugglingRoutes {
		for _, method := range smugglingMethods {
			for _, e := range smugglingEnds {
				tag := rt.name + "-" + method + "-" + e.name
				to, victim := "user-"+tag+"@"+rt.domain, "victim-"+tag+"@"+rt.domain
				replies := rawTransaction(t, g.addr(rt.name), method, to, smuggle(to, victim, tag, e.end))
				if len(replies) != 2 || !strings.HasPrefix(replies[0], "250 2.0.0 Ok: queued as") || !strings.HasPrefix(replies[1], "221") {
					t.Errorf("%s: replies after the data %q, want one 250 and QUIT's 221", tag, replies)
				}
			}
		}
	}
	waitFor(t, "mugai's queue to empty", pfWait, func() bool { return len(g.sp.List()) == 0 })
}

// carriesSmuggled checks that a delivered message holds the smuggled
// transaction as text.
func carriesSmuggled(t *testing.T, tag string, data []byte, sanitised bool) {
	t.Helper()
	if sanitised {
		text, _ := readable(t, string(data))
		data = []byte(text)
	}
	for _, want := range []string{"MAIL FROM:<mayor@city.lgwan.example>", "Subject: smuggled " + tag} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("%s: the delivered message does not carry the second transaction as text (%q):\n%s", tag, want, data)
		}
	}
}

// TestSMTPSmuggling: each smuggling end of data, sent straight to a real
// Postfix, and through mugai's sanitising and pass-through routes to the
// same Postfix. Sent straight, Postfix (3.7 as Debian ships it,
// smtpd_forbid_bare_newline=no) takes some of them as two messages: the
// next hop is one smuggling works against. Through mugai the client gets
// one reply to its data, the recipient one message holding the second
// transaction as text, the victim nothing.
func TestSMTPSmuggling(t *testing.T) {
	p := mtatest.StartPostfix(t, mtatest.PostfixOptions{
		Port:           mtatest.FreePort(t),
		MailboxDomains: []string{"lgwan.example", "internet.example"},
	})
	// Straight to Postfix: which ends does it split at?
	for _, e := range smugglingEnds {
		tag := "direct-" + e.name
		rawTransaction(t, p.Addr(), "data", "user@internet.example", smuggle("user@internet.example", "victim-"+tag+"@internet.example", tag, e.end))
	}
	p.WaitQueueEmpty(t, pfWait)
	var split []string
	for _, e := range smugglingEnds {
		if len(p.Delivered(t, "victim-direct-"+e.name+"@internet.example")) > 0 {
			split = append(split, e.name)
		}
	}
	t.Logf("Postfix on its own takes a second message after %v", split)

	smuggleThrough(t, "smtp://"+p.Addr())
	p.WaitQueueEmpty(t, pfWait)
	for _, rt := range smugglingRoutes {
		for _, method := range smugglingMethods {
			for _, e := range smugglingEnds {
				tag := rt.name + "-" + method + "-" + e.name
				msgs := p.Delivered(t, "user-"+tag+"@"+rt.domain)
				if len(msgs) != 1 {
					t.Errorf("%s: %d messages for the recipient, want 1", tag, len(msgs))
					continue
				}
				carriesSmuggled(t, tag, msgs[0].Data, rt.sanitised)
				if d := p.Delivered(t, "victim-"+tag+"@"+rt.domain); len(d) != 0 {
					t.Errorf("%s: the victim got %d smuggled messages through mugai:\n%s", tag, len(d), d[0].Data)
				}
			}
		}
	}
}

// TestSMTPSmugglingWire: what mugai puts on the wire for the smuggling
// transactions, as a go-smtp next hop reads it (line ends as sent): one
// transaction each, every line end CRLF. Postfix cannot show this: it
// turns a bare CR into a space, while other MTAs take it as a line end,
// so "\r.\r\n" passed on would end the data there.
func TestSMTPSmugglingWire(t *testing.T) {
	s := startSink(t, false)
	smuggleThrough(t, "smtp://"+s.addr)
	msgs := s.messages()
	if want := len(smugglingRoutes) * len(smugglingMethods) * len(smugglingEnds); len(msgs) != want {
		t.Errorf("the next hop got %d messages, want %d", len(msgs), want)
	}
	for _, m := range msgs {
		if len(m.To) != 1 || !strings.HasPrefix(m.To[0], "user-") || m.From != "sender@internet.example" {
			t.Errorf("a transaction from %s to %q reached the next hop", m.From, m.To)
			continue
		}
		tag, _, _ := strings.Cut(strings.TrimPrefix(m.To[0], "user-"), "@")
		if cr, lf, crlf := bytes.Count(m.Data, []byte("\r")), bytes.Count(m.Data, []byte("\n")), bytes.Count(m.Data, []byte("\r\n")); cr != crlf || lf != crlf {
			t.Errorf("%s: bare line ends on the wire (%d CR, %d LF, %d CRLF):\n%q", tag, cr, lf, crlf, m.Data)
		}
		carriesSmuggled(t, tag, m.Data, strings.HasPrefix(tag, "inbound"))
	}
}
