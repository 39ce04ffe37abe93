package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// badFiles are the configurations under testdata that must not load,
// with what the error must say.
var badFiles = []struct {
	file string
	want []string // each must appear in the error text
}{
	{"unknown_key.bad.yaml", []string{"unknown_key.bad.yaml:7: routes[0].polciy: unknown key (allowed: name, listen"}},
	{"wrong_type.bad.yaml", []string{":1: spool_dir: expected a string, got a list"}},
	{"bad_size.bad.yaml", []string{`:9: routes[0].limits.max_message_size: "25MeB" is not a size`}},
	{"bad_duration.bad.yaml", []string{`:9: routes[0].limits.command_timeout: "5 minutes" is not a duration`}},
	{"bad_cidr.bad.yaml", []string{`:5: routes[0].clients[0]: "127.0.0.1/8" is not a network`}},
	{"bad_url.bad.yaml", []string{`:8: routes[0].deliver.to: "http://10.1.0.25:25" has an unknown scheme`}},
	{"bad_domain.bad.yaml", []string{`:6: routes[0].domains[0]: "lgwan_example..jp" is not a domain name`}},
	{"missing_policy.bad.yaml", []string{`:7: routes[0].policy: policy "relaxed" does not exist (defined: default)`}},
	{"attempt_timeout.bad.yaml", []string{`:9: routes[0].deliver.attempt_timeout: 2d is too long (allowed: 1s to 24h`, `:11: routes[0].bounces.attempt_timeout: 500ms is too short (allowed: 1s to 24h`}},
	{"nonpositive_limit.bad.yaml", []string{`:9: routes[0].limits.max_recipients: must be positive, got 0`}},
	{"session_timeout.bad.yaml", []string{`:9: routes[0].limits.session_timeout: 500ms is too short (allowed: 1s to 24h; default 10m)`, `:17: routes[1].limits.session_timeout: 2d is too long (allowed: 1s to 24h`, `:25: routes[2].limits.session_timeout: must be positive, got -1m`}},
	// A negative duration or size is shown as written, not in nanoseconds or bytes.
	{"negative_value.bad.yaml", []string{`:3: quarantine.retention: must be positive, got -2d`, `:12: routes[0].limits.max_message_size: must be positive, got -5MiB`,
		`:13: routes[0].limits.command_timeout: must be positive, got -1m30s`, `:14: routes[0].limits.max_connections: must be positive, got -3`,
		`:18: policies.default.attachments.keep[0].max_size: must be positive, got -1KiB`, `:19: spool_min_free: must not be negative, got -1GiB`}},
	{"too_large_message.bad.yaml", []string{`:9: routes[0].limits.max_message_size: 4GiB is too large (allowed: up to 4095MiB)`}},
	{"too_many_recipients.bad.yaml", []string{`:9: routes[0].limits.max_recipients: 20000 is too large (allowed: up to 1000)`}},
	{"unreadable_tls.bad.yaml", []string{`:9: routes[0].tls.cert: cannot read /nonexistent/tls.crt`, `routes[0].tls.key: cannot read`}},
	{"wildcard_domain.bad.yaml", []string{`:6: routes[0].domains[0]: "*" is allowed only on a route whose policy is none`}},
	{"no_clients.bad.yaml", []string{`:5: routes[0].clients: at least one network is required`}},
	{"duplicate_listen.bad.yaml", []string{`:10: routes[1].listen[0]: 127.0.0.1:2525 is already used by route inbound`}},
	// Written apart, bound alike: serve failed with "address already in use".
	{"listen_same_address.bad.yaml", []string{`:5: routes[0].listen[1]: 127.0.0.1:9925 is already used by admin.listen ([::ffff:127.0.0.1]:9925)`,
		`:11: routes[1].listen[0]: localhost:2525 is already used by route inbound (127.0.0.1:2525)`}},
	// A next hop that is one of mugai's own listeners: a loop, or mail
	// crossing from one route to another.
	{"own_listener_hop.bad.yaml", []string{
		`:8: routes[0].deliver.to: smtp://localhost:2526 is mugai's own listener (route outbound, listen 0.0.0.0:2526): what is delivered there comes back in on route outbound`,
		`:15: routes[1].bounces.to: smtp://127.0.0.1:2525 is mugai's own listener (route inbound, listen 127.0.0.1:2525)`}},
	// What was meant, said.
	{"domain_pattern.bad.yaml", []string{`:6: routes[0].domains[0]: "*.city.example.lg.jp" is not a domain name: domains are compared whole, with no patterns, so list each domain meant, one entry each (city.example.lg.jp alone matches none of its subdomains)`,
		`:11: rules[0].match.sender_domain[0]: "@pref.example.lg.jp" is not a domain name: write it without the @ (pref.example.lg.jp)`}},
	// "@domain" is no address: the rule would never match.
	{"rule_at_domain.bad.yaml", []string{`:12: rules[0].match.sender[0]: "@pref.example.lg.jp" is not an address: for every sender of a domain, use sender_domain: [pref.example.lg.jp]`,
		`:13: rules[0].match.recipient[0]: "@lgwan.example" is not an address: for every recipient of a domain, use recipient_domain: [lgwan.example]`}},
	// An emptied condition would let the rule match any sender.
	{"rule_empty_condition.bad.yaml", []string{`:12: rules[0].match.sender_domain: an empty list is no condition, and the rule would match any sender domain: list them, or leave the key out`}},
	// Not the default list in its place, quietly.
	{"empty_headers.bad.yaml", []string{`:11: policies.default.headers: an empty list would carry no From, To, Date or Subject, which every message needs, and the rebuild would carry the default list instead`}},
	// Any client, any destination: never (DESIGN invariant 4).
	{"open_relay.bad.yaml", []string{`:5: routes[0].clients[1]: ::/0 with domains "*" makes route outbound an open relay: any host that reaches it may send mail anywhere through it`}},
	// Together 0.0.0.0/1 and 128.0.0.0/1 are /0; a /8 of addresses is
	// far more than the servers that relay through the route.
	{"wide_relay.bad.yaml", []string{
		`:5: routes[0].clients[0]: 0.0.0.0/1 with domains "*" makes route outbound an open relay: the hosts of a network wider than a /8 (in IPv6, a /32) may send mail anywhere through it`,
		`:5: routes[0].clients[1]: 128.0.0.0/1 with domains "*"`, `:5: routes[0].clients[3]: ::ffff:0.0.0.0/97 with domains "*"`, `:5: routes[0].clients[4]: 2001::/16 with domains "*"`}},
	// Each no wider than a /8, together every host of the private
	// networks: each PC may relay to the internet.
	{"wide_union.bad.yaml", []string{`:5: routes[0].clients: together these networks are wider than a /8 (in IPv6, a /32), which with domains "*" makes route outbound an open relay`}},
	// Which network, or which address, the admin meant is theirs to say.
	{"host_bits.bad.yaml", []string{`:5: routes[0].clients[0]: "10.1.0.25/24" is not a network: its address is not the first of the /24 (the network is 10.1.0.0/24; one address alone is 10.1.0.25)`}},
	// Not "unknown key", which reads as a typo.
	{"merge_key.bad.yaml", []string{`:13: policies.relaxed.<<: YAML merge keys (<<) are not supported: write the keys out, or give the whole value as an alias (*anchor)`}},
	{"admin_listen.bad.yaml", []string{`:5: routes[0].listen[1]: 127.0.0.1:9925 is already used by admin.listen (127.0.0.1:9925)`}},
	// "none" is a policy name: an empty policies section is said in words.
	{"no_policies.bad.yaml", []string{`:7: routes[0].policy: policy "default" does not exist (no policy is defined under policies)`}},
	{"bad_enum.bad.yaml", []string{`:11: policies.default.body.links: "shorten" is not allowed (allowed: defang, keep, remove)`}},
	{"rule_none.bad.yaml", []string{`:14: rules[0].policy: a rule cannot turn sanitising off`}},
	{"rule_empty_match.bad.yaml", []string{`:14: rules[0].match: no condition: the rule would apply policy "relaxed" to all mail`, `:16: rules[1].match: no condition`}},
	{"rule_duplicate_name.bad.yaml", []string{`:16: rules[1].name: "partner" is already the name of rules[0]`}},
	{"rule_passthrough_route.bad.yaml", []string{`:20: rules[0].match.route[0]: route "outbound" is a pass-through route (policy none): rules never apply there`}},
	{"syntax.bad.yaml", []string{`syntax.bad.yaml:2: syntax error`}},
	// What the line shows gets a hint.
	{"tab.bad.yaml", []string{`:3: syntax error: found character that cannot start any token (the line has a tab: YAML indents with spaces only)`}},
	{"at_value.bad.yaml", []string{`:4: syntax error: found character that cannot start any token (a value starting with @ or ` + "`" + ` must be quoted`}},
	{"sjis.bad.yaml", []string{`:2: the file is not UTF-8 (saved as Shift_JIS?): save it as UTF-8`}},
	// Every mistake is reported, not only the first.
	{"many.bad.yaml", []string{":2: foo: unknown key", `:6: routes[0].clients[0]: "not-a-net"`, `:8: routes[0].policy: policy "relaxed" does not exist`}},
}

func TestBadFiles(t *testing.T) {
	for _, tt := range badFiles {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			c, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) succeeded: %+v", path, c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), path+w) && !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("error does not start with the file name: %v", err)
			}
		})
	}
}

func TestBadFilesAllCovered(t *testing.T) {
	// A new *.bad.yaml without a row in TestBadFiles would test nothing.
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	rows := map[string]bool{}
	for _, b := range badFiles {
		rows[b.file] = true
	}
	for _, f := range files {
		if !rows[filepath.Base(f)] {
			t.Errorf("%s has no row in badFiles", f)
		}
	}
}

func TestGoodFile(t *testing.T) {
	c, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defPolicy := Policy{
		Body: Body{Prefer: "plain", Links: "defang"},
		Attachments: Attachments{Default: "strip", EncryptedArchives: "strip",
			Archives: ArchiveLimit{MaxDepth: 3, MaxEntries: 1000, MaxRatio: 100, MaxTotal: 100 << 20}},
		Ambiguous: "strip", Notice: Notice{Position: "top"}, Headers: DefaultHeaders,
		OutputCharset: "utf-8", Original: "quarantine",
		MIME: MIMELimits{MaxDepth: 20, MaxParts: 500, MaxHeaderBytes: 64 << 10, MaxHTMLDepth: 256},
	}
	relaxed := defPolicy
	relaxed.Attachments.Keep = []KeepRule{{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}, MaxSize: 20 << 20}}
	relaxed.Notice = Notice{Position: "bottom", Text: "県からのメールです。"}
	defLimits := Limits{MaxMessageSize: 25 << 20, MaxRecipients: 100, MaxConnections: 100, MaxConnectionsPerClient: 20,
		CommandTimeout: Duration(5 * time.Minute), DataTimeout: Duration(time.Minute), MinDataRate: 1024, SessionTimeout: Duration(10 * time.Minute)}
	inLimits := defLimits
	inLimits.MaxMessageSize, inLimits.MaxRecipients, inLimits.MinDataRate, inLimits.SessionTimeout = 10<<20, 50, 512, Duration(20*time.Minute)
	want := &Config{
		File:         "testdata/good.yaml",
		Admin:        Admin{Listen: "127.0.0.1:19925"},
		SpoolDir:     "testdata/spool", // relative to the file
		SpoolMinFree: DefaultSpoolMinFree,
		Quarantine: Quarantine{Dir: "/var/lib/q", Retention: Duration(14 * 24 * time.Hour), MaxBytes: 1 << 30, MinAge: DefaultQuarantineMinAge,
			// Written Inet.City.Example.JP.: the form a recipient's
			// domain is compared in.
			ReleaseOriginalTo: []string{"inet.city.example.jp"}},
		Log: Log{Level: "debug", Format: "json", Audit: "stdout"},
		Routes: []Route{{
			Name: "inbound", Listen: []string{"127.0.0.1:2525", "[::1]:2525"}, Hostname: "mx.city.example.lg.jp",
			Clients:    []Prefix{{netip.MustParsePrefix("0.0.0.0/0")}, {netip.MustParsePrefix("::/0")}},
			Domains:    []string{"city.example.lg.jp"},
			Recipients: Recipients{Verify: "next-hop"},
			Limits:     inLimits,
			Policy:     "default",
			Deliver: Deliver{To: "smtp://127.0.0.1:10025", TLS: "opportunistic", Connections: 8, AttemptTimeout: Duration(15 * time.Minute),
				Retry: Retry{Initial: Duration(time.Minute), Max: Duration(time.Hour), Lifetime: Duration(48 * time.Hour), KeepFailed: DefaultRetryKeepFailed},
				URL:   NextHop{Scheme: "smtp", Addr: "127.0.0.1:10025"}},
		}, {
			Name: "outbound", Listen: []string{"127.0.0.1:2526"}, Hostname: "gw.city.example.lg.jp",
			Clients: []Prefix{{netip.MustParsePrefix("10.1.0.25/32")}}, Domains: []string{"*"},
			Recipients: Recipients{Verify: "none"}, Limits: defLimits, Policy: "none",
			Deliver: Deliver{To: "lmtp+unix:///run/lmtp.sock", TLS: "none", Connections: 8, AttemptTimeout: DefaultAttemptTimeout,
				Retry: Retry{Initial: DefaultRetryInitial, Max: DefaultRetryMax, Lifetime: DefaultRetryLifetime, KeepFailed: DefaultRetryKeepFailed},
				URL:   NextHop{Scheme: "lmtp+unix", Path: "/run/lmtp.sock"}},
		}},
		Rules:    []Rule{{Name: "prefecture", Match: Match{SenderDomain: []string{"pref.example.lg.jp"}, Route: []string{"inbound"}}, Policy: "relaxed"}},
		Policies: map[string]Policy{"default": defPolicy, "relaxed": relaxed},
	}
	// The SHA-256 of the bytes read, as sha256sum prints it.
	b, _ := os.ReadFile("testdata/good.yaml")
	sum := sha256.Sum256(b)
	want.SHA256 = hex.EncodeToString(sum[:])
	// Where each key stands, for errors met after the load (At); the
	// rest is compared whole.
	for key, at := range map[string]string{
		"spool_dir":                      "testdata/good.yaml:2: spool_dir",
		"routes[1].listen[0]":            "testdata/good.yaml:19: routes[1].listen[0]",
		"quarantine.encryption_key_file": "testdata/good.yaml:3: quarantine.encryption_key_file", // not written: its parent's line
		"admin.nothing.here":             "testdata/good.yaml:1: admin.nothing.here",
	} {
		if got := c.At(key); got != at {
			t.Errorf("At(%q) = %q, want %q", key, got, at)
		}
	}
	c.lines = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("loaded config differs\n got: %+v\nwant: %+v", c, want)
	}
}

func TestEmbeddedDefault(t *testing.T) {
	c := Default()
	r := c.Route("inbound")
	if r == nil || r.Listen[0] != "127.0.0.1:2525" || r.Deliver.URL != (NextHop{Scheme: "maildir", Path: "./mugai-data/maildir"}) {
		t.Fatalf("inbound route: %+v", r)
	}
	if !reflect.DeepEqual(r.Domains, []string{"lgwan.example", "localhost"}) {
		t.Errorf("domains %v", r.Domains)
	}
	p := c.Policies["default"]
	if p.Attachments.Keep[0].MaxSize != 10<<20 || p.Body.Links != "defang" || p.Original != "quarantine" || c.Admin.Listen != "127.0.0.1:9925" {
		t.Errorf("default policy: %+v", p)
	}
	// The embedded text parses the same through Parse as through Default.
	if _, err := Parse("x.yaml", DefaultYAML()); err != nil {
		t.Fatal(err)
	}
}

func TestExampleLoads(t *testing.T) {
	c, err := Load("../deploy/mugai.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Routes) != 2 || c.Route("outbound").Policy != PolicyNone || len(c.Policies) != 2 {
		t.Errorf("example: %d routes, %d policies", len(c.Routes), len(c.Policies))
	}
}

func TestSizeAndDuration(t *testing.T) {
	sizes := map[string]Size{"25MiB": 25 << 20, "512KiB": 512 << 10, "1000": 1000, "10MB": 10e6, "1GiB": 1 << 30, "7B": 7}
	for in, want := range sizes {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "1.5MiB", "-", "25 MeB", "99999999999999999GiB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
	durs := map[string]time.Duration{"5d": 120 * time.Hour, "1d12h": 36 * time.Hour, "90s": 90 * time.Second, "4000s": 4000 * time.Second}
	for in, want := range durs {
		if got, err := ParseDuration(in); err != nil || got.D() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "5", "d", "5 days", "xd"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
}

func TestPolicyFor(t *testing.T) {
	c, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in, out := c.Route("inbound"), c.Route("outbound")
	tests := []struct {
		route  *Route
		sender string
		rcpts  []string
		want   string
	}{
		{in, "somebody@pref.example.lg.jp", []string{"a@city.example.lg.jp"}, "relaxed"},
		{in, "Somebody@PREF.example.lg.jp", []string{"a@city.example.lg.jp"}, "relaxed"},
		{in, "x@evil.example", []string{"a@city.example.lg.jp"}, "default"},
		{in, "", nil, "default"},
		{out, "somebody@pref.example.lg.jp", []string{"a@example.com"}, "none"},
	}
	for _, tt := range tests {
		if got := c.PolicyFor(tt.route, netip.MustParseAddr("192.0.2.7"), tt.sender, tt.rcpts); got != tt.want {
			t.Errorf("PolicyFor(%s, %q) = %q, want %q", tt.route.Name, tt.sender, got, tt.want)
		}
	}
	// Recipient conditions hold for every recipient, not just one.
	src := netip.MustParseAddr("192.0.2.7")
	m := Match{RecipientDomain: []string{"a.example"}}
	if m.matches("inbound", src, "x@y", []string{"u@a.example", "v@b.example"}, false) {
		t.Error("a rule on recipient_domain matched a message with a recipient outside it")
	}
	if !m.matches("inbound", src, "x@y", []string{"u@a.example", "v@A.example"}, false) {
		t.Error("a rule on recipient_domain did not match when every recipient is inside it")
	}
	// clients: the sending server's address, IPv4-mapped or not; an
	// unknown one matches no network.
	m = Match{SenderDomain: []string{"pref.example.lg.jp"}, Clients: []Prefix{{netip.MustParsePrefix("198.51.100.0/24")}, {netip.MustParsePrefix("2001:db8:5::/48")}}}
	for _, tt := range []struct {
		client string
		want   bool
	}{
		{"198.51.100.25", true},
		{"::ffff:198.51.100.25", true},
		{"2001:db8:5::25", true},
		{"203.0.113.9", false},
		{"2001:db8:6::25", false},
		{"", false},
	} {
		a, _ := netip.ParseAddr(tt.client)
		if got := m.matches("inbound", a, "somebody@pref.example.lg.jp", []string{"u@a.example"}, false); got != tt.want {
			t.Errorf("a rule with clients, from %q: matches %v, want %v", tt.client, got, tt.want)
		}
	}
}

// TestPoliciesOf: the policies a route's messages may get, for the
// metrics to create at zero: the route's own, then each rule's that may
// match on it, once; none on a pass-through route, which has no rules.
func TestPoliciesOf(t *testing.T) {
	c, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Rules = append(c.Rules,
		Rule{Name: "any route", Match: Match{Sender: []string{"a@x.example"}}, Policy: "default"},
		Rule{Name: "again", Match: Match{Sender: []string{"b@x.example"}}, Policy: "relaxed"},
	)
	for _, tt := range []struct {
		route string
		want  []string
	}{
		{"inbound", []string{"default", "relaxed"}},
		{"outbound", []string{"none"}},
	} {
		if got := c.PoliciesOf(c.Route(tt.route)); !slices.Equal(got, tt.want) {
			t.Errorf("PoliciesOf(%s) = %q, want %q", tt.route, got, tt.want)
		}
	}
	// A route with a policy of its own that only a rule names elsewhere.
	r := *c.Route("inbound")
	r.Name, r.Policy = "other", "relaxed"
	if got, want := c.PoliciesOf(&r), []string{"relaxed", "default"}; !slices.Equal(got, want) {
		t.Errorf("PoliciesOf(other) = %q, want %q (the prefecture rule is inbound's only)", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml: cannot read: no such file") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat("testdata/spool"); err == nil {
		t.Error("loading created a directory")
	}
}

func TestSameListener(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"127.0.0.1:9925", "127.0.0.1:9925", true},
		{"0.0.0.0:9925", "127.0.0.1:9925", true},
		{"127.0.0.1:9925", "[::]:9925", true},
		{":9925", "10.0.0.1:9925", true},
		{"127.0.0.1:9925", "127.0.0.2:9925", false},
		{"127.0.0.1:2525", "127.0.0.1:9925", false},
		{"127.0.0.1:0", "127.0.0.1:0", false}, // port 0 picks a free port each time
		{"not an address", "127.0.0.1:9925", false},
		// Written apart, bound alike: serve failed on these with
		// "address already in use" after check had passed them.
		{"localhost:2525", "127.0.0.1:2525", true},
		{"[0:0:0:0:0:0:0:1]:2525", "[::1]:2525", true},
		{"[::ffff:127.0.0.1]:2525", "127.0.0.1:2525", true},
		{"127.0.0.1:025", "127.0.0.1:25", true},
		{"[0:0:0:0:0:0:0:0]:25", "10.0.0.1:25", true},
		{"localhost:2525", "[::1]:2525", false}, // Go listens on localhost's IPv4 address
	} {
		if got := sameListener(tt.a, tt.b); got != tt.want {
			t.Errorf("sameListener(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestUndecodableOnce: a value that is not of its key's kind is one
// error, not also a second about the zero value it left.
func TestUndecodableOnce(t *testing.T) {
	def := string(DefaultYAML())
	for _, tt := range []struct{ from, to, want string }{
		{"max_ratio: 100", "max_ratio: lots", `policies.default.attachments.archives.max_ratio: "lots" is not a number`},
		{"max_depth: 3", "max_depth: deep", `policies.default.attachments.archives.max_depth: "deep" is not an integer`},
		{"max_total: 100MiB", "max_total: huge", `policies.default.attachments.archives.max_total: "huge" is not a size`},
		{"max_message_size: 25MiB", "max_message_size: 25 megs", `routes[0].limits.max_message_size: "25 megs" is not a size`},
		{"command_timeout: 5m", "command_timeout: soon", `routes[0].limits.command_timeout: "soon" is not a duration`},
		{"spool_min_free: 256MiB", "spool_min_free: plenty", `spool_min_free: "plenty" is not a size`},
		{"retention: 30d", "retention: forever", `quarantine.retention: "forever" is not a duration`},
	} {
		if !strings.Contains(def, tt.from) {
			t.Fatalf("the default configuration has no %q", tt.from)
		}
		_, err := Parse("c.yaml", []byte(strings.Replace(def, tt.from, tt.to, 1)))
		var es Errors
		if !errors.As(err, &es) || len(es) != 1 || !strings.Contains(es[0].Error(), tt.want) {
			t.Errorf("%s: got %v, want the one error %q", tt.to, err, tt.want)
		}
	}
}

// TestTimeoutBounds: a route's command, data and session timeouts are
// each 1s to 24h.
func TestTimeoutBounds(t *testing.T) {
	def := string(DefaultYAML())
	for _, tt := range []struct{ from, to, want string }{
		{"command_timeout: 5m", "command_timeout: 1000000h", "routes[0].limits.command_timeout: 1000000h is too long (allowed: 1s to 24h; default 5m)"},
		{"data_timeout: 1m", "data_timeout: 500ms", "routes[0].limits.data_timeout: 500ms is too short (allowed: 1s to 24h; default 1m)"},
		{"session_timeout: 10m", "session_timeout: 2d", "routes[0].limits.session_timeout: 2d is too long (allowed: 1s to 24h; default 10m)"},
		{"command_timeout: 5m", "command_timeout: 24h", ""},
		{"data_timeout: 1m", "data_timeout: 1s", ""},
	} {
		if !strings.Contains(def, tt.from) {
			t.Fatalf("the default configuration has no %q", tt.from)
		}
		_, err := Parse("c.yaml", []byte(strings.Replace(def, tt.from, tt.to, 1)))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.to, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want %q", tt.to, err, tt.want)
		}
	}
}

// TestHiddenLineBreaks: YAML breaks lines at NEL, LINE SEPARATOR and
// PARAGRAPH SEPARATOR, which editors show as nothing: a file with one
// is refused at the line the administrator sees, not parsed into line
// numbers (and maybe a structure) of YAML's own. FuzzParse found a
// UTF-16 file whose error named line 3 of a one-line file.
func TestHiddenLineBreaks(t *testing.T) {
	def := string(DefaultYAML())
	utf16le := func(s string) []byte {
		b := []byte{0xff, 0xfe}
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"line separator", []byte(strings.Replace(def, "spool_dir:", "spool_dir:\u2028", 1)), "U+2028"},
		{"NEL", []byte(strings.Replace(def, "routes:", "\u0085routes:", 1)), "U+0085"},
		{"UTF-16", utf16le("a: 1\n\u2029b: 2\n"), "c.yaml:2: a line break YAML reads but editors do not show (U+2029"},
	} {
		_, err := Parse("c.yaml", tt.data)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
		var es Errors
		if errors.As(err, &es) && len(es) == 1 && tt.name != "UTF-16" {
			key := "spool_dir:"
			if tt.name == "NEL" {
				key = "routes:"
			}
			want := strings.Count(def[:strings.Index(def, key)], "\n") + 1
			if es[0].Line != want {
				t.Errorf("%s: line %d, want %d", tt.name, es[0].Line, want)
			}
		}
	}
}

// TestEncryptionKeyText: a quarantine key written as text (hex, with a
// line break) for the raw bytes is refused saying how a key is made.
func TestEncryptionKeyText(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "quarantine.key")
	os.WriteFile(key, []byte(strings.Repeat("5a", 32)+"\n"), 0o600)
	y := strings.Replace(string(DefaultYAML()), "  retention: 30d\n", "  retention: 30d\n  encryption_key_file: "+key+"\n", 1)
	_, err := Parse(filepath.Join(dir, "mugai.yaml"), []byte(y))
	want := ": quarantine.encryption_key_file: " + key + " holds 65 bytes (allowed: exactly 32 random bytes, not text such as hex: make them with head -c 32 /dev/urandom > " + key + ")"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestCAFileNotPEM: a ca_file with no PEM certificate is refused at its
// key; the gateway would otherwise fail every TLS delivery to that hop.
func TestCAFileNotPEM(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.der")
	os.WriteFile(ca, []byte{0x30, 0x82, 0x01, 0x0a}, 0o600)
	y := strings.Replace(string(DefaultYAML()), `to: "maildir:./mugai-data/maildir"`, `to: "smtp://192.0.2.1:25"`+"\n      tls: required\n      ca_file: "+ca, 1)
	_, err := Parse(filepath.Join(dir, "mugai.yaml"), []byte(y))
	want := ": routes[0].deliver.ca_file: " + ca + " holds no PEM certificate"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
	pem, _ := os.ReadFile("../deploy/testdata/tls.crt")
	os.WriteFile(ca, pem, 0o600)
	if _, err := Parse(filepath.Join(dir, "mugai.yaml"), []byte(y)); err != nil {
		t.Errorf("a PEM ca_file: %v", err)
	}
}

// TestRelativePaths: every path of the file is read from the file's
// directory, as the example says, whatever directory mugai runs in: the
// audit trail and a bounces target's Maildir and ca_file were read from
// the working directory (/ under systemd).
func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	pem, _ := os.ReadFile("../deploy/testdata/tls.crt")
	os.WriteFile(filepath.Join(dir, "ca.pem"), pem, 0o600)
	y := `spool_dir: spool
quarantine: {dir: q}
log: {audit: log/audit.log}
routes:
  - name: inbound
    listen: ["127.0.0.1:2525"]
    clients: ["127.0.0.0/8"]
    domains: [lgwan.example]
    policy: default
    deliver: {to: "smtp://192.0.2.1:25", tls: required, ca_file: ca.pem}
    bounces: {to: "maildir:bounces"}
  - name: outbound
    listen: ["127.0.0.1:2526"]
    clients: ["127.0.0.0/8"]
    domains: [other.example]
    policy: default
    deliver: {to: "maildir:md"}
    bounces: {to: "smtp://192.0.2.1:25", tls: required, ca_file: ca.pem}
policies:
  default: {}
`
	c, err := Parse(filepath.Join(dir, "mugai.yaml"), []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ key, got, want string }{
		{"spool_dir", c.SpoolDir, dir + "/spool"},
		{"log.audit", c.Log.Audit, dir + "/log/audit.log"},
		{"routes[0].deliver.ca_file", c.Routes[0].Deliver.CAFile, dir + "/ca.pem"},
		{"routes[0].bounces.to", c.Routes[0].Bounces.To, "maildir:" + dir + "/bounces"},
		{"routes[0].bounces.to (parsed)", c.Routes[0].Bounces.URL.Path, dir + "/bounces"},
		{"routes[1].deliver.to", c.Routes[1].Deliver.To, "maildir:" + dir + "/md"},
		{"routes[1].bounces.ca_file", c.Routes[1].Bounces.CAFile, dir + "/ca.pem"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.key, tt.got, tt.want)
		}
	}
	c, err = Parse(filepath.Join(dir, "mugai.yaml"), []byte(strings.Replace(y, "log/audit.log", "stdout", 1)))
	if err != nil || c.Log.Audit != "stdout" {
		t.Errorf("log.audit stdout: %v %q", err, c.Log.Audit)
	}
}

func TestCoverage(t *testing.T) {
	nets := func(ss ...string) []Prefix {
		var out []Prefix
		for _, s := range ss {
			out = append(out, Prefix{netip.MustParsePrefix(s)})
		}
		return out
	}
	for _, tt := range []struct {
		nets   []Prefix
		v4, v6 float64
	}{
		{nets("10.1.0.25/32"), 1, 0},
		{nets("10.0.0.0/8", "10.1.0.0/16", "10.1.0.25/32"), 1 << 24, 0}, // inside counted once
		{nets("10.1.0.0/24", "10.1.0.0/24"), 256, 0},                    // twice written, once counted
		{nets("0.0.0.0/1", "128.0.0.0/1"), 1 << 32, 0},
		{nets("2001:db8::/48", "2001:db8::/64", "10.0.0.0/24"), 256, 1 << 80},
	} {
		if v4, v6 := coverage(tt.nets); v4 != tt.v4 || v6 != tt.v6 {
			t.Errorf("coverage(%v) = %v, %v; want %v, %v", tt.nets, v4, v6, tt.v4, tt.v6)
		}
	}
}
