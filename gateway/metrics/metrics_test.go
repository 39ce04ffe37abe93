package metrics_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"mugai/gateway/metrics"
)

// newWired returns metrics as the server would have them after start-up:
// two routes, both disk paths and their floors set.
func newWired(t *testing.T) *metrics.Metrics {
	t.Helper()
	m := metrics.New("1.2.3-test")
	m.InitRoute("inbound", "default")
	m.InitRoute("outbound", "none")
	m.DiskFree.Set(metrics.DiskSpool, metrics.FreeBytes(t.TempDir()))
	m.DiskFree.Set(metrics.DiskQuarantine, metrics.FreeBytes(t.TempDir()))
	m.SetFloor(256<<20, true)
	return m
}

func gatheredNames(t *testing.T, reg prometheus.Gatherer) map[string]bool {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	return names
}

func TestLintWholeRegistry(t *testing.T) {
	m := newWired(t)
	// Touch every kind of series so histograms and counters with data are
	// linted too, not only empty ones.
	m.SMTPRejects.WithLabelValues("inbound", metrics.StageRcpt, "550").Inc()
	m.MessageSize.WithLabelValues("inbound").Observe(12345)
	m.SanitizeDuration.Observe(0.02)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	// The scrape served over HTTP must lint the same as the registry.
	problems, err = promlint.New(strings.NewReader(scrape(t, m))).Lint()
	if err != nil {
		t.Fatalf("lint scrape: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint (scrape): %s: %s", p.Metric, p.Text)
	}
}

func TestEveryNameIsGathered(t *testing.T) {
	m := newWired(t)
	// A series only for a route no longer configured, as serve sets it.
	m.QuarantineOrphaned.WithLabelValues("removed").Set(1)
	got := gatheredNames(t, m.Registry())
	for _, n := range metrics.Names() {
		if !got[n] {
			t.Errorf("metric %s is in Names() but not gathered after New+InitRoute", n)
		}
	}
	// And the other way: Names() is complete, so the deploy tests check the
	// dashboard against everything the gateway really exports.
	for n := range got {
		if strings.HasPrefix(n, metrics.Namespace+"_") && !slices.Contains(metrics.Names(), n) {
			t.Errorf("metric %s is gathered but missing from Names()", n)
		}
	}
	for _, std := range []string{"go_goroutines", "process_cpu_seconds_total", "promhttp_metric_handler_errors_total"} {
		if !got[std] {
			t.Errorf("standard metric %s not gathered", std)
		}
	}
}

func TestTwoInstancesDoNotShareState(t *testing.T) {
	// Own registry each: no "duplicate metrics collector registration"
	// panic, and counting in one is invisible in the other.
	a, b := metrics.New("a"), metrics.New("b")
	a.SanitizePanics.Inc()
	if got := testutil.ToFloat64(b.SanitizePanics); got != 0 {
		t.Errorf("second instance sees %v panics, want 0", got)
	}
	if n := testutil.CollectAndCount(prometheus.DefaultGatherer.(prometheus.Collector), "mugai_sanitize_panics_total"); n != 0 {
		t.Errorf("default registry holds %d mugai series, want 0", n)
	}
}

func TestValuesMove(t *testing.T) {
	m := newWired(t)
	tests := []struct {
		name  string
		event func()
		read  prometheus.Collector
		want  float64
	}{
		{"exe stripped", func() { m.Attachments.WithLabelValues(metrics.DecisionStrip, "executable").Inc() },
			m.Attachments.WithLabelValues(metrics.DecisionStrip, "executable"), 1},
		{"pdf kept twice", func() {
			m.Attachments.WithLabelValues(metrics.DecisionKeep, "pdf").Inc()
			m.Attachments.WithLabelValues(metrics.DecisionKeep, "pdf").Inc()
		}, m.Attachments.WithLabelValues(metrics.DecisionKeep, "pdf"), 2},
		{"verdict rebuilt", func() { m.MessagesVerdict.WithLabelValues("inbound", "default", metrics.VerdictRebuilt).Inc() },
			m.MessagesVerdict.WithLabelValues("inbound", "default", metrics.VerdictRebuilt), 1},
		{"session opens and closes", func() {
			g := m.SMTPSessionsActive.WithLabelValues("inbound")
			g.Inc()
			g.Inc()
			g.Dec()
		}, m.SMTPSessionsActive.WithLabelValues("inbound"), 1},
		{"queue deferred", func() { m.QueueMessages.WithLabelValues("inbound", metrics.StateDeferred).Set(7) },
			m.QueueMessages.WithLabelValues("inbound", metrics.StateDeferred), 7},
		{"delivery deferred", func() { m.DeliveryAttempts.WithLabelValues("outbound", metrics.DeliveryDeferred).Add(3) },
			m.DeliveryAttempts.WithLabelValues("outbound", metrics.DeliveryDeferred), 3},
		{"quarantine full", func() { m.QuarantineFull.Inc() }, m.QuarantineFull, 1},
		{"purged by max_bytes", func() { m.QuarantinePurged.WithLabelValues(metrics.PurgeMaxBytes).Add(5) },
			m.QuarantinePurged.WithLabelValues(metrics.PurgeMaxBytes), 5},
		{"reload failed, running on the old config", func() {
			m.ConfigReloads.WithLabelValues(metrics.ReloadFailure).Inc()
			m.ConfigLastReloadOK.Set(0)
		}, m.ConfigLastReloadOK, 0},
		{"reload failure counted", func() {},
			m.ConfigReloads.WithLabelValues(metrics.ReloadFailure), 1},
		{"lockdown on", func() { m.LockdownEnabled.Set(1) }, m.LockdownEnabled, 1},
		{"sanitize panic", func() { m.SanitizePanics.Inc() }, m.SanitizePanics, 1},
		{"build info", func() {}, m.BuildInfo.WithLabelValues("1.2.3-test", runtime.Version()), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.event()
			if got := testutil.ToFloat64(tt.read); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// An untouched neighbour did not move.
	if got := testutil.ToFloat64(m.Attachments.WithLabelValues(metrics.DecisionStrip, "pdf")); got != 0 {
		t.Errorf("attachments_total{strip,pdf} = %v, want 0", got)
	}
}

func TestHistogramsCount(t *testing.T) {
	m := newWired(t)
	m.MessageSize.WithLabelValues("inbound").Observe(2 << 20)
	m.AcceptDuration.WithLabelValues("inbound").Observe(0.03)
	m.DeliveryDuration.WithLabelValues("inbound").Observe(0.2)
	body := scrape(t, m)
	for _, want := range []string{
		`mugai_message_size_bytes_bucket{route="inbound",le="1.048576e+06"} 0`,
		`mugai_message_size_bytes_bucket{route="inbound",le="4.194304e+06"} 1`,
		`mugai_message_size_bytes_bucket{route="inbound",le="6.7108864e+07"} 1`,
		`mugai_message_size_bytes_sum{route="inbound"} 2.097152e+06`,
		`mugai_accept_duration_seconds_count{route="inbound"} 1`,
		`mugai_delivery_duration_seconds_bucket{route="inbound",le="0.25"} 1`,
		`mugai_accept_duration_seconds_count{route="outbound"} 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

// TestScrapeAsOperatorSeesIt reads /metrics over a real socket, before and
// after an event, as curl on the admin listener would.
func TestScrapeAsOperatorSeesIt(t *testing.T) {
	m := newWired(t)
	before := scrape(t, m)
	for _, want := range []string{
		`mugai_attachments_total{class="executable",decision="strip"} 0`,
		`mugai_attachments_total{class="encrypted-archive",decision="reject"} 0`,
		`mugai_messages_verdict_total{policy="default",route="inbound",verdict="rejected"} 0`,
		`mugai_messages_verdict_total{policy="none",route="outbound",verdict="passed"} 0`,
		`mugai_queue_messages{route="outbound",state="failed"} 0`,
		`mugai_delivery_attempts_total{result="delivered",route="inbound"} 0`,
		`mugai_quarantine_purged_total{reason="retention"} 0`,
		`mugai_quarantine_purged_total{reason="max_bytes"} 0`,
		`mugai_quarantine_purged_total{reason="manual"} 0`,
		`mugai_smtp_rejects_total{code="550",route="inbound",stage="data"} 0`,
		`mugai_smtp_rejects_total{code="552",route="inbound",stage="data"} 0`,
		`mugai_config_reloads_total{result="failure"} 0`,
		`mugai_sanitize_actions_total{action="links-defanged"} 0`,
		`mugai_sanitize_findings_total{kind="duplicate-content-type"} 0`,
		`mugai_sanitize_findings_total{kind="other"} 0`,
		`mugai_lockdown_enabled 0`,
		`mugai_admin_refused_total{reason="remote"} 0`,
		`mugai_config_last_reload_successful 1`,
		`mugai_build_info{goversion="` + runtime.Version() + `",version="1.2.3-test"} 1`,
	} {
		if !strings.Contains(before, want+"\n") {
			t.Errorf("before any mail, scrape lacks %q", want)
		}
	}
	// A pre-created series is one that can happen: a policy rejection is
	// answered 550 5.7.1 (gateway/data.go), never 554, in the DATA stage.
	if unwanted := `mugai_smtp_rejects_total{code="554",route="inbound",stage="data"}`; strings.Contains(before, unwanted) {
		t.Errorf("scrape has %s, a reply the gateway never gives", unwanted)
	}
	m.Attachments.WithLabelValues(metrics.DecisionStrip, "executable").Inc()
	after := scrape(t, m)
	if want := `mugai_attachments_total{class="executable",decision="strip"} 1`; !strings.Contains(after, want+"\n") {
		t.Errorf("after stripping an exe, scrape lacks %q", want)
	}
}

func TestDiskFree(t *testing.T) {
	t.Run("statfs of a real directory", func(t *testing.T) {
		m := metrics.New("t")
		m.DiskFree.Set(metrics.DiskSpool, metrics.FreeBytes(t.TempDir()))
		if n := testutil.CollectAndCount(m.DiskFree); n != 1 {
			t.Fatalf("got %d series, want 1", n)
		}
		if v := testutil.ToFloat64(m.DiskFree); v <= 0 {
			t.Errorf("disk_free_bytes{path=spool} = %v, want > 0", v)
		}
	})
	t.Run("failing source has no sample and does not break the scrape", func(t *testing.T) {
		m := metrics.New("t")
		m.DiskFree.Set(metrics.DiskSpool, func() (float64, error) { return 0, errors.New("stale NFS handle") })
		m.DiskFree.Set(metrics.DiskQuarantine, func() (float64, error) { return 4096, nil })
		body := scrape(t, m)
		if strings.Contains(body, `mugai_disk_free_bytes{path="spool"}`) {
			t.Error("failed statfs exported a sample")
		}
		if !strings.Contains(body, `mugai_disk_free_bytes{path="quarantine"} 4096`+"\n") {
			t.Error("quarantine sample missing")
		}
	})
	t.Run("statfs of a missing directory", func(t *testing.T) {
		if _, err := metrics.FreeBytes(t.TempDir() + "/gone")(); err == nil {
			t.Error("statfs of a missing directory did not fail")
		}
	})
	t.Run("nil removes the series", func(t *testing.T) {
		m := metrics.New("t")
		m.DiskFree.Set(metrics.DiskSpool, func() (float64, error) { return 1, nil })
		m.DiskFree.Set(metrics.DiskSpool, nil)
		if n := testutil.CollectAndCount(m.DiskFree); n != 0 {
			t.Errorf("got %d series, want 0", n)
		}
	})
	t.Run("directory as label panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("Set with a directory name as label did not panic")
			}
		}()
		metrics.New("t").DiskFree.Set("/var/spool/mugai", func() (float64, error) { return 1, nil })
	})
}

// scrape serves m.Handler on 127.0.0.1:0 and GETs /metrics in the text
// format.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	req, err := http.NewRequest("GET", "http://"+ln.Addr().String()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return string(b)
}
