package gateway

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mugai/config"
	"mugai/gateway/spool"
)

// QueueListMax is how many messages a listing gives unless it asks for
// fewer: a queue of tens of thousands during an outage is summarised
// (QueueSummarise) and narrowed with a filter, not printed whole, and a
// listing copies at most this many (spool.Select; the quarantine listing
// caps at the same number).
const QueueListMax = 5000

// QueueFilter narrows a queue listing; the zero value takes every
// message, up to QueueListMax.
type QueueFilter struct {
	Route     string        // the route's name ("inbound", or "inbound/bounces")
	State     string        // active, deferred or failed
	Domain    string        // a recipient's domain, any case
	OlderThan time.Duration // received (or requeued) at least this long ago
	Failed    bool          // with a failed recipient (mugai queue failed), whatever its state
	Limit     int           // at most this many (1 to QueueListMax; 0: QueueListMax)
}

// ParseQueueFilter reads a filter from the query of GET /queue: route,
// state, domain, older_than (a duration: 30m, 2h, 1d), failed (true:
// with a failed recipient) and limit.
func ParseQueueFilter(q url.Values) (QueueFilter, error) {
	f := QueueFilter{Route: q.Get("route"), State: q.Get("state"), Domain: strings.ToLower(strings.TrimSuffix(q.Get("domain"), "."))}
	if v := q.Get("failed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, fmt.Errorf("failed %q: true or false", v)
		}
		f.Failed = b
	}
	switch f.State {
	case "", "active", "deferred", "failed":
	default:
		return f, fmt.Errorf("state %q: one of active, deferred, failed", f.State)
	}
	if v := q.Get("older_than"); v != "" {
		d, err := config.ParseDuration(v)
		if err != nil || d < 0 {
			return f, fmt.Errorf("older_than %q: a duration such as 30m, 2h or 1d", v)
		}
		f.OlderThan = time.Duration(d)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > QueueListMax {
			return f, fmt.Errorf("limit %q: a number from 1 to %d", v, QueueListMax)
		}
		f.Limit = n
	}
	return f, nil
}

// Values is f as the query of GET /queue.
func (f QueueFilter) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"route": f.Route, "state": f.State, "domain": f.Domain} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.OlderThan > 0 {
		v.Set("older_than", config.Duration(f.OlderThan).String())
	}
	if f.Failed {
		v.Set("failed", "true")
	}
	if f.Limit > 0 {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	return v
}

func (f QueueFilter) match(m spool.Message, now time.Time) bool {
	// m is the spool's own (Select): read, never kept.
	if f.Route != "" && m.Env.Route != f.Route {
		return false
	}
	if f.State != "" && queueView(m).State != f.State {
		return false
	}
	if f.OlderThan > 0 && now.Sub(waitingSince(m)) < f.OlderThan {
		return false
	}
	if f.Failed && !slices.ContainsFunc(m.Rcpts, func(r spool.Recipient) bool { return r.State == spool.Failed }) {
		return false
	}
	if f.Domain != "" && !slices.ContainsFunc(m.Rcpts, func(r spool.Recipient) bool { return rcptDomain(r.Addr) == f.Domain }) {
		return false
	}
	return true
}

// rcptDomain is an address's domain in lower case ("" without one).
func rcptDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(addr[i+1:])
}

// QueueSelect lists the live messages of sp that f takes, in arrival
// order, at most f.Limit (QueueListMax) of them, and how many it took in
// all.
func QueueSelect(sp *spool.Spool, f QueueFilter, now time.Time) (msgs []QueueMessage, total int) {
	limit := f.Limit
	if limit <= 0 {
		limit = QueueListMax
	}
	sel, total := sp.Select(func(m *spool.Message) bool { return f.match(*m, now) }, limit)
	msgs = make([]QueueMessage, 0, len(sel))
	for _, m := range sel {
		msgs = append(msgs, queueView(m))
	}
	return msgs, total
}

// QueueSummary counts the queue by route and state, and by recipient
// domain and age, as Postfix's qshape does: what an operator asks first
// of a queue grown in an outage.
type QueueSummary struct {
	Total  int              `json:"total"`
	States map[string]int   `json:"states"` // active, deferred, failed
	Routes []QueueRouteLine `json:"routes"`
	// Ages are the bounds of the age columns of each domain line: a
	// message counts in the first it is younger than, the last column
	// holding the older ones.
	Ages    []string          `json:"ages"`
	Domains []QueueDomainLine `json:"domains"` // the most recipients first; at most QueueSummaryDomains, then one "(other)"
}

// QueueRouteLine is one route's messages by state.
type QueueRouteLine struct {
	Route  string         `json:"route"`
	Total  int            `json:"total"`
	States map[string]int `json:"states"`
	// Suspended: delivery to this queue's next hop is suspended (the
	// running gateway's GET /queue/summary says it).
	Suspended *QueueSuspension `json:"suspended,omitempty"`
}

// QueueDomainLine counts the waiting recipients of one domain (not done,
// not failed) by the age of their message.
type QueueDomainLine struct {
	Domain string    `json:"domain"`
	Total  int       `json:"total"`
	ByAge  []int     `json:"by_age"`
	Oldest time.Time `json:"oldest"`
}

// QueueSummaryDomains bounds the domain lines of a summary.
const QueueSummaryDomains = 20

var queueAges = []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// QueueSummarise summarises the live messages of sp, copying none: its
// memory is that of the summary.
func QueueSummarise(sp *spool.Spool, now time.Time) QueueSummary {
	s := QueueSummary{States: map[string]int{}}
	for _, a := range queueAges {
		s.Ages = append(s.Ages, "<"+config.Duration(a).String())
	}
	s.Ages = append(s.Ages, ">="+config.Duration(queueAges[len(queueAges)-1]).String())
	routes := map[string]*QueueRouteLine{}
	domains := map[string]*QueueDomainLine{}
	sp.Select(func(mp *spool.Message) bool {
		m := *mp // read under the spool's lock, not kept
		st := queueView(m).State
		s.Total++
		s.States[st]++
		r := routes[m.Env.Route]
		if r == nil {
			r = &QueueRouteLine{Route: m.Env.Route, States: map[string]int{}}
			routes[m.Env.Route] = r
		}
		r.Total++
		r.States[st]++
		since := waitingSince(m) // received, or requeued
		col := len(queueAges)
		for i, a := range queueAges {
			if now.Sub(since) < a {
				col = i
				break
			}
		}
		for _, rc := range m.Rcpts {
			if rc.State != spool.Pending && rc.State != spool.Deferred {
				continue
			}
			dom := rcptDomain(rc.Addr)
			d := domains[dom]
			if d == nil {
				d = &QueueDomainLine{Domain: dom, ByAge: make([]int, len(queueAges)+1)}
				domains[dom] = d
			}
			d.Total++
			d.ByAge[col]++
			if d.Oldest.IsZero() || since.Before(d.Oldest) {
				d.Oldest = since
			}
		}
		return false
	}, 0)
	for _, r := range routes {
		s.Routes = append(s.Routes, *r)
	}
	slices.SortFunc(s.Routes, func(a, b QueueRouteLine) int { return strings.Compare(a.Route, b.Route) })
	var ds []QueueDomainLine
	for _, d := range domains {
		ds = append(ds, *d)
	}
	slices.SortFunc(ds, func(a, b QueueDomainLine) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), strings.Compare(a.Domain, b.Domain))
	})
	if len(ds) > QueueSummaryDomains {
		other := QueueDomainLine{Domain: "(other)", ByAge: make([]int, len(queueAges)+1)}
		for _, d := range ds[QueueSummaryDomains:] {
			other.Total += d.Total
			for i, n := range d.ByAge {
				other.ByAge[i] += n
			}
			if other.Oldest.IsZero() || d.Oldest.Before(other.Oldest) {
				other.Oldest = d.Oldest
			}
		}
		ds = append(ds[:QueueSummaryDomains], other)
	}
	s.Domains = ds
	if s.Domains == nil {
		s.Domains = []QueueDomainLine{}
	}
	if s.Routes == nil {
		s.Routes = []QueueRouteLine{}
	}
	return s
}
