package mtatest

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SinkOptions configure smtp-sink (see man smtp-sink). Commands are SMTP
// command names as smtp-sink spells them: CONNECT, HELO, EHLO, LHLO, MAIL,
// RCPT, DATA, "." (end of data), RSET, NOOP, QUIT.
type SinkOptions struct {
	// Port to listen on, on 127.0.0.1. 0 picks a free port at the first
	// start; Start after Stop always reuses the port of the first start.
	Port int
	// LMTP speaks LMTP instead of SMTP (-L): LHLO, and one reply per
	// recipient after the data.
	LMTP bool
	// TempFail lists commands answered "450 4.3.0 Error: command failed"
	// (-r). smtp-sink then also stops announcing PIPELINING.
	TempFail []string
	// PermFail lists commands answered "500 5.3.0 Error: command failed"
	// (-f). smtp-sink then also stops announcing PIPELINING.
	PermFail []string
	// Hangup lists commands answered "421" followed by a disconnect (-Q).
	Hangup []string
	// Hostname for the greeting and EHLO reply (-h); "" means "smtp-sink".
	Hostname string
	// Args are further smtp-sink options, placed before the address.
	Args []string
}

// Sink is a running (or stopped) smtp-sink that dumps every message into
// a directory and counts them. Its zero value is not usable: call
// StartSink.
type Sink struct {
	// Options are used by every Start. Change them between Stop and Start
	// to make the sink come back with another behaviour (a sink that
	// answered 4xx to RCPT comes back accepting); Port is kept regardless.
	Options SinkOptions

	path string
	port int
	dump string

	mu         sync.Mutex
	p          *proc
	readerDone chan struct{}
	base       int // messages counted by earlier incarnations
	cur        int // messages counted by the running one
}

// StartSink starts smtp-sink on 127.0.0.1 (skipping or failing t as
// Require does when it is not installed) and returns once it accepts
// connections. It runs as user nobody when the test runs as root. It is
// stopped and checked for leftover processes by t.Cleanup, and its dump
// directory removed.
func StartSink(t testing.TB, opt SinkOptions) *Sink {
	t.Helper()
	Require(t, "smtp-sink")
	s := &Sink{Options: opt, path: lookTool("smtp-sink"), port: opt.Port}
	if s.port == 0 {
		s.port = FreePort(t)
	}
	base := tempDir(t, "sink")
	s.dump = filepath.Join(base, "dump")
	if err := os.Mkdir(s.dump, 0o755); err != nil {
		t.Fatalf("mtatest: sink: %v", err)
	}
	if os.Geteuid() == 0 {
		uid, gid, err := lookupIDs("nobody")
		if err != nil {
			t.Fatalf("mtatest: sink: %v", err)
		}
		if err := os.Chown(s.dump, uid, gid); err != nil {
			t.Fatalf("mtatest: sink: %v", err)
		}
	}
	t.Cleanup(func() {
		if s.running() {
			s.Stop(t)
		}
		if err := reapLeftovers(s.dump, time.Second); err != nil {
			t.Errorf("mtatest: sink: %v", err)
		}
	})
	s.Start(t)
	return s
}

// Addr returns "127.0.0.1:PORT".
func (s *Sink) Addr() string { return LoopbackAddr(s.port) }

// Port returns the port the sink listens on (also while stopped).
func (s *Sink) Port() int { return s.port }

// DumpDir returns the directory with one file per message
// (YYYYMMDDhhmmss.RANDOM); files of transactions in progress are there
// too, which is why Messages skips files smtp-sink holds open.
func (s *Sink) DumpDir() string { return s.dump }

func (s *Sink) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p != nil
}

// Start starts the sink again after Stop, on the same port and dump
// directory, with the current Options. It fails t if the sink is running
// or does not come up within 10 seconds (e.g. the port was taken).
func (s *Sink) Start(t testing.TB) {
	t.Helper()
	if s.running() {
		t.Fatalf("mtatest: sink on %s: already running", s.Addr())
	}
	o := s.Options
	args := []string{"-c", "-d", s.dump + "/%Y%m%d%H%M%S."}
	if o.LMTP {
		args = append(args, "-L")
	}
	if len(o.TempFail) > 0 {
		args = append(args, "-r", strings.Join(o.TempFail, ","))
	}
	if len(o.PermFail) > 0 {
		args = append(args, "-f", strings.Join(o.PermFail, ","))
	}
	if len(o.Hangup) > 0 {
		args = append(args, "-Q", strings.Join(o.Hangup, ","))
	}
	if o.Hostname != "" {
		args = append(args, "-h", o.Hostname)
	}
	args = append(args, o.Args...)
	args = append(args, "inet:"+s.Addr(), "64")

	// As root, smtp-sink insists on -u and would switch users itself,
	// which clears the parent-death signal; let Go switch before exec.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		uid, gid, err := lookupIDs("nobody")
		if err != nil {
			t.Fatalf("mtatest: sink: %v", err)
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := portFree(s.port); err != nil {
		t.Fatalf("mtatest: sink: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("mtatest: sink: %v", err)
	}
	p, err := startProc(procSpec{path: s.path, args: args, cred: cred, stdout: w, stderrPath: filepath.Join(filepath.Dir(s.dump), "stderr")})
	_ = w.Close()
	if err != nil {
		_ = r.Close()
		t.Fatalf("mtatest: sink: %v", err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.p, s.readerDone, s.cur = p, done, 0
	s.mu.Unlock()
	go s.readCounts(r, done)

	deadline := time.Now().Add(10 * time.Second)
	for !listening(p.pid(), s.port) {
		if p.exited() || time.Now().After(deadline) {
			s.Stop(t)
			t.Fatalf("mtatest: sink on %s did not start; stderr: %s", s.Addr(), p.stderr())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readCounts follows smtp-sink -c output: "sess=N quit=N mesg=N" records
// separated by CR, one whenever a session ends, QUIT is answered or "."
// is received.
func (s *Sink) readCounts(r io.ReadCloser, done chan struct{}) {
	defer close(done)
	defer r.Close()
	br := bufio.NewReader(r)
	var rec []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			return
		}
		if b != '\r' && b != '\n' {
			rec = append(rec, b)
			continue
		}
		for _, f := range strings.Fields(string(rec)) {
			if v, ok := strings.CutPrefix(f, "mesg="); ok {
				if n, err := strconv.Atoi(v); err == nil {
					s.mu.Lock()
					s.cur = n
					s.mu.Unlock()
				}
			}
		}
		rec = rec[:0]
	}
}

// Stop stops the sink (SIGTERM, then SIGKILL after 5 s) and waits for it.
// Dump files of transactions that were still in progress are removed:
// those messages were never acknowledged. The count is kept.
func (s *Sink) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	p, done := s.p, s.readerDone
	s.mu.Unlock()
	if p == nil {
		return
	}
	partial := openFiles(p.pid(), s.dump)
	err := p.stop(5 * time.Second)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("mtatest: sink on %s: count reader did not finish", s.Addr())
	}
	for f := range partial {
		_ = os.Remove(f)
	}
	s.mu.Lock()
	s.base += s.cur
	s.cur = 0
	s.p = nil
	s.mu.Unlock()
	if err != nil {
		t.Errorf("mtatest: sink on %s: %v", s.Addr(), err)
	}
}

// Count returns how many messages the sink received (end of data seen),
// added up over every Start. A message is counted whatever the reply to
// "." was, so with TempFail or PermFail on "." it is counted (and dumped)
// although the client was told it failed.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base + s.cur
}

// WaitCount waits until Count reaches n and returns it, failing t after
// timeout.
func (s *Sink) WaitCount(t testing.TB, n int, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c := s.Count()
		if c >= n {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("mtatest: sink on %s: %d messages after %v, want %d", s.Addr(), c, timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Messages returns every complete message in the dump directory, oldest
// first, over every Start. Files smtp-sink still holds open (transactions
// in progress) are left out.
func (s *Sink) Messages(t testing.TB) []Message {
	t.Helper()
	s.mu.Lock()
	p := s.p
	s.mu.Unlock()
	var open map[string]bool
	if p != nil {
		open = openFiles(p.pid(), s.dump)
	}
	ents, err := os.ReadDir(s.dump)
	if err != nil {
		t.Fatalf("mtatest: sink: %v", err)
	}
	type dated struct {
		m   Message
		mod time.Time
	}
	var out []dated
	for _, e := range ents {
		path := filepath.Join(s.dump, e.Name())
		if !e.Type().IsRegular() || open[path] {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile (RSET)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		out = append(out, dated{parseSinkDump(path, data), info.ModTime()})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].mod.Equal(out[j].mod) {
			return out[i].mod.Before(out[j].mod)
		}
		return out[i].m.File < out[j].m.File
	})
	msgs := make([]Message, len(out))
	for i, d := range out {
		msgs[i] = d.m
	}
	return msgs
}

// MessageIDs returns the Message-ID of every complete message, in the
// order of Messages, duplicates included ("" for a message without one).
func (s *Sink) MessageIDs(t testing.TB) []string {
	t.Helper()
	var ids []string
	for _, m := range s.Messages(t) {
		ids = append(ids, m.MessageID)
	}
	return ids
}

// parseSinkDump splits an smtp-sink dump file: X-Client-Addr,
// X-Client-Proto, X-Helo-Args, X-Mail-Args, X-Rcpt-Args (one per RCPT),
// then a three-line Received header of smtp-sink's own, then the message
// and one empty line (the LF of the final "." line).
func parseSinkDump(path string, data []byte) Message {
	m := Message{File: path}
	rest := data
	for len(rest) > 0 {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
		s := string(line)
		switch {
		case strings.HasPrefix(s, "X-Mail-Args: "):
			m.From = angleAddr(strings.TrimPrefix(s, "X-Mail-Args: "))
		case strings.HasPrefix(s, "X-Rcpt-Args: "):
			m.To = append(m.To, angleAddr(strings.TrimPrefix(s, "X-Rcpt-Args: ")))
		case strings.HasPrefix(s, "Received: "):
			for i := 0; i < 2 && len(rest) > 0 && rest[0] == '\t'; i++ {
				_, rest, _ = bytes.Cut(rest, []byte("\n"))
			}
			m.Data = bytes.TrimSuffix(rest, []byte("\n"))
			m.MessageID = firstHeader(m.Data, "Message-ID")
			return m
		}
	}
	return m
}
