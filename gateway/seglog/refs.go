package seglog

import (
	"math"
	"slices"
	"sync"
)

// Refs is the bookkeeping an owner needs to decide which segments it may
// remove. It is not safe for concurrent use; the owner guards it with its
// own lock.
//
// Two kinds of reference keep a segment:
//
//   - counted references (Ref/Unref): a live item has its data or latest
//     state there, or a reader has pinned it;
//   - final-record pins (Copy/Finish): the record that ends an item (a
//     tombstone, a "done" state) must outlive every segment still holding
//     a copy of the item's data. Otherwise removing the segment with the
//     tombstone first would bring the item back on the next Open.
type Refs struct {
	count  map[uint64]int
	copies map[string][]uint64            // id → segments holding a data record of it
	bySeg  map[uint64]map[string]struct{} // segment → ids with a data record there
	final  map[string]uint64              // finished id → segment of its final record
	// inflight counts appends under way by the segment that was current
	// when each began: those segments and later ones are kept.
	inflight map[uint64]int
}

// NewRefs returns empty bookkeeping.
func NewRefs() *Refs {
	return &Refs{
		count:  map[uint64]int{},
		copies: map[string][]uint64{},
		bySeg:  map[uint64]map[string]struct{}{},
		final:  map[string]uint64{},

		inflight: map[uint64]int{},
	}
}

// Begin notes an append in flight on l and returns the segment to pass
// to End: until then that segment and the later ones are not removed, so
// a record written but not yet in the owner's index never loses its
// segment.
func (r *Refs) Begin(l *Log) uint64 {
	seg := l.Current()
	r.inflight[seg]++
	return seg
}

// End closes what Begin opened.
func (r *Refs) End(seg uint64) {
	if r.inflight[seg]--; r.inflight[seg] <= 0 {
		delete(r.inflight, seg)
	}
}

// dead lists the segments of segs that hold nothing live: not current,
// below every append in flight, no counted reference.
func (r *Refs) dead(segs []Segment) []uint64 {
	floor := uint64(math.MaxUint64)
	for seg := range r.inflight {
		floor = min(floor, seg)
	}
	var dead []uint64
	for _, sg := range segs {
		if !sg.Current && sg.Seq < floor && !r.Used(sg.Seq) {
			dead = append(dead, sg.Seq)
		}
	}
	return dead
}

// RemoveDead removes every segment of l that holds nothing live as refs
// counts it. mu guards refs; stop, called with mu held, ends the work
// early (the owner is closing).
func (l *Log) RemoveDead(mu sync.Locker, refs *Refs, stop func() bool) error {
	for {
		segs := l.Segments()
		mu.Lock()
		if stop != nil && stop() {
			mu.Unlock()
			return nil
		}
		dead := refs.dead(segs)
		mu.Unlock()
		if len(dead) == 0 {
			return nil
		}
		for _, seq := range dead {
			if err := l.Remove(seq); err != nil {
				return err
			}
			mu.Lock()
			refs.Removed(seq)
			mu.Unlock()
		}
	}
}

// Ref adds a counted reference to seg.
func (r *Refs) Ref(seg uint64) { r.count[seg]++ }

// Unref drops a counted reference to seg.
func (r *Refs) Unref(seg uint64) {
	if r.count[seg]--; r.count[seg] <= 0 {
		delete(r.count, seg)
	}
}

// Copy records that seg holds a data record of id.
func (r *Refs) Copy(id string, seg uint64) {
	if slices.Contains(r.copies[id], seg) {
		return
	}
	r.copies[id] = append(r.copies[id], seg)
	m := r.bySeg[seg]
	if m == nil {
		m = map[string]struct{}{}
		r.bySeg[seg] = m
	}
	m[id] = struct{}{}
}

// Finish records that id ended with a record in seg: seg is pinned until
// every other segment holding a copy of id is removed. A later Finish of the
// same id (a copy written after an earlier final record) replaces the pin.
func (r *Refs) Finish(id string, seg uint64) {
	if old, ok := r.final[id]; ok {
		r.Unref(old)
		delete(r.final, id)
	}
	if r.pinning(id, seg) {
		r.final[id] = seg
		r.Ref(seg)
		return
	}
	r.forget(id)
}

// pinning reports whether a copy of id lives outside seg.
func (r *Refs) pinning(id string, seg uint64) bool {
	for _, s := range r.copies[id] {
		if s != seg {
			return true
		}
	}
	return false
}

func (r *Refs) forget(id string) {
	for _, s := range r.copies[id] {
		if m := r.bySeg[s]; m != nil {
			delete(m, id)
			if len(m) == 0 {
				delete(r.bySeg, s)
			}
		}
	}
	delete(r.copies, id)
}

// Removed tells the bookkeeping that seg is gone; final-record pins that
// were waiting for it are released.
func (r *Refs) Removed(seg uint64) {
	for id := range r.bySeg[seg] {
		cs := slices.DeleteFunc(r.copies[id], func(s uint64) bool { return s == seg })
		r.copies[id] = cs
		if f, ok := r.final[id]; ok && !r.pinning(id, f) {
			r.Unref(f)
			delete(r.final, id)
			r.forget(id)
		}
	}
	delete(r.bySeg, seg)
	delete(r.count, seg)
}

// Used reports whether anything still references seg.
func (r *Refs) Used(seg uint64) bool { return r.count[seg] > 0 }

// Count is the number of references to seg (for tests and diagnostics).
func (r *Refs) Count(seg uint64) int { return r.count[seg] }
