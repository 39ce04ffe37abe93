package quarantine

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// bigMeta is the metadata of a message with parts tiny .exe
// attachments, as the gateway keeps it: a removed line and a report
// entry for each (the operator's review measured 280 KB of report for
// 499 of them).
func bigMeta(parts int) Meta {
	m := sampleMeta()
	type part struct {
		Path         string `json:"path"`
		DeclaredType string `json:"declared_type"`
		SniffedType  string `json:"sniffed_type"`
		Class        string `json:"class"`
		Filename     string `json:"filename"`
		Size         int64  `json:"size"`
		SHA256       string `json:"sha256"`
		Decision     string `json:"decision"`
		Reason       string `json:"reason"`
	}
	rep := struct {
		Verdict   string   `json:"verdict"`
		Subject   string   `json:"subject"`
		From      string   `json:"from"`
		MessageID string   `json:"message_id"`
		Actions   []string `json:"actions"`
		Parts     []part   `json:"parts"`
	}{Verdict: "rebuilt", Subject: m.Subject, From: "市民 <citizen@example.jp>", MessageID: "<a1@example.jp>",
		Actions: []string{"attachment-stripped"}}
	m.Removed = nil
	for i := range parts {
		name := fmt.Sprintf("請求書_%04d_%s.exe", i, strings.Repeat("x", 40))
		rep.Parts = append(rep.Parts, part{Path: fmt.Sprint(i + 2), DeclaredType: "application/octet-stream",
			SniffedType: "application/x-msdownload", Class: "executable", Filename: name, Size: 240,
			SHA256: strings.Repeat("ab", 32), Decision: "strip", Reason: "executable: not allowed by the policy (the file type is on the deny list)"})
		m.Removed = append(m.Removed, name+" (executable, executable: not allowed by the policy)")
	}
	m.Report, _ = json.Marshal(rep)
	m.Subject = strings.Repeat("件名", 4000) // a long (folded) Subject: 24 KB
	return m
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestIndexBounded: what the index keeps of an original does not grow
// with its report, its removed list or its Subject (DESIGN invariant 5),
// after Put and after the index is rebuilt at Open; the whole metadata is
// still there for Get.
func TestIndexBounded(t *testing.T) {
	const n, parts = 200, 499
	m := bigMeta(parts)
	t.Logf("report %d bytes, removed %d lines", len(m.Report), len(m.Removed))
	dir := t.TempDir()
	base := heapInUse()
	s := openStore(t, dir, Options{})
	for range n {
		putBytes(t, s, m, []byte("Subject: x\r\n\r\nbody\r\n"))
	}
	m = Meta{} // not to be counted
	perPut := (int64(heapInUse()) - int64(base)) / n
	t.Logf("index after Put: %d bytes of heap per original", perPut)
	s.Close()

	base = heapInUse()
	s = openStore(t, dir, Options{})
	defer s.Close()
	perOpen := (int64(heapInUse()) - int64(base)) / n
	t.Logf("index after Open: %d bytes of heap per original", perOpen)
	runtime.KeepAlive(s)
	m = bigMeta(parts)
	for _, l := range s.List(nil) {
		if l.Report != nil || len(l.Removed) != IndexRemoved || l.RemovedMore != parts-IndexRemoved ||
			len(l.Subject) > IndexField || l.HeaderFrom != "市民 <citizen@example.jp>" || l.MessageID != "<a1@example.jp>" {
			t.Fatalf("index form: report %d bytes, %d+%d removed, subject %d bytes, from %q, message-id %q",
				len(l.Report), len(l.Removed), l.RemovedMore, len(l.Subject), l.HeaderFrom, l.MessageID)
		}
		if !strings.HasPrefix(m.Removed[0], strings.TrimSuffix(l.Removed[0], "…")) || !strings.HasPrefix(m.Subject, strings.TrimSuffix(l.Subject, "…")) {
			t.Fatalf("index form is not a prefix: %q, %q", l.Removed[0], l.Subject)
		}
		g, err := s.Get(l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(g.Report) != string(m.Report) || !slices.Equal(g.Removed, m.Removed) || g.RemovedMore != 0 ||
			g.Subject != m.Subject || g.HeaderFrom != l.HeaderFrom || g.MessageID != l.MessageID {
			t.Fatalf("Get: report %d bytes, %d+%d removed, subject %d bytes", len(g.Report), len(g.Removed), g.RemovedMore, len(g.Subject))
		}
	}
	const bound = 8 << 10
	if perPut > bound || perOpen > bound {
		t.Errorf("index holds %d (Put) / %d (Open) bytes per original, want at most %d", perPut, perOpen, bound)
	}
}
