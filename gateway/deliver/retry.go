package deliver

import (
	"math/rand/v2"
	"time"
)

// Retry schedule defaults, as Postfix's minimal_backoff_time (300s),
// maximal_backoff_time (4000s) and maximal_queue_lifetime (5d).
const (
	DefaultRetryInitial  = 5 * time.Minute
	DefaultRetryMax      = 4000 * time.Second
	DefaultRetryLifetime = 5 * 24 * time.Hour
	// Jitter is the spread of a delay: ±10%, so that messages deferred
	// together (a next-hop outage) do not all come back in the same second.
	Jitter = 0.1
)

// Backoff is the delay before the next attempt after attempt failed
// attempts (1 for the first failure): initial doubled per failure, capped
// at max, spread by ±Jitter and never above max. attempt < 1 counts as 1,
// a max below initial is raised to initial, and a nil rnd gives no jitter.
func Backoff(attempt int, initial, max time.Duration, rnd *rand.Rand) time.Duration {
	if initial <= 0 {
		initial = DefaultRetryInitial
	}
	if max < initial {
		max = initial
	}
	d := initial
	for i := 1; i < attempt && d < max; i++ {
		if d > max/2 {
			d = max // and no overflow
			break
		}
		d *= 2
	}
	if rnd != nil {
		d = time.Duration(float64(d) * (1 + Jitter*(2*rnd.Float64()-1)))
	}
	if d > max {
		d = max
	}
	return d
}

// Expired reports whether a message first queued at first has been in the
// queue for lifetime or longer at now, so that its remaining deferred
// recipients fail. A lifetime of zero or less expires at once, which
// allows a single attempt (as maximal_queue_lifetime = 0 in Postfix).
func Expired(first time.Time, lifetime time.Duration, now time.Time) bool {
	return now.Sub(first) >= lifetime
}
