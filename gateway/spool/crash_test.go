package spool

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const crashEnv = "MUGAI_SPOOL_CRASH_DIR"

var crashOpt = Options{SegmentSize: 128 << 10, CompactAge: 50 * time.Millisecond, CompactInterval: 20 * time.Millisecond}

// TestCrashChild is the child process of TestCrashKill: it Puts
// concurrently and delivers some messages, printing each event only after
// the call that made it durable returned, and an intent line before a
// state change, until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestCrashKill")
	}
	start := time.Now()
	s, err := Open(dir, crashOpt)
	if err != nil {
		fmt.Println("open-error", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, format+"\n", a...)
		mu.Unlock()
	}
	say("ready %d", time.Since(start).Milliseconds())
	seed := uint64(time.Now().UnixNano())
	for w := range 8 {
		go func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for {
				b := make([]byte, 100+rng.IntN(40<<10))
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				id, err := s.Put(env("a@lgwan.example", "b@lgwan.example"), strings.NewReader(string(b)), int64(len(b)))
				if err != nil {
					say("error put %v", err)
					continue
				}
				sum := sha256.Sum256(b)
				say("put %s %s %d", id, hex.EncodeToString(sum[:]), len(b))
			}
		}()
	}
	for w := range 2 {
		go func() {
			rng := rand.New(rand.NewPCG(seed, uint64(100+w)))
			for {
				m, err := s.Next(context.Background())
				if err != nil {
					say("error next %v", err)
					return
				}
				switch rng.IntN(4) {
				case 0: // deliver
					say("intent %s", m.ID)
					if err := s.Update(m.ID, withStates(m, Done, time.Time{}, "")); err == nil {
						say("done %s", m.ID)
					}
				case 1: // defer for an hour: must come back with this time
					when := time.Now().Add(time.Hour).Round(0)
					say("intent %s", m.ID)
					if err := s.Update(m.ID, withStates(m, Deferred, when, "451 later")); err == nil {
						say("deferred %s %d", m.ID, when.UnixNano())
					}
				case 2:
					say("intent %s", m.ID)
					if err := s.Delete(m.ID); err == nil {
						say("deleted %s", m.ID)
					}
					s.Release(m.ID)
				default:
					s.Release(m.ID)
				}
			}
		}()
	}
	select {}
}

type crashState struct {
	sum     string
	size    int
	event   string // last durable event: put, done, deferred, deleted
	when    int64  // deferred: next attempt
	pending bool   // an intent was printed after the last durable event
}

// TestCrashKill runs TestCrashChild as a child process, kills it with
// SIGKILL at random moments several times, and after each kill checks that
// every message whose Put had returned is in the spool with its body
// intact and its latest state (done and deleted ones gone, deferred ones
// with their next attempt time).
func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	dir := t.TempDir()
	known := map[string]*crashState{}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var total, totalDone int
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan []string)
		ready := make(chan string, 1)
		go func() {
			var ls []string
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "ready ") {
					ready <- sc.Text()
				}
				ls = append(ls, sc.Text())
			}
			close(ready)
			lines <- ls
		}()
		var openMS string
		select {
		case l := <-ready:
			openMS = strings.TrimPrefix(l, "ready ")
		case <-time.After(60 * time.Second):
			t.Fatal("child did not open the spool within 60s")
		}
		time.Sleep(time.Duration(50+rng.IntN(500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		ls := <-lines
		cmd.Wait()

		puts := 0
		// The puts first: a delivery worker may take a message, and
		// print its intent and its end, before the Put that made it
		// returned to its worker and that printed "put".
		for _, l := range ls {
			if f := strings.Fields(l); len(f) == 4 && f[0] == "put" {
				n, _ := strconv.Atoi(f[3])
				known[f[1]] = &crashState{sum: f[2], size: n, event: "put"}
				puts++
			}
		}
		for _, l := range ls {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue // a line cut by the kill
			}
			switch f[0] {
			case "put":
			case "intent":
				if c := known[f[1]]; c != nil {
					c.pending = true
				}
			case "done", "deleted":
				if c := known[f[1]]; c != nil {
					c.event, c.pending = f[0], false
					totalDone++
				}
			case "deferred":
				if c := known[f[1]]; c != nil && len(f) == 3 {
					c.event, c.pending = "deferred", false
					c.when, _ = strconv.ParseInt(f[2], 10, 64)
				}
			case "ready":
			case "error", "open-error":
				t.Fatalf("child: %s", l)
			}
		}
		total += puts

		s := openSpool(t, dir, crashOpt)
		for _, d := range s.Damage() {
			if !d.Truncated {
				t.Errorf("round %d: damage that is not a torn tail: %v", round, d)
			}
		}
		checked := 0
		for id, c := range known {
			m, err := s.Get(id)
			gone := err != nil
			switch {
			case c.event == "done" || c.event == "deleted":
				if !gone {
					t.Errorf("round %d: %s was %s but is back", round, id, c.event)
				}
				delete(known, id)
				continue
			case gone && c.pending:
				delete(known, id) // finished by an update that completed unprinted
				continue
			case gone:
				t.Fatalf("round %d: %s was acknowledged (%s) but is missing", round, id, c.event)
			}
			r, err := s.Body(id)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			n, _ := io.Copy(h, r)
			if hex.EncodeToString(h.Sum(nil)) != c.sum || n != int64(c.size) || m.Size != int64(c.size) {
				t.Fatalf("round %d: %s body damaged (%d bytes, want %d)", round, id, n, c.size)
			}
			if c.event == "deferred" && !c.pending {
				if m.Rcpts[0].State != Deferred || m.Rcpts[0].NextAttempt.UnixNano() != c.when {
					t.Fatalf("round %d: %s deferred until %d, now %+v", round, id, c.when, m.Rcpts[0])
				}
			}
			checked++
		}
		segs := len(s.Segments())
		s.Close()
		t.Logf("round %d: child opened in %sms, killed after %d puts; %d live messages verified, %d segments", round, openMS, puts, checked, segs)
	}
	if total == 0 || totalDone == 0 {
		t.Fatalf("child did too little: %d puts, %d finished", total, totalDone)
	}
}
