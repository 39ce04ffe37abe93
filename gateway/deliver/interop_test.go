package deliver

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpSinkPath finds Postfix's smtp-sink (Debian package postfix); it lives
// in /usr/sbin, which a non-root PATH may lack. Without it the interop
// tests skip, unless MUGAI_REQUIRE_INTEROP=1 (CI) makes that a failure.
func smtpSinkPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("smtp-sink")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/smtp-sink"); serr == nil {
			return "/usr/sbin/smtp-sink"
		}
		if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
			t.Fatalf("smtp-sink not found and MUGAI_REQUIRE_INTEROP=1: %v", err)
		}
		t.Skipf("smtp-sink not found (apt-get install postfix): %v", err)
	}
	return p
}

type sinkProc struct {
	addr string
	dump string // directory of per-message dump files
	out  *lockedBuffer
}

// sessions waits for smtp-sink's -c counters to report msgs messages and
// a QUIT, and returns the number of sessions (connections) it counted
// besides the readiness probe of startSink.
func (s sinkProc) sessions(t *testing.T, msgs int) int {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		// The counters are rewritten in place: "sess=1 quit=1 mesg=3\r".
		f := strings.FieldsFunc(s.out.String(), func(r rune) bool { return r == '\r' || r == '\n' })
		if len(f) > 0 {
			var sess, quit, mesg int
			if _, err := fmt.Sscanf(f[len(f)-1], "sess=%d quit=%d mesg=%d", &sess, &quit, &mesg); err == nil && mesg >= msgs && quit >= 1 {
				return sess - 1
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtp-sink counters: %q", s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startSink runs smtp-sink with args on a free loopback port, dumping each
// message into a directory that "nobody" (its user when we are root) may
// write.
func startSink(t *testing.T, args ...string) sinkProc {
	t.Helper()
	bin := smtpSinkPath(t)
	dump, err := os.MkdirTemp("", "mugai-sink-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dump) })
	if err := os.Chmod(dump, 0o777); err != nil {
		t.Fatal(err)
	}
	addr := unusedAddr(t)

	full := []string{"-c", "-d", dump + "/%H%M%S."}
	if os.Geteuid() == 0 {
		full = append(full, "-u", "nobody")
	}
	full = append(full, args...)
	full = append(full, addr, "64")
	cmd := exec.Command(bin, full...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("smtp-sink %v output:\n%s", full, out.String())
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtp-sink did not listen on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return sinkProc{addr: addr, dump: dump, out: out}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// dumps returns the complete message dumps (smtp-sink writes the file as
// the transaction goes; give it a moment to finish).
func (s sinkProc) dumps(t *testing.T, want int) []string {
	t.Helper()
	var out []string
	deadline := time.Now().Add(3 * time.Second)
	for {
		out = out[:0]
		files, _ := filepath.Glob(filepath.Join(s.dump, "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil {
				out = append(out, string(b))
			}
		}
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInteropSMTPSink(t *testing.T) {
	rcpts := []string{"u1@city.example.lg.jp", "u2@city.example.lg.jp"}
	tests := []struct {
		name  string
		args  []string
		lmtp  bool
		want  string // per-recipient codes, "" when Send must fail
		temp  bool   // results are Temporary (else Permanent, unless 250)
		dumps int
	}{
		{name: "accepts", want: "u1@city.example.lg.jp=250 u2@city.example.lg.jp=250", dumps: 3},
		{name: "4xx to RCPT", args: []string{"-r", "RCPT"}, want: "u1@city.example.lg.jp=450 u2@city.example.lg.jp=450", temp: true},
		{name: "5xx to RCPT", args: []string{"-f", "RCPT"}, want: "u1@city.example.lg.jp=500 u2@city.example.lg.jp=500"},
		{name: "4xx to MAIL", args: []string{"-r", "MAIL"}, want: "u1@city.example.lg.jp=450 u2@city.example.lg.jp=450", temp: true},
		{name: "5xx to DATA", args: []string{"-f", "DATA"}, want: "u1@city.example.lg.jp=500 u2@city.example.lg.jp=500"},
		{name: "4xx to the final dot", args: []string{"-r", "."}, want: "u1@city.example.lg.jp=450 u2@city.example.lg.jp=450", temp: true},
		{name: "5xx to the final dot", args: []string{"-f", "."}, want: "u1@city.example.lg.jp=500 u2@city.example.lg.jp=500"},
		{name: "421 at RCPT", args: []string{"-Q", "RCPT"}},
		{name: "hangs up at DATA", args: []string{"-q", "DATA"}},
		{name: "LMTP accepts", args: []string{"-L"}, lmtp: true, want: "u1@city.example.lg.jp=250 u2@city.example.lg.jp=250", dumps: 3},
		{name: "LMTP 5xx to the final dot", args: []string{"-L", "-f", "."}, lmtp: true, want: "u1@city.example.lg.jp=500 u2@city.example.lg.jp=500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := startSink(t, tt.args...)
			scheme := "smtp"
			if tt.lmtp {
				scheme = "lmtp"
			}
			c := dial(t, Dialer{CommandTimeout: 10 * time.Second}, hop(scheme, sink.addr, "opportunistic"))
			for i := range 3 {
				res, err := trySend(c, "sender@example.org", rcpts, testMessage(i))
				if tt.want == "" {
					if err == nil {
						t.Fatalf("Send succeeded: %s", codes(res))
					}
					return
				}
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if got := codes(res); got != tt.want {
					t.Fatalf("message %d: %s, want %s (%v)", i, got, tt.want, res)
				}
				for _, r := range res {
					if !r.OK() && (r.Temporary() != tt.temp || r.Permanent() == tt.temp) {
						t.Errorf("%v: Temporary=%v Permanent=%v", r, r.Temporary(), r.Permanent())
					}
				}
			}
			if tt.dumps == 0 {
				return
			}
			c.Close()
			if n := sink.sessions(t, tt.dumps); n != 1 {
				t.Errorf("smtp-sink counted %d sessions for %d messages, want 1", n, tt.dumps)
			}
			dumps := sink.dumps(t, tt.dumps)
			if len(dumps) != tt.dumps {
				t.Fatalf("%d dump files, want %d", len(dumps), tt.dumps)
			}
			for i := range tt.dumps {
				// The dump holds the message with LF line ends.
				body := strings.ReplaceAll(string(testMessage(i)), "\r\n", "\n")
				n := 0
				for _, d := range dumps {
					if strings.Contains(d, body) && strings.Contains(d, "X-Helo-Args: "+ourHost) &&
						strings.Contains(d, "<u1@city.example.lg.jp>") && strings.Contains(d, "<u2@city.example.lg.jp>") {
						n++
					}
				}
				if n != 1 {
					t.Errorf("message %d found in %d dumps, want 1:\n%s", i, n, strings.Join(dumps, "\n----\n"))
				}
			}
		})
	}
}
