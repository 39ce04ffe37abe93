package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openSpool(t testing.TB, dir string, opt Options) *Spool {
	t.Helper()
	s, err := Open(dir, opt)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

func env(to ...string) Envelope {
	return Envelope{
		Route: "inbound", From: "sender@example.com", To: to,
		ClientAddr: "192.0.2.1:4321", Helo: "mx.example.com", TLS: true,
		Received: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC), Policy: "default", QuarantineID: "Q1",
	}
}

func put(t testing.TB, s *Spool, body string, to ...string) string {
	t.Helper()
	if len(to) == 0 {
		to = []string{"user@lgwan.example"}
	}
	id, err := s.Put(env(to...), strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return id
}

func bodyOf(t testing.TB, s *Spool, id string) string {
	t.Helper()
	r, err := s.Body(id)
	if err != nil {
		t.Fatalf("Body(%s): %v", id, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("Body(%s): read: %v", id, err)
	}
	return string(b)
}

func next(t testing.TB, s *Spool, wait time.Duration) (*Message, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return s.Next(ctx)
}

func mustNext(t testing.TB, s *Spool) *Message {
	t.Helper()
	m, err := next(t, s, 5*time.Second)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return m
}

func withStates(m *Message, st State, nextAttempt time.Time, msg string) []Recipient {
	rc := append([]Recipient(nil), m.Rcpts...)
	for i := range rc {
		rc[i].State = st
		rc[i].Attempts++
		rc[i].NextAttempt = nextAttempt
		rc[i].LastError = msg
	}
	return rc
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPutBody(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{SegmentSize: 64 << 10})
	rng := rand.New(rand.NewPCG(3, 4))
	bodies := map[string]string{}
	for _, size := range []int{0, 1, 2048, 64<<10 - 10, 200 << 10} {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			id := put(t, s, string(b), "a@lgwan.example", "b@lgwan.example")
			if got := bodyOf(t, s, id); got != string(b) {
				t.Fatalf("Body differs from what was Put (%d vs %d bytes)", len(got), len(b))
			}
			m, err := s.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			want := env("a@lgwan.example", "b@lgwan.example")
			if m.ID != id || m.Size != int64(size) || m.Env.From != want.From || !m.Env.Received.Equal(want.Received) ||
				len(m.Rcpts) != 2 || m.Rcpts[1].Addr != "b@lgwan.example" || m.Rcpts[0].State != Pending {
				t.Fatalf("Get = %+v", m)
			}
			bodies[id] = string(b)
		})
	}
	if _, err := s.Put(Envelope{}, strings.NewReader(""), 0); err == nil {
		t.Error("Put without recipients succeeded")
	}
	if _, err := s.Put(env("x@y"), strings.NewReader("short"), 10); err == nil {
		t.Error("Put with a short body succeeded")
	}
	list := s.List()
	if len(list) != len(bodies) {
		t.Fatalf("List has %d messages, want %d", len(list), len(bodies))
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].ID >= list[i].ID {
			t.Errorf("List not in id order: %s, %s", list[i-1].ID, list[i].ID)
		}
	}
	s.Close()
	s = openSpool(t, dir, Options{SegmentSize: 64 << 10})
	defer s.Close()
	for id, b := range bodies {
		if got := bodyOf(t, s, id); got != b {
			t.Errorf("after reopen Body(%s) differs", id)
		}
	}
}

func TestIDs(t *testing.T) {
	s := openSpool(t, t.TempDir(), Options{})
	defer s.Close()
	prev := ""
	for range 200 {
		id := put(t, s, "x")
		if len(id) != 16 || strings.ContainsAny(id, "/ <>\\.") || id <= prev {
			t.Fatalf("id %q after %q", id, prev)
		}
		prev = id
	}
}

func TestLease(t *testing.T) {
	s := openSpool(t, t.TempDir(), Options{})
	defer s.Close()
	id := put(t, s, "body", "a@lgwan.example", "b@lgwan.example")

	m := mustNext(t, s)
	if m.ID != id {
		t.Fatalf("Next = %s, want %s", m.ID, id)
	}
	if _, err := next(t, s, 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Next while leased: %v, want deadline exceeded", err)
	}
	s.Release(id)
	m = mustNext(t, s)
	if err := s.Update(id, m.Rcpts[:1]); err == nil {
		t.Error("Update with a recipient missing succeeded")
	}
	bad := append([]Recipient(nil), m.Rcpts...)
	bad[0].Addr = "evil@example.com"
	if err := s.Update(id, bad); err == nil {
		t.Error("Update with a changed address succeeded")
	}

	// One done, one deferred for 150ms: not due before then.
	rc := append([]Recipient(nil), m.Rcpts...)
	rc[0].State = Done
	rc[1].State, rc[1].NextAttempt, rc[1].LastError = Deferred, time.Now().Add(150*time.Millisecond), "451 try later"
	if err := s.Update(id, rc); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(id, rc); !errors.Is(err, ErrNotLeased) {
		t.Errorf("Update without lease: %v, want ErrNotLeased", err)
	}
	if a, d, f, _ := s.Stats(); a != 0 || d != 1 || f != 0 {
		t.Errorf("Stats = %d active, %d deferred, %d failed; want 0,1,0", a, d, f)
	}
	start := time.Now()
	m = mustNext(t, s)
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("deferred message handed out after %v, before its next attempt", waited)
	}
	if m.Rcpts[0].State != Done || m.Rcpts[1].State != Deferred || m.Rcpts[1].LastError != "451 try later" {
		t.Errorf("recipients after deferral: %+v", m.Rcpts)
	}

	// The deferred recipient fails for good: the message is kept as failed.
	rc = append([]Recipient(nil), m.Rcpts...)
	rc[1].State, rc[1].LastError = Failed, "550 no such user"
	if err := s.Update(id, rc); err != nil {
		t.Fatal(err)
	}
	if _, err := next(t, s, 50*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next handed out a failed message: %v", err)
	}
	if a, d, f, _ := s.Stats(); a != 0 || d != 0 || f != 1 {
		t.Errorf("Stats = %d active, %d deferred, %d failed; want 0,0,1", a, d, f)
	}
	if l := s.List(); len(l) != 1 || l[0].Rcpts[1].State != Failed {
		t.Errorf("failed message not listed: %+v", l)
	}
	if err := s.Delete(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if err := s.Delete(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}

	// All recipients done: the message is finished and gone.
	id = put(t, s, "second")
	m = mustNext(t, s)
	if err := s.Update(id, withStates(m, Done, time.Time{}, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a delivered message: %v", err)
	}
	if _, err := s.Body(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("Body of a delivered message: %v", err)
	}
}

func TestNextWakesOnPut(t *testing.T) {
	s := openSpool(t, t.TempDir(), Options{})
	defer s.Close()
	// Something deferred far in the future, so Next has a timer running.
	put(t, s, "later")
	m := mustNext(t, s)
	s.Update(m.ID, withStates(m, Deferred, time.Now().Add(time.Hour), "later"))

	got := make(chan time.Time, 1)
	go func() {
		m, err := next(t, s, 5*time.Second)
		if err == nil {
			got <- time.Now()
			s.Release(m.ID)
		}
		close(got)
	}()
	time.Sleep(50 * time.Millisecond)
	put(t, s, "fresh")
	putAt := time.Now()
	at, ok := <-got
	if !ok {
		t.Fatal("Next did not return after Put")
	}
	if d := at.Sub(putAt); d > 100*time.Millisecond { // generous for a loaded machine; a poller would be ~seconds
		t.Errorf("Next returned %v after Put", d)
	}
}

func TestKick(t *testing.T) {
	s := openSpool(t, t.TempDir(), Options{})
	defer s.Close()
	a := put(t, s, "a")
	b := put(t, s, "b")
	for range 2 {
		m := mustNext(t, s)
		s.Update(m.ID, withStates(m, Deferred, time.Now().Add(time.Hour), "451"))
	}
	if _, err := next(t, s, 30*time.Millisecond); err == nil {
		t.Fatal("Next returned a message deferred for an hour")
	}
	if err := s.Kick(a); err != nil {
		t.Fatal(err)
	}
	if m := mustNext(t, s); m.ID != a {
		t.Fatalf("after Kick(%s) Next = %s", a, m.ID)
	}
	if err := s.Kick("NOSUCHID"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Kick of unknown id: %v", err)
	}
	s.KickAll()
	if m := mustNext(t, s); m.ID != b {
		t.Fatalf("after KickAll Next = %s, want %s", m.ID, b)
	}
	// A kick while leased applies when the lease ends.
	s.Kick(b)
	m, _ := s.Get(b)
	s.Update(b, withStates(&m, Deferred, time.Now().Add(time.Hour), "451"))
	if m := mustNext(t, s); m.ID != b {
		t.Fatalf("kick during lease lost: Next = %s", m.ID)
	}
}

func TestDeleteWhileLeased(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{SegmentSize: 4096})
	big := strings.Repeat("0123456789", 1000)
	id := put(t, s, big)
	m := mustNext(t, s)
	r, err := s.Body(id)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // move on to later segments
		put(t, s, strings.Repeat("x", 3000))
	}
	if err := s.Delete(id); err != nil {
		t.Fatal(err)
	}
	s.Compact()
	if b, err := io.ReadAll(r); err != nil || string(b) != big {
		t.Fatalf("body read by the lease holder after Delete: %d bytes, %v", len(b), err)
	}
	if err := s.Update(id, withStates(m, Done, time.Time{}, "")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update after Delete: %v, want ErrNotFound", err)
	}
	s.Close()
	s = openSpool(t, dir, Options{SegmentSize: 4096})
	defer s.Close()
	if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted message back after reopen: %v", err)
	}
}

// TestDeleteIf: the condition is checked with the message held, a
// message a worker holds is busy, and a deletion is durable.
func TestDeleteIf(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{})
	a := put(t, s, "a", "x@lgwan.example")
	b := put(t, s, "b", "y@lgwan.example")
	failedOnly := func(m Message) bool { return m.Rcpts[0].State == Failed }
	if ok, err := s.DeleteIf(a, failedOnly); ok || err != nil {
		t.Fatalf("DeleteIf of a pending message = %v, %v; want false, nil", ok, err)
	}
	m := mustNext(t, s)
	if ok, err := s.DeleteIf(m.ID, func(Message) bool { return true }); ok || !errors.Is(err, ErrBusy) {
		t.Errorf("DeleteIf of a leased message = %v, %v; want ErrBusy", ok, err)
	}
	if err := s.Update(m.ID, withStates(m, Failed, time.Time{}, "550")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.DeleteIf(m.ID, failedOnly); !ok || err != nil {
		t.Fatalf("DeleteIf of the failed message = %v, %v", ok, err)
	}
	if _, err := s.DeleteIf(m.ID, failedOnly); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteIf again: %v, want ErrNotFound", err)
	}
	s.Close()
	s = openSpool(t, dir, Options{})
	defer s.Close()
	if _, err := s.Get(m.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted message back after reopen: %v", err)
	}
	other := a
	if m.ID == a {
		other = b
	}
	if _, err := s.Get(other); err != nil {
		t.Errorf("the other message: %v", err)
	}
}

func TestRecoveryAfterClose(t *testing.T) {
	dir := t.TempDir()
	opt := Options{SegmentSize: 8 << 10}
	s := openSpool(t, dir, opt)
	ids := map[string]string{} // id → body
	for i := range 12 {
		b := fmt.Sprintf("message %d %s", i, strings.Repeat("y", i*300))
		ids[put(t, s, b, "a@lgwan.example", "b@lgwan.example")] = b
	}
	when := time.Now().Add(time.Hour).Round(0)
	outcome := map[string]string{}
	var held []string // released after the loop, or Next would hand them out again
	for range 12 {
		m := mustNext(t, s)
		var rc []Recipient
		switch n := len(outcome); {
		case n%4 == 0:
			rc = withStates(m, Done, time.Time{}, "")
			outcome[m.ID] = "done"
		case n%4 == 1:
			rc = withStates(m, Deferred, when, "451 4.3.0 later")
			outcome[m.ID] = "deferred"
		case n%4 == 2:
			rc = withStates(m, Failed, time.Time{}, "550 5.1.1 unknown")
			outcome[m.ID] = "failed"
		default:
			held = append(held, m.ID)
			outcome[m.ID] = "pending"
			continue
		}
		if err := s.Update(m.ID, rc); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range held {
		s.Release(id)
	}
	var deleted string
	for id, o := range outcome {
		if o == "failed" {
			deleted = id
			s.Delete(id)
			outcome[id] = "deleted"
			break
		}
	}
	before := s.List()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openSpool(t, dir, opt)
	defer s.Close()
	if d := s.Damage(); len(d) != 0 {
		t.Errorf("damage after clean close: %v", d)
	}
	after := s.List()
	if len(after) != len(before) {
		t.Fatalf("%d messages after reopen, %d before", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.ID != b.ID || a.Size != b.Size || !a.Created.Equal(b.Created) || a.Env.QuarantineID != "Q1" {
			t.Errorf("message %s changed: %+v → %+v", b.ID, b, a)
		}
		for j := range b.Rcpts {
			br, ar := b.Rcpts[j], a.Rcpts[j]
			if ar.State != br.State || ar.Attempts != br.Attempts || !ar.NextAttempt.Equal(br.NextAttempt) || ar.LastError != br.LastError {
				t.Errorf("%s recipient %d: %+v → %+v", b.ID, j, br, ar)
			}
		}
		if got := bodyOf(t, s, a.ID); got != ids[a.ID] {
			t.Errorf("%s body differs after reopen", a.ID)
		}
		switch outcome[a.ID] {
		case "done", "deleted":
			t.Errorf("%s (%s) is back after reopen", a.ID, outcome[a.ID])
		case "deferred":
			if !a.Rcpts[0].NextAttempt.Equal(when) {
				t.Errorf("next attempt %v after reopen, want %v", a.Rcpts[0].NextAttempt, when)
			}
		}
	}
	if _, err := s.Get(deleted); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted message back: %v", err)
	}
	if a, d, f, _ := s.Stats(); a != 3 || d != 3 || f != 2 {
		t.Errorf("Stats after reopen = %d,%d,%d; want 3 active, 3 deferred, 2 failed", a, d, f)
	}
}

// TestCrashCopy copies the spool directory while writers are busy, as a
// crash would leave it, and checks that every Put that had returned before
// the copy began is in the copy, intact.
func TestCrashCopy(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{SegmentSize: 32 << 10})
	defer s.Close()
	var mu sync.Mutex
	acked := map[string]string{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				b := fmt.Sprintf("w%d m%d %s", w, i, strings.Repeat("z", (i*97)%3000))
				id, err := s.Put(env("u@lgwan.example"), strings.NewReader(b), int64(len(b)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[id] = b
				mu.Unlock()
			}
		}()
	}
	for round := range 3 {
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		snapshot := make(map[string]string, len(acked))
		for k, v := range acked {
			snapshot[k] = v
		}
		mu.Unlock()
		cp := filepath.Join(t.TempDir(), fmt.Sprint(round))
		os.Mkdir(cp, 0o700)
		for _, f := range segFiles(t, dir) {
			b, err := os.ReadFile(f)
			if err != nil {
				continue // removed meanwhile: nothing live was in it
			}
			os.WriteFile(filepath.Join(cp, filepath.Base(f)), b, 0o600)
		}
		c := openSpool(t, cp, Options{SegmentSize: 32 << 10})
		for id, b := range snapshot {
			if got := bodyOf(t, c, id); got != b {
				t.Fatalf("copy %d: %s differs", round, id)
			}
		}
		t.Logf("copy %d: %d acknowledged messages intact, damage %v", round, len(snapshot), c.Damage())
		c.Close()
	}
	close(stop)
	wg.Wait()
}

func TestTruncatedTail(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{})
	keep := put(t, s, "kept")
	lost := put(t, s, strings.Repeat("torn", 100))
	s.Close()
	files := segFiles(t, dir)
	last := files[len(files)-1]
	fi, _ := os.Stat(last)
	os.Truncate(last, fi.Size()-50)
	s = openSpool(t, dir, Options{})
	defer s.Close()
	if bodyOf(t, s, keep) != "kept" {
		t.Error("earlier message lost")
	}
	if _, err := s.Get(lost); !errors.Is(err, ErrNotFound) {
		t.Errorf("torn message: %v", err)
	}
	if d := s.Damage(); len(d) != 1 || !d[0].Truncated {
		t.Errorf("damage %v, want one truncation", d)
	}
	put(t, s, "after recovery")
}

// TestConcurrency: many writers Put while several workers lease, defer,
// fail and deliver. No message is handed to two workers at once, every
// message ends delivered or failed, and finished segments are removed.
func TestConcurrency(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{SegmentSize: 16 << 10})
	defer s.Close()
	const writers, perWriter, workers = 16, 40, 4
	var (
		mu        sync.Mutex
		bodies    = map[string]string{}
		inLease   = map[string]bool{}
		delivered = map[string]int{}
		failedIDs = map[string]bool{}
	)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				b := fmt.Sprintf("writer %d message %d %s", w, i, strings.Repeat("m", i*50))
				id, err := s.Put(env("a@lgwan.example", "b@lgwan.example"), strings.NewReader(b), int64(len(b)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				bodies[id] = b
				mu.Unlock()
			}
		}()
	}
	ctx, cancel := context.WithCancel(context.Background())
	var cw sync.WaitGroup
	for k := range workers {
		cw.Add(1)
		go func() {
			defer cw.Done()
			rng := rand.New(rand.NewPCG(uint64(k), 9))
			for {
				m, err := s.Next(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				if inLease[m.ID] {
					t.Errorf("%s handed out twice", m.ID)
				}
				inLease[m.ID] = true
				want := bodies[m.ID]
				mu.Unlock()
				if got := bodyOf(t, s, m.ID); got != want && want != "" {
					t.Errorf("%s body differs", m.ID)
				}
				rc := append([]Recipient(nil), m.Rcpts...)
				for i := range rc {
					if rc[i].State == Done {
						continue
					}
					switch rng.IntN(5) {
					case 0:
						rc[i].State, rc[i].NextAttempt = Deferred, time.Now().Add(time.Duration(rng.IntN(20))*time.Millisecond)
					case 1:
						if rc[i].Attempts > 0 {
							rc[i].State = Failed
						} else {
							rc[i].State = Done
						}
					default:
						rc[i].State = Done
					}
					rc[i].Attempts++
				}
				mu.Lock()
				inLease[m.ID] = false
				mu.Unlock()
				if rng.IntN(10) == 0 {
					s.Release(m.ID)
					continue
				}
				if err := s.Update(m.ID, rc); err != nil {
					t.Error(err)
					continue
				}
				switch outcomeOf(rc) {
				case finished:
					mu.Lock()
					delivered[m.ID]++
					mu.Unlock()
				case failed:
					mu.Lock()
					failedIDs[m.ID] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, d, _, _ := s.Stats()
		if a == 0 && d == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not drained: %d active, %d deferred", a, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	cw.Wait()
	if len(delivered)+len(failedIDs) != writers*perWriter {
		t.Fatalf("%d delivered + %d failed, want %d", len(delivered), len(failedIDs), writers*perWriter)
	}
	for id, n := range delivered {
		if n != 1 {
			t.Errorf("%s finished %d times", id, n)
		}
	}
	if l := s.List(); len(l) != len(failedIDs) {
		t.Errorf("List has %d messages, want the %d failed ones", len(l), len(failedIDs))
	}
	for id := range failedIDs {
		if err := s.Delete(id); err != nil {
			t.Error(err)
		}
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if f := segFiles(t, dir); len(f) != 1 {
		t.Errorf("%d segment files left after everything finished, want 1 (the current one)", len(f))
	}
	st := s.LogStats()
	t.Logf("%d appends, %d fsyncs", st.Appends, st.Syncs)
}

func TestSegmentRemoval(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{SegmentSize: 4096})
	for range 40 {
		put(t, s, strings.Repeat("r", 500))
	}
	if n := len(segFiles(t, dir)); n < 5 {
		t.Fatalf("only %d segments for 40 × 500 bytes in 4 KiB segments", n)
	}
	for range 40 {
		m := mustNext(t, s)
		if err := s.Update(m.ID, withStates(m, Done, time.Time{}, "")); err != nil {
			t.Fatal(err)
		}
	}
	s.Compact()
	if f := segFiles(t, dir); len(f) != 1 {
		t.Errorf("segment files left: %v", f)
	}
	s.Close()
	s = openSpool(t, dir, Options{SegmentSize: 4096})
	defer s.Close()
	if l := s.List(); len(l) != 0 {
		t.Errorf("%d messages came back", len(l))
	}
}

// TestCopyForward: one long-deferred message keeps its old segment alive
// until compaction copies it forward; then the segment is removed and the
// message, its body and its next attempt survive a restart.
func TestCopyForward(t *testing.T) {
	dir := t.TempDir()
	opt := Options{SegmentSize: 4096, CompactAge: time.Millisecond, CompactInterval: time.Hour}
	s := openSpool(t, dir, opt)
	keep := put(t, s, "the one that waits")
	for range 30 {
		put(t, s, strings.Repeat("f", 400))
	}
	when := time.Now().Add(48 * time.Hour).Round(0)
	for range 31 {
		m := mustNext(t, s)
		rc := withStates(m, Done, time.Time{}, "")
		if m.ID == keep {
			rc = withStates(m, Deferred, when, "451 mailbox busy")
		}
		if err := s.Update(m.ID, rc); err != nil {
			t.Fatal(err)
		}
	}
	first := segFiles(t, dir)[0]
	time.Sleep(5 * time.Millisecond)
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("first segment still there after compaction: %v", err)
	}
	if n := len(segFiles(t, dir)); n > 2 {
		t.Errorf("%d segments left", n)
	}
	if got := bodyOf(t, s, keep); got != "the one that waits" {
		t.Errorf("body after copy forward: %q", got)
	}
	s.Close()
	s = openSpool(t, dir, opt)
	defer s.Close()
	m, err := s.Get(keep)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rcpts[0].State != Deferred || !m.Rcpts[0].NextAttempt.Equal(when) || m.Rcpts[0].LastError != "451 mailbox busy" {
		t.Errorf("state after copy forward and reopen: %+v", m.Rcpts[0])
	}
	if got := bodyOf(t, s, keep); got != "the one that waits" {
		t.Errorf("body after reopen: %q", got)
	}
	if l := s.List(); len(l) != 1 {
		t.Errorf("%d messages after reopen, want 1", len(l))
	}
}

// TestNoResurrection: a tombstone in a later segment must outlive the
// segment holding the deleted message, or a restart brings it back.
func TestNoResurrection(t *testing.T) {
	dir := t.TempDir()
	opt := Options{SegmentSize: 2048, CompactInterval: time.Hour}
	s := openSpool(t, dir, opt)
	victim := put(t, s, strings.Repeat("v", 300))
	other := put(t, s, strings.Repeat("o", 300)) // keeps the victim's segment alive
	a, b := mustNext(t, s), mustNext(t, s)
	if a.ID != victim || b.ID != other {
		t.Fatalf("Next order %s %s, want %s %s", a.ID, b.ID, victim, other)
	}
	s.Update(other, withStates(b, Deferred, time.Now().Add(time.Hour), "later"))
	s.Release(victim)
	for range 8 {
		put(t, s, strings.Repeat("x", 400))
	}
	if err := s.Delete(victim); err != nil {
		t.Fatal(err)
	}
	// Finish everything else so the tombstone's segment is otherwise dead.
	for {
		m, err := next(t, s, 50*time.Millisecond)
		if err != nil {
			break
		}
		s.Update(m.ID, withStates(m, Done, time.Time{}, ""))
	}
	for range 8 { // seal the tombstone's segment
		id := put(t, s, strings.Repeat("y", 400))
		m := mustNext(t, s)
		s.Update(m.ID, withStates(m, Done, time.Time{}, ""))
		_ = id
	}
	s.Compact()
	s.Close()
	s = openSpool(t, dir, opt)
	defer s.Close()
	if _, err := s.Get(victim); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted message came back: %v", err)
	}
	if _, err := s.Get(other); err != nil {
		t.Fatalf("deferred message lost: %v", err)
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{})
	defer s.Close()
	id := put(t, s, "visible")
	ro := openSpool(t, dir, Options{ReadOnly: true})
	defer ro.Close()
	if got := bodyOf(t, ro, id); got != "visible" {
		t.Errorf("read-only Body = %q", got)
	}
	if _, err := ro.Put(env("a@b"), strings.NewReader(""), 0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only Put: %v", err)
	}
	if _, err := next(t, ro, time.Second); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only Next: %v", err)
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Error("second writer opened the spool")
	}
}

func TestCloseWakesNext(t *testing.T) {
	s := openSpool(t, t.TempDir(), Options{})
	done := make(chan error)
	go func() {
		_, err := s.Next(context.Background())
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Next after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Next still blocked after Close")
	}
}

func TestStateString(t *testing.T) {
	for st, want := range map[State]string{Pending: "pending", Deferred: "deferred", Done: "done", Failed: "failed", 9: "state(9)"} {
		if st.String() != want {
			t.Errorf("%d.String() = %q", st, st.String())
		}
	}
}

func TestNextForRoute(t *testing.T) {
	s := openSpool(t, t.TempDir(), Options{})
	defer s.Close()
	putRoute := func(route string) string {
		e := env("u@lgwan.example")
		e.Route = route
		id, err := s.Put(e, strings.NewReader(route), int64(len(route)))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	in1 := putRoute("inbound")
	out1 := putRoute("outbound")
	in2 := putRoute("inbound")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := s.NextFor(ctx, "outbound")
	if err != nil || m.ID != out1 {
		t.Fatalf("NextFor(outbound) = %v, %v; want %s", m, err, out1)
	}
	if _, err := func() (*Message, error) {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		return s.NextFor(c, "outbound")
	}(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("NextFor(outbound) handed out another route's message: %v", err)
	}
	for _, want := range []string{in1, in2} {
		m, err := s.NextFor(ctx, "inbound")
		if err != nil || m.ID != want {
			t.Fatalf("NextFor(inbound) = %v, %v; want %s", m, err, want)
		}
	}
	// A waiting NextFor wakes for its own route's Put.
	got := make(chan string, 1)
	go func() {
		m, err := s.NextFor(ctx, "bounces")
		if err == nil {
			got <- m.ID
		}
	}()
	time.Sleep(20 * time.Millisecond)
	putRoute("inbound")
	id := putRoute("bounces")
	select {
	case g := <-got:
		if g != id {
			t.Errorf("NextFor(bounces) = %s, want %s", g, id)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("NextFor(bounces) did not wake")
	}
	// Next takes any route, oldest first.
	if m := mustNext(t, s); m.Env.Route != "inbound" {
		t.Errorf("Next = %s on %s", m.ID, m.Env.Route)
	}
}

func TestPutID(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{})
	id := NewID()
	if len(id) != 16 || !validID(id) {
		t.Fatalf("NewID() = %q", id)
	}
	if err := s.PutID(id, env("a@lgwan.example"), strings.NewReader("chosen"), 6); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, id string }{
		{"in use", id}, {"empty", ""}, {"path", "../x"}, {"space", "a b"}, {"crlf", "a\r\n250"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.PutID(tc.id, env("a@lgwan.example"), strings.NewReader("x"), 1); err == nil {
				t.Errorf("PutID(%q) succeeded", tc.id)
			}
		})
	}
	s.Close()
	s = openSpool(t, dir, Options{})
	defer s.Close()
	if got := bodyOf(t, s, id); got != "chosen" {
		t.Errorf("after reopen Body(%s) = %q", id, got)
	}
}

// TestRequeue: failed recipients go back in the queue, due now, durably;
// done ones stay done; a held message is busy.
func TestRequeue(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{})
	id := put(t, s, "body", "gone@lgwan.example", "ok@lgwan.example")
	m := mustNext(t, s)
	rc := withStates(m, Failed, time.Time{}, "550 5.1.1 no such user")
	failedAt := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	rc[0].FailedAt = failedAt
	rc[1].State, rc[1].LastError = Done, ""
	if err := s.Update(id, rc); err != nil {
		t.Fatal(err)
	}
	if _, _, failed, _ := s.Stats(); failed != 1 {
		t.Fatalf("%d failed messages before the requeue, want 1", failed)
	}
	// When it failed is kept, across a restart too.
	s.Close()
	s = openSpool(t, dir, Options{})
	if m, err := s.Get(id); err != nil || !m.Rcpts[0].FailedAt.Equal(failedAt) {
		t.Fatalf("after reopening: %+v, %v; want failed at %s", m.Rcpts, err, failedAt)
	}
	if _, err := next(t, s, 30*time.Millisecond); err == nil {
		t.Fatal("Next returned a failed message")
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	if n, err := s.Requeue(id, at); err != nil || n != 1 {
		t.Fatalf("Requeue = %d, %v; want 1 recipient", n, err)
	}
	if _, _, failed, _ := s.Stats(); failed != 0 {
		t.Errorf("%d failed messages after the requeue, want 0", failed)
	}
	check := func(s *Spool, when string) {
		t.Helper()
		m, err := s.Get(id)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		got := m.Rcpts[0]
		if got.State != Pending || !got.Requeued.Equal(at) || !got.FailedAt.IsZero() || got.Attempts != 1 || got.RequeuedAttempts != 1 || got.Retries() != 0 || got.LastError != "550 5.1.1 no such user" || m.Rcpts[1].State != Done {
			t.Errorf("%s: recipients %+v", when, m.Rcpts)
		}
	}
	check(s, "after Requeue")
	// Durable: a new process reads the same state.
	s.Close()
	s = openSpool(t, dir, Options{})
	defer s.Close()
	check(s, "after reopening")
	m = mustNext(t, s)
	if m.ID != id {
		t.Fatalf("Next = %s, want the requeued %s", m.ID, id)
	}
	// Held by a worker: busy. Nothing failed: 0. Unknown: not found.
	if _, err := s.Requeue(id, at); !errors.Is(err, ErrBusy) {
		t.Errorf("Requeue of a leased message: %v, want ErrBusy", err)
	}
	s.Release(id)
	if n, err := s.Requeue(id, at); n != 0 || err != nil {
		t.Errorf("Requeue with nothing failed = %d, %v; want 0, nil", n, err)
	}
	if _, err := s.Requeue("NOSUCHID", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("Requeue of an unknown id: %v", err)
	}
}

// TestPutWrongSize: a body shorter or longer than its size is an error
// that trying again cannot cure, not ErrNotWritten (which a caller waits
// out).
func TestPutWrongSize(t *testing.T) {
	s := openSpool(t, t.TempDir(), Options{})
	defer s.Close()
	env := Envelope{From: "a@example.jp", To: []string{"b@lgwan.example"}}
	for _, tc := range []struct {
		body string
		size int64
	}{{"abc", 5}, {"abcdef", 5}} {
		err := s.PutID(NewID(), env, strings.NewReader(tc.body), tc.size)
		if err == nil || errors.Is(err, ErrNotWritten) {
			t.Errorf("PutID of %d bytes as %d: %v, want an error that is not ErrNotWritten", len(tc.body), tc.size, err)
		}
	}
	if n := len(s.List()); n != 0 {
		t.Errorf("%d messages after the failed puts", n)
	}
}

// TestDeleteIfRacesDelete: a Delete that lands while DeleteIf writes its
// tombstone must not make the entry finish twice, which took a reference
// from the segment another live message is in: the janitor removed it,
// and that message was gone after a restart.
func TestDeleteIfRacesDelete(t *testing.T) {
	for iter := 0; iter < 50; iter++ {
		dir := t.TempDir()
		s := openSpool(t, dir, Options{SegmentSize: 8 << 10})
		a := put(t, s, strings.Repeat("a", 3000))
		b := put(t, s, strings.Repeat("b", 3000))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.DeleteIf(a, func(Message) bool { return true }) }()
		go func() { defer wg.Done(); s.Delete(a) }()
		wg.Wait()
		s.mu.Lock()
		used := s.refs.Used(s.msgs[b].rec.Seg)
		s.mu.Unlock()
		if !used {
			t.Fatalf("iteration %d: the segment of the live message %s lost its reference", iter, b)
		}
		for range 4 { // seal the segment; the janitor may remove dead ones
			put(t, s, strings.Repeat("c", 3000))
		}
		s.rmu.Lock()
		err := s.removeDead()
		s.rmu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = openSpool(t, dir, Options{SegmentSize: 8 << 10})
		if _, err := s.Get(b); err != nil {
			t.Fatalf("iteration %d: live message after reopen: %v", iter, err)
		}
		if _, err := s.Get(a); !errors.Is(err, ErrNotFound) {
			t.Fatalf("iteration %d: deleted message after reopen: %v", iter, err)
		}
		s.Close()
	}
}

// TestEmptiedCurrentSegmentRemoved: a queue that emptied leaves the
// current segment full of dead records, which only a sealed segment was
// removed for; on a spool disk not much larger than spool_min_free and a
// segment, they kept the gateway below its floor with nothing queued,
// through restarts (an operator review). Compaction seals such a
// segment once it is past rotateDeadAt, and removes it.
func TestEmptiedCurrentSegmentRemoved(t *testing.T) {
	dir := t.TempDir()
	opt := Options{SegmentSize: 64 << 20, CompactInterval: time.Hour}
	s := openSpool(t, dir, opt)
	body := strings.Repeat("d", 64<<10)
	for range 24 { // 1.5 MiB, one segment
		put(t, s, body)
	}
	keep := func() int64 {
		var n int64
		for _, f := range segFiles(t, dir) {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			n += fi.Size()
		}
		return n
	}
	// While anything is live in it, it stays.
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if n := keep(); n < 24*64<<10 {
		t.Fatalf("%d bytes of segments with 24 messages queued", n)
	}
	for range 24 {
		m := mustNext(t, s)
		if err := s.Update(m.ID, withStates(m, Done, time.Time{}, "")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if n := keep(); n > 64<<10 {
		t.Errorf("%d bytes of segments left with nothing queued: %v", n, segFiles(t, dir))
	}
	s.Close()
	s = openSpool(t, dir, opt)
	defer s.Close()
	if l := s.List(); len(l) != 0 {
		t.Errorf("%d messages came back", len(l))
	}
	put(t, s, "after")
	if m := mustNext(t, s); bodyOf(t, s, m.ID) != "after" {
		t.Error("the spool does not take mail after the rotation")
	}
}

// TestPostpone: a message handed back with Postpone is not due before
// the time it names, though its recipients are due; nothing is written,
// so a restart forgets it. Resume, a kick and an Update end the hold.
func TestPostpone(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{})
	a := put(t, s, "a")
	b := put(t, s, "b")
	for range 2 {
		m := mustNext(t, s)
		s.Postpone(m.ID, time.Now().Add(time.Hour))
	}
	if m, err := next(t, s, 30*time.Millisecond); err == nil {
		t.Fatalf("Next returned %s, postponed for an hour", m.ID)
	}
	if n := s.Resume("elsewhere"); n != 0 {
		t.Errorf("Resume of another route ended %d holds", n)
	}
	if n := s.Resume("inbound"); n != 2 {
		t.Errorf("Resume ended %d holds, want 2", n)
	}
	ma, mb := mustNext(t, s), mustNext(t, s)
	if ma.ID != a || mb.ID != b {
		t.Fatalf("after Resume Next = %s, %s; want %s, %s", ma.ID, mb.ID, a, b)
	}
	// A hold ends at its time; a kick ends it before.
	s.Postpone(a, time.Now().Add(50*time.Millisecond))
	s.Postpone(b, time.Now().Add(time.Hour))
	if m := mustNext(t, s); m.ID != a {
		t.Fatalf("Next = %s, want %s when its hold ended", m.ID, a)
	}
	if err := s.Kick(b); err != nil {
		t.Fatal(err)
	}
	if m := mustNext(t, s); m.ID != b {
		t.Fatalf("after Kick Next = %s, want %s", m.ID, b)
	}
	// An Update (a real attempt) ends the hold: b is due at the time
	// it records.
	s.Postpone(a, time.Now().Add(time.Hour))
	m, _ := s.Get(b)
	if err := s.Update(b, withStates(&m, Deferred, time.Now(), "451")); err != nil {
		t.Fatal(err)
	}
	if m := mustNext(t, s); m.ID != b {
		t.Fatalf("Next = %s, want %s due at its recorded time", m.ID, b)
	}
	s.Postpone(b, time.Now().Add(time.Hour))
	s.Close()
	s = openSpool(t, dir, Options{})
	defer s.Close()
	got := map[string]bool{mustNext(t, s).ID: true, mustNext(t, s).ID: true}
	if !got[a] || !got[b] {
		t.Errorf("after a restart Next gave %v, want both: a hold is not kept", got)
	}
}
