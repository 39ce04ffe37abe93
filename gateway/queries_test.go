package gateway

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"mugai/gateway/quarantine"
)

// The dashboard and the alert rules are checked here against what a
// running gateway exports: every metric a query selects, every label it
// matches on or groups by, and every label value it names literally
// must be on a scrape of /metrics. deploy's TestQueriesNameOnlyExportedMetrics
// checks metric names against the registry; a label or value typed
// wrong (result!="deliverd", by (rout), state="deffered") passed it, and
// such a query shows "no data" on a panel, or an alert that compares
// nothing and never fires, or, for !=, counts what it meant to leave out.

const dashboardPath = "../deploy/grafana/mugai-dashboard.json"

// targetLabels are the labels Prometheus adds to every scraped series
// (job, instance) and le, which every histogram bucket has.
var targetLabels = map[string]bool{"job": true, "instance": true}

// exported is a scrape indexed for the checks: for each metric name, the
// values seen for each label.
type exported map[string]map[string]map[string]bool

func indexScrape(s map[string]float64) exported {
	ex := exported{}
	for series := range s {
		name, labels := splitSeries(series)
		if ex[name] == nil {
			ex[name] = map[string]map[string]bool{}
		}
		for l, v := range labels {
			if ex[name][l] == nil {
				ex[name][l] = map[string]bool{}
			}
			ex[name][l][v] = true
		}
	}
	// Prometheus's own series for each target.
	ex["up"] = map[string]map[string]bool{}
	return ex
}

// splitSeries reads name{a="b",c="d"} as the exposition format writes it.
func splitSeries(series string) (string, map[string]string) {
	i := strings.IndexByte(series, '{')
	if i < 0 {
		return series, nil
	}
	labels := map[string]string{}
	rest := strings.TrimSuffix(series[i+1:], "}")
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		name := rest[:eq]
		rest = rest[eq+2:] // past ="
		var v strings.Builder
		j := 0
		for ; rest[j] != '"'; j++ {
			if rest[j] == '\\' {
				j++
			}
			v.WriteByte(rest[j])
		}
		labels[name] = v.String()
		rest = strings.TrimPrefix(rest[j+1:], ",")
	}
	return series[:i], labels
}

// token is one PromQL token: an identifier, a string (unquoted), a
// number or duration, or one punctuation or operator character.
type token struct {
	kind byte // 'i' identifier, 's' string, 'n' number, else the character
	text string
}

func lexPromQL(q string) ([]token, error) {
	var out []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			var b strings.Builder
			j := i + 1
			for ; j < len(q) && q[j] != c; j++ {
				if q[j] == '\\' && c != '`' {
					j++
				}
				if j < len(q) {
					b.WriteByte(q[j])
				}
			}
			if j >= len(q) {
				return nil, fmt.Errorf("unclosed string in %q", q)
			}
			out = append(out, token{'s', b.String()})
			i = j + 1
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(q) && (isWordByte(q[j]) || q[j] == '.') {
				j++
			}
			out = append(out, token{'n', q[i:j]})
			i = j
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			out = append(out, token{'i', q[i:j]})
			i = j
		default:
			out = append(out, token{c, string(c)})
			i++
		}
	}
	return out, nil
}

func isWordByte(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

var promqlAggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "group": true,
	"stddev": true, "stdvar": true, "topk": true, "bottomk": true, "quantile": true, "count_values": true,
}

var promqlWords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true,
}

// matcher is one label matcher of a selector.
type matcher struct{ label, op, value string }

// selector is a metric selected by name, with its matchers; at is its
// token's index.
type selector struct {
	name     string
	matchers []matcher
	at       int
}

// grouping is a label list after by, without, on, ignoring, group_left
// or group_right; from and to are the token range whose metrics it
// groups (an aggregation's argument, or the whole expression for a
// binary operator's matching).
type grouping struct {
	kw       string
	labels   []string
	from, to int
}

// parsePromQL finds the selectors and groupings of an expression. It is
// a reader of the PromQL this project writes, not a parser of all of
// it; promtool checks the syntax (TestDashboardQueriesParse,
// TestPromtoolCheckRules).
func parsePromQL(q string) ([]selector, []grouping, error) {
	toks, err := lexPromQL(q)
	if err != nil {
		return nil, nil, err
	}
	closing := func(open int) (int, error) { // the index of the bracket closing toks[open]
		depth := 0
		for j := open; j < len(toks); j++ {
			switch toks[j].kind {
			case '(', '{', '[':
				depth++
			case ')', '}', ']':
				depth--
				if depth == 0 {
					return j, nil
				}
			}
		}
		return 0, fmt.Errorf("unclosed %q in %q", toks[open].text, q)
	}
	labelList := func(open int) ([]string, int, error) {
		end, err := closing(open)
		if err != nil {
			return nil, 0, err
		}
		var ls []string
		for _, t := range toks[open+1 : end] {
			if t.kind == 'i' {
				ls = append(ls, t.text)
			}
		}
		return ls, end, nil
	}
	var sels []selector
	var groups []grouping
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := func(k int) byte {
			if i+k < len(toks) {
				return toks[i+k].kind
			}
			return 0
		}
		switch {
		case t.kind == '[':
			end, err := closing(i)
			if err != nil {
				return nil, nil, err
			}
			i = end
		case t.kind != 'i':
		case promqlAggregations[t.text] && next(1) == 'i' && (toks[i+1].text == "by" || toks[i+1].text == "without"):
			// sum by (labels) (argument)
			ls, end, err := labelList(i + 2)
			if err != nil {
				return nil, nil, err
			}
			argEnd, err := closing(end + 1)
			if err != nil {
				return nil, nil, err
			}
			groups = append(groups, grouping{toks[i+1].text, ls, end + 1, argEnd})
			i = end
		case promqlAggregations[t.text] && next(1) == '(':
			// sum (argument) by (labels)
			argEnd, err := closing(i + 1)
			if err != nil {
				return nil, nil, err
			}
			if argEnd+2 < len(toks) && toks[argEnd+1].kind == 'i' && (toks[argEnd+1].text == "by" || toks[argEnd+1].text == "without") {
				ls, _, err := labelList(argEnd + 2)
				if err != nil {
					return nil, nil, err
				}
				groups = append(groups, grouping{toks[argEnd+1].text, ls, i + 1, argEnd})
			}
		case (t.text == "by" || t.text == "without") && next(1) == '(':
			// the trailing form, read above
			_, end, err := labelList(i + 1)
			if err != nil {
				return nil, nil, err
			}
			i = end
		case (t.text == "on" || t.text == "ignoring" || t.text == "group_left" || t.text == "group_right") && next(1) == '(':
			ls, end, err := labelList(i + 1)
			if err != nil {
				return nil, nil, err
			}
			groups = append(groups, grouping{t.text, ls, 0, len(toks) - 1})
			i = end
		case next(1) == '(' || promqlWords[strings.ToLower(t.text)]:
			// a function, or a keyword
		default:
			s := selector{name: t.text, at: i}
			if next(1) == '{' {
				end, err := closing(i + 1)
				if err != nil {
					return nil, nil, err
				}
				m := toks[i+2 : end]
				for len(m) > 0 {
					if len(m) < 3 || m[0].kind != 'i' {
						return nil, nil, fmt.Errorf("cannot read the matchers of %s in %q", t.text, q)
					}
					op := ""
					k := 1
					for ; k < len(m) && m[k].kind != 's'; k++ {
						op += m[k].text
					}
					if k == len(m) {
						return nil, nil, fmt.Errorf("cannot read the matchers of %s in %q", t.text, q)
					}
					s.matchers = append(s.matchers, matcher{m[0].text, op, m[k].text})
					m = m[k+1:]
					if len(m) > 0 && m[0].kind == ',' {
						m = m[1:]
					}
				}
				i = end
			}
			sels = append(sels, s)
		}
	}
	return sels, groups, nil
}

// literalAlternatives reads a regular expression that is a plain list
// of values (a|b|c) as that list; ok is false for any other.
var plainAlternatives = regexp.MustCompile(`^[A-Za-z0-9_.-]+(\|[A-Za-z0-9_.-]+)*$`)

// checkQuery returns what in q does not match ex.
func checkQuery(q string, ex exported) []string {
	sels, groups, err := parsePromQL(q)
	if err != nil {
		return []string{err.Error()}
	}
	var bad []string
	if len(sels) == 0 && !strings.Contains(q, "vector(") {
		bad = append(bad, "selects no metric")
	}
	hasLabel := func(name, label string) bool {
		if targetLabels[label] {
			return true
		}
		_, ok := ex[name][label]
		return ok
	}
	for _, s := range sels {
		if _, ok := ex[s.name]; !ok {
			bad = append(bad, fmt.Sprintf("metric %s is not on /metrics", s.name))
			continue
		}
		for _, m := range s.matchers {
			if !hasLabel(s.name, m.label) {
				bad = append(bad, fmt.Sprintf("%s has no label %s", s.name, m.label))
				continue
			}
			if targetLabels[m.label] {
				continue
			}
			var values []string
			switch {
			case m.op == "=" || m.op == "!=":
				values = []string{m.value}
			case plainAlternatives.MatchString(m.value):
				values = strings.Split(m.value, "|")
			}
			for _, v := range values {
				if !ex[s.name][m.label][v] {
					bad = append(bad, fmt.Sprintf("%s{%s} has no value %q (it has %s)", s.name, m.label, v, sortedKeys(ex[s.name][m.label])))
				}
			}
		}
	}
	for _, g := range groups {
		for _, l := range g.labels {
			found := l == "le" && g.kw == "by" || targetLabels[l]
			var names []string
			for _, s := range sels {
				if s.at >= g.from && s.at <= g.to {
					names = append(names, s.name)
					if hasLabel(s.name, l) {
						found = true
					}
				}
			}
			if !found {
				bad = append(bad, fmt.Sprintf("%s (%s): no label %s on %s", g.kw, strings.Join(g.labels, ", "), l, strings.Join(names, ", ")))
			}
		}
	}
	return bad
}

func sortedKeys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// grafanaVariables stand for what a user picks; they match anything.
var grafanaVariables = strings.NewReplacer(
	"${__rate_interval}", "5m", "$__rate_interval", "5m",
	"${__interval}", "1m", "$__interval", "1m",
	"${__range}", "1h", "$__range", "1h",
	"${instance}", ".*", "$instance", ".*",
	"${route}", ".*", "$route", ".*",
)

var labelValuesQuery = regexp.MustCompile(`^\s*label_values\(\s*(.*?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

// operatorQueries returns every query of the dashboard (panel targets,
// and the selector of each label_values variable with the label it
// lists) and of the alert rules, by where it is.
func operatorQueries(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	b, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	var rf struct {
		Groups []struct {
			Rules []struct {
				Alert, Record, Expr string
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatalf("%s: %v", rulesPath, err)
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			out["alert "+r.Alert+r.Record] = r.Expr
		}
	}
	b, err = os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var root any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			if title, _ := v["title"].(string); title != "" {
				path += "/" + title
			} else if name, _ := v["name"].(string); name != "" {
				path += "/" + name
			}
			for k, c := range v {
				s, ok := c.(string)
				switch {
				case k == "expr" && ok:
					where := "panel " + path
					for n := 2; out[where] != ""; n++ {
						where = fmt.Sprintf("panel %s #%d", path, n)
					}
					out[where] = grafanaVariables.Replace(s)
				case k == "query" && ok && strings.Contains(s, "label_values("):
					m := labelValuesQuery.FindStringSubmatch(s)
					if m == nil {
						t.Errorf("%s: cannot read the variable query %q", path, s)
						continue
					}
					// by (label) stands for the label the variable lists.
					out["variable "+path] = fmt.Sprintf("count by (%s) (%s)", m[2], grafanaVariables.Replace(m[1]))
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
	return out
}

// TestQueriesMatchScrape: every query of the dashboard and the alert
// rules selects metrics, labels and label values that a running
// gateway's /metrics has, after mail has gone through it.
func TestQueriesMatchScrape(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), true)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, mixedMessage()); code != 250 {
		t.Fatalf("send: %s", text)
	}
	waitFor(t, "the delivery", 10*time.Second, func() bool {
		return scrape(t, "http://"+g.admin+"/metrics")[`mugai_delivery_attempts_total{result="delivered",route="inbound"}`] == 1
	})
	// An original kept for a route no longer configured: the orphan
	// gauge has a series only then.
	meta := quarantine.Meta{Time: time.Now(), Route: "retired", From: "a@example.jp", To: []string{"staff@lgwan.example"}}
	orig := "Subject: kept\r\n\r\nbody\r\n"
	if _, err := g.q.Put(meta, strings.NewReader(orig), int64(len(orig))); err != nil {
		t.Fatal(err)
	}
	g.srv.updateOrphans(false)
	ex := indexScrape(scrape(t, "http://"+g.admin+"/metrics"))

	queries := operatorQueries(t)
	if len(queries) < 40 {
		t.Fatalf("found only %d queries in the dashboard and the rules", len(queries))
	}
	var where []string
	for w := range queries {
		where = append(where, w)
	}
	sort.Strings(where)
	for _, w := range where {
		for _, p := range checkQuery(queries[w], ex) {
			t.Errorf("%s: %s\n\t%s", w, p, queries[w])
		}
	}
}

// TestCheckQuery: the checker finds what an operator would see as "no
// data", or as an alert that never fires or counts the wrong thing.
func TestCheckQuery(t *testing.T) {
	ex := indexScrape(map[string]float64{
		`mugai_delivery_attempts_total{result="delivered",route="inbound"}`: 1,
		`mugai_delivery_attempts_total{result="deferred",route="inbound"}`:  0,
		`mugai_queue_messages{route="inbound",state="active"}`:              0,
		`mugai_queue_messages{route="inbound",state="deferred"}`:            0,
		`mugai_accept_duration_seconds_bucket{le="0.5",route="inbound"}`:    0,
		`mugai_lockdown_enabled`: 0,
	})
	tests := []struct {
		q    string
		want []string // substrings, one per problem; none for a sound query
	}{
		{`sum by (instance, route) (rate(mugai_delivery_attempts_total{result!="delivered"}[10m]))`, nil},
		{`sum(mugai_queue_messages{route=~".*",state=~"active|deferred"}) by (route)`, nil},
		{`histogram_quantile(0.99, sum by (route, le) (rate(mugai_accept_duration_seconds_bucket{instance=~".*"}[5m])))`, nil},
		{`mugai_lockdown_enabled == 1 and on (job, instance) up`, nil},
		{`hour(vector(time())) > 9`, nil},
		{`rate(mugai_delivery_attempts_total{result!="deliverd"}[10m])`, []string{`no value "deliverd"`}},
		{`mugai_queue_messages{state=~"active|deffered"}`, []string{`no value "deffered"`}},
		{`mugai_queue_message{state="active"}`, []string{"mugai_queue_message is not on /metrics"}},
		{`mugai_lockdown_enabled{route="inbound"}`, []string{"has no label route"}},
		{`sum by (rout) (mugai_queue_messages)`, []string{"no label rout"}},
		{`mugai_lockdown_enabled > on (route) mugai_queue_messages`, nil}, // on(): either side
		{`mugai_lockdown_enabled > on (path) mugai_queue_messages`, []string{"no label path"}},
		{`sum(mugai_queue_messages) by (stat)`, []string{"no label stat"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := checkQuery(tt.q, ex)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q, want one with %q", got[i], w)
				}
			}
		})
	}
}
