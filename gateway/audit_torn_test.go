package gateway

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestAuditTornTail: a trail whose last line was cut short (the machine
// lost power while it was written: records are appended without an
// fsync each) used to be continued right after the fragment, without a
// line break. The first record of the next start was glued to it, so
// that neither read as a record, and `mugai audit verify` failed at that
// line for good. The fragment is now cut off at the start, and a record
// says how many bytes went and their SHA-256.
func TestAuditTornTail(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "")
	a, err := OpenAudit(cfg.Log.Audit, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "accept", Route: "inbound", Sender: "before@example.jp", Verdict: "rebuilt"})
	a.Close()
	fragment := `{"time":"2026-01-01T00:00:00Z","event":"delivery","route":"inb`
	f, err := os.OpenFile(cfg.Log.Audit, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(fragment)
	f.Close()

	g := startGateway(t, cfg, false)
	if code, text := g.send("inbound", "after@example.jp", []string{"user@lgwan.example"}, "Subject: x\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	g.stop()

	data, err := os.ReadFile(cfg.Log.Audit)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := VerifyAudit(strings.NewReader(string(data))); err != nil {
		t.Errorf("audit verify after a torn last line: %d lines, %v\n%s", n, err, data)
	}
	var cut, after bool
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var r AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Errorf("not a record: %.200s", line)
			continue
		}
		cut = cut || r.Event == "audit" && r.Verdict == "cut" && strings.Contains(r.Reason, fmt.Sprint(len(fragment), " bytes"))
		after = after || r.Event == "accept" && r.Sender == "after@example.jp"
	}
	if !cut {
		t.Errorf("no audit record of the cut fragment:\n%s", data)
	}
	if !after {
		t.Errorf("the accept record of the message after the start is missing:\n%s", data)
	}

	// A last line that is a whole record without its line break (an
	// editor's save, say) is kept: it only gets the line break.
	path := filepath.Join(t.TempDir(), "audit.log")
	a, err = OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "accept", Sender: "one@example.jp"})
	a.Close()
	whole, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.TrimSuffix(string(whole), "\n")), 0o600)
	a, err = OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "accept", Sender: "two@example.jp"})
	a.Close()
	data, _ = os.ReadFile(path)
	if n, err := VerifyAudit(strings.NewReader(string(data))); err != nil || n != 2 || a.Cut != 0 {
		t.Errorf("a whole last record without its line break: %d lines, %v, %d bytes cut; want 2 lines, intact, none cut\n%s", n, err, a.Cut, data)
	}
}

// TestAuditLongLastLine: the chain is continued from the hash of the
// whole last line, however long. It was taken over the last MiB of the
// file, so a start after an accept record longer than that (a message
// of several hundred parts, each listed) broke the chain.
func TestAuditLongLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	a, err := OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	rec := &AuditRecord{Event: "accept", Sender: "a@example.jp"}
	for i := range 800 {
		rec.Removed = append(rec.Removed, AuditAttachment{Name: fmt.Sprintf("%03d", i) + strings.Repeat("x", maxFieldBytes), Reason: strings.Repeat("r", maxDetailBytes)})
	}
	a.Write(rec)
	a.Close()
	if a, err = OpenAudit(path, func(err error) { t.Error(err) }); err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "accept", Sender: "b@example.jp"})
	a.Close()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, _ := f.Stat(); st.Size() < 1<<20 {
		t.Fatalf("the first record is %d bytes, want over 1 MiB", st.Size())
	}
	if n, err := VerifyAudit(f); err != nil || n != 2 {
		t.Errorf("after a start on a last line over 1 MiB: %d lines, %v; want 2, intact", n, err)
	}
}

// TestAuditAnchorsLogged: the gateway logs the hash its trail continues
// from at each start and the last one it wrote at each stop, to its own
// log (the journal), which whoever can write the trail cannot change:
// records cut from the end of the trail while the gateway was stopped,
// which the chain itself cannot show, show as a trail that does not end
// with the logged hash, and as a start that continues from another.
func TestAuditAnchorsLogged(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "")
	g := startGateway(t, cfg, false)
	for _, s := range []string{"a@example.jp", "b@example.jp"} {
		if code, text := g.send("inbound", s, []string{"user@lgwan.example"}, "Subject: x\r\n\r\nhello\r\n"); code != 250 {
			t.Fatalf("send: %d %s", code, text)
		}
	}
	g.stop()
	f, err := os.Open(cfg.Log.Audit)
	if err != nil {
		t.Fatal(err)
	}
	c, err := VerifyAuditChain(f)
	f.Close()
	if err != nil || c.Lines != 2 {
		t.Fatalf("verify: %+v %v", c, err)
	}
	if want := "msg=\"audit trail closed\" file=" + cfg.Log.Audit + " last=" + c.Last; !strings.Contains(g.logs.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, g.logs.String())
	}

	// The last record cut while stopped: the next start says it
	// continues from another hash than the one logged at the stop.
	data, _ := os.ReadFile(cfg.Log.Audit)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(cfg.Log.Audit, []byte(lines[0]), 0o600)
	g2 := startGateway(t, cfg, false)
	g2.stop()
	if got := g2.logs.String(); !strings.Contains(got, "msg=\"audit trail opened\"") || strings.Contains(got, "continues_from="+c.Last) {
		t.Errorf("start on a trail cut short: the log should continue from another hash than %s:\n%s", c.Last, got)
	}
}

// TestAuditHugeLastLineBounded: the last line is hashed as it is read,
// not held whole: a trail whose last line is very long (a crash can
// leave a run of zero bytes where the last writes were) is continued, or
// its fragment cut, without holding the line in memory. A fragment
// longer than any line mugai audit verify reads is no record and is cut.
func TestAuditHugeLastLineBounded(t *testing.T) {
	for _, whole := range []bool{false, true} {
		t.Run(fmt.Sprint("whole ", whole), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			a, err := OpenAudit(path, func(err error) { t.Error(err) })
			if err != nil {
				t.Fatal(err)
			}
			a.Write(&AuditRecord{Event: "accept", Sender: "one@example.jp"})
			a.Close()
			first, _ := os.ReadFile(path)
			const zeros = 48 << 20 // sparse: cheap on disk
			if err := os.Truncate(path, int64(len(first))+zeros); err != nil {
				t.Fatal(err)
			}
			if whole {
				f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
				f.WriteString("\n")
				f.Close()
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			a, err = OpenAudit(path, func(err error) { t.Error(err) })
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			a.Close()
			if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
				t.Errorf("opening a trail with a last line of %d MiB allocated %d MiB", zeros>>20, n>>20)
			}
			if !whole && a.Cut != zeros {
				t.Errorf("cut %d bytes, want %d", a.Cut, zeros)
			}
			if whole && a.Head() != lineHash(make([]byte, zeros)) {
				t.Errorf("continues from %s, not the hash of the whole last line", a.Head())
			}
		})
	}
}

// TestAuditTrailingEmptyLines: empty lines at the end of a trail (an
// editor's save, an echo >>) are no records, and mugai audit verify
// stops at the first: the gateway continued after them, from the line
// before, so the trail failed verification at that line for good. They
// are cut off at start like a partial line, and a record says so.
func TestAuditTrailingEmptyLines(t *testing.T) {
	for _, withRecord := range []bool{true, false} {
		t.Run(fmt.Sprint("after a record ", withRecord), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			a, err := OpenAudit(path, func(err error) { t.Error(err) })
			if err != nil {
				t.Fatal(err)
			}
			if withRecord {
				a.Write(&AuditRecord{Event: "accept", Sender: "one@example.jp"})
			}
			a.Close()
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("\n\n\n")
			f.Close()
			if a, err = OpenAudit(path, func(err error) { t.Error(err) }); err != nil {
				t.Fatal(err)
			}
			a.Write(&AuditRecord{Event: "accept", Sender: "two@example.jp"})
			a.Close()
			data, _ := os.ReadFile(path)
			if n, err := VerifyAudit(strings.NewReader(string(data))); err != nil {
				t.Errorf("verify after empty lines at the end: %d lines, %v\n%s", n, err, data)
			}
			if !strings.Contains(string(data), `"verdict":"cut"`) {
				t.Errorf("no record of the cut:\n%s", data)
			}
		})
	}
}
