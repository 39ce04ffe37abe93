package gateway

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"mugai/config"
	"mugai/gateway/deliver"
	"mugai/gateway/metrics"
	"mugai/gateway/spool"
)

// The dead-destination cache, as Postfix's queue manager keeps one
// ("delivery temporarily suspended"). While a route's next hop is down,
// every due message used to cost a connection attempt and three records
// (journal, audit, spool) at each retry: 20,000 messages through a
// five-day outage made about 0.9 GB of audit trail, and each retry wave
// was a connection storm against the host coming back. Now the first
// attempt that finds the next hop unreachable (deliver.ErrUnreachable:
// no connection, no greeting, TLS required and not set up) suspends its
// delivery queue: due messages are put back without an attempt and
// without a record (spool.Postpone), and when the suspension ends one of
// them is sent as a probe. Its success lifts the suspension and the rest
// flow; its failure suspends again for twice as long, from retry.initial
// up to retry.max. Any attempt that gets a session with the next hop
// lifts it too, as do an operator's retry and a reload that changes the
// next hop. The state is in memory: after a restart the first attempt
// finds out again.

// hopHealth is what one delivery attempt learned of its next hop.
type hopHealth int

const (
	// hopUnknown: the next hop was not contacted (nothing was due, every
	// recipient was refused before sending, a panic).
	hopUnknown hopHealth = iota
	// hopAnswered: a session came about and the transaction ended with
	// replies, whatever their codes; the connection is kept.
	hopAnswered
	// hopBroken: a session came about and broke in the transaction (the
	// connection lost, the attempt timeout): the next hop is reachable,
	// the message may be the trouble.
	hopBroken
	// hopDown: no session came about (deliver.ErrUnreachable).
	hopDown
)

// hopReport is attempt's account of the next hop: its health and, for
// hopDown, the error.
type hopReport struct {
	health hopHealth
	why    string
}

// suspension is the state of one delivery queue's next hop (a route's,
// or its bounces target's, queue route+bounceSuffix).
type suspension struct {
	on      bool
	hop     config.Deliver // the next hop suspended, and our name to it
	name    string         //   (sameConnection: a reload that changes them lifts it)
	since   time.Time
	until   time.Time // when a probe is due
	probes  int       // failed probes since it began (the backoff)
	reason  string    // the last error of an attempt that found it down
	probing bool
	gen     int           // counts suspensions and lifts: a probe's report is for its own
	changed chan struct{} // closed when a probe ends or the suspension is lifted
	// live counts the workers whose connection to the next hop was
	// made and is still open (connected): another connection refused
	// meanwhile is the next hop's limit on connections, not the next
	// hop down.
	live int
}

// hopCache holds the suspensions of a Runner's delivery queues.
type hopCache struct {
	mu sync.Mutex
	q  map[string]*suspension
}

// stateLocked returns queue's entry, made on first use.
func (c *hopCache) stateLocked(queue string) *suspension {
	if c.q == nil {
		c.q = map[string]*suspension{}
	}
	st := c.q[queue]
	if st == nil {
		st = &suspension{changed: make(chan struct{})}
		c.q[queue] = st
	}
	return st
}

// signalLocked wakes the workers waiting for st to change.
func (st *suspension) signalLocked() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// admission is what a worker does with a message it took.
type admission struct {
	kind    admitKind
	until   time.Time       // admitPostpone: hold it back until then
	reason  string          // admitExpire: the last error of the next hop
	changed <-chan struct{} // admitWait: wait for this
	gen     int             // admitProbe: the suspension probed; admitPostpone: the one it waits for
}

type admitKind int

const (
	admitSend     admitKind = iota // attempt it
	admitProbe                     // attempt it as the suspension's probe
	admitWait                      // a probe is out: hand it back, wait for its end
	admitPostpone                  // hand it back until the probe is due (or it expires)
	admitExpire                    // its lifetime is over: fail it without an attempt
)

// admit decides whether msg, taken for queue, is attempted now.
func (r *Runner) admit(queue string, rt *config.Route, hop config.Deliver, msg *spool.Message, now time.Time) admission {
	c := &r.hops
	c.mu.Lock()
	st := c.q[queue]
	if st == nil || !st.on {
		c.mu.Unlock()
		return admission{kind: admitSend}
	}
	if !sameConnection(st.hop, hop, st.name, rt.Hostname) {
		c.mu.Unlock()
		r.lift(queue, "a reload changed the next hop")
		return admission{kind: admitSend}
	}
	// A message whose lifetime ends while it waits fails then, as it
	// would have at an attempt: with the next hop's last error.
	expires, ok := expiry(msg, hop.Retry.Lifetime.D(), now)
	if ok && !expires.After(now) {
		reason := st.reason
		c.mu.Unlock()
		return admission{kind: admitExpire, reason: reason}
	}
	defer c.mu.Unlock()
	switch {
	case st.probing:
		return admission{kind: admitWait, changed: st.changed}
	case now.Before(st.until):
		until := st.until
		if ok && expires.Before(until) {
			until = expires
		}
		return admission{kind: admitPostpone, until: until, gen: st.gen}
	}
	st.probing = true
	return admission{kind: admitProbe, gen: st.gen}
}

// postponed hands msg back until a's time, for the suspension a was
// admitted under. A lift between admit and the hand-back (another
// worker's attempt got a session, a retry, a reload) has already ended
// the holds it knew of: this one is ended too, or the message would
// wait for a probe that no longer comes, up to retry.max.
func (r *Runner) postponed(queue, id string, a admission) {
	r.srv.Spool.Postpone(id, a.until)
	r.hops.mu.Lock()
	st := r.hops.q[queue]
	current := st != nil && st.on && st.gen == a.gen
	r.hops.mu.Unlock()
	if !current {
		r.srv.Spool.Resume(queue)
	}
}

// connected counts a worker's new connection to queue's next hop in
// live: a connection refused while it is open is the next hop's limit
// on connections, not the next hop down, from its first transaction on.
func (r *Runner) connected(queue string, alive *bool) {
	if *alive {
		return
	}
	r.hops.mu.Lock()
	*alive = true
	r.hops.stateLocked(queue).live++
	r.hops.mu.Unlock()
}

// expiry is when the first of msg's due recipients reaches the end of
// its lifetime (counted from its requeue, as attempt counts it); false
// when none is due.
func expiry(msg *spool.Message, lifetime time.Duration, now time.Time) (time.Time, bool) {
	var first time.Time
	found := false
	for _, rc := range msg.Rcpts {
		if rc.State != spool.Pending && (rc.State != spool.Deferred || rc.NextAttempt.After(now)) {
			continue
		}
		since := msg.Created
		if rc.Requeued.After(since) {
			since = rc.Requeued
		}
		if t := since.Add(lifetime); !found || t.Before(first) {
			first, found = t, true
		}
	}
	return first, found
}

// report takes what an attempt on queue learned of its next hop:
// a session lifts a suspension, no session starts one (or, for the
// probe, starts the next). alive is the worker's: whether its
// connection counts in live. probe is admit's gen for the probe, -1
// for another attempt.
func (r *Runner) report(queue string, rt *config.Route, hop config.Deliver, rep hopReport, probe int, alive *bool) {
	c := &r.hops
	now := time.Now()
	c.mu.Lock()
	st := c.stateLocked(queue)
	switch rep.health {
	case hopAnswered:
		if !*alive {
			*alive = true
			st.live++
		}
	case hopBroken, hopDown:
		if *alive {
			*alive = false
			st.live--
		}
	}
	isProbe := probe >= 0 && st.on && st.probing && st.gen == probe
	switch {
	case rep.health == hopAnswered || rep.health == hopBroken:
		on := st.on
		c.mu.Unlock()
		if on {
			why := "a delivery attempt reached the next hop"
			if isProbe {
				why = "the probe reached the next hop"
			}
			r.lift(queue, why)
		}
		return
	case rep.health == hopUnknown:
		if isProbe {
			// Nothing was learnt: the next message due probes.
			st.probing = false
			st.signalLocked()
		}
		c.mu.Unlock()
		return
	case isProbe:
		st.probing = false
		st.probes++
		st.reason = rep.why
		st.until = now.Add(deliver.Backoff(st.probes+1, hop.Retry.Initial.D(), hop.Retry.Max.D(), nil))
		st.signalLocked()
		until, since := st.until, st.since
		c.mu.Unlock()
		r.srv.Logger.Warn("next hop still unreachable; delivery stays suspended", "route", queue, "next_hop", hopName(hop),
			"since", since.UTC().Format(time.RFC3339), "next_probe", until.UTC().Format(time.RFC3339), "err", rep.why)
		return
	case st.on:
		// Another attempt, made before the suspension began.
		st.reason = rep.why
		c.mu.Unlock()
		return
	case st.live > 0:
		live := st.live
		c.mu.Unlock()
		r.srv.Logger.Info("next hop refused a connection while others deliver: not suspended", "route", queue,
			"next_hop", hopName(hop), "connections", live, "err", rep.why)
		return
	}
	st.on, st.hop, st.name, st.since, st.probes, st.reason = true, hop, rt.Hostname, now, 0, rep.why
	st.until = now.Add(deliver.Backoff(1, hop.Retry.Initial.D(), hop.Retry.Max.D(), nil))
	st.gen++
	st.signalLocked()
	until := st.until
	c.mu.Unlock()
	r.srv.Metrics.NextHopSuspended.WithLabelValues(rt.Name, hopLabel(queue)).Set(1)
	r.srv.Audit.Write(&AuditRecord{Time: now.UTC(), Event: "next-hop", Route: queue, NextHop: hopName(hop), Verdict: "suspended",
		Reason: recordText(rep.why, maxDetailBytes)})
	r.srv.Logger.Warn("next hop unreachable: delivery suspended; due messages wait without an attempt until a probe reaches it",
		"route", queue, "next_hop", hopName(hop), "next_probe", until.UTC().Format(time.RFC3339), "err", rep.why)
}

// lift ends queue's suspension, if it has one: its held messages are
// due again at once. why says what lifted it. It reports whether there
// was one.
func (r *Runner) lift(queue, why string) bool {
	c := &r.hops
	c.mu.Lock()
	st := c.q[queue]
	if st == nil || !st.on {
		c.mu.Unlock()
		return false
	}
	st.on, st.probing, st.probes = false, false, 0
	st.gen++
	st.signalLocked()
	hop, since, last := st.hop, st.since, st.reason
	c.mu.Unlock()
	route, _, _ := strings.Cut(queue, "/")
	r.srv.Metrics.NextHopSuspended.WithLabelValues(route, hopLabel(queue)).Set(0)
	held := r.srv.Spool.Resume(queue)
	d := time.Since(since).Round(time.Second)
	r.srv.Audit.Write(&AuditRecord{Time: time.Now().UTC(), Event: "next-hop", Route: queue, NextHop: hopName(hop), Verdict: "resumed",
		Reason: recordText(fmt.Sprintf("%s after %s suspended; the last error: %s", why, d, last), maxDetailBytes)})
	r.srv.Logger.Info("delivery resumed", "route", queue, "next_hop", hopName(hop), "why", why, "suspended_for", d.String(), "held", held)
	return true
}

// Resume lifts the suspensions of queues (all of them when none is
// named), for an operator's retry; it returns the queues it lifted.
func (r *Runner) Resume(why string, queues ...string) []string {
	if len(queues) == 0 {
		r.hops.mu.Lock()
		for q, st := range r.hops.q {
			if st.on {
				queues = append(queues, q)
			}
		}
		r.hops.mu.Unlock()
	}
	var lifted []string
	for _, q := range queues {
		if r.lift(q, why) {
			lifted = append(lifted, q)
		}
	}
	return lifted
}

// reloaded lifts the suspensions whose next hop cfg changes (its address,
// TLS mode or CA file, our name) or takes away: the suspension was of
// the old one.
func (r *Runner) reloaded(cfg *config.Config) {
	r.hops.mu.Lock()
	var changed []string
	for q, st := range r.hops.q {
		if !st.on {
			continue
		}
		route, sub, _ := strings.Cut(q, "/")
		rt := cfg.Route(route)
		var hop *config.Deliver
		switch {
		case rt == nil:
		case "/"+sub == bounceSuffix:
			hop = rt.Bounces
		default:
			hop = &rt.Deliver
		}
		if hop == nil || !sameConnection(st.hop, *hop, st.name, rt.Hostname) {
			changed = append(changed, q)
		}
	}
	r.hops.mu.Unlock()
	for _, q := range changed {
		r.lift(q, "a reload changed the next hop")
	}
}

// QueueSuspension says why a queue's due messages wait without an
// attempt (GET /queue, GET /queue/summary).
type QueueSuspension struct {
	Since     time.Time `json:"since"`
	NextProbe time.Time `json:"next_probe"`
	Probing   bool      `json:"probing,omitempty"`
	NextHop   string    `json:"next_hop"`
	Reason    string    `json:"reason"` // the next hop's last error
}

// Suspended returns queue's suspension, or nil.
func (r *Runner) Suspended(queue string) *QueueSuspension {
	r.hops.mu.Lock()
	defer r.hops.mu.Unlock()
	st := r.hops.q[queue]
	if st == nil || !st.on {
		return nil
	}
	return &QueueSuspension{Since: st.since, NextProbe: st.until, Probing: st.probing, NextHop: hopName(st.hop), Reason: st.reason}
}

// dropAlive takes a worker's connection out of queue's live count when it
// is closed.
func (r *Runner) dropAlive(queue string, alive *bool) {
	if !*alive {
		return
	}
	r.hops.mu.Lock()
	*alive = false
	r.hops.stateLocked(queue).live--
	r.hops.mu.Unlock()
}

// hopLabel is the hop label of queue's metrics.
func hopLabel(queue string) string {
	if strings.HasSuffix(queue, bounceSuffix) {
		return metrics.HopBounces
	}
	return metrics.HopDeliver
}

// heldError is the error of recipients failed without an attempt while
// their next hop was suspended: the next hop's last error.
type heldError string

func (e heldError) Error() string { return string(e) }
