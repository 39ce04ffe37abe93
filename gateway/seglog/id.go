package seglog

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// crockford is Crockford's base32 alphabet: no I, L, O, U, and in ASCII
// order, so encoded ids sort like the numbers they encode.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var idEncoding = base32.NewEncoding(crockford).WithPadding(base32.NoPadding)

// IDLen is the length of ids made by IDSource.
const IDLen = 16

// IDSource makes ids that are short (16 characters), unique, ordered by
// time (milliseconds) and safe in file names and SMTP replies: 48 bits of
// Unix milliseconds and a 32-bit counter that starts at a random value each
// millisecond, in Crockford base32. The zero value is ready to use.
type IDSource struct {
	mu   sync.Mutex
	ms   int64
	next uint32
}

// New returns a new id for time now. Ids from one source never repeat and
// never go backwards, even if the clock does.
func (g *IDSource) New(now time.Time) string {
	ms := now.UnixMilli()
	g.mu.Lock()
	if ms > g.ms {
		g.ms = ms
		var b [4]byte
		rand.Read(b[:])
		g.next = binary.BigEndian.Uint32(b[:]) >> 1 // leaves 2^31 ids of room in this millisecond
	} else if g.next == 1<<32-1 {
		g.ms++ // counter exhausted: borrow the next millisecond
		g.next = 0
	}
	ms, c := g.ms, g.next
	g.next++
	g.mu.Unlock()
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(ms)<<16)
	binary.BigEndian.PutUint32(b[6:], c)
	return idEncoding.EncodeToString(b[:])
}

// NewID returns an id of the same form without any state: 48 bits of
// Unix milliseconds and 32 random bits. Two calls in the same millisecond
// collide with probability 2^-32, so stores check for ids in use; an
// IDSource never repeats.
func NewID(now time.Time) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:])
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the form of an IDSource id.
func ValidID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(crockford, rune(s[i])) {
			return false
		}
	}
	return true
}

// IDTime is the millisecond an id was made in (zero time if s is not valid).
func IDTime(s string) time.Time {
	if !ValidID(s) {
		return time.Time{}
	}
	b, err := idEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}
	}
	ms := int64(binary.BigEndian.Uint64(b[:8]) >> 16)
	return time.UnixMilli(ms)
}
