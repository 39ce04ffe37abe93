package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
	"mugai/sanitize"
	"mugai/sanitize/spill"
)

// Errors of the release and purge calls that the admin listener turns
// into HTTP statuses (and the CLI into messages). Integrity failures of a
// stored original are the quarantine package's own errors (ErrTampered,
// ErrWrongKey, ErrNoKey, ErrLost).
var (
	// ErrInvalid: the request is incomplete or contradicts itself.
	ErrInvalid = errors.New("invalid request")
	// ErrRefused: the request is well formed but not allowed (a recipient
	// outside the route's domains or quarantine.release_original_to, a
	// policy that does not exist, a policy that rejects the message).
	ErrRefused = errors.New("refused")
	// ErrNoQuarantine: the server runs without a quarantine store.
	ErrNoQuarantine = errors.New("no quarantine configured")
	// ErrReleased: the original was released to those recipients before
	// (or a release of it is under way) and the request does not ask to
	// deliver it again.
	ErrReleased = errors.New("already released")
	// ErrAuditDown: the audit trail cannot be written (its disk is full),
	// so nothing is released, read out or purged by hand: none of it may
	// happen without its record (fail closed, as mail is refused then).
	ErrAuditDown = errors.New("the audit trail cannot be written")
	// ErrTooManyRecipients: a release names more recipients than the
	// route that delivers it takes in one message (its
	// limits.max_recipients), as a session past it is refused. It comes
	// wrapped with ErrRefused (403) and is counted apart.
	ErrTooManyRecipients = errors.New("too many recipients")
)

// Bounds of the operator's name and reason, which go to the audit trail.
const (
	maxOperatorUser   = 256
	maxOperatorReason = 2048
)

// checkOperator checks who asks (user) and why (reason) for the audit
// trail: both required, bounded, and printable text, so that a record
// cannot carry terminal escapes, bidi overrides or line breaks to
// whoever reads the trail later, nor a name that hides another.
func checkOperator(user, reason string) error {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"user", user, maxOperatorUser}, {"reason", reason, maxOperatorReason}} {
		switch {
		case strings.TrimSpace(f.v) == "":
			return fmt.Errorf("%w: the %s is required (it goes to the audit trail)", ErrInvalid, f.name)
		case len(f.v) > f.max:
			return fmt.Errorf("%w: the %s is %d bytes long (at most %d)", ErrInvalid, f.name, len(f.v), f.max)
		case !printable(f.v):
			return fmt.Errorf("%w: the %s has control or formatting characters", ErrInvalid, f.name)
		}
	}
	return nil
}

// recordText is what an operator's request said (a user, a reason, an
// original's id, a recipient) as a record keeps it whether or not the
// request passes its checks: what printable refuses becomes "?", and
// past max bytes it is cut, saying how long it was. A refusal is
// recorded too, and its record must not carry what the checks keep out
// of the trail: terminal escapes, bidi overrides, line breaks, 64 KiB.
// Text that passes the checks is kept as it is.
func recordText(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		if r == utf8.RuneError || !printable(string(r)) {
			r = '?'
		}
		b.WriteRune(r)
	}
	if len(s) > max {
		b.WriteString("…(" + strconv.Itoa(len(s)) + " bytes)")
	}
	return b.String()
}

// maxRecordedID bounds an original's id as a record keeps it (a valid
// one is at most 64 bytes, quarantine.NewID's much less).
const maxRecordedID = 64

// printable reports whether s is valid UTF-8 without control characters
// (tab aside) or invisible formatting characters (bidi overrides,
// zero-width characters, line and paragraph separators).
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\t' && unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// auditReady reports ErrAuditDown while the audit trail cannot be written.
func (s *Server) auditReady() error {
	if err := s.Audit.Ready(); err != nil {
		return fmt.Errorf("%w: %v", ErrAuditDown, err)
	}
	return nil
}

// Purge timing of `mugai serve`: retention is applied once an hour (and
// at start), the gauges are refreshed more often.
const (
	purgeInterval       = time.Hour
	quarantineGaugeTick = 15 * time.Second
	// purgeUser is the audit trail's "who" for purges nobody typed.
	purgeUser = "mugai"
)

// ReleaseRequest asks for one quarantined original to be delivered again.
// Exactly one of Policy and Original is set.
type ReleaseRequest struct {
	ID string `json:"id"`
	// Policy names the policy the original is sanitised under again (for
	// example one that keeps PDFs); the result goes through the original's
	// route to its next hop.
	Policy string `json:"policy,omitempty"`
	// Original sends the untouched original, only to addresses whose
	// domain is in quarantine.release_original_to, through a pass-through
	// route (policy none) that accepts those domains.
	Original bool `json:"original,omitempty"`
	// To replaces the original recipients; with Original it is required.
	// It names at most the delivering route's limits.max_recipients
	// (ErrTooManyRecipients), and so do the original recipients when it
	// is empty.
	To []string `json:"to,omitempty"`
	// Again delivers the original to recipients an earlier release
	// already delivered it to. Without it such a release is refused
	// (ErrReleased, 409), so that a double click, two administrators or
	// a retry after a timeout do not deliver it twice. Recipients no
	// release has reached yet need no Again.
	Again bool `json:"again,omitempty"`
	// Reason and User go to the audit trail; both are required.
	Reason string `json:"reason"`
	User   string `json:"user"`
}

// ReleaseResult says what was queued.
type ReleaseResult struct {
	ID       string   `json:"id"`
	QueueID  string   `json:"queue_id"`
	Route    string   `json:"route"`
	NextHop  string   `json:"next_hop"`
	Policy   string   `json:"policy,omitempty"`
	Original bool     `json:"original,omitempty"`
	To       []string `json:"to"`
	// Lockdown: the emergency mode was on, so the policy was applied with
	// every attachment stripped and every link removed.
	Lockdown bool     `json:"lockdown,omitempty"`
	Kept     []string `json:"kept,omitempty"`
	Removed  []string `json:"removed,omitempty"`
}

// Release re-sanitises a quarantined original under a named policy, or
// takes it untouched, and queues it through the normal spool and
// delivery. Every attempt, refused or not, is written to the audit trail
// with the user and the reason.
func (s *Server) Release(req ReleaseRequest) (*ReleaseResult, error) {
	// An id no original can have is not found either way; cleaned, it
	// is also fit for the record and the refusal's text.
	req.ID = recordText(req.ID, maxRecordedID)
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "release", QuarantineID: req.ID,
		User: recordText(req.User, maxOperatorUser), Why: recordText(req.Reason, maxOperatorReason),
		Policy: recordText(req.Policy, maxOperatorUser), Rcpts: requestedRcpts(req.To)}
	if req.Original {
		rec.Policy = releasedOriginal
	}
	res, err := s.release(req, rec)
	if err != nil {
		// A refusal is recorded like a release: whose message was asked
		// for, and for whom (the recipients given, else the original ones),
		// whatever check refused it.
		if s.Quarantine != nil {
			if meta, gerr := s.Quarantine.Get(req.ID); gerr == nil {
				rec.Sender, rec.Size = meta.From, meta.Size
				if len(rec.Rcpts) == 0 {
					rec.Rcpts = meta.To
				}
			}
		}
		rec.Verdict, rec.Reason = "refused", err.Error()
		if rec.committed {
			// Its release record, with this queue id, is in the trail
			// already: this one says what came of it.
			rec.Reason = "after its release record: " + rec.Reason
		}
		why := releaseRefusal(err)
		if why == metrics.ReleaseError {
			rec.Verdict = "error"
		}
		s.Audit.Write(rec)
		s.Metrics.QuarantineReleaseRefusals.WithLabelValues(why).Inc()
		s.Logger.Warn("quarantine release refused", "id", req.ID, "user", rec.User, "err", err)
		return nil, err
	}
	// Its record is written (release: Audit.Commit).
	s.Metrics.QuarantineReleases.Inc()
	s.Logger.Info("quarantine release queued", "id", req.ID, "queue_id", res.QueueID, "route", res.Route,
		"policy", rec.Policy, "rcpts", len(res.To), "user", req.User)
	return res, nil
}

// releaseRefusal is the reason label of a refused release.
func releaseRefusal(err error) string {
	switch {
	case errors.Is(err, ErrInvalid):
		return metrics.ReleaseInvalid
	case errors.Is(err, ErrReleased):
		return metrics.ReleaseReleased
	case errors.Is(err, ErrTooManyRecipients):
		return metrics.ReleaseTooManyRecipients
	case errors.Is(err, ErrRefused):
		return metrics.ReleaseNotAllowed
	case errors.Is(err, quarantine.ErrNotFound):
		return metrics.ReleaseNotFound
	}
	return metrics.ReleaseError
}

// releaseInProgress is who started the release of an original under way.
type releaseInProgress struct {
	user  string
	since time.Time
}

func (s *Server) release(req ReleaseRequest, rec *AuditRecord) (*ReleaseResult, error) {
	fail := func(kind error, format string, a ...any) (*ReleaseResult, error) {
		return nil, fmt.Errorf("release %s: %w: %s", req.ID, kind, fmt.Sprintf(format, a...))
	}
	switch {
	case s.Quarantine == nil:
		return nil, ErrNoQuarantine
	case strings.TrimSpace(req.Reason) == "":
		return fail(ErrInvalid, "a reason is required (it goes to the audit trail)")
	case strings.TrimSpace(req.User) == "":
		return fail(ErrInvalid, "the user is required (it goes to the audit trail)")
	}
	if err := checkOperator(req.User, req.Reason); err != nil {
		return nil, fmt.Errorf("release %s: %w", req.ID, err)
	}
	if err := s.auditReady(); err != nil {
		return nil, fmt.Errorf("release %s: %w", req.ID, err)
	}
	switch {
	case req.Original && req.Policy != "":
		return fail(ErrInvalid, "give either a policy or original, not both")
	case !req.Original && req.Policy == "":
		return fail(ErrInvalid, "give a policy to sanitise the original again, or original to send it untouched")
	case req.Original && len(req.To) == 0:
		return fail(ErrInvalid, "an untouched original needs explicit recipients (in quarantine.release_original_to)")
	}
	// One release of an original at a time: the check for earlier
	// releases below and the record of this one must not interleave with
	// another's.
	if cur, busy := s.releasing.LoadOrStore(req.ID, releaseInProgress{user: req.User, since: time.Now()}); busy {
		p := cur.(releaseInProgress)
		return fail(ErrReleased, "a release of it by %s is under way since %s; see its result before releasing it again",
			p.user, p.since.UTC().Format(time.RFC3339))
	}
	defer s.releasing.Delete(req.ID)
	meta, err := s.Quarantine.Get(req.ID)
	if errors.Is(err, quarantine.ErrNotFound) {
		return nil, OriginalError(req.ID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", req.ID, originalCause(req.ID, err))
	}
	rec.Sender, rec.Size = meta.From, meta.Size
	if len(rec.Rcpts) == 0 {
		rec.Rcpts = meta.To
	}
	cfg := s.Config()

	var route *config.Route
	var rcpts []string
	if req.Original {
		if route, rcpts, err = originalRoute(cfg, req.To); err != nil {
			return fail(ErrRefused, "%v", err)
		}
		if err := rcptLimit(route, req.To, true, rec); err != nil {
			return nil, fmt.Errorf("release %s: %w", req.ID, err)
		}
	} else {
		if route = cfg.Route(meta.Route); route == nil {
			return fail(ErrRefused, "its route %q is no longer configured", meta.Route)
		}
		if _, ok := cfg.Policies[req.Policy]; !ok {
			return fail(ErrRefused, "no policy %q (policies: %s)", req.Policy, strings.Join(policyList(cfg), ", "))
		}
		to := req.To
		if len(to) == 0 {
			to = meta.To
		}
		if err := rcptLimit(route, to, len(req.To) > 0, rec); err != nil {
			return nil, fmt.Errorf("release %s: %w", req.ID, err)
		}
		if rcpts, err = checkRcpts(to, route.Domains); err != nil {
			return fail(ErrRefused, "%v (route %s accepts %s)", err, route.Name, strings.Join(route.Domains, ", "))
		}
	}
	rec.Route, rec.Rcpts = route.Name, rcpts
	earlier := releasedTo(meta.Releases, rcpts)
	switch {
	case len(earlier) > 0 && !req.Again:
		return fail(ErrReleased, "%s; to deliver it to them again, release it again on purpose: \"again\": true (mugai quarantine release -again)",
			describeReleases(earlier))
	case len(meta.Releases) >= quarantine.MaxReleases:
		return fail(ErrRefused, "released %d times already, the most an original is", len(meta.Releases))
	}
	rec.Again = len(earlier) > 0

	in, err := s.readOriginal(meta)
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", req.ID, originalCause(req.ID, err))
	}
	defer in.Close()

	res := &ReleaseResult{ID: meta.ID, Route: route.Name, NextHop: hopName(route.Deliver), To: rcpts, Original: req.Original}
	id := spool.NewID()
	body := in
	if !req.Original {
		lockdown := s.Lockdown()
		res.Lockdown, rec.Lockdown = lockdown, lockdown
		out := spill.New(memThreshold, s.TempDir)
		defer out.Close()
		// Dated when the original was received, as its first delivery
		// was, and from its envelope sender where it has no From; a
		// Message-ID made for it names this delivery's queue id.
		rep, err := s.sanitize(out, in, sanitize.Options{Prepared: s.preparedPolicy(cfg, req.Policy, lockdown), PolicyName: req.Policy,
			OriginalID: meta.ID, QueueID: id, Received: meta.Time.Local(), Hostname: route.Hostname, Sender: meta.From}, route.Name)
		if err != nil {
			return nil, fmt.Errorf("release %s: sanitize: %w", req.ID, err)
		}
		rec.fromReport(rep)
		if rep.Verdict != sanitize.Rebuilt {
			return fail(ErrRefused, "policy %s rejects this message: %s", req.Policy, rep.Reason)
		}
		res.Policy = req.Policy
		for _, p := range rep.Parts {
			switch p.Decision {
			case sanitize.DecisionKeep:
				res.Kept = append(res.Kept, partName(p))
			case sanitize.DecisionStrip, sanitize.DecisionReject:
				res.Removed = append(res.Removed, partName(p))
			}
		}
		body = out
	} else {
		rec.Verdict = releasedOriginal
	}

	// The record goes to disk before the message is queued: once
	// queued, a worker may deliver it at once, and no refusal takes it
	// back. Written after (Audit.Write), a record the trail could not
	// take was only held in memory, lost if the gateway stopped before
	// the disk had room again, while the release went out.
	rec.QueueID = id
	if err := s.Audit.Commit(rec); err != nil {
		rec.QueueID = ""
		return nil, fmt.Errorf("release %s: %w: %v", req.ID, ErrAuditDown, err)
	}
	rec.committed = true
	now := time.Now()
	env := spool.Envelope{Route: route.Name, From: meta.From, To: rcpts, Received: now,
		Policy: rec.Policy, QuarantineID: meta.ID, Released: true, Untouched: req.Original}
	trace := releaseReceived(route.Hostname, meta.ID, id, rcpts, now)
	r := io.MultiReader(strings.NewReader(trace), body.Reader())
	if err := s.Spool.PutID(id, env, r, int64(len(trace))+body.Size()); err != nil {
		return nil, fmt.Errorf("release %s: %w", req.ID, err) // "spool: put QUEUEID: …"
	}
	// Queued first, recorded in the quarantine next: no release is ever
	// recorded there that was not queued, and a crash between the two
	// is made good at the next start from the queued message
	// (recoverReleases), unless it was delivered and gone by then: one
	// later release can then go through again (at least once, as
	// delivery is). (The audit trail has it before either; a failure
	// from here on is a second audit record after it.)
	err = s.Quarantine.RecordRelease(meta.ID, quarantine.Release{Time: now.UTC(), User: req.User, To: rcpts,
		Policy: rec.Policy, QueueID: id, Again: rec.Again})
	switch {
	case errors.Is(err, quarantine.ErrNotFound):
		// Purged since it was read: there is nothing left to release
		// twice, and this release stands.
		s.Logger.Warn("quarantine release: original purged while it was released", "id", meta.ID, "queue_id", id)
	case err != nil:
		// Unrecorded, a second release would not be refused: take the
		// message back, unless a worker has it already.
		err = originalCause(req.ID, err)
		if _, derr := s.Spool.DeleteIf(id, func(spool.Message) bool { return true }); derr != nil {
			return nil, fmt.Errorf("release %s: recording it: %w; and the queued message %s could not be taken back (%v): it may be delivered, and a second release would not be refused", req.ID, err, id, derr)
		}
		return nil, fmt.Errorf("release %s: recording it: %w; the queued message %s was taken back", req.ID, err, id)
	}
	rec.QueueID, res.QueueID = id, id
	return res, nil
}

// rcptLimit refuses a release to more recipients than route takes in
// one message (limits.max_recipients): otherwise only the 64 KiB of the
// admin call's body bounds the list, and a release would hand the next
// hop a transaction no sending server could. The list is counted as
// given (given: the request's -to; else the original's recipients, more
// than a limit lowered since), duplicates too, before the recipients are
// checked one by one. The refusal's record keeps the first
// max_recipients of them; its reason says how many there were.
func rcptLimit(route *config.Route, to []string, given bool, rec *AuditRecord) error {
	n, limit := len(to), route.Limits.MaxRecipients
	if n <= limit {
		return nil
	}
	rec.Route = route.Name // whose limit refused it
	if len(rec.Rcpts) > limit {
		rec.Rcpts = rec.Rcpts[:limit]
	}
	what := fmt.Sprintf("%d given", n)
	if !given {
		what = fmt.Sprintf("the original has %d", n)
	}
	return fmt.Errorf("%w: %w: %s, route %s delivers to at most %d in one message (its limits.max_recipients); split them over several releases (-to)",
		ErrRefused, ErrTooManyRecipients, what, route.Name, limit)
}

// recoveredUser is the user of a release recorded at start from its
// queued message (recoverReleases), which does not keep who asked.
const recoveredUser = "unknown (recorded at start from the queued message; the audit trail names who released it)"

// recoverReleases records with their originals the releases whose
// message is queued but which the quarantine does not know: a release
// queues its message, then records itself with the original
// (RecordRelease), and a crash between the two left the original
// without it, so that a second release to the same recipients went
// through without -again, a second delivery. The queued message says
// what was released, and to whom; the audit trail has who (its record
// is written before the message is queued). Open calls it before the
// admin listener answers.
func (s *Server) recoverReleases() {
	if s.Quarantine == nil {
		return
	}
	for _, m := range s.Spool.List() {
		qid := m.Env.QuarantineID
		if !m.Env.Released || qid == "" {
			continue
		}
		meta, err := s.Quarantine.Get(qid)
		if err != nil || slices.ContainsFunc(meta.Releases, func(r quarantine.Release) bool { return r.QueueID == m.ID }) {
			continue
		}
		to := make([]string, 0, len(m.Rcpts))
		for _, r := range m.Rcpts {
			to = append(to, r.Addr)
		}
		err = s.Quarantine.RecordRelease(qid, quarantine.Release{Time: m.Created.UTC(), User: recoveredUser, To: to,
			Policy: m.Env.Policy, QueueID: m.ID, Again: len(releasedTo(meta.Releases, to)) > 0})
		if err != nil {
			s.Logger.Error("quarantine: a queued release could not be recorded with its original: a second release to its recipients is not refused",
				"id", qid, "queue_id", m.ID, "err", err)
			continue
		}
		s.Logger.Warn("quarantine: a queued release was not recorded with its original (the gateway stopped between the two); recorded now",
			"id", qid, "queue_id", m.ID, "rcpts", strings.Join(to, ","))
	}
}

// releasedTo returns the earlier releases that reached any of rcpts.
func releasedTo(releases []quarantine.Release, rcpts []string) []quarantine.Release {
	var out []quarantine.Release
	for _, r := range releases {
		// Mailbox names are compared without case, as the LGWAN servers
		// treat them: Kikaku@ is kikaku@.
		if slices.ContainsFunc(r.To, func(a string) bool {
			return slices.ContainsFunc(rcpts, func(b string) bool { return strings.EqualFold(a, b) })
		}) {
			out = append(out, r)
		}
	}
	return out
}

// describeReleases says when, by whom and to whom an original was
// released, for the refusal of another release.
func describeReleases(rs []quarantine.Release) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("on %s by %s to %s (policy %s, queue id %s)",
			r.Time.UTC().Format(time.RFC3339), r.User, strings.Join(r.To, ", "), r.Policy, r.QueueID))
	}
	return strings.Join(parts, "; ")
}

// readOriginal copies a verified original into a spill buffer (the
// sanitiser needs an io.ReaderAt) and checks its SHA-256 once more on the
// bytes it will actually use.
func (s *Server) readOriginal(meta quarantine.Meta) (*spill.Buffer, error) {
	rc, err := s.Quarantine.Original(meta.ID)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := spill.New(memThreshold, s.TempDir)
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(buf, h), rc)
	if err == nil {
		err = buf.Err()
	}
	if err != nil {
		buf.Close()
		return nil, fmt.Errorf("reading the original: %w", err)
	}
	if n != meta.Size || !strings.EqualFold(hex.EncodeToString(h.Sum(nil)), meta.SHA256) {
		buf.Close()
		return nil, quarantine.ErrTampered
	}
	return buf, nil
}

// releasedOriginal is the policy a released untouched original is
// queued and recorded under.
const releasedOriginal = "original"

// untouchedOriginal reports whether env is that of an untouched original
// released from quarantine. Env.Untouched says so; a message queued by
// a version without it has only its policy, "original", which is also
// a name an operator may give a policy: it counts when cfg has no
// policy of that name.
func untouchedOriginal(env spool.Envelope, cfg *config.Config) bool {
	if !env.Released {
		return false
	}
	if env.Untouched {
		return true
	}
	_, named := cfg.Policies[releasedOriginal]
	return env.Policy == releasedOriginal && !named
}

// refusedOriginal says why (or "" if not) the configuration in force,
// cfg and the route rt the message is queued on, no longer lets a
// released untouched original go to addr. The release checked all of it
// (originalRoute), but under the configuration of its time: the message
// may wait in the queue for retries, over reloads that take addr's
// domain out of quarantine.release_original_to or out of the route's
// domains, or make the route sanitise (its next hop then the LGWAN
// side). The delivery checks again, and such a recipient fails (for the
// administrator, as a released message's failures are).
func refusedOriginal(cfg *config.Config, rt *config.Route, addr string) string {
	switch {
	case rt.Policy != config.PolicyNone:
		return "released original not delivered: route " + rt.Name + " sanitises now (policy " + rt.Policy +
			"), and an untouched original never leaves through a sanitising route"
	case !rcptAllowed(addr, cfg.Quarantine.ReleaseOriginalTo):
		return "released original not delivered: its recipient's domain is no longer in quarantine.release_original_to"
	case !rcptAllowed(addr, rt.Domains):
		return "released original not delivered: its recipient's domain is no longer one of route " + rt.Name + "'s domains"
	}
	return ""
}

func rcptAllowed(addr string, domains []string) bool {
	_, err := checkRcpts([]string{addr}, domains)
	return err == nil
}

// originalRoute picks where an untouched original may go: every
// recipient's domain must be in quarantine.release_original_to, and the
// message leaves through the first pass-through route (policy none) whose
// domains take all of them. It never goes out through a sanitising route:
// that route's next hop is the LGWAN side, where nothing unsanitised may
// arrive (DESIGN.md invariant 1).
func originalRoute(cfg *config.Config, to []string) (*config.Route, []string, error) {
	allowed := cfg.Quarantine.ReleaseOriginalTo
	if len(allowed) == 0 {
		return nil, nil, errors.New("quarantine.release_original_to is empty: untouched originals cannot be released")
	}
	rcpts, err := checkRcpts(to, allowed)
	if err != nil {
		return nil, nil, fmt.Errorf("%v: untouched originals go only to quarantine.release_original_to (%s)", err, strings.Join(allowed, ", "))
	}
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if r.Policy != config.PolicyNone {
			continue
		}
		if _, err := checkRcpts(rcpts, r.Domains); err == nil {
			return r, rcpts, nil
		}
	}
	return nil, nil, fmt.Errorf("no pass-through route (policy none) accepts %s; an untouched original never leaves through a sanitising route", strings.Join(rcpts, ", "))
}

// requestedRcpts is the recipients a release asks for, as the audit
// trail records them before they are checked (a refused address is
// recorded as given, through recordText).
func requestedRcpts(to []string) []string {
	var out []string
	for _, a := range to {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, recordText(a, maxPathLength))
		}
	}
	return out
}

// checkRcpts normalises addresses and refuses any outside domains (and
// every relay trick parseRcpt refuses in a session). An address given
// twice, in any case, is kept once (the first form): a release compares
// mailboxes without case (releasedTo), so Kikaku@ and kikaku@ in one
// release are one delivery, not two.
func checkRcpts(to []string, domains []string) ([]string, error) {
	var out []string
	for _, a := range to {
		a = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(a), "<"), ">"))
		n, serr := parseRcpt(a, domains)
		if serr != nil {
			return nil, fmt.Errorf("recipient %q not allowed", a)
		}
		if !slices.ContainsFunc(out, func(a string) bool { return strings.EqualFold(a, n) }) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no recipients")
	}
	return out, nil
}

// releaseReceived is the trace field of a release (RFC 5321 4.4): the
// message did not come in over SMTP, so it says where it came from
// instead. It names the quarantine id, never the admin.
func releaseReceived(hostname, qid, id string, rcpts []string, now time.Time) string {
	for_ := ""
	if len(rcpts) == 1 {
		for_ = fmt.Sprintf("\r\n\tfor <%s>", rcpts[0])
	}
	return fmt.Sprintf("Received: by %s (mugai, released from quarantine %s)\r\n\twith local id %s%s;\r\n\t%s\r\n",
		hostname, qid, id, for_, now.Format(time.RFC1123Z))
}

func partName(p sanitize.Part) string {
	if p.Filename != "" {
		return p.Filename
	}
	return p.Path + " (" + p.Class + ")"
}

func policyList(cfg *config.Config) []string {
	var names []string
	for n := range cfg.Policies {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// PurgeResult says what a purge removed.
type PurgeResult struct {
	Before time.Time `json:"before"` // originals received before this went
	Purged int       `json:"purged"`
	Bytes  int64     `json:"bytes"`
}

// PurgeQuarantine is a purge by hand (mugai quarantine purge): it deletes
// every original older than olderThan, writes one audit record per
// original with reason "manual", user and why, and counts them as
// mugai_quarantine_purged_total{reason="manual"}, apart from the
// scheduled retention purge.
func (s *Server) PurgeQuarantine(olderThan time.Duration, user, why string) (PurgeResult, error) {
	switch {
	case s.Quarantine == nil:
		return PurgeResult{}, ErrNoQuarantine
	case olderThan <= 0:
		return PurgeResult{}, fmt.Errorf("purge: %w: the age must be positive", ErrInvalid)
	case strings.TrimSpace(user) == "" || strings.TrimSpace(why) == "":
		return PurgeResult{}, fmt.Errorf("purge: %w: user and reason are required (they go to the audit trail)", ErrInvalid)
	}
	if err := checkOperator(user, why); err != nil {
		return PurgeResult{}, fmt.Errorf("purge: %w", err)
	}
	if err := s.auditReady(); err != nil {
		return PurgeResult{}, fmt.Errorf("purge: %w", err)
	}
	// What goes cannot come back: a record of who purged what goes to
	// disk first (Audit.Commit), or nothing is purged. The records of
	// each original, written after, may be held in memory while the
	// trail cannot take them (and lost if the gateway stops then).
	cutoff := time.Now().Add(-olderThan)
	if victims := s.Quarantine.List(func(m quarantine.Meta) bool { return m.Time.Before(cutoff) }); len(victims) > 0 {
		var size int64
		for _, m := range victims {
			size += m.Size
		}
		rec := &AuditRecord{Time: time.Now().UTC(), Event: "purge", Verdict: "requested", User: user, Why: why, Size: size,
			Reason: fmt.Sprintf("%s: %d original(s) received before %s", metrics.PurgeManual, len(victims), cutoff.UTC().Format(time.RFC3339))}
		if err := s.Audit.Commit(rec); err != nil {
			return PurgeResult{}, fmt.Errorf("purge: %w: %v", ErrAuditDown, err)
		}
	}
	return s.purgeBefore(cutoff, metrics.PurgeManual, user, why)
}

// purgeBefore purges the originals received before cutoff.
func (s *Server) purgeBefore(cutoff time.Time, reason, user, why string) (PurgeResult, error) {
	res := PurgeResult{Before: cutoff}
	// The store's Purge says how many went, not which: list them first
	// (every new original is younger than cutoff, so the list cannot
	// miss one) and audit those that are gone afterwards.
	victims := s.Quarantine.List(func(m quarantine.Meta) bool { return m.Time.Before(cutoff) })
	n, b, err := s.Quarantine.Purge(cutoff)
	res.Purged, res.Bytes = n, b
	if n > 0 {
		s.Metrics.QuarantinePurged.WithLabelValues(reason).Add(float64(n))
	}
	now := time.Now().UTC()
	for _, m := range victims {
		if _, gerr := s.Quarantine.Get(m.ID); !errors.Is(gerr, quarantine.ErrNotFound) {
			continue
		}
		s.Audit.Write(&AuditRecord{Time: now, Event: "purge", Route: m.Route, Sender: m.From, Rcpts: m.To,
			Size: m.Size, Policy: m.Policy, Verdict: "purged", Reason: reason, QuarantineID: m.ID, User: user, Why: why})
	}
	s.updateQuarantineGauges()
	s.updateOrphans(false)
	if err != nil {
		return res, fmt.Errorf("purge: %w", err)
	}
	if n > 0 {
		s.Logger.Info("quarantine purged", "originals", n, "bytes", b, "before", cutoff.Format(time.RFC3339), "user", user, "reason", reason)
	}
	return res, nil
}

// StartQuarantinePurge applies quarantine.retention at once and then every
// hour, and keeps mugai_quarantine_messages and mugai_quarantine_bytes
// current, until ctx ends. mugai serve calls it after Start.
func (s *Server) StartQuarantinePurge(ctx context.Context) {
	if s.Quarantine == nil {
		return
	}
	go s.quarantineLoop(ctx, purgeInterval, quarantineGaugeTick)
}

func (s *Server) quarantineLoop(ctx context.Context, every, gauges time.Duration) {
	purge := time.NewTicker(every)
	defer purge.Stop()
	tick := time.NewTicker(gauges)
	defer tick.Stop()
	s.retentionPurge(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case <-purge.C:
			s.retentionPurge(time.Now())
		case <-tick.C:
			s.updateQuarantineGauges()
		}
	}
}

// retentionPurge is the scheduled purge: originals older than
// quarantine.retention (of the configuration in force) at now.
func (s *Server) retentionPurge(now time.Time) {
	ret := s.Config().Quarantine.Retention.D()
	if ret <= 0 {
		s.updateQuarantineGauges()
		return
	}
	why := "quarantine.retention " + config.Duration(ret).String()
	if _, err := s.purgeBefore(now.Add(-ret), metrics.PurgeRetention, purgeUser, why); err != nil && !errors.Is(err, quarantine.ErrClosed) {
		s.Logger.Error("quarantine retention purge failed", "err", err)
	}
}

func (s *Server) updateQuarantineGauges() {
	if s.Quarantine == nil {
		return
	}
	n, b := s.Quarantine.Stats()
	s.Metrics.QuarantineMessages.Set(float64(n))
	s.Metrics.QuarantineBytes.Set(float64(b))
}

// MaxBytesPurged counts and audits the originals the quarantine purged
// on its own to stay under quarantine.max_bytes (wired as the store's
// OnMaxBytesPurge).
func (s *Server) MaxBytesPurged(purged []quarantine.Meta) {
	s.Metrics.QuarantinePurged.WithLabelValues(metrics.PurgeMaxBytes).Add(float64(len(purged)))
	now := time.Now().UTC()
	cfg := s.Config()
	if slices.ContainsFunc(purged, func(m quarantine.Meta) bool { return cfg.Route(m.Route) == nil }) {
		// Counted again apart: the store calls this, and it may not
		// be listed from here.
		go s.updateOrphans(false)
	}
	for _, m := range purged {
		s.Audit.Write(&AuditRecord{Time: now, Event: "purge", Route: m.Route, Sender: m.From, Rcpts: m.To,
			Size: m.Size, Policy: m.Policy, Verdict: "purged", Reason: metrics.PurgeMaxBytes, QuarantineID: m.ID,
			User: "mugai", Why: "quarantine.max_bytes reached"})
	}
	s.Logger.Warn("quarantine full: oldest originals purged", "originals", len(purged))
}

// OrphanedOriginals counts the originals q keeps for a route that cfg
// does not have (removed or renamed since), by that route's name. They
// cannot be released under a policy: a release goes through the
// original's route ("its route %q is no longer configured").
func OrphanedOriginals(q *quarantine.Store, cfg *config.Config) map[string]int {
	out := map[string]int{}
	q.List(func(m quarantine.Meta) bool {
		if cfg.Route(m.Route) == nil {
			out[m.Route]++
		}
		return false
	})
	return out
}

// updateOrphans sets mugai_quarantine_orphaned_originals{route} for the
// configuration in force, a series for each route the originals name
// and it does not have; with warn it also logs one warning naming how
// many originals and which routes, at start and on reload, so that the
// operator who removed or renamed a route is told what it left behind.
func (s *Server) updateOrphans(warn bool) {
	if s.Quarantine == nil {
		return
	}
	s.orphans.Lock()
	defer s.orphans.Unlock()
	orphans := OrphanedOriginals(s.Quarantine, s.Config())
	for r := range s.orphans.routes {
		if orphans[r] == 0 {
			s.Metrics.QuarantineOrphaned.DeleteLabelValues(r)
			delete(s.orphans.routes, r)
		}
	}
	if s.orphans.routes == nil {
		s.orphans.routes = map[string]bool{}
	}
	n, routes := 0, make([]string, 0, len(orphans))
	for r, c := range orphans {
		s.Metrics.QuarantineOrphaned.WithLabelValues(r).Set(float64(c))
		s.orphans.routes[r] = true
		n += c
		routes = append(routes, r)
	}
	if warn && n > 0 {
		slices.Sort(routes)
		s.Logger.Warn("quarantine: originals of routes no longer configured cannot be released under a policy; "+
			"configure the route again under its old name to release them, or release them untouched with -original, "+
			"or let retention purge them (deploy/README.md, \"Originals of a removed route\")",
			"originals", n, "routes", routes)
	}
}
