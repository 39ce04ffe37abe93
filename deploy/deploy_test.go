package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
)

const (
	rulesFile     = "prometheus/mugai.rules.yml"
	rulesTestFile = "prometheus/mugai.rules.test.yml"
	dashboardFile = "grafana/mugai-dashboard.json"
	unitFile      = "mugai.service"
	sysusersFile  = "mugai.sysusers"
	tmpfilesFile  = "mugai.tmpfiles"
	containerFile = "Containerfile"
)

// tool returns the path of an external program, or skips the test when it
// is missing — unless MUGAI_REQUIRE_INTEROP=1 (CI), where missing is a
// failure.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
			t.Fatalf("%s not installed and MUGAI_REQUIRE_INTEROP=1", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ---- metric names used by the dashboard and the rules ----

// exported returns every series name a scrape of a fully wired gateway
// has: metric families, plus _bucket/_sum/_count for histograms and
// summaries, plus "up", which Prometheus itself adds to every target.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New("test")
	m.InitRoute("inbound", "default")
	m.InitRoute("outbound", "none")
	m.DiskFree.Set(metrics.DiskSpool, func() (float64, error) { return 1, nil })
	m.DiskFree.Set(metrics.DiskQuarantine, func() (float64, error) { return 1, nil })
	m.SetFloor(1, true)
	m.QuarantineOrphaned.WithLabelValues("removed").Set(1) // a series only for a route no longer configured
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	names := map[string]bool{"up": true}
	for _, mf := range mfs {
		n := mf.GetName()
		names[n] = true
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			names[n+"_bucket"], names[n+"_sum"], names[n+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[n+"_sum"], names[n+"_count"] = true, true
		}
	}
	return names
}

// promqlKeywords are identifiers that are not metric names when not
// followed by "(".
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true,
}

// metricNames extracts the metric names a PromQL expression selects. It is
// a tokenizer, not a parser: strings, label matchers {…} and ranges […]
// are skipped; an identifier followed by "(" is a function or an
// aggregation; the label lists after by/without/on/ignoring/group_* are
// skipped; the rest are metric names. promtool checks the syntax.
func metricNames(expr string) ([]string, error) {
	var names []string
	s := expr
	i := 0
	skipTo := func(close byte) error {
		for i++; i < len(s); i++ {
			switch s[i] {
			case '"', '\'', '`':
				if err := skipString(s, &i); err != nil {
					return err
				}
			case close:
				return nil
			}
		}
		return fmt.Errorf("unclosed %q in %q", close, expr)
	}
	nextNonSpace := func(j int) int {
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
			j++
		}
		return j
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			if err := skipString(s, &i); err != nil {
				return nil, err
			}
			i++
		case c == '{':
			if err := skipTo('}'); err != nil {
				return nil, err
			}
			i++
		case c == '[':
			if err := skipTo(']'); err != nil {
				return nil, err
			}
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			// numbers, 1e3, 0x1f, durations such as 1h30m
			for i < len(s) && (isIdent(s[i]) || s[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdent(s[j]) {
				j++
			}
			word := s[i:j]
			k := nextNonSpace(j)
			followedByParen := k < len(s) && s[k] == '('
			// "sum by (route) (…)": an aggregation followed by its grouping.
			nextWord := s[k:min(k+8, len(s))]
			aggregation := strings.HasPrefix(nextWord, "by") && !isIdent(at(s, k+2)) ||
				strings.HasPrefix(nextWord, "without") && !isIdent(at(s, k+7))
			lower := strings.ToLower(word)
			switch {
			case followedByParen && (lower == "by" || lower == "without" || lower == "on" ||
				lower == "ignoring" || lower == "group_left" || lower == "group_right"):
				i = k
				if err := skipTo(')'); err != nil {
					return nil, err
				}
				j = i + 1
			case followedByParen, aggregation, promqlKeywords[lower]:
				// function, aggregation or keyword
			default:
				names = append(names, word)
			}
			i = j
		default:
			i++
		}
	}
	return names, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdent(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// at is s[i], or 0 past the end.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// skipString moves *i from an opening quote to its closing quote.
func skipString(s string, i *int) error {
	q := s[*i]
	for j := *i + 1; j < len(s); j++ {
		if s[j] == '\\' && q != '`' {
			j++
			continue
		}
		if s[j] == q {
			*i = j
			return nil
		}
	}
	return fmt.Errorf("unclosed string in %q", s)
}

func TestMetricNamesTokenizer(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`up == 0`, []string{"up"}},
		{`sum by (route) (rate(a_total{x="y}", z=~"[a-z]"}[5m])) / on() group_left(route) b offset 1h`, []string{"a_total", "b"}},
		{`histogram_quantile(0.99, sum(rate(h_bucket[$__rate_interval])) by (le, route))`, []string{"h_bucket"}},
		{`hour(vector(time() + 9 * 3600)) >= 9 and c < 1e3 unless d > bool 0x1f`, []string{"c", "d"}},
		{`sum without (instance) (x) or ignoring (a, b) y`, []string{"x", "y"}},
		{`max by(route) (by_x) + bytes`, []string{"by_x", "bytes"}},
		{`count_values without() ("v", withoutme)`, []string{"withoutme"}},
		{`count_over_time(z[1h30m:5m]) > Inf`, []string{"z"}},
		{`time() - max(ts_seconds{instance=~"$instance"})`, []string{"ts_seconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := metricNames(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := metricNames(`a{b="c"`); err == nil {
		t.Error("unclosed matcher not reported")
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return rf
}

// expr is one PromQL expression and where it was found.
type expr struct{ where, promql string }

func ruleExprs(t *testing.T) []expr {
	var out []expr
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			out = append(out, expr{rulesFile + ": " + r.Alert + r.Record, r.Expr})
		}
	}
	return out
}

// grafanaVars replaces Grafana's template variables by values that make
// the expression plain PromQL.
var grafanaVars = strings.NewReplacer(
	"${__rate_interval}", "5m", "$__rate_interval", "5m",
	"${__interval}", "1m", "$__interval", "1m",
	"${__range}", "1h", "$__range", "1h",
	"${instance}", ".*", "$instance", ".*",
	"${route}", ".*", "$route", ".*",
)

var labelValues = regexp.MustCompile(`^\s*label_values\(\s*(.*?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// dashboardExprs walks the dashboard JSON and returns every panel target
// "expr" and the selector of every label_values() variable query.
func dashboardExprs(t *testing.T) []expr {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var root any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var out []expr
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			title, _ := v["title"].(string)
			if title == "" {
				title, _ = v["name"].(string)
			}
			if title != "" {
				path += "/" + title
			}
			for k, c := range v {
				s, ok := c.(string)
				switch {
				case k == "expr" && ok:
					out = append(out, expr{dashboardFile + ": " + path, grafanaVars.Replace(s)})
				case (k == "query" || k == "definition") && ok && strings.Contains(s, "label_values("):
					m := labelValues.FindStringSubmatch(s)
					if m == nil {
						t.Errorf("%s: %s: cannot read label_values query %q", dashboardFile, path, s)
						continue
					}
					out = append(out, expr{dashboardFile + ": " + path + " (variable)", grafanaVars.Replace(m[1])})
				default:
					walk(c, path)
				}
			}
		case []any:
			for _, c := range v {
				walk(c, path)
			}
		}
	}
	walk(root, "")
	sort.Slice(out, func(i, j int) bool { return out[i].where+out[i].promql < out[j].where+out[j].promql })
	return out
}

// TestQueriesNameOnlyExportedMetrics is the guarantee that an operator's
// dashboard panel or alert never silently shows "no data" because it
// names a metric the gateway does not export.
func TestQueriesNameOnlyExportedMetrics(t *testing.T) {
	have := exported(t)
	used := map[string]bool{}
	shown := map[string]bool{} // on the dashboard
	all := append(ruleExprs(t), dashboardExprs(t)...)
	if len(all) < 30 {
		t.Fatalf("found only %d expressions in the rules and the dashboard", len(all))
	}
	for _, e := range all {
		names, err := metricNames(e.promql)
		if err != nil {
			t.Errorf("%s: %v", e.where, err)
			continue
		}
		if len(names) == 0 && !strings.Contains(e.promql, "vector(") {
			t.Errorf("%s: no metric in %q", e.where, e.promql)
		}
		for _, n := range names {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
			used[base], used[n] = true, true
			if strings.HasPrefix(e.where, dashboardFile+":") {
				shown[base], shown[n] = true, true
			}
			if !have[n] {
				t.Errorf("%s: metric %s is not exported by gateway/metrics (expr %q)", e.where, n, e.promql)
			}
		}
	}
	// Every metric the gateway defines is on the dashboard: an alert
	// names a few, and the operator it pages looks there for the history
	// (mugai_mail_loops_total, mugai_storage_errors_total and
	// mugai_delivery_unsanitised_refused_total were only in rules).
	for _, n := range metrics.Names() {
		switch {
		case !used[n]:
			t.Errorf("metric %s is in neither the dashboard nor the alert rules", n)
		case !shown[n]:
			t.Errorf("metric %s is in the alert rules but on no dashboard panel", n)
		}
	}
}

func TestDashboardShape(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	ids := map[int]bool{}
	titles := map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		titles[p.Title] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if refs[tg.RefID] {
				t.Errorf("panel %q: refId %s twice", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
		}
	}
	// What issue 6 asks the dashboard to show.
	for _, want := range []string{
		"Messages received by route", "Verdicts", "Attachments stripped by class",
		"Queue depth", "Oldest queued message", "Delivery results",
		"Accept latency (DATA end to 250)", "Quarantine", "Configuration reloads",
	} {
		if !titles[want] {
			t.Errorf("dashboard has no panel %q", want)
		}
	}
	if !strings.Contains(string(b), "histogram_quantile(0.99, sum by (route, le) (rate(mugai_accept_duration_seconds_bucket") {
		t.Error("no p99 accept latency from the histogram")
	}
}

// TestDashboardQueriesParse feeds every dashboard query to promtool as a
// recording rule, so a syntax error in a panel fails here and not in
// front of an operator.
func TestDashboardQueriesParse(t *testing.T) {
	promtool := tool(t, "promtool")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range dashboardExprs(t) {
		q, _ := json.Marshal(e.promql) // a JSON string is a YAML string
		fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %s\n", i, q)
	}
	if err := os.WriteFile(filepath.Join(dir, "dashboard.rules.yml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, promtool, "check", "rules", "dashboard.rules.yml")
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := tool(t, "promtool")
	out := run(t, ".", promtool, "check", "rules", rulesFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules: %s", out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	promtool := tool(t, "promtool")
	out := run(t, ".", promtool, "test", "rules", rulesTestFile)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules: %s", out)
	}
	// At least three alerts have unit tests that expect them to fire.
	b, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	var tf struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &tf); err != nil {
		t.Fatal(err)
	}
	firing := map[string]bool{}
	for _, tc := range tf.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			}
		}
	}
	if len(firing) < 3 {
		t.Errorf("only %d alerts tested firing: %v", len(firing), firing)
	}
	for _, want := range []string{"MugaiNextHopFailing", "MugaiSanitizePanic", "MugaiNoMailDuringOfficeHours"} {
		if !firing[want] {
			t.Errorf("alert %s has no firing unit test", want)
		}
	}
}

// TestAlertsAreDocumented: every alert has severity, summary and
// description, and a section in deploy/README.md that says what to do.
func TestAlertsAreDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	severities := map[string]bool{"critical": true, "warning": true, "info": true}
	alerts := 0
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !severities[r.Labels["severity"]] {
				t.Errorf("%s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs summary and description annotations", r.Alert)
			}
			if !strings.Contains(string(readme), "### "+r.Alert+"\n") {
				t.Errorf("README.md has no section \"### %s\"", r.Alert)
			}
		}
	}
	if alerts < 9 {
		t.Errorf("only %d alerts", alerts)
	}
}

// readmeMetricRow is a row of the metrics table in README.md: a code span
// with the name and its labels in braces.
var readmeMetricRow = regexp.MustCompile("^\\| `(mugai_[a-z_]+)(?:\\{([a-z_,]*)\\})?` \\|")

// TestMetricsAreDocumented: the metrics table of README.md has a row for
// every metric the gateway exports, with the labels a scrape shows, and
// no row for one it does not. An operator reads it to write a query.
func TestMetricsAreDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{}
	for _, l := range strings.Split(string(readme), "\n") {
		m := readmeMetricRow.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if _, dup := documented[m[1]]; dup {
			t.Errorf("README.md has two rows for %s", m[1])
		}
		labels := []string{}
		if m[2] != "" {
			labels = strings.Split(m[2], ",")
		}
		slices.Sort(labels)
		documented[m[1]] = labels
	}
	m := metrics.New("test")
	m.InitRoute("inbound", "default")
	for _, p := range []string{metrics.DiskSpool, metrics.DiskQuarantine, metrics.DiskTemp, metrics.DiskAudit} {
		m.DiskFree.Set(p, func() (float64, error) { return 1, nil })
	}
	m.SetFloor(1, true)
	m.QuarantineOrphaned.WithLabelValues("removed").Set(1) // a series only for a route no longer configured
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	exported := map[string]bool{}
	for _, mf := range mfs {
		name := mf.GetName()
		if !strings.HasPrefix(name, metrics.Namespace+"_") {
			continue
		}
		exported[name] = true
		labels := []string{}
		if len(mf.GetMetric()) > 0 {
			for _, lp := range mf.GetMetric()[0].GetLabel() {
				labels = append(labels, lp.GetName())
			}
		}
		slices.Sort(labels)
		doc, ok := documented[name]
		switch {
		case !ok:
			t.Errorf("README.md's metrics table has no row for %s{%s}", name, strings.Join(labels, ","))
		case !slices.Equal(doc, labels):
			t.Errorf("README.md documents %s with labels {%s}; a scrape has {%s}", name, strings.Join(doc, ","), strings.Join(labels, ","))
		}
	}
	for name := range documented {
		if !exported[name] {
			t.Errorf("README.md documents %s, which the gateway does not export", name)
		}
	}
	if len(exported) != len(metrics.Names()) {
		t.Errorf("a scrape has %d mugai_ metrics, metrics.Names lists %d", len(exported), len(metrics.Names()))
	}
}

// TestREADMEQuotesQuarantineErrors: the error texts deploy/README.md
// quotes for a wrong key and a changed original are the ones the
// quarantine gives, so that a grep for what the README says finds them.
func TestREADMEQuotesQuarantineErrors(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	for _, e := range []error{quarantine.ErrWrongKey, quarantine.ErrTampered} {
		msg := strings.TrimPrefix(e.Error(), "quarantine: ")
		msg, _, _ = strings.Cut(msg, " (")
		if !strings.Contains(text, "`"+msg+"`") {
			t.Errorf("README.md does not quote the error %q as `%s`", e, msg)
		}
	}
}

// ---- systemd ----

// unitDirectives parses a unit file into section.Key → values.
func unitDirectives(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("%s: not a directive: %q", path, line)
				continue
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnitDirectives(t *testing.T) {
	d := unitDirectives(t, unitFile)
	tests := []struct{ key, want string }{
		{"Service.User", "mugai"},
		{"Service.Group", "mugai"},
		{"Service.ExecStart", "/usr/local/bin/mugai serve -config /etc/mugai/mugai.yaml"},
		{"Service.ExecReload", "/bin/kill -HUP $MAINPID"},
		{"Service.NoNewPrivileges", "yes"},
		{"Service.ProtectSystem", "strict"},
		{"Service.ReadWritePaths", "/var/spool/mugai /var/lib/mugai"},
		{"Service.PrivateTmp", "yes"},
		{"Service.ProtectHome", "yes"},
		{"Service.CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"},
		{"Service.AmbientCapabilities", "CAP_NET_BIND_SERVICE"},
		{"Service.RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
		{"Service.SystemCallFilter", "@system-service"},
		{"Service.SystemCallArchitectures", "native"},
		{"Service.ProtectKernelTunables", "yes"},
		{"Service.ProtectKernelModules", "yes"},
		{"Service.ProtectControlGroups", "yes"},
		{"Service.LockPersonality", "yes"},
		{"Service.MemoryDenyWriteExecute", "yes"},
		{"Service.RestrictNamespaces", "yes"},
		{"Service.StateDirectory", "mugai"},
		{"Install.WantedBy", "multi-user.target"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if !slices.Contains(d[tt.key], tt.want) {
				t.Errorf("%s = %q, want %q among them", tt.key, d[tt.key], tt.want)
			}
		})
	}
}

// unitWithFakeBinary writes an executable stand-in for
// /usr/local/bin/mugai and a copy of the unit that starts it:
// systemd-analyze verify insists that ExecStart= names an executable file,
// and the real binary is not installed where the tests run.
func unitWithFakeBinary(t *testing.T) (dir, unit string) {
	t.Helper()
	dir = t.TempDir()
	bin := filepath.Join(dir, "mugai")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "/usr/local/bin/mugai ") {
		t.Fatal("unit does not start /usr/local/bin/mugai")
	}
	unit = filepath.Join(dir, "mugai.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/mugai", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, unit
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	sa := tool(t, "systemd-analyze")
	dir, unit := unitWithFakeBinary(t)
	// verify prints warnings (unknown keys, bad values) without always
	// failing: clean means no output at all.
	cmd := exec.Command(sa, "verify", "--man=no", unit)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: err=%v\n%s", err, out)
	}
}

// TestSystemdSecurityExposure keeps the hardening from eroding: systemd's
// own exposure score (0 best … 10 worst) must stay "OK" (below 2.0).
func TestSystemdSecurityExposure(t *testing.T) {
	sa := tool(t, "systemd-analyze")
	dir, unit := unitWithFakeBinary(t)
	cmd := exec.Command(sa, "security", "--offline=true", "--threshold=20", unit)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "unrecognized option") {
		t.Skipf("this systemd-analyze has no offline security check: %s", out)
	}
	if err != nil {
		t.Errorf("exposure above 2.0 (or analysis failed): %v\n%s", err, out)
	}
	var level string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "Overall exposure level") {
			level = l
		}
	}
	t.Log(strings.TrimSpace(level))
}

// TestSysusersAndTmpfiles applies the two snippets to an empty root, as
// an install does to /, and checks the user and the directories a
// ProtectSystem=strict service needs.
func TestSysusersAndTmpfiles(t *testing.T) {
	sysusers := tool(t, "systemd-sysusers")
	tmpfiles := tool(t, "systemd-tmpfiles")
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown in the test root")
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	sysusersPath, _ := filepath.Abs(sysusersFile)
	tmpfilesPath, _ := filepath.Abs(tmpfilesFile)
	run(t, ".", sysusers, "--root="+root, sysusersPath)
	run(t, ".", tmpfiles, "--create", "--root="+root, tmpfilesPath)

	passwd, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	var uid, gid int = -1, -1
	for _, l := range strings.Split(string(passwd), "\n") {
		f := strings.Split(l, ":")
		if len(f) == 7 && f[0] == "mugai" {
			uid, _ = strconv.Atoi(f[2])
			gid, _ = strconv.Atoi(f[3])
			if uid == 0 || uid >= 1000 {
				t.Errorf("mugai uid %d is not a system user", uid)
			}
			if !strings.HasSuffix(f[6], "nologin") {
				t.Errorf("mugai has shell %q, want nologin", f[6])
			}
		}
	}
	if uid < 0 {
		t.Fatalf("no mugai user in %s", passwd)
	}
	tests := []struct {
		dir      string
		uid, gid int
		mode     os.FileMode
	}{
		{"var/spool/mugai", uid, gid, 0o700},
		{"var/lib/mugai", uid, gid, 0o700},
		{"var/log/mugai", uid, gid, 0o750},
		{"etc/mugai", 0, gid, 0o750},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			fi, err := os.Stat(filepath.Join(root, tt.dir))
			if err != nil {
				t.Fatal(err)
			}
			st := fi.Sys().(*syscall.Stat_t)
			if int(st.Uid) != tt.uid || int(st.Gid) != tt.gid || fi.Mode().Perm() != tt.mode {
				t.Errorf("%s: %d:%d %v, want %d:%d %v", tt.dir, st.Uid, st.Gid, fi.Mode().Perm(), tt.uid, tt.gid, tt.mode)
			}
		})
	}
	// Every writable path of the unit is created by the snippets.
	for _, p := range strings.Fields(unitDirectives(t, unitFile)["Service.ReadWritePaths"][0]) {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("ReadWritePaths %s is not created by %s: %v", p, tmpfilesFile, err)
		}
	}
}

// ---- container ----

// TestContainerfile checks what can be checked without a container
// engine: a static build, a non-root final stage and nothing copied into
// it but the binary, the example configuration and empty directories.
func TestContainerfile(t *testing.T) {
	b, err := os.ReadFile(containerFile)
	if err != nil {
		t.Fatal(err)
	}
	var froms, copies []string
	var user string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "FROM "):
			froms = append(froms, l)
			copies = nil // only the final stage's COPYs matter
			user = ""
		case strings.HasPrefix(l, "COPY "):
			copies = append(copies, l)
		case strings.HasPrefix(l, "USER "):
			user = strings.TrimPrefix(l, "USER ")
		}
	}
	if len(froms) < 2 {
		t.Fatalf("not multi-stage: %q", froms)
	}
	if !strings.Contains(froms[0], "golang:1.26") {
		t.Errorf("build stage %q is not golang:1.26", froms[0])
	}
	if last := froms[len(froms)-1]; !strings.Contains(last, "distroless/static") && !strings.Contains(last, "scratch") {
		t.Errorf("final stage %q is neither distroless/static nor scratch", last)
	}
	if !strings.Contains(string(b), "CGO_ENABLED=0") {
		t.Error("build is not static (CGO_ENABLED=0)")
	}
	if user == "" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
		t.Errorf("final stage runs as %q, want a non-root user", user)
	}
	for _, c := range copies {
		ok := strings.Contains(c, "/out/mugai /usr/local/bin/mugai") ||
			strings.Contains(c, "deploy/mugai.example.yaml /etc/mugai/mugai.yaml") ||
			strings.Contains(c, "--chown=65532:65532 /out/dirs/")
		if !ok {
			t.Errorf("final stage copies more than the binary and the example config: %q", c)
		}
	}
	if _, err := os.Stat("mugai.example.yaml"); err != nil {
		t.Errorf("the container copies deploy/mugai.example.yaml: %v", err)
	}
}

// TestActionsAreDocumented: the row of mugai_sanitize_actions_total in
// README.md names every action the sanitiser reports (and the metric
// has at zero), so an operator reading a panel's legend finds each one.
func TestActionsAreDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "| `mugai_sanitize_actions_total{action}` |") {
			row = l
		}
	}
	if row == "" {
		t.Fatal("README.md has no row for mugai_sanitize_actions_total")
	}
	for _, a := range metrics.Actions {
		if !strings.Contains(row, "`"+a+"`") {
			t.Errorf("README.md's mugai_sanitize_actions_total row does not name the action %q", a)
		}
	}
}
