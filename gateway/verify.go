package gateway

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/gateway/deliver"
)

// verifier checks recipients with the next hop (an RCPT probe), caching
// answers for a short time so a burst for one mailbox costs one probe.
type verifier struct {
	log      *slog.Logger
	hop      config.Deliver
	hostname string
	ttl      time.Duration
	timeout  time.Duration
	// pause: after a probe that could not get an answer from the next
	// hop, the probes of the next pause answer 450 at once, without a
	// connection or a log line each. A next hop that is down must not
	// cost that per RCPT of every client (a dictionary attack on the
	// inbound route, say).
	pause time.Duration

	mu        sync.Mutex
	cache     map[string]verdict
	downUntil time.Time
	quiet     int // recipients answered without a probe since the last warning
}

type verdict struct {
	err *smtp.SMTPError // nil: exists
	at  time.Time
}

var errVerifyTemp = &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 1, 1}, Message: "Recipient address verification unavailable, try again later"}

func newVerifier(hop config.Deliver, hostname string, log *slog.Logger) *verifier {
	return &verifier{log: log, hop: hop, hostname: hostname, ttl: 5 * time.Minute, timeout: 15 * time.Second, pause: 10 * time.Second,
		cache: map[string]verdict{}}
}

func (v *verifier) check(addr string) *smtp.SMTPError {
	v.mu.Lock()
	if c, ok := v.cache[addr]; ok && time.Since(c.at) < v.ttl {
		v.mu.Unlock()
		return c.err
	}
	if time.Now().Before(v.downUntil) {
		v.quiet++
		v.mu.Unlock()
		return errVerifyTemp
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

// probe asks the next hop through the delivery package, so the probe
// uses the route's TLS mode (STARTTLS, implicit TLS, certificate checks)
// as its deliveries do: a next hop that insists on TLS would refuse a
// plaintext MAIL, and every recipient would then be deferred. A
// temporary failure is not cached.
func (v *verifier) probe(addr string) (*smtp.SMTPError, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	d := deliver.Dialer{ConnectTimeout: v.timeout, CommandTimeout: v.timeout, QuitTimeout: 2 * time.Second}
	res, err := d.Verify(ctx, v.hop, v.hostname, addr)
	switch {
	case err != nil:
		v.mu.Lock()
		v.downUntil = time.Now().Add(v.pause)
		quiet := v.quiet
		v.quiet = 0
		v.mu.Unlock()
		v.log.Warn("recipient verification failed", "next_hop", v.hop.To, "rcpt", addr, "err", err,
			"deferred_without_probe", quiet, "next_probe_in", v.pause)
		return errVerifyTemp, false
	case res.OK():
		return nil, true
	case unknownMailbox(res):
		return errNoSuchUser, true
	default:
		// A refusal that is not about the mailbox (5.7.x policy, relay
		// denied, STARTTLS wanted, no SMTPUTF8) says nothing about the
		// recipient: deferred, not cached.
		v.log.Info("recipient verification inconclusive", "next_hop", v.hop.To, "rcpt", addr, "reply", res.String())
		return errVerifyTemp, false
	}
}

// unknownMailbox reports a refusal of RCPT that says the mailbox does not
// exist: a 5.1.x enhanced code (RFC 3463: bad destination address), or,
// without one or with the unspecific 5.0.0, the 550, 551 and 553 replies
// RFC 5321 gives for it.
func unknownMailbox(r deliver.Result) bool {
	if !r.Permanent() {
		return false
	}
	if r.Enhanced != "" && r.Enhanced != "5.0.0" {
		return strings.HasPrefix(r.Enhanced, "5.1.")
	}
	return r.Code == 550 || r.Code == 551 || r.Code == 553
}
