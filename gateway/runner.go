package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"mugai/config"
	"mugai/gateway/deliver"
	"mugai/gateway/metrics"
	"mugai/gateway/spool"
)

// bounceSuffix names the pseudo-route that carries a route's delivery
// status notifications to its bounces target. Route names cannot hold a
// slash, so it never collides with a configured route.
const bounceSuffix = "/bounces"

// Runner is the delivery side: per route, a bounded pool of workers that
// each keep one connection to the route's next hop and send message
// after message on it.
type Runner struct {
	srv *Server
	wg  sync.WaitGroup

	// gaugeMu serialises updateGauges, which keeps in orphans the routes
	// no longer configured that it set queue series for (orphanRoutes).
	gaugeMu sync.Mutex
	orphans map[string]bool

	// hops is the dead-destination cache (suspend.go).
	hops hopCache
}

// Wait returns when every worker has stopped (after ctx is cancelled).
func (r *Runner) Wait() { r.wg.Wait() }

// StartDelivery starts the workers; they load whatever the spool holds
// (crash recovery) and then take new messages as they are queued.
func (s *Server) StartDelivery(ctx context.Context) *Runner {
	r := &Runner{srv: s}
	s.runner.Store(r)
	cfg := s.cfg.Load()
	s.warnOrphanedQueue(cfg)
	for i := range cfg.Routes {
		route := cfg.Routes[i].Name
		n := cfg.Routes[i].Deliver.Connections
		for w := 0; w < n; w++ {
			r.wg.Add(1)
			go func() { defer r.wg.Done(); r.worker(ctx, route, false) }()
		}
		// Every route has a worker for its notices, with bounces or
		// not: a reload may give it a target (hop reads it at each
		// message), and a notice queued then must find a worker.
		r.wg.Add(1)
		go func() { defer r.wg.Done(); r.worker(ctx, route, true) }()
	}
	r.wg.Add(1)
	go func() { defer r.wg.Done(); r.gauges(ctx) }()
	return r
}

// warnOrphanedQueue says, in one warning, how many queued messages name
// a route cfg does not have (removed or renamed, which a restart
// applies): no worker delivers them. Their senders had a 250; the
// operator must know, as for the originals of such a route
// (updateOrphans). The queue gauges count them under that route.
func (s *Server) warnOrphanedQueue(cfg *config.Config) {
	n, routes := 0, map[string]bool{}
	for _, m := range s.Spool.List() {
		route, _, _ := strings.Cut(m.Env.Route, "/")
		if cfg.Route(route) == nil {
			n++
			routes[route] = true
		}
	}
	if n == 0 {
		return
	}
	names := make([]string, 0, len(routes))
	for r := range routes {
		names = append(names, r)
	}
	slices.Sort(names)
	s.Logger.Warn("queued messages of routes no longer configured are not delivered; configure the route again under its old name and restart to deliver them, "+
		"or delete them (mugai queue list shows them; mugai queue delete)", "messages", n, "routes", names)
}

// hop returns the current next hop of a route (a reload may change it).
func (r *Runner) hop(route string, bounce bool) (*config.Route, config.Deliver, bool) {
	rt := r.srv.cfg.Load().Route(route)
	if rt == nil {
		return nil, config.Deliver{}, false
	}
	if bounce {
		if rt.Bounces == nil {
			return rt, config.Deliver{}, false
		}
		return rt, *rt.Bounces, true
	}
	return rt, rt.Deliver, true
}

func (r *Runner) worker(ctx context.Context, route string, bounce bool) {
	queue := route
	if bounce {
		queue = route + bounceSuffix
	}
	var conn deliver.Conn
	var connHop config.Deliver
	var connName string // the hostname conn greeted the next hop with
	alive := false      // conn is open, counted in suspension.live
	closeConn := func() {
		if conn != nil {
			conn.Close()
			conn = nil
		}
		r.dropAlive(queue, &alive)
	}
	defer closeConn()
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(len(queue))))
	idle := r.srv.DeliveryIdleTimeout
	if idle <= 0 {
		idle = deliver.DefaultIdleTimeout
	}
	for {
		wait, cancel := context.WithTimeout(ctx, idle)
		msg, err := r.srv.Spool.NextFor(wait, queue)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// Idle: hang up rather than hold the next hop's slot.
			closeConn()
			continue
		}
		rt, hop, ok := r.hop(route, bounce)
		if !ok {
			r.srv.Spool.Release(msg.ID)
			time.Sleep(time.Second)
			continue
		}
		if conn != nil && !sameConnection(hop, connHop, rt.Hostname, connName) {
			// A reload changed how the next hop is reached (its
			// address, TLS mode or CA file, our name): the connection
			// made before must not carry this message, as a reload
			// that requires TLS would otherwise not stop plaintext
			// delivery until the connection idled.
			closeConn()
		}
		probe := -1
		switch a := r.admit(queue, rt, hop, msg, time.Now()); a.kind {
		case admitPostpone:
			r.postponed(queue, msg.ID, a)
			r.srv.Metrics.DeliverySuspended.WithLabelValues(rt.Name, hopLabel(queue)).Inc()
			continue
		case admitWait:
			r.srv.Spool.Release(msg.ID)
			select {
			case <-ctx.Done():
				return
			case <-a.changed:
			}
			continue
		case admitExpire:
			if _, ok := r.safeAttempt(ctx, ctx, rt, queue, hop, nil, nil, msg, rnd, a.reason); !ok {
				time.Sleep(time.Second)
			}
			continue
		case admitProbe:
			probe = a.gen
		}
		// One deadline over the dial (when there is one) and the
		// transaction: deliver.attempt_timeout.
		actx, cancel := deliver.WithAttemptTimeout(ctx, attemptTimeout(hop))
		if conn == nil {
			conn, err = r.srv.dialer(rt.Name, hop).Dial(actx, hop, rt.Hostname)
			connHop, connName = hop, rt.Hostname
			if err == nil {
				r.connected(queue, &alive)
			}
		}
		rep, ok := r.safeAttempt(ctx, actx, rt, queue, hop, conn, err, msg, rnd, "")
		cancel()
		if !ok {
			closeConn()
		}
		if ctx.Err() == nil {
			r.report(queue, rt, hop, rep, probe, &alive)
		}
		if !ok {
			time.Sleep(time.Second) // no hot loop on a message that panics every time
		}
		if err != nil || rep.health == hopBroken || rep.health == hopDown {
			// Dialled again for the next message, not inside Send on
			// the connection that broke: a connection counts in the
			// suspension's live from its dial (connected), and one
			// made inside Send would not.
			closeConn()
		}
	}
}

// dialer is the delivery Dialer of route's next hop hop: one that says
// when a connection goes on in the clear though the next hop offered
// STARTTLS (tls: opportunistic, after a refused STARTTLS or a failed
// handshake). Mail is delivered all the same, as Postfix's "may" level
// does; before, nothing said that it crossed unencrypted, so a broken
// TLS set-up on the LGWAN server went unseen.
func (srv *Server) dialer(route string, hop config.Deliver) deliver.Dialer {
	return deliver.Dialer{Plaintext: func(why string) {
		srv.Metrics.DeliveryTLSFallbacks.WithLabelValues(route).Inc()
		srv.Logger.Warn("next hop offered STARTTLS but TLS failed: delivering in plaintext (tls: opportunistic)",
			"route", route, "next_hop", hop.To, "why", why)
	}}
}

// sameConnection reports whether a connection dialled for hop a, greeting
// the next hop as name nameA, is the one hop b, greeting as nameB, would
// dial: the same address, TLS mode and CA file. The retry schedule,
// the number of workers and the attempt timeout do not make another.
func sameConnection(a, b config.Deliver, nameA, nameB string) bool {
	return a.To == b.To && a.URL == b.URL && a.TLS == b.TLS && a.CAFile == b.CAFile && nameA == nameB
}

// attemptTimeout is the route's deliver.attempt_timeout; config.Load
// fills the default, a Deliver built otherwise gets it here.
func attemptTimeout(hop config.Deliver) time.Duration {
	if d := hop.AttemptTimeout.D(); d > 0 {
		return d
	}
	return config.DefaultAttemptTimeout.D()
}

// safeAttempt runs attempt and turns a panic into a logged error and a
// released lease, so one bad message cannot stop delivery for the rest.
// It reports false after a panic: the connection is then closed.
func (r *Runner) safeAttempt(ctx, actx context.Context, rt *config.Route, queue string, hop config.Deliver, conn deliver.Conn, dialErr error, msg *spool.Message, rnd *rand.Rand, held string) (rep hopReport, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r.srv.Logger.Error("delivery panic caught; message left for the next attempt", "route", rt.Name, "queue_id", msg.ID, "panic", fmt.Sprint(p))
			r.srv.Spool.Release(msg.ID)
			rep, ok = hopReport{}, false
		}
	}()
	return r.attempt(ctx, actx, rt, queue, hop, conn, dialErr, msg, rnd, held), true
}

// attempt sends one message (or records why it could not) and updates
// every recipient's state durably, and reports what it learned of the
// next hop. actx carries the attempt's deadline and bounds the next hop
// only; the outcome is recorded under ctx, which ends only at shutdown.
//
// held, when not empty, is the last error of a next hop whose delivery
// is suspended: nothing is sent, and only the due recipients whose
// lifetime is over fail, with that error, as an attempt would have
// failed them; the others are left as they are.
func (r *Runner) attempt(ctx, actx context.Context, rt *config.Route, queue string, hop config.Deliver, conn deliver.Conn, dialErr error, msg *spool.Message, rnd *rand.Rand, held string) (rep hopReport) {
	srv := r.srv
	now := time.Now()
	var due []string
	for _, rc := range msg.Rcpts {
		if rc.State == spool.Pending || rc.State == spool.Deferred && !rc.NextAttempt.After(now) {
			if held != "" && !deliver.Expired(lifetimeSince(msg, rc), hop.Retry.Lifetime.D(), now) {
				continue
			}
			due = append(due, rc.Addr)
		}
	}
	if len(due) == 0 {
		srv.Spool.Release(msg.ID)
		return
	}
	if held != "" {
		dialErr = heldError(held)
	}
	// A released untouched original goes only where the configuration
	// in force lets one go (refusedOriginal), read again at each attempt:
	// a reload may have taken its domain out of
	// quarantine.release_original_to, or made its route sanitise, while
	// it waited for a retry.
	refused := map[string]string{}
	original := false
	switch cfg := srv.Config(); {
	case untouchedOriginal(msg.Env, cfg):
		original = true
		due = slices.DeleteFunc(due, func(a string) bool {
			if why := refusedOriginal(cfg, rt, a); why != "" {
				refused[a] = why
				return true
			}
			return false
		})
	case !msg.Env.Released && msg.Env.Policy == config.PolicyNone && rt.Policy != config.PolicyNone:
		// Accepted unsanitised while the route passed mail through; a
		// reload has made it sanitise since, and its next hop may be the
		// LGWAN side now, where nothing unsanitised may arrive (DESIGN
		// invariant 1). Its sender is told, and may send it again.
		why := "not delivered: accepted unsanitised while route " + rt.Name + " passed mail through (policy none); it sanitises now (policy " +
			rt.Policy + "), and nothing unsanitised leaves a sanitising route: please send it again"
		for _, a := range due {
			refused[a] = why
		}
		due = nil
	}
	results := map[string]deliver.Result{}
	err := dialErr
	tried := err != nil && len(due) > 0 && held == "" // the next hop, not the spool
	t0 := time.Now()
	if err == nil && len(due) > 0 {
		var body *io.SectionReader
		body, err = srv.Spool.Body(msg.ID)
		if err == nil {
			var res []deliver.Result
			res, err = conn.Send(actx, msg.Env.From, due, body)
			tried = true
			for _, x := range res {
				results[x.Rcpt] = x
			}
		}
	}
	switch {
	case !tried:
	case err == nil:
		rep.health = hopAnswered
	case dialErr != nil || errors.Is(err, deliver.ErrUnreachable):
		rep = hopReport{health: hopDown, why: err.Error()}
	default:
		rep.health = hopBroken
	}
	if held == "" {
		srv.Metrics.DeliveryDuration.WithLabelValues(rt.Name).Observe(time.Since(t0).Seconds())
	}
	if tried && !strings.HasSuffix(queue, bounceSuffix) && !errors.Is(err, deliver.ErrReadingMessage) {
		// Send's error means no recipient got a reply: the next hop was
		// not reached, or not for long enough. A message the spool could
		// not read says nothing of the next hop. The bounces queue has a
		// next hop of its own, which the route's label does not name.
		// An attempt that had any recipient accepted sets the last
		// reply and the last acceptance to the same time: a reply later
		// than the acceptance then means the next hop has refused
		// everything since (MugaiNextHopRefusing).
		at := float64(time.Now().UnixNano()) / 1e9
		switch {
		case err != nil:
			srv.Metrics.NextHopLastUnreachable.WithLabelValues(rt.Name).Set(at)
		case anyAccepted(results):
			srv.Metrics.NextHopLastAccepted.WithLabelValues(rt.Name).Set(at)
			srv.Metrics.NextHopLastReply.WithLabelValues(rt.Name).Set(at)
		default:
			srv.Metrics.NextHopLastReply.WithLabelValues(rt.Name).Set(at)
		}
	}
	// The reason is in every deferral it caused (the spool, the log, the
	// audit record's recipients); the cut itself is counted and logged
	// once. An LMTP next hop may have answered some recipients before it:
	// they keep their replies, and Send returns no error.
	var reason string
	if held != "" {
		reason = "not attempted: delivery to the next hop is suspended after it was found unreachable"
	}
	if cause := context.Cause(actx); errors.Is(cause, deliver.ErrTooSlow) && (err != nil || anyTemporary(results)) {
		reason = cause.Error()
		srv.Metrics.DeliveryTimeouts.WithLabelValues(rt.Name).Inc()
		srv.Logger.Warn("delivery attempt cut off: next hop too slow", "route", rt.Name, "queue_id", msg.ID, "next_hop", hopName(hop),
			"attempt_timeout", attemptTimeout(hop).String(), "recipients", len(due), "err", err)
	}

	rcpts := append([]spool.Recipient(nil), msg.Rcpts...)
	// Recipients deferred together, after as many attempts (since any
	// requeue), are due again together: one attempt, and one notice if
	// they expire, not one each.
	next := map[int]time.Time{}
	var failed []deliver.DSNRecipient
	var outcome []AuditDeliveryRcpt
	for i := range rcpts {
		rc := &rcpts[i]
		if why, ok := refused[rc.Addr]; ok {
			rc.State, rc.LastError, rc.FailedAt = spool.Failed, why, now
			srv.Metrics.DeliveryAttempts.WithLabelValues(rt.Name, metrics.DeliveryFailed).Inc()
			failed = append(failed, deliver.DSNRecipient{Result: deliver.Result{Rcpt: rc.Addr, Text: why}, LastAttempt: now})
			outcome = append(outcome, AuditDeliveryRcpt{Rcpt: rc.Addr, State: rc.State.String(), Text: why})
			if original {
				srv.Metrics.QuarantineReleaseRefusals.WithLabelValues(metrics.ReleaseNoLongerAllowed).Inc()
				srv.Logger.Warn("released original not delivered: the configuration in force no longer allows it", "route", rt.Name,
					"queue_id", msg.ID, "quarantine_id", msg.Env.QuarantineID, "rcpt", rc.Addr, "why", why)
			} else {
				srv.Metrics.DeliveryUnsanitised.WithLabelValues(rt.Name).Inc()
				srv.Logger.Warn("message accepted unsanitised not delivered: its route sanitises now", "route", rt.Name,
					"queue_id", msg.ID, "rcpt", rc.Addr, "policy", rt.Policy)
			}
			continue
		}
		if !containsStr(due, rc.Addr) {
			continue
		}
		if held == "" {
			rc.Attempts++
		}
		res, have := results[rc.Addr]
		// reply is what the next hop answered for this recipient, for the
		// audit trail and the log; LastError keeps only failures.
		var reply string
		switch {
		case err == nil && have && res.OK():
			rc.State, rc.LastError = spool.Done, ""
			reply = res.String()
			srv.Metrics.DeliveryAttempts.WithLabelValues(rt.Name, metrics.DeliveryDelivered).Inc()
		case err == nil && have && res.Permanent():
			rc.State, rc.LastError, rc.FailedAt = spool.Failed, res.String(), now
			srv.Metrics.DeliveryAttempts.WithLabelValues(rt.Name, metrics.DeliveryFailed).Inc()
			failed = append(failed, dsnRecipient(rt, res, "", hop, now))
		default:
			why := "no result"
			if err != nil {
				why = err.Error()
			} else if have {
				why = res.String()
			}
			if deliver.Expired(lifetimeSince(msg, *rc), hop.Retry.Lifetime.D(), now) {
				rc.State, rc.LastError, rc.FailedAt = spool.Failed, "expired in queue after "+hop.Retry.Lifetime.String()+": "+why, now
				srv.Metrics.DeliveryAttempts.WithLabelValues(rt.Name, metrics.DeliveryFailed).Inc()
				// The DSN quotes the last reply as it came (its code once),
				// or, without one, our reason.
				last := deliver.Result{Rcpt: rc.Addr, Text: why}
				if err == nil && have {
					last = res
				}
				failed = append(failed, dsnRecipient(rt, last, "5.4.7", hop, now))
			} else {
				rc.State, rc.LastError = spool.Deferred, why
				// A requeued recipient's backoff starts again, as its lifetime does.
				k := rc.Retries()
				if _, ok := next[k]; !ok {
					next[k] = now.Add(deliver.Backoff(k, hop.Retry.Initial.D(), hop.Retry.Max.D(), rnd))
				}
				rc.NextAttempt = next[k]
				srv.Metrics.DeliveryAttempts.WithLabelValues(rt.Name, metrics.DeliveryDeferred).Inc()
			}
		}
		if reply == "" {
			reply = rc.LastError
		}
		outcome = append(outcome, AuditDeliveryRcpt{Rcpt: rc.Addr, State: rc.State.String(), Code: res.Code, Text: reply})
		if held != "" {
			srv.Logger.Info("delivery not attempted: next hop suspended, lifetime over", "route", rt.Name, "queue_id", msg.ID, "rcpt", rc.Addr,
				"next_hop", hopName(hop), "state", rc.State.String(), "reply", reply)
			continue
		}
		srv.Logger.Info("delivery attempt", "route", rt.Name, "queue_id", msg.ID, "rcpt", rc.Addr, "next_hop", hopName(hop),
			"state", rc.State.String(), "code", res.Code, "reply", reply, "duration", time.Since(t0).Round(time.Millisecond))
	}
	// The notice is spooled before the failure is recorded: a crash or a
	// full disk in between then sends a second notice (the recipient fails
	// again on the next attempt), never none. A released message's
	// failure is the administrator's, not its sender's (releaseFailed).
	notice := len(failed) > 0 && !strings.HasSuffix(queue, bounceSuffix)
	if notice && !msg.Env.Released && !r.bounce(ctx, rt, msg, failed) {
		return
	}
	if !r.update(ctx, msg.ID, rcpts) {
		return
	}
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "delivery", Route: rt.Name, Sender: msg.Env.From,
		QueueID: msg.ID, NextHop: hopName(hop), Delivery: outcome, Verdict: summary(rcpts), Reason: reason}
	if notice && msg.Env.Released {
		rec.QuarantineID = msg.Env.QuarantineID
		rec.Reason = strings.TrimPrefix(rec.Reason+"; "+releaseNoBounce, "; ")
	}
	srv.Audit.Write(rec)
	if notice && msg.Env.Released {
		r.releaseFailed(rt, msg, failed)
	}
	return rep
}

// lifetimeSince is when rc's retry lifetime began: when msg was
// received, or when an administrator requeued rc, which gives it a
// lifetime of its own (else an old message would fail at its first
// temporary error and bounce a second time).
func lifetimeSince(msg *spool.Message, rc spool.Recipient) time.Time {
	if rc.Requeued.After(msg.Created) {
		return rc.Requeued
	}
	return msg.Created
}

// releaseNoBounce is the delivery record's reason when a released
// message failed.
const releaseNoBounce = "released from quarantine: no delivery status notification to the sender; the failure is for the administrator (mugai queue failed)"

// releaseFailed reports a released message that failed for good to the
// administrator instead of its sender. The sender is usually on the
// internet side and did not send this delivery: an administrator did,
// maybe to other recipients (-to) or through another route (-original).
// A notification would carry LGWAN addresses, the next hop's host and
// its reply across the boundary, and tell the sender of the release. The
// message stays in the queue as failed for retry.keep_failed (mugai
// queue requeue sends it again once the cause is fixed).
func (r *Runner) releaseFailed(rt *config.Route, msg *spool.Message, failed []deliver.DSNRecipient) {
	srv := r.srv
	srv.Metrics.QuarantineReleaseFailures.WithLabelValues(rt.Name).Inc()
	rcpts := make([]string, 0, len(failed))
	for _, f := range failed {
		rcpts = append(rcpts, f.Result.Rcpt)
	}
	srv.Logger.Warn("released message failed; not bounced to its sender, see mugai queue show", "route", rt.Name,
		"queue_id", msg.ID, "quarantine_id", msg.Env.QuarantineID, "rcpts", strings.Join(rcpts, ","))
}

// update records the outcome of an attempt (see hold).
func (r *Runner) update(ctx context.Context, id string, rcpts []spool.Recipient) bool {
	return r.hold(ctx, id, "spool update", func() error { return r.srv.Spool.Update(id, rcpts) })
}

// hold runs write, a spool write for message id, and while the spool
// cannot be written (its disk is full) keeps the message leased and tries
// again, with backoff: released, the message would be due again at once
// and sent to the next hop again and again, each time a duplicate. It
// reports false if nothing was written; at shutdown the lease is
// released, and after the restart the message is sent again (one
// duplicate, as after a crash).
func (r *Runner) hold(ctx context.Context, id, what string, write func() error) bool {
	srv := r.srv
	wait := 100 * time.Millisecond
	for tries := 1; ; tries++ {
		err := write()
		switch {
		case err == nil:
			if tries > 1 {
				srv.Logger.Info(what+" written after the spool could be written again", "queue_id", id, "tries", tries)
			}
			return true
		case !errors.Is(err, spool.ErrNotWritten):
			srv.Logger.Error(what+" failed", "queue_id", id, "err", err)
			return false
		}
		srv.Metrics.StorageErrors.WithLabelValues(metrics.StoreSpool).Inc()
		if tries == 1 {
			srv.Logger.Error(what+" failed; holding the message until the spool can be written", "queue_id", id, "err", err)
		}
		select {
		case <-ctx.Done():
			srv.Logger.Error(what+" not written before shutdown; the message will be sent again after the restart", "queue_id", id, "err", err)
			srv.Spool.Release(id)
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// anyAccepted reports whether the next hop took the message for at
// least one recipient.
func anyAccepted(results map[string]deliver.Result) bool {
	for _, r := range results {
		if r.OK() {
			return true
		}
	}
	return false
}

func anyTemporary(results map[string]deliver.Result) bool {
	for _, r := range results {
		if r.Temporary() {
			return true
		}
	}
	return false
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func hopName(h config.Deliver) string {
	if h.URL.Addr != "" {
		return h.URL.Scheme + "://" + h.URL.Addr
	}
	return h.URL.Scheme + ":" + h.URL.Path
}

// dsnRecipient is a failed recipient's block of a delivery status
// notification. On a sanitising route the notice goes to a sender on the
// untrusted side, often a forged one: the next hop's address and the
// words of its reply (host names, software, LGWAN addresses) or of our
// reason for having none ("connect to 10.1.0.25:25: ...") are not theirs
// to read, so the notice gives the reply's codes alone, or a general
// reason. The log, the audit trail and `mugai queue` keep it all.
func dsnRecipient(rt *config.Route, res deliver.Result, status string, hop config.Deliver, now time.Time) deliver.DSNRecipient {
	d := deliver.DSNRecipient{Result: res, Status: status, RemoteMTA: remoteMTA(hop), LastAttempt: now}
	if rt.Policy != config.PolicyNone {
		d.RemoteMTA = ""
		d.Text = ""
		if d.Code == 0 {
			d.Text = "no reply from the receiving mail server"
		}
	}
	return d
}

// remoteMTA is a DSN's Remote-MTA: the next hop's host (RFC 3464 2.3.5
// wants a name of the "dns" type there, not a URL), or "" for a socket or
// Maildir.
func remoteMTA(h config.Deliver) string {
	host, _, err := net.SplitHostPort(h.URL.Addr)
	if err != nil {
		return ""
	}
	return host
}

// summary is the message's state for the audit trail.
func summary(rcpts []spool.Recipient) string {
	st := "delivered"
	for _, rc := range rcpts {
		switch rc.State {
		case spool.Failed:
			return "failed"
		case spool.Deferred, spool.Pending:
			st = "deferred"
		}
	}
	return st
}

// bounce queues a delivery status notification to the sender through
// the route's bounces target. The null sender never gets one (RFC 5321
// 4.5.5), and a route without bounces sends none. While the spool is
// full it holds the message (see hold); it reports false only if the
// notice was not queued for that reason, and the failure must then not
// be recorded either. A notice that cannot be built is logged and the
// failure recorded: trying again would not build it.
func (r *Runner) bounce(ctx context.Context, rt *config.Route, msg *spool.Message, failed []deliver.DSNRecipient) bool {
	srv := r.srv
	if rt.Bounces == nil || msg.Env.From == "" {
		return true
	}
	var buf bytes.Buffer
	body, err := srv.Spool.Body(msg.ID)
	if err != nil {
		srv.Logger.Error("bounce: read original", "queue_id", msg.ID, "err", err)
		return true
	}
	if err := deliver.BuildDSN(&buf, deliver.DSNParams{ReportingMTA: rt.Hostname, Sender: msg.Env.From, QueueID: msg.ID,
		Arrival: msg.Created, Recipients: failed, Original: body}); err != nil {
		if !errors.Is(err, deliver.ErrNullSender) {
			srv.Logger.Error("bounce: build DSN", "queue_id", msg.ID, "err", err)
		}
		return true
	}
	env := spool.Envelope{Route: rt.Name + bounceSuffix, From: "", To: []string{msg.Env.From}, Received: time.Now(), Policy: "dsn"}
	id := spool.NewID()
	put := func() error { return srv.Spool.PutID(id, env, bytes.NewReader(buf.Bytes()), int64(buf.Len())) }
	if !r.hold(ctx, msg.ID, "bounce", put) {
		return ctx.Err() == nil
	}
	srv.Metrics.Bounces.WithLabelValues(rt.Name).Inc()
	srv.Audit.Write(&AuditRecord{Time: time.Now().UTC(), Event: "bounce", Route: rt.Name, Rcpts: env.To,
		QueueID: id, Reason: "delivery status notification for " + msg.ID, NextHop: hopName(*rt.Bounces)})
	srv.Logger.Info("bounce queued", "route", rt.Name, "queue_id", msg.ID, "dsn_id", id, "to", msg.Env.From)
	return true
}

// gauges keeps queue_messages and queue_oldest_message_age_seconds
// current, and deletes failed messages past retry.keep_failed when the
// last count found some (most ticks, no second pass over the queue).
func (r *Runner) gauges(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	failed := 0
	for {
		if failed > 0 {
			r.purgeFailed(time.Now())
		}
		failed = r.updateGauges()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// updateGauges sets the queue gauges and returns how many failed
// messages the routes hold.
func (r *Runner) updateGauges() (failed int) {
	r.gaugeMu.Lock()
	defer r.gaugeMu.Unlock()
	type counts struct {
		active, deferred, failed int
		oldest                   time.Time
	}
	by := map[string]*counts{}
	for _, rt := range r.srv.cfg.Load().Routes {
		by[rt.Name] = &counts{}
	}
	orphans := map[string]bool{}
	for _, m := range r.srv.Spool.List() {
		route, _, _ := strings.Cut(m.Env.Route, "/")
		c := by[route]
		if c == nil {
			// A route no longer configured (warnOrphanedQueue): no
			// worker delivers its messages. Counted under its name,
			// so that the queue gauges and MugaiQueueOldMessage show
			// them rather than nothing.
			c = &counts{}
			by[route] = c
			orphans[route] = true
		}
		switch queueState(m) {
		case spool.Failed:
			c.failed++
			continue
		case spool.Deferred:
			c.deferred++
		default:
			c.active++
		}
		if since := waitingSince(m); c.oldest.IsZero() || since.Before(c.oldest) {
			c.oldest = since
		}
	}
	for route, c := range by {
		g := r.srv.Metrics.QueueMessages
		g.WithLabelValues(route, metrics.StateActive).Set(float64(c.active))
		g.WithLabelValues(route, metrics.StateDeferred).Set(float64(c.deferred))
		g.WithLabelValues(route, metrics.StateFailed).Set(float64(c.failed))
		age := 0.0
		if !c.oldest.IsZero() {
			age = time.Since(c.oldest).Seconds()
		}
		r.srv.Metrics.QueueOldestMessageAge.WithLabelValues(route).Set(age)
		failed += c.failed
	}
	for route := range r.orphans {
		if by[route] == nil {
			// Its last message went: so does the route's series.
			for _, st := range []string{metrics.StateActive, metrics.StateDeferred, metrics.StateFailed} {
				r.srv.Metrics.QueueMessages.DeleteLabelValues(route, st)
			}
			r.srv.Metrics.QueueOldestMessageAge.DeleteLabelValues(route)
		}
	}
	r.orphans = orphans
	return failed
}

// waitingSince is when a waiting message started to wait, as its retry
// lifetime counts: a recipient requeued by an administrator waits since
// the requeue, any other since the message was received. The message has
// waited as long as its longest-waiting recipient.
func waitingSince(m spool.Message) time.Time {
	var since time.Time
	for _, rc := range m.Rcpts {
		if rc.State != spool.Pending && rc.State != spool.Deferred {
			continue
		}
		t := m.Created
		if rc.Requeued.After(t) {
			t = rc.Requeued
		}
		if since.IsZero() || t.Before(since) {
			since = t
		}
	}
	if since.IsZero() {
		return m.Created
	}
	return since
}

// purgeFailed deletes the messages that failed for good longer ago than
// their hop's retry.keep_failed: the senders of mail from outside had the
// notice, and an administrator had that long to requeue them (a released
// message that failed was the administrator's already). Each has a
// delete record in the audit trail, so nothing is deleted while the
// trail cannot be written.
func (r *Runner) purgeFailed(now time.Time) {
	srv := r.srv
	if srv.Audit.Ready() != nil {
		return
	}
	for _, m := range srv.Spool.List() {
		route, sub, _ := strings.Cut(m.Env.Route, "/")
		_, hop, ok := r.hop(route, "/"+sub == bounceSuffix)
		keep := hop.Retry.KeepFailed.D()
		if !ok || keep <= 0 {
			continue
		}
		// Checked again as the record is written: a message requeued
		// since List is not deleted.
		var gone spool.Message
		expired := func(m spool.Message) bool {
			gone = m
			return queueState(m) == spool.Failed && now.Sub(failedSince(m)) >= keep
		}
		if !expired(m) {
			continue
		}
		deleted, err := srv.Spool.DeleteIf(m.ID, expired)
		if err != nil {
			if !errors.Is(err, spool.ErrNotFound) && !errors.Is(err, spool.ErrBusy) {
				srv.Logger.Error("failed message not deleted", "route", route, "queue_id", m.ID, "err", err)
			}
			continue
		}
		if !deleted {
			continue
		}
		why := fmt.Sprintf("failed %s ago; retry.keep_failed is %s", now.Sub(failedSince(gone)).Round(time.Minute), hop.Retry.KeepFailed)
		srv.Audit.Write(deleteRecord(gone, "mugai", why, ""))
		srv.Metrics.QueuePurged.WithLabelValues(route).Inc()
		srv.Logger.Info("failed message deleted", "route", route, "queue_id", m.ID, "reason", why)
	}
}

// failedSince is when a finished message's last recipient failed; for a
// message spooled before that was kept, when it was received.
func failedSince(m spool.Message) time.Time {
	var t time.Time
	for _, rc := range m.Rcpts {
		if rc.State == spool.Failed && rc.FailedAt.After(t) {
			t = rc.FailedAt
		}
	}
	if t.IsZero() {
		return m.Created
	}
	return t
}

// queueState is a message's state as operators count it: failed when it
// is finished with a failure, deferred when it waits for a retry, else
// active.
func queueState(m spool.Message) spool.State {
	st := spool.Done
	for _, rc := range m.Rcpts {
		switch rc.State {
		case spool.Pending:
			return spool.Pending
		case spool.Deferred:
			st = spool.Deferred
		case spool.Failed:
			if st == spool.Done {
				st = spool.Failed
			}
		}
	}
	return st
}
