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
	"mugai/gateway/metrics"
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

	// count counts every answer by result (a Verify* constant of
	// package metrics), so operators see both the load on the next hop
	// and a dictionary attack being held off.
	count func(result string)
	// plaintext is told of each probe that went on in the clear though
	// the next hop offered STARTTLS (tls: opportunistic): the
	// recipient's address crossed unencrypted, as a delivery's would.
	plaintext func(why string)

	mu        sync.Mutex
	cache     map[string]verdict
	downUntil time.Time
	quiet     int // recipients answered without a probe since the last warning
	// The probe budget: each probe is a whole SMTP session with the
	// LGWAN mail server, started by one RCPT of any client the route
	// accepts. Past probeRate a second (probeBurst at once, probeMax
	// open together) a new recipient is deferred without a probe.
	tokens   float64
	refilled time.Time
	open     int
	limited  int       // recipients deferred over budget since the last warning
	warned   time.Time // the last warning of it
}

const (
	probeRate  = 10 // probes a second, sustained
	probeBurst = 30
	probeMax   = 8 // probes open at once
)

type verdict struct {
	err *smtp.SMTPError // nil: exists
	at  time.Time
}

var (
	errVerifyTemp = &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 1, 1}, Message: "Recipient address verification unavailable, try again later"}
	errVerifyBusy = &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 4, 5}, Message: "Too many recipient verifications, try again later"}
)

func newVerifier(hop config.Deliver, hostname string, log *slog.Logger, count func(result string), plaintext func(why string)) *verifier {
	return &verifier{log: log, hop: hop, hostname: hostname, ttl: 5 * time.Minute, timeout: 15 * time.Second, pause: 10 * time.Second,
		cache: map[string]verdict{}, count: count, plaintext: plaintext, tokens: probeBurst}
}

func (v *verifier) check(addr string) *smtp.SMTPError {
	now := time.Now()
	v.mu.Lock()
	if c, ok := v.cache[addr]; ok && now.Sub(c.at) < v.ttl {
		v.mu.Unlock()
		v.count(metrics.VerifyCached)
		return c.err
	}
	if now.Before(v.downUntil) {
		v.quiet++
		v.mu.Unlock()
		v.count(metrics.VerifyNextHopDown)
		return errVerifyTemp
	}
	if !v.take(now) {
		v.limited++
		limited := v.limited
		warn := now.Sub(v.warned) >= time.Minute
		if warn {
			v.warned, v.limited = now, 0
		}
		v.mu.Unlock()
		if warn {
			// Once a minute, not per RCPT: the log of an attack must
			// not grow with it. The counter has every one.
			v.log.Warn("recipient verification over budget: new recipients deferred without a probe",
				"next_hop", v.hop.To, "deferred", limited, "probes_per_second", probeRate, "probes_open_max", probeMax)
		}
		v.count(metrics.VerifyRateLimited)
		return errVerifyBusy
	}
	v.open++
	v.mu.Unlock()
	err, cacheable, result := v.probe(addr)
	v.count(result)
	v.mu.Lock()
	v.open--
	if cacheable {
		if len(v.cache) > 100000 {
			clear(v.cache) // bounded: a dictionary attack must not grow memory
		}
		v.cache[addr] = verdict{err: err, at: time.Now()}
	}
	v.mu.Unlock()
	return err
}

// take spends a probe from the budget, if there is one. v.mu is held.
func (v *verifier) take(now time.Time) bool {
	if !v.refilled.IsZero() {
		v.tokens = min(probeBurst, v.tokens+now.Sub(v.refilled).Seconds()*probeRate)
	}
	v.refilled = now
	if v.open >= probeMax || v.tokens < 1 {
		return false
	}
	v.tokens--
	return true
}

// probe asks the next hop through the delivery package, so the probe
// uses the route's TLS mode (STARTTLS, implicit TLS, certificate checks)
// as its deliveries do: a next hop that insists on TLS would refuse a
// plaintext MAIL, and every recipient would then be deferred. A
// temporary failure is not cached.
func (v *verifier) probe(addr string) (serr *smtp.SMTPError, cacheable bool, result string) {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	d := deliver.Dialer{ConnectTimeout: v.timeout, CommandTimeout: v.timeout, QuitTimeout: 2 * time.Second, Plaintext: v.plaintext}
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
		return errVerifyTemp, false, metrics.VerifyFailed
	case res.OK():
		return nil, true, metrics.VerifyExists
	case unknownMailbox(res):
		return errNoSuchUser, true, metrics.VerifyNoSuchUser
	default:
		// A refusal that is not about the mailbox (5.7.x policy, relay
		// denied, STARTTLS wanted, no SMTPUTF8) says nothing about the
		// recipient: deferred, not cached.
		v.log.Info("recipient verification inconclusive", "next_hop", v.hop.To, "rcpt", addr, "reply", res.String())
		return errVerifyTemp, false, metrics.VerifyInconclusive
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
