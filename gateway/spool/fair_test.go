package spool

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// backlog queues n messages and records a failed attempt for each, due
// again at nextAttempt: a retry backlog as an outage of the next hop
// leaves it. Puts and updates run side by side, so that group commit
// shares their fsyncs.
func backlog(t *testing.T, s *Spool, n int, nextAttempt time.Time) map[string]bool {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				if _, err := s.Put(env("user@lgwan.example"), strings.NewReader("old"), 3); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	ms := make([]*Message, n)
	for i := range ms {
		ms[i] = mustNext(t, s)
	}
	ids := map[string]bool{}
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				if err := s.Update(ms[i].ID, withStates(ms[i], Deferred, nextAttempt, "451 4.3.0 try later")); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, m := range ms {
		ids[m.ID] = true
	}
	return ids
}

// takenAt puts a new message and returns after how many Next calls it
// came out (1: the first), leasing what came before it.
func takenAt(t *testing.T, s *Spool, limit int) int {
	t.Helper()
	id := put(t, s, "new")
	for i := 1; i <= limit; i++ {
		if m := mustNext(t, s); m.ID == id {
			return i
		}
	}
	t.Fatalf("new message %s not among the first %d taken", id, limit)
	return 0
}

// TestNewMailNotBehindRetries: new mail is not queued behind a backlog of
// retries that are due (a retry wave, "retry all", the same after a
// restart); in one heap ordered by due time it came after all 1,000.
func TestNewMailNotBehindRetries(t *testing.T) {
	const n = 1000
	t.Run("overdue", func(t *testing.T) {
		s := openSpool(t, t.TempDir(), Options{})
		defer s.Close()
		backlog(t, s, n, time.Now().Add(-time.Minute))
		if got := takenAt(t, s, n+1); got > 2 {
			t.Errorf("new message taken %dth after %d overdue retries, want among the first 2", got, n)
		}
	})
	t.Run("retry all", func(t *testing.T) {
		s := openSpool(t, t.TempDir(), Options{})
		defer s.Close()
		backlog(t, s, n, time.Now().Add(time.Hour))
		if _, err := next(t, s, 30*time.Millisecond); err == nil {
			t.Fatal("Next returned a message deferred for an hour")
		}
		s.KickAll()
		if got := takenAt(t, s, n+1); got > 2 {
			t.Errorf("new message taken %dth after retry all of %d, want among the first 2", got, n)
		}
	})
	t.Run("retry ID", func(t *testing.T) {
		// The operator's retry of one message goes with the new mail
		// too, for that attempt; the rest of the backlog stays retries.
		s := openSpool(t, t.TempDir(), Options{})
		defer s.Close()
		var id string
		for x := range backlog(t, s, n, time.Now().Add(-time.Minute)) {
			id = max(id, x) // the last in line
		}
		if err := s.Kick(id); err != nil {
			t.Fatal(err)
		}
		for i := 1; ; i++ {
			if m := mustNext(t, s); m.ID == id {
				if i > 2 {
					t.Errorf("message retried by ID taken %dth after %d overdue retries, want among the first 2", i, n)
				}
				break
			}
		}
	})
	t.Run("requeued", func(t *testing.T) {
		// Put back by an operator after it failed: it goes with the new
		// mail, though it is older than the whole backlog.
		s := openSpool(t, t.TempDir(), Options{})
		defer s.Close()
		id := put(t, s, "refused")
		m := mustNext(t, s)
		if err := s.Update(id, withStates(m, Failed, time.Time{}, "550 5.1.1 no such user")); err != nil {
			t.Fatal(err)
		}
		backlog(t, s, n, time.Now().Add(-time.Minute))
		if _, err := s.Requeue(id, time.Now()); err != nil {
			t.Fatal(err)
		}
		for i := 1; ; i++ {
			if m := mustNext(t, s); m.ID == id {
				if i > 2 {
					t.Errorf("requeued message taken %dth after %d overdue retries, want among the first 2", i, n)
				}
				break
			}
		}
	})
	t.Run("after restart", func(t *testing.T) {
		dir := t.TempDir()
		s := openSpool(t, dir, Options{})
		at := time.Now().Add(-time.Minute).Round(time.Millisecond)
		ids := backlog(t, s, n, at)
		s.Close()
		s = openSpool(t, dir, Options{})
		defer s.Close()
		// The retry times came back from the log, and with them the
		// kind: all n are retries, due since at.
		for id := range ids {
			m, err := s.Get(id)
			if err != nil || m.Rcpts[0].State != Deferred || !m.Rcpts[0].NextAttempt.Equal(at) {
				t.Fatalf("after reopening %s: %+v, %v; want deferred until %s", id, m.Rcpts, err, at)
			}
		}
		if got := takenAt(t, s, n+1); got > 2 {
			t.Errorf("new message taken %dth after %d overdue retries and a restart, want among the first 2", got, n)
		}
	})
}

// TestRetriesNotStarved: under new mail arriving faster than it is
// taken, retries still get every other message, and the backlog drains;
// once it is gone new mail has every turn. It takes with NextFor, as a
// route's delivery workers do.
func TestRetriesNotStarved(t *testing.T) {
	const n = 200
	s := openSpool(t, t.TempDir(), Options{})
	defer s.Close()
	old := backlog(t, s, n, time.Now().Add(-time.Minute))
	take := func() *Message {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m, err := s.NextFor(ctx, "inbound")
		if err != nil {
			t.Fatalf("NextFor: %v", err)
		}
		return m
	}
	retries, fresh := 0, 0
	for round := 0; retries < n; round++ {
		if round > 2*n {
			t.Fatalf("%d rounds: %d of %d retries taken, %d new", round, retries, n, fresh)
		}
		// Three new messages for each two taken: new mail alone would
		// keep every worker busy.
		for range 3 {
			put(t, s, "new")
		}
		var kinds [2]bool
		for i := range 2 {
			kinds[i] = old[take().ID]
			if kinds[i] {
				retries++
			} else {
				fresh++
			}
		}
		if kinds[0] == kinds[1] {
			t.Fatalf("round %d: two %s messages in a row (retry: %v); want them in turn", round, map[bool]string{true: "retry", false: "new"}[kinds[0]], kinds[0])
		}
	}
	if fresh != n {
		t.Errorf("%d new messages taken while %d retries drained, want %d", fresh, n, n)
	}
	// The backlog is gone: the new mail waiting is taken back to back.
	for range 4 {
		if m := take(); old[m.ID] {
			t.Fatalf("retry %s taken again", m.ID)
		}
	}
}
