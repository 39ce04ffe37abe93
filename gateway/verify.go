package gateway

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/config"
)

// verifier checks recipients with the next hop (an RCPT probe), caching
// answers for a short time so a burst for one mailbox costs one probe.
type verifier struct {
	hop      config.Deliver
	hostname string
	ttl      time.Duration
	timeout  time.Duration

	mu    sync.Mutex
	cache map[string]verdict
}

type verdict struct {
	err *smtp.SMTPError // nil: exists
	at  time.Time
}

var errVerifyTemp = &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 1, 1}, Message: "Recipient address verification unavailable, try again later"}

func newVerifier(hop config.Deliver, hostname string) *verifier {
	return &verifier{hop: hop, hostname: hostname, ttl: 5 * time.Minute, timeout: 15 * time.Second, cache: map[string]verdict{}}
}

func (v *verifier) check(addr string) *smtp.SMTPError {
	v.mu.Lock()
	if c, ok := v.cache[addr]; ok && time.Since(c.at) < v.ttl {
		v.mu.Unlock()
		return c.err
	}
	v.mu.Unlock()
	err, cacheable := v.probe(addr)
	if cacheable {
		v.mu.Lock()
		if len(v.cache) > 100000 {
			clear(v.cache) // bounded: a dictionary attack must not grow memory
		}
		v.cache[addr] = verdict{err: err, at: time.Now()}
		v.mu.Unlock()
	}
	return err
}

// probe asks the next hop; a temporary failure is not cached.
func (v *verifier) probe(addr string) (*smtp.SMTPError, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	var d net.Dialer
	network, target := "tcp", v.hop.URL.Addr
	if v.hop.URL.Scheme == "lmtp+unix" {
		network, target = "unix", v.hop.URL.Path
	}
	conn, err := d.DialContext(ctx, network, target)
	if err != nil {
		return errVerifyTemp, false
	}
	conn.SetDeadline(time.Now().Add(v.timeout))
	var c *smtp.Client
	if v.hop.URL.Scheme == "lmtp" || v.hop.URL.Scheme == "lmtp+unix" {
		c = smtp.NewClientLMTP(conn)
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if err := c.Hello(v.hostname); err != nil {
		return errVerifyTemp, false
	}
	if err := c.Mail("", nil); err != nil {
		return errVerifyTemp, false
	}
	err = c.Rcpt(addr, nil)
	c.Reset()
	c.Quit()
	if err == nil {
		return nil, true
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return errNoSuchUser, true
	}
	return errVerifyTemp, false
}
