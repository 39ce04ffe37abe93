package gateway

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"time"
)

// sink is a next hop in the test: a go-smtp server (or LMTP server)
// that records every message it accepts, and can be told to refuse.
type sink struct {
	srv  *smtp.Server
	ln   net.Listener
	addr string

	mu       sync.Mutex
	msgs     []sinkMsg
	conns    int
	rcptCode map[string]int             // reply to RCPT for an address (0 = accept)
	rcptErr  map[string]*smtp.SMTPError // or this whole reply
	dataCode map[string]int             // LMTP: per-recipient reply to DATA
	tempFail bool                       // answer 451 to every MAIL
	// requireTLS refuses MAIL on a connection without TLS, as Postfix
	// does with smtpd_tls_security_level = encrypt.
	requireTLS bool
	// dataDelay holds the reply to each message's end of data: a next
	// hop slow to take it.
	dataDelay time.Duration
}

type sinkMsg struct {
	From string
	To   []string
	Data []byte
	TLS  bool // came over TLS
}

func startSink(t *testing.T, lmtp bool) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startSinkOn(t, ln, lmtp)
}

// startSinkOn serves a sink on ln; each setup runs before it serves.
func startSinkOn(t *testing.T, ln net.Listener, lmtp bool, setup ...func(*sink)) *sink {
	s := &sink{ln: ln, addr: ln.Addr().String(), rcptCode: map[string]int{}, rcptErr: map[string]*smtp.SMTPError{}, dataCode: map[string]int{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		return &sinkSession{s: s, c: c}, nil
	}))
	s.srv.Domain = "sink.lgwan.example"
	s.srv.LMTP = lmtp
	for _, f := range setup {
		f(s)
	}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) messages() []sinkMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkMsg(nil), s.msgs...)
}

type sinkSession struct {
	s    *sink
	c    *smtp.Conn
	from string
	to   []string
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.tempFail {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	}
	if _, isTLS := ss.c.TLSConnectionState(); ss.s.requireTLS && !isTLS {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	ss.from = from
	return nil
}
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	code, rerr := ss.s.rcptCode[to], ss.s.rcptErr[to]
	ss.s.mu.Unlock()
	if rerr != nil {
		return rerr
	}
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "no such user here"}
	}
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	delay := ss.s.dataDelay
	ss.s.mu.Unlock()
	time.Sleep(delay)
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	var ok []string
	for _, rc := range ss.to {
		if ss.s.dataCode[rc] == 0 {
			ok = append(ok, rc)
		}
	}
	if len(ok) > 0 {
		_, isTLS := ss.c.TLSConnectionState()
		ss.s.msgs = append(ss.s.msgs, sinkMsg{From: ss.from, To: ok, Data: bytes.Clone(b), TLS: isTLS})
	}
	return nil
}

// LMTPData gives each recipient its own reply.
func (ss *sinkSession) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	if err := ss.Data(r); err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	for _, rc := range ss.to {
		if code := ss.s.dataCode[rc]; code != 0 {
			status.SetStatus(rc, &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 2, 2}, Message: "mailbox full"})
		} else {
			status.SetStatus(rc, nil)
		}
	}
	return nil
}
