package gateway

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/metrics"
)

// TestReleaseTwice: a second release of an original to recipients an
// earlier release reached is refused with 409, naming the earlier one,
// unless it asks for "again"; recipients no release reached are fine.
// The refusal is audited and counted, and it holds after a restart.
func TestReleaseTwice(t *testing.T) {
	dir := t.TempDir()
	e := startRelEnv(t, relOptions{dir: dir})
	const kikaku, soumu = "kikaku@city.example.lg.jp", "soumu@city.example.lg.jp"
	e.send("taro@citizen.example", []string{kikaku, soumu}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	release := func(e *relEnv, user string, to []string, again bool) (int, string, ReleaseResult) {
		t.Helper()
		var res ReleaseResult
		req := ReleaseRequest{Policy: "relaxed", To: to, Again: again, Reason: "ticket 2025-118", User: user}
		code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res)
		return code, msg, res
	}

	code, msg, first := release(e, "tanaka", []string{kikaku}, false)
	if code != 200 {
		t.Fatalf("first release: %d %s", code, msg)
	}
	if got := e.lgwan.next(t); strings.Join(got.To, ",") != kikaku {
		t.Fatalf("first release delivered to %v", got.To)
	}

	// The original recipients include kikaku, whom the first reached.
	code, msg, _ = release(e, "suzuki", nil, false)
	for _, want := range []string{"already released", "by tanaka", "to " + kikaku, first.QueueID, `"again": true`, "-again"} {
		if code != 409 || !strings.Contains(msg, want) {
			t.Errorf("second release: %d %q, want 409 with %q", code, msg, want)
		}
	}
	// Nor in another case: the LGWAN server's Kikaku@ is kikaku@.
	if code, msg, _ = release(e, "suzuki", []string{"Kikaku@city.example.lg.jp"}, false); code != 409 {
		t.Errorf("release to Kikaku@: %d %q, want 409", code, msg)
	}
	e.lgwan.none(t, 500*time.Millisecond)

	// soumu has not had it: no "again" needed.
	if code, msg, _ := release(e, "suzuki", []string{soumu}, false); code != 200 {
		t.Fatalf("release to a recipient not reached yet: %d %s", code, msg)
	}
	if got := e.lgwan.next(t); strings.Join(got.To, ",") != soumu {
		t.Fatalf("release to soumu delivered to %v", got.To)
	}
	// Deliberately again, to both.
	if code, msg, _ := release(e, "suzuki", nil, true); code != 200 {
		t.Fatalf("release again: %d %s", code, msg)
	}
	if got := e.lgwan.next(t); strings.Join(got.To, ",") != kikaku+","+soumu {
		t.Fatalf("release again delivered to %v", got.To)
	}

	rel := e.audit("release")
	if len(rel) != 5 {
		t.Fatalf("%d release records, want 5", len(rel))
	}
	if r := rel[1]; r.Verdict != "refused" || !strings.Contains(r.Reason, "already released") || r.User != "suzuki" || r.QueueID != "" {
		t.Errorf("refused second release audited as %+v", r)
	}
	if rel[0].Again || rel[3].Again || !rel[4].Again {
		t.Errorf("again in the records: %v %v %v, want only the last", rel[0].Again, rel[3].Again, rel[4].Again)
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleaseRefusals.WithLabelValues(metrics.ReleaseReleased)); n != 2 {
		t.Errorf("mugai_quarantine_release_refusals_total{reason=already_released} = %v, want 2", n)
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleases); n != 3 {
		t.Errorf("mugai_quarantine_releases_total = %v, want 3", n)
	}
	var d QuarantineDetail
	if code, msg := e.call("GET", "/quarantine/"+id, nil, &d); code != 200 || len(d.Releases) != 3 ||
		d.Releases[0].User != "tanaka" || d.Releases[0].QueueID != first.QueueID || !d.Releases[2].Again {
		t.Errorf("show after the releases: %d %s %+v", code, msg, d.Releases)
	}

	// The releases are durable: after a restart the refusal stands.
	e.stop()
	e = startRelEnv(t, relOptions{dir: dir})
	code, msg, _ = release(e, "sato", []string{soumu}, false)
	if code != 409 || !strings.Contains(msg, "by suzuki to "+soumu) {
		t.Errorf("release after a restart: %d %q, want 409 naming suzuki's release", code, msg)
	}
	e.lgwan.none(t, 500*time.Millisecond)
}

// TestReleaseConcurrent: of several releases of one original at once,
// exactly one goes through; the others are refused (409).
func TestReleaseConcurrent(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(200000)))
	e.lgwan.next(t)
	id := e.only().ID
	const n = 8
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := ReleaseRequest{Policy: "relaxed", Reason: "double click", User: "tanaka"}
			codes[i], _ = e.call("POST", "/quarantine/"+id+"/release", req, nil)
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
		default:
			t.Errorf("concurrent release answered %d", c)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent releases went through (%v), want 1", ok, n, codes)
	}
	e.lgwan.next(t)
	e.lgwan.none(t, time.Second)
	if m, _ := e.q.Get(id); len(m.Releases) != 1 {
		t.Errorf("%d releases recorded, want 1", len(m.Releases))
	}
}
