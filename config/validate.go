package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"mime"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults, in one place. Limits are closed by default: a route that says
// nothing gets these bounds, never "unlimited".
const (
	DefaultAdminListen = "127.0.0.1:9925"
	DefaultSpoolDir    = "/var/spool/mugai"
	// DefaultSpoolMinFree leaves room for the quarantine, the audit
	// trail and the logs that share the disk, and for the messages
	// already being received when the floor is reached.
	DefaultSpoolMinFree      = Size(256 << 20)
	DefaultQuarantineDir     = "/var/lib/mugai/quarantine"
	DefaultRetention         = Duration(30 * 24 * time.Hour)
	DefaultQuarantineMinAge  = Duration(24 * time.Hour)
	DefaultMaxMessageSize    = Size(25 << 20)
	MaxMessageSizeCeiling    = Size(4095 << 20)
	DefaultMaxRecipients     = 100
	MaxRecipientsCeiling     = 1000
	DefaultMaxConnections    = 100
	DefaultMaxConnsPerClient = 20
	DefaultCommandTimeout    = Duration(5 * time.Minute) // RFC 5321 4.5.3.2.7
	DefaultDataTimeout       = Duration(time.Minute)
	DefaultMinDataRate       = Size(1 << 10)
	DefaultRetryInitial      = Duration(5 * time.Minute)    // Postfix minimal_backoff_time
	DefaultRetryMax          = Duration(4000 * time.Second) // Postfix maximal_backoff_time
	DefaultRetryLifetime     = Duration(5 * 24 * time.Hour) // Postfix maximal_queue_lifetime
	DefaultRetryKeepFailed   = Duration(7 * 24 * time.Hour)
	DefaultConnections       = 8
	// DefaultSessionTimeout is Exchange's receive-connector
	// ConnectionTimeout, a number mail admins know. Postfix as a client
	// starts no new transaction on a connection older than 300 s
	// (smtp_connection_reuse_time_limit), so an honest relay is not cut
	// off by it: its last transaction has minutes left for its envelope,
	// and a message already being sent is let finish, bounded by
	// DataTimeout and MinDataRate instead (25 MiB at 1 KiB/s is 7 hours,
	// which a session limit derived from it would not bound at all).
	DefaultSessionTimeout = Duration(10 * time.Minute)
	MinSessionTimeout     = Duration(time.Second)
	MaxSessionTimeout     = Duration(24 * time.Hour)
	// DefaultAttemptTimeout: a 25 MiB message (about 34 MiB once kept
	// attachments are base64) at a slow but honest 64 KiB/s takes 9
	// minutes, and the reply to the final dot may take 10 (Postfix's
	// smtp_data_done_timeout, RFC 5321 4.5.3.2.6); the commands of 100
	// recipients take seconds. 30 minutes leaves room for all of it and
	// still ends a next hop that trickles its replies, which could
	// otherwise hold a worker for 100 × command_timeout.
	DefaultAttemptTimeout = Duration(30 * time.Minute)
	MinAttemptTimeout     = Duration(time.Second)
	MaxAttemptTimeout     = Duration(24 * time.Hour)
	// CeilingMIME* are the most the sanitiser holds to, whatever a
	// policy's mime section says: every level of the walk holds
	// buffers, and parts are held until the rebuild. mugai check warns
	// of a value above them.
	CeilingMIMEDepth       = 100
	CeilingMIMEParts       = 10000
	CeilingMIMEHeaderBytes = Size(1 << 20)
	// CeilingHTMLDepth is Chromium's: its parser attaches elements
	// nested deeper than 512 at that depth, as the converter flattens
	// them. Above it the converter's stack and each element's style
	// grow with a depth no browser shows.
	CeilingHTMLDepth       = 512
	DefaultMIMEDepth       = 20
	DefaultMIMEParts       = 500
	DefaultMIMEHeaderBytes = Size(64 << 10)
	DefaultHTMLDepth       = 256
	DefaultArchiveDepth    = 3
	DefaultArchiveEntries  = 1000
	DefaultArchiveRatio    = 100
	DefaultArchiveTotal    = Size(100 << 20)
)

// DefaultHeaders is the header allow-list of a policy that names none.
var DefaultHeaders = []string{"From", "To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To", "References", "Reply-To", "Auto-Submitted", "Precedence"}

// RebuiltHeader reports whether the rebuild writes the header field name
// itself, the rebuilt message's MIME structure being new: a policy's
// headers list carries nothing of the original's by it.
func RebuiltHeader(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "mime-version", "content-type", "content-transfer-encoding", "content-disposition", "content-id", "content-description", "content-location":
		return true
	}
	return false
}

type validator struct {
	file  string
	base  string // directory that relative paths are resolved against
	errs  *Errors
	lines map[string]int
}

// errf reports a problem at key path, on the line of the path or of its
// nearest parent that has one.
func (v *validator) errf(path, format string, args ...any) {
	line := 0
	for p := path; p != ""; p = parent(p) {
		if l, ok := v.lines[p]; ok {
			line = l
			break
		}
	}
	v.errs.add(v.file, line, path, format, args...)
}

func parent(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func (v *validator) has(path string) bool { _, ok := v.lines[path]; return ok }

// positive checks a limit that was given explicitly; an absent one gets
// its default. The value is shown in its own type, so a negative
// duration or size reads as written (-2d, -5MiB), not in nanoseconds.
func positive[T ~int | ~int64](v *validator, path string, n T) bool {
	if v.has(path + "!") {
		return false // already reported as undecodable
	}
	if v.has(path) && n <= 0 {
		v.errf(path, "must be positive, got %v", n)
		return false
	}
	return true
}

// orDefault checks a limit like positive and gives an absent one def.
func orDefault[T ~int | ~int64](v *validator, path string, p *T, def T) bool {
	ok := positive(v, path, *p)
	if ok && *p == 0 {
		*p = def
	}
	return ok
}

func (v *validator) oneOf(path, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.errf(path, "%q is not allowed (allowed: %s)", val, strings.Join(allowed, ", "))
}

// readable reports whether file (when given) can be read, and reports
// it at path when it cannot.
func (v *validator) readable(path, file string) bool {
	if file == "" {
		return true
	}
	f, err := os.Open(file)
	if err != nil {
		hint := ""
		if errors.Is(err, fs.ErrPermission) {
			// The file is checked with the rights of whoever runs
			// mugai check, who need not be the gateway's user.
			hint = fmt.Sprintf(" (read as user %s; mugai serve reads it as its own user, mugai under the shipped unit: run mugai check as that user, or as root, which also says what user mugai cannot read)", currentUser())
		}
		v.errf(path, "cannot read %s: %v%s", file, unwrapPath(err), hint)
		return false
	}
	f.Close()
	return true
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Getuid())
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// abs resolves a relative path in the file against the file's directory,
// as Prometheus does, so the gateway does not depend on its working
// directory. The embedded default keeps paths relative to the working
// directory, where a newcomer runs it.
func (v *validator) abs(p *string) {
	if *p != "" && v.base != "" && !filepath.IsAbs(*p) {
		*p = filepath.Join(v.base, *p)
	}
}

func (v *validator) config(c *Config) {
	for _, p := range []*string{&c.SpoolDir, &c.Quarantine.Dir, &c.Quarantine.EncryptionKeyFile} {
		v.abs(p)
	}
	// The audit trail too: relative to the working directory, it was
	// / under systemd, and another file for each directory the CLI's
	// direct reads were run from.
	if c.Log.Audit != "stdout" {
		v.abs(&c.Log.Audit)
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.TLS != nil {
			v.abs(&r.TLS.Cert)
			v.abs(&r.TLS.Key)
		}
		v.abs(&r.Recipients.File)
		for _, d := range []*Deliver{&r.Deliver, r.Bounces} {
			if d == nil {
				continue
			}
			v.abs(&d.CAFile)
			if p, ok := strings.CutPrefix(d.To, "maildir:"); ok && p != "" {
				v.abs(&p)
				d.To = "maildir:" + p
			}
		}
	}
	setDefault(&c.Admin.Listen, DefaultAdminListen)
	v.hostPort("admin.listen", c.Admin.Listen)
	setDefault(&c.SpoolDir, DefaultSpoolDir)
	switch {
	case v.has("spool_min_free!"):
	case !v.has("spool_min_free"):
		c.SpoolMinFree = DefaultSpoolMinFree
	case c.SpoolMinFree < 0:
		v.errf("spool_min_free", "must not be negative, got %v", c.SpoolMinFree)
	}
	setDefault(&c.Quarantine.Dir, DefaultQuarantineDir)
	if positive(v, "quarantine.retention", c.Quarantine.Retention) {
		setDefault(&c.Quarantine.Retention, DefaultRetention)
	}
	positive(v, "quarantine.max_bytes", c.Quarantine.MaxBytes)
	if v.has("quarantine.min_age") && c.Quarantine.MinAge < 0 {
		v.errf("quarantine.min_age", "must not be negative")
	}
	setDefault(&c.Quarantine.MinAge, DefaultQuarantineMinAge)
	for i, d := range c.Quarantine.ReleaseOriginalTo {
		v.domain(fmt.Sprintf("quarantine.release_original_to[%d]", i), d, false)
		// Compared with a recipient's domain as the gateway keeps it
		// (lower case, no trailing dot), as a route's domains are.
		c.Quarantine.ReleaseOriginalTo[i] = strings.ToLower(strings.TrimSuffix(d, "."))
	}
	v.readable("quarantine.encryption_key_file", c.Quarantine.EncryptionKeyFile)
	if f := c.Quarantine.EncryptionKeyFile; f != "" {
		if b, err := os.ReadFile(f); err == nil && len(b) != 32 {
			// The usual mistakes are a key written as text (hex or
			// base64, maybe with a line break) for the raw bytes: the
			// command that makes one says what is wanted.
			v.errf("quarantine.encryption_key_file", "%s holds %d bytes (allowed: exactly 32 random bytes, not text such as hex: make them with head -c 32 /dev/urandom > %s)", f, len(b), f)
		}
	}

	setDefault(&c.Log.Level, "info")
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	setDefault(&c.Log.Format, "text")
	v.oneOf("log.format", c.Log.Format, "text", "json")
	setDefault(&c.Log.Audit, "stdout")

	for name, p := range c.Policies {
		path := "policies." + name
		if name == PolicyNone {
			v.errf(path, "the name %q is reserved for pass-through routes", name)
		}
		v.policy(path, &p)
		c.Policies[name] = p
	}

	if len(c.Routes) == 0 {
		v.errf("routes", "at least one route is required")
	}
	names := map[string]bool{}
	addrs := map[string]string{}
	for i := range c.Routes {
		v.route(fmt.Sprintf("routes[%d]", i), &c.Routes[i], c, names, addrs)
	}
	v.ownHops(c)
	ruleNames := map[string]int{}
	for i := range c.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		v.rule(path, &c.Rules[i], c, names)
		// Logs and the dry run name the rule that matched: one name, one rule.
		if n := c.Rules[i].Name; n != "" {
			if j, dup := ruleNames[n]; dup {
				v.errf(path+".name", "%q is already the name of rules[%d]", n, j)
			}
			ruleNames[n] = i
		}
	}
}

var ifaceRE = regexp.MustCompile(`^[A-Za-z0-9_.:@-]{1,15}$`)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (v *validator) route(path string, r *Route, c *Config, names map[string]bool, addrs map[string]string) {
	switch {
	case r.Name == "":
		v.errf(path+".name", "required")
	case !nameRE.MatchString(r.Name):
		v.errf(path+".name", "%q is not a valid name (allowed: lower-case letters, digits, - and _)", r.Name)
	case names[r.Name]:
		v.errf(path+".name", "route %q is defined twice", r.Name)
	}
	names[r.Name] = true

	if len(r.Listen) == 0 {
		v.errf(path+".listen", "at least one address is required")
	}
	for i, a := range r.Listen {
		p := fmt.Sprintf("%s.listen[%d]", path, i)
		if !v.hostPort(p, a) {
			continue
		}
		for other, owner := range addrs {
			if sameListener(a, other) {
				v.errf(p, "%s is already used by route %s (%s)", a, owner, other)
			}
		}
		// The admin listener (/metrics, control calls) cannot share it
		// either: serve would fail to start on a file check passed.
		if sameListener(a, c.Admin.Listen) {
			v.errf(p, "%s is already used by admin.listen (%s)", a, c.Admin.Listen)
		}
		addrs[a] = r.Name
	}
	if r.Interface != "" && !ifaceRE.MatchString(r.Interface) {
		v.errf(path+".interface", "%q is not a network interface name", r.Interface)
	}
	if r.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		r.Hostname = h
	} else {
		v.domain(path+".hostname", r.Hostname, false)
	}
	if r.TLS != nil {
		tp := path + ".tls"
		switch {
		case r.TLS.Cert == "" || r.TLS.Key == "":
			v.errf(tp, "cert and key are both required")
		default:
			// One unreadable file is one error, not also the pair's.
			okCert := v.readable(tp+".cert", r.TLS.Cert)
			okKey := v.readable(tp+".key", r.TLS.Key)
			if _, err := tls.LoadX509KeyPair(r.TLS.Cert, r.TLS.Key); err != nil && okCert && okKey {
				v.errf(tp, "cannot load the certificate and key: %v", err)
			}
		}
	}
	if len(r.Clients) == 0 {
		v.errf(path+".clients", "at least one network is required (a route accepts no client until configured)")
	}

	sanitising := r.Policy != PolicyNone
	switch {
	case r.Policy == "":
		v.errf(path+".policy", "required (a policy name, or none for a pass-through route)")
	case sanitising:
		if _, ok := c.Policies[r.Policy]; !ok {
			v.errf(path+".policy", "policy %q does not exist (%s)", r.Policy, policyNames(c))
		}
	}
	if len(r.Domains) == 0 {
		v.errf(path+".domains", "at least one recipient domain is required")
	}
	for i, d := range r.Domains {
		p := fmt.Sprintf("%s.domains[%d]", path, i)
		if d == "*" {
			if sanitising {
				v.errf(p, `"*" is allowed only on a route whose policy is none`)
			}
			continue
		}
		v.domain(p, d, false)
		r.Domains[i] = strings.ToLower(strings.TrimSuffix(d, "."))
	}

	if slices.Contains(r.Domains, "*") {
		// Any client, any destination: an open relay, which a route
		// never is (DESIGN invariant 4). "*" is for a pass-through
		// route that relays for the LGWAN mail servers alone.
		// A network wider than an IPv4 /8 (an IPv6 /32) is not the
		// servers' but a slice of the internet, and so are networks
		// that together cover more: 0.0.0.0/1 and 128.0.0.0/1 are /0,
		// and 10.0.0.0/8 with 172.16.0.0/12 every host of a private
		// network, each PC relaying to the internet past the LGWAN mail
		// servers.
		wide := false
		for j, p := range r.Clients {
			who := "any host that reaches it"
			if p.Bits() > 0 {
				who = "the hosts of a network wider than a /8 (in IPv6, a /32)"
			}
			if wideNetwork(p.Prefix) {
				wide = true
				v.errf(fmt.Sprintf("%s.clients[%d]", path, j), `%s with domains "*" makes route %s an open relay: %s may send mail anywhere through it (allowed with "*": the networks of the servers that relay through it, such as 10.1.0.25/32)`, p, r.Name, who)
			}
		}
		if v4, v6 := coverage(r.Clients); !wide && (v4 > 1<<24 || v6 > math.Pow(2, 96)) {
			v.errf(path+".clients", `together these networks are wider than a /8 (in IPv6, a /32), which with domains "*" makes route %s an open relay: their hosts may send mail anywhere through it (allowed with "*": the networks of the servers that relay through it, such as 10.1.0.25/32)`, r.Name)
		}
	}
	setDefault(&r.Recipients.Verify, "none")
	v.oneOf(path+".recipients.verify", r.Recipients.Verify, "none", "next-hop")
	v.readable(path+".recipients.file", r.Recipients.File)

	v.limits(path+".limits", &r.Limits)
	v.deliver(path+".deliver", &r.Deliver, true)
	if r.Recipients.Verify == "next-hop" && r.Deliver.URL.Scheme == "maildir" {
		v.errf(path+".recipients.verify", "next-hop verification needs an smtp or lmtp next hop, not maildir")
	}
	if r.Bounces != nil {
		v.deliver(path+".bounces", r.Bounces, true)
	}
}

// ownHops refuses a next hop (deliver.to, bounces.to) that is one of the
// gateway's own listeners: what is delivered there comes back in on that
// route, to be accepted, kept and delivered there again without end (a
// route sending to itself filled 151 MB of quarantine in 6 seconds from
// one message), or crosses from one route to another, which nothing may
// (DESIGN: separated paths). Only addresses written as IP literals or
// localhost are known here; a wildcard listener takes the host's own
// addresses too.
func (v *validator) ownHops(c *Config) {
	// The host's addresses, asked only when a wildcard listener and a
	// next hop share a port (FuzzParse loads thousands of files).
	var local []netip.Addr
	asked := false
	isLocal := func(ip netip.Addr) bool {
		if !asked {
			asked = true
			if addrs, err := net.InterfaceAddrs(); err == nil {
				for _, a := range addrs {
					if p, err := netip.ParsePrefix(a.String()); err == nil {
						local = append(local, p.Addr().Unmap())
					}
				}
			}
		}
		return slices.Contains(local, ip)
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		hops := []struct {
			key string
			d   *Deliver
		}{{"deliver", &r.Deliver}, {"bounces", r.Bounces}}
		for _, h := range hops {
			if h.d == nil || h.d.URL.Addr == "" {
				continue // maildir, lmtp+unix, or already refused
			}
			hip, hport, ok := bindAddr(h.d.URL.Addr)
			if !ok || hport == 0 {
				continue // a host name: not resolved here
			}
			if !hip.IsValid() {
				hip = netip.AddrFrom4([4]byte{127, 0, 0, 1}) // 0.0.0.0 connects to this host
			}
			for _, q := range c.Routes {
				for _, l := range q.Listen {
					lip, lport, ok := bindAddr(l)
					if !ok || lport != hport {
						continue
					}
					if lip == hip || !lip.IsValid() && (hip.IsLoopback() || isLocal(hip)) {
						v.errf(fmt.Sprintf("routes[%d].%s.to", i, h.key), "%s is mugai's own listener (route %s, listen %s): what is delivered there comes back in on route %s, again and again, or crosses from one route to another; give the next hop's address",
							h.d.To, q.Name, l, q.Name)
					}
				}
			}
		}
	}
}

func isWildcard(host string) bool { return host == "" || host == "0.0.0.0" || host == "::" }

// sameListener reports whether two host:port listen addresses would
// collide: the same port (not 0, which picks a free one) on the same
// address, or on any address when one of them is a wildcard. They are
// compared as the kernel binds them, not as written: "localhost" is
// 127.0.0.1 (Go listens on its IPv4 address), ::ffff:127.0.0.1 is
// 127.0.0.1, 0:0:0:0:0:0:0:1 is ::1 and port 025 is 25; written apart,
// check passed such a pair and serve failed on it ("address already in
// use").
func sameListener(a, b string) bool {
	ah, ap, ok1 := bindAddr(a)
	bh, bp, ok2 := bindAddr(b)
	if !ok1 || !ok2 || ap != bp || ap == 0 {
		return false
	}
	return ah == bh || !ah.IsValid() || !bh.IsValid()
}

// bindAddr is a listen address as it is bound: the address (the zero
// Addr for a wildcard) and the port.
func bindAddr(s string) (netip.Addr, int, bool) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	switch {
	case isWildcard(host):
		return netip.Addr{}, port, true
	case host == "localhost":
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), port, true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	if ip = ip.Unmap(); ip.IsUnspecified() {
		return netip.Addr{}, port, true // "0:0:0:0:0:0:0:0", "::ffff:0.0.0.0"
	}
	return ip, port, true
}

// policyNames lists the defined policies for an error message. With none
// it says so in words: "none" is also the pass-through policy's name.
func policyNames(c *Config) string {
	var ns []string
	for n := range c.Policies {
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		return "no policy is defined under policies"
	}
	slices.Sort(ns)
	return "defined: " + strings.Join(ns, ", ")
}

func (v *validator) limits(path string, l *Limits) {
	orDefault(v, path+".max_message_size", &l.MaxMessageSize, DefaultMaxMessageSize)
	orDefault(v, path+".max_recipients", &l.MaxRecipients, DefaultMaxRecipients)
	conns := orDefault(v, path+".max_connections", &l.MaxConnections, DefaultMaxConnections)
	perClient := orDefault(v, path+".max_connections_per_client", &l.MaxConnectionsPerClient, DefaultMaxConnsPerClient)
	orDefault(v, path+".command_timeout", &l.CommandTimeout, DefaultCommandTimeout)
	orDefault(v, path+".data_timeout", &l.DataTimeout, DefaultDataTimeout)
	orDefault(v, path+".min_data_rate", &l.MinDataRate, DefaultMinDataRate)
	orDefault(v, path+".session_timeout", &l.SessionTimeout, DefaultSessionTimeout)
	// Each bounds a session as the session time limit does: a command
	// timeout of a million hours keeps a connection, and a worker, for
	// as long as the session limit lets it.
	for _, t := range []struct {
		key      string
		d, deflt Duration
	}{
		{"command_timeout", l.CommandTimeout, DefaultCommandTimeout},
		{"data_timeout", l.DataTimeout, DefaultDataTimeout},
		{"session_timeout", l.SessionTimeout, DefaultSessionTimeout},
	} {
		if t.d > 0 && (t.d < MinSessionTimeout || t.d > MaxSessionTimeout) {
			what := "too long"
			if t.d < MinSessionTimeout {
				what = "too short"
			}
			v.errf(path+"."+t.key, "%s is %s (allowed: 1s to 24h; default %s)", t.d, what, t.deflt)
		}
	}
	// EHLO advertises SIZE max_message_size+1 (gateway/server.go), and
	// go-smtp parses a client's SIZE as a 32-bit number: at 4GiB-1 or
	// more the advertised size is one no client could declare. The bound
	// is a round size an admin can write.
	if l.MaxMessageSize > MaxMessageSizeCeiling {
		v.errf(path+".max_message_size", "%s is too large (allowed: up to %s)", l.MaxMessageSize, MaxMessageSizeCeiling)
	}
	// Every recipient, accepted or refused, is in the transaction's audit
	// record: bounded, a record stays far below the 16 MiB line `mugai
	// audit verify` reads (1000 accepted addresses of 254 octets, each
	// '&' in them six in JSON, and 2001 refused ones of 256: under 3 MiB).
	// Postfix's smtpd_recipient_limit is 1000, and it sends at most 50
	// per transaction.
	if l.MaxRecipients > MaxRecipientsCeiling {
		v.errf(path+".max_recipients", "%d is too large (allowed: up to %d)", l.MaxRecipients, MaxRecipientsCeiling)
	}
	// A comparison with a value already refused would only repeat it.
	if conns && perClient && l.MaxConnectionsPerClient > l.MaxConnections {
		v.errf(path+".max_connections_per_client", "%d exceeds max_connections %d", l.MaxConnectionsPerClient, l.MaxConnections)
	}
}

func (v *validator) deliver(path string, d *Deliver, required bool) {
	if d.To == "" {
		if required {
			v.errf(path+".to", "required (allowed: smtp://host:port, smtps://host:port, lmtp://host:port, lmtp+unix:///path, maildir:/path)")
		}
		return
	}
	hop, err := ParseNextHop(d.To)
	if err != nil {
		v.errf(path+".to", "%v", err)
	}
	d.URL = hop
	switch hop.Scheme {
	case "smtp", "lmtp":
		setDefault(&d.TLS, "opportunistic")
	case "smtps":
		setDefault(&d.TLS, "required")
	default:
		setDefault(&d.TLS, "none")
	}
	v.oneOf(path+".tls", d.TLS, "none", "opportunistic", "required")
	if d.TLS != "none" && (hop.Scheme == "maildir" || hop.Scheme == "lmtp+unix") {
		v.errf(path+".tls", "%q makes no sense for a %s next hop (allowed: none)", d.TLS, hop.Scheme)
	}
	if hop.Scheme == "smtps" && d.TLS == "none" {
		v.errf(path+".tls", "smtps is always TLS (allowed: opportunistic, required)")
	}
	v.readable(path+".ca_file", d.CAFile)
	if b, err := os.ReadFile(d.CAFile); d.CAFile != "" && err == nil && !x509.NewCertPool().AppendCertsFromPEM(b) {
		// Else every delivery to the hop fails at its TLS handshake
		// (ca_file …: no PEM certificate), found in the queue days on.
		v.errf(path+".ca_file", "%s holds no PEM certificate (allowed: the CA certificates that sign the next hop's, as -----BEGIN CERTIFICATE----- blocks)", d.CAFile)
	}
	if positive(v, path+".connections", d.Connections) && d.Connections == 0 {
		d.Connections = DefaultConnections
	}
	if positive(v, path+".attempt_timeout", d.AttemptTimeout) {
		setDefault(&d.AttemptTimeout, DefaultAttemptTimeout)
		if d.AttemptTimeout < MinAttemptTimeout || d.AttemptTimeout > MaxAttemptTimeout {
			what := "too long"
			if d.AttemptTimeout < MinAttemptTimeout {
				what = "too short"
			}
			v.errf(path+".attempt_timeout", "%s is %s (allowed: 1s to 24h; default %s)", d.AttemptTimeout, what, DefaultAttemptTimeout)
		}
	}
	r := &d.Retry
	for _, x := range []struct {
		key string
		p   *Duration
		def Duration
	}{{"initial", &r.Initial, DefaultRetryInitial}, {"max", &r.Max, DefaultRetryMax}, {"lifetime", &r.Lifetime, DefaultRetryLifetime}, {"keep_failed", &r.KeepFailed, DefaultRetryKeepFailed}} {
		if positive(v, path+".retry."+x.key, *x.p) {
			setDefault(x.p, x.def)
		}
	}
	if r.Initial > r.Max {
		v.errf(path+".retry.initial", "%s exceeds retry.max %s", r.Initial, r.Max)
	}
	if r.Max > r.Lifetime {
		v.errf(path+".retry.max", "%s exceeds retry.lifetime %s", r.Max, r.Lifetime)
	}
}

// ParseNextHop parses a deliver.to value.
func ParseNextHop(s string) (NextHop, error) {
	const allowed = "allowed: smtp://host:port, smtps://host:port, lmtp://host:port, lmtp+unix:///path, maildir:/path"
	if p, ok := strings.CutPrefix(s, "maildir:"); ok {
		if p == "" {
			return NextHop{}, fmt.Errorf("%q names no directory (%s)", s, allowed)
		}
		return NextHop{Scheme: "maildir", Path: p}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return NextHop{}, fmt.Errorf("%q is not a URL (%s)", s, allowed)
	}
	switch u.Scheme {
	case "smtp", "smtps", "lmtp":
		if u.Path != "" || u.RawQuery != "" || u.User != nil {
			return NextHop{}, fmt.Errorf("%q: only host:port is allowed after %s://", s, u.Scheme)
		}
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || host == "" {
			return NextHop{}, fmt.Errorf("%q needs host:port (%s)", s, allowed)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return NextHop{}, fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, port)
		}
		return NextHop{Scheme: u.Scheme, Addr: u.Host}, nil
	case "lmtp+unix":
		if u.Path == "" || u.Host != "" {
			return NextHop{}, fmt.Errorf("%q needs an absolute socket path: lmtp+unix:///path", s)
		}
		return NextHop{Scheme: "lmtp+unix", Path: u.Path}, nil
	}
	return NextHop{}, fmt.Errorf("%q has an unknown scheme (%s)", s, allowed)
}

func (v *validator) rule(path string, r *Rule, c *Config, routes map[string]bool) {
	if r.Name == "" {
		v.errf(path+".name", "required")
	}
	switch {
	case r.Policy == "":
		v.errf(path+".policy", "required")
	case r.Policy == PolicyNone:
		v.errf(path+".policy", "a rule cannot turn sanitising off (none is only for pass-through routes)")
	default:
		if _, ok := c.Policies[r.Policy]; !ok {
			v.errf(path+".policy", "policy %q does not exist (%s)", r.Policy, policyNames(c))
		}
	}
	m := &r.Match
	for i, s := range m.Sender {
		p := fmt.Sprintf("%s.match.sender[%d]", path, i)
		switch local, d, ok := strings.Cut(s, "@"); {
		case ok && local == "" && d != "":
			// "@pref.example.lg.jp" matches no sender: an address
			// never starts with @. The admin meant the domain.
			v.errf(p, "%q is not an address: for every sender of a domain, use sender_domain: [%s]", s, d)
		case !ok || d == "":
			v.errf(p, "%q is not an address", s)
		default:
			v.domain(p, d, false)
		}
		m.Sender[i] = strings.ToLower(s)
	}
	for i, s := range m.Recipient {
		p := fmt.Sprintf("%s.match.recipient[%d]", path, i)
		switch local, d, ok := strings.Cut(s, "@"); {
		case ok && local == "" && d != "":
			v.errf(p, "%q is not an address: for every recipient of a domain, use recipient_domain: [%s]", s, d)
		case !ok || d == "":
			v.errf(p, "%q is not an address", s)
		}
		m.Recipient[i] = strings.ToLower(s)
	}
	for i, d := range m.SenderDomain {
		v.domain(fmt.Sprintf("%s.match.sender_domain[%d]", path, i), d, false)
		m.SenderDomain[i] = strings.ToLower(strings.TrimSuffix(d, "."))
	}
	for i, d := range m.RecipientDomain {
		v.domain(fmt.Sprintf("%s.match.recipient_domain[%d]", path, i), d, false)
		m.RecipientDomain[i] = strings.ToLower(strings.TrimSuffix(d, "."))
	}
	for i, rt := range m.Route {
		p := fmt.Sprintf("%s.match.route[%d]", path, i)
		if !routes[rt] {
			v.errf(p, "route %q does not exist", rt)
			continue
		}
		for _, r := range c.Routes {
			if r.Name == rt && r.Policy == PolicyNone {
				v.errf(p, "route %q is a pass-through route (policy none): rules never apply there", rt)
			}
		}
	}
	// A condition written with no entry is no condition: the rule
	// would match whatever it names, a list emptied by mistake (its
	// entries deleted, the key left) most likely.
	for _, c := range []struct {
		key string
		n   int
	}{{"sender", len(m.Sender)}, {"sender_domain", len(m.SenderDomain)}, {"recipient", len(m.Recipient)}, {"recipient_domain", len(m.RecipientDomain)}, {"route", len(m.Route)}, {"clients", len(m.Clients)}} {
		if k := path + ".match." + c.key; c.n == 0 && v.has(k) && !v.has(k+"!") {
			v.errf(k, "an empty list is no condition, and the rule would match any %s: list them, or leave the key out", strings.ReplaceAll(c.key, "_", " "))
		}
	}
	if len(m.Sender)+len(m.SenderDomain)+len(m.Recipient)+len(m.RecipientDomain)+len(m.Route)+len(m.Clients) == 0 {
		// An empty match would give every message this policy: a
		// typo ("match:" with its conditions mis-indented) must not
		// do that quietly.
		v.errf(path+".match", "no condition: the rule would apply policy %q to all mail; give sender, sender_domain, recipient, recipient_domain, clients or route (for all of a route's mail, set the route's policy)", r.Policy)
	}
}

var headerNameRE = regexp.MustCompile(`^[!-9;-~]+$`)

func (v *validator) policy(path string, p *Policy) {
	setDefault(&p.Body.Prefer, "plain")
	v.oneOf(path+".body.prefer", p.Body.Prefer, "plain", "html")
	setDefault(&p.Body.Links, "defang")
	v.oneOf(path+".body.links", p.Body.Links, "defang", "keep", "remove")

	a := &p.Attachments
	setDefault(&a.Default, "strip")
	v.oneOf(path+".attachments.default", a.Default, "strip", "keep", "reject")
	setDefault(&a.EncryptedArchives, "strip")
	v.oneOf(path+".attachments.encrypted_archives", a.EncryptedArchives, "strip", "reject")
	for i := range a.Keep {
		k := &a.Keep[i]
		kp := fmt.Sprintf("%s.attachments.keep[%d]", path, i)
		if len(k.Extensions) == 0 && len(k.Types) == 0 {
			v.errf(kp, "give extensions, types or both (an empty rule would keep everything)")
		}
		for j, e := range k.Extensions {
			if !strings.HasPrefix(e, ".") || len(e) < 2 || strings.ContainsAny(e, "/\\ ") {
				v.errf(fmt.Sprintf("%s.extensions[%d]", kp, j), "%q is not an extension (allowed: a dot and a suffix, such as .pdf)", e)
			}
			k.Extensions[j] = strings.ToLower(e)
		}
		for j, t := range k.Types {
			mt, params, err := mime.ParseMediaType(t)
			if err != nil || len(params) > 0 || !strings.Contains(mt, "/") {
				v.errf(fmt.Sprintf("%s.types[%d]", kp, j), "%q is not a media type (allowed: type/subtype such as application/pdf)", t)
			}
			k.Types[j] = strings.ToLower(t)
		}
		if positive(v, kp+".max_size", k.MaxSize) && k.MaxSize == 0 {
			k.MaxSize = DefaultMaxMessageSize
		}
	}
	ar := &a.Archives
	ap := path + ".attachments.archives"
	if positive(v, ap+".max_depth", ar.MaxDepth) {
		setDefault(&ar.MaxDepth, DefaultArchiveDepth)
	}
	if positive(v, ap+".max_entries", ar.MaxEntries) {
		setDefault(&ar.MaxEntries, DefaultArchiveEntries)
	}
	if v.has(ap+".max_ratio") && !v.has(ap+".max_ratio!") && ar.MaxRatio <= 0 {
		v.errf(ap+".max_ratio", "must be positive, got %v", ar.MaxRatio)
	}
	setDefault(&ar.MaxRatio, DefaultArchiveRatio)
	if positive(v, ap+".max_total", ar.MaxTotal) {
		setDefault(&ar.MaxTotal, DefaultArchiveTotal)
	}

	setDefault(&p.Ambiguous, "strip")
	v.oneOf(path+".ambiguous", p.Ambiguous, "strip", "reject")
	setDefault(&p.Notice.Position, "top")
	v.oneOf(path+".notice.position", p.Notice.Position, "top", "bottom")
	if !v.has(path + ".headers") {
		p.Headers = append([]string(nil), DefaultHeaders...)
	} else if len(p.Headers) == 0 && !v.has(path+".headers!") {
		// The sanitiser would carry the default list for it: an admin
		// who wrote [] to carry nothing must not believe so.
		v.errf(path+".headers", "an empty list would carry no From, To, Date or Subject, which every message needs, and the rebuild would carry the default list instead: list the fields to carry, or leave the key out for the default (%s)", strings.Join(DefaultHeaders, ", "))
	}
	for i, h := range p.Headers {
		if !headerNameRE.MatchString(h) {
			v.errf(fmt.Sprintf("%s.headers[%d]", path, i), "%q is not a header field name", h)
		}
		if strings.HasPrefix(strings.ToLower(h), "x-mugai-") {
			v.errf(fmt.Sprintf("%s.headers[%d]", path, i), "incoming X-Mugai-* headers are always dropped (no spoofed verdicts)")
		}
	}
	setDefault(&p.OutputCharset, "utf-8")
	v.oneOf(path+".output_charset", p.OutputCharset, "utf-8", "iso-2022-jp")
	setDefault(&p.Original, "quarantine")
	v.oneOf(path+".original", p.Original, "quarantine", "discard")

	mp := path + ".mime"
	m := &p.MIME
	if positive(v, mp+".max_depth", m.MaxDepth) {
		setDefault(&m.MaxDepth, DefaultMIMEDepth)
	}
	if positive(v, mp+".max_parts", m.MaxParts) {
		setDefault(&m.MaxParts, DefaultMIMEParts)
	}
	if positive(v, mp+".max_header_bytes", m.MaxHeaderBytes) {
		setDefault(&m.MaxHeaderBytes, DefaultMIMEHeaderBytes)
	}
	if positive(v, mp+".max_html_depth", m.MaxHTMLDepth) {
		setDefault(&m.MaxHTMLDepth, DefaultHTMLDepth)
	}
}

func (v *validator) hostPort(path, s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		v.errf(path, "%q is not host:port", s)
		return false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.errf(path, "%q: port %q is not a number from 0 to 65535", s, port)
		return false
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		v.errf(path, "%q: listen on an IP address, not a name", s)
		return false
	}
	return true
}

var labelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func (v *validator) domain(path, d string, _ bool) {
	s := strings.ToLower(strings.TrimSuffix(d, "."))
	ok := s != "" && len(s) <= 253
	for _, l := range strings.Split(s, ".") {
		if !labelRE.MatchString(l) {
			ok = false
		}
	}
	switch {
	case ok:
	case strings.HasPrefix(s, "*.") || strings.HasPrefix(s, "."):
		// A pattern, as in Postfix's parent_domain_matches_subdomains:
		// mugai compares whole domains only.
		v.errf(path, "%q is not a domain name: domains are compared whole, with no patterns, so list each domain meant, one entry each (%s alone matches none of its subdomains)", d, strings.TrimLeft(s, "*."))
	case strings.HasPrefix(s, "@"):
		v.errf(path, "%q is not a domain name: write it without the @ (%s)", d, strings.TrimPrefix(s, "@"))
	default:
		v.errf(path, "%q is not a domain name", d)
	}
}

func reflectValue(c *Config) reflect.Value { return reflect.ValueOf(c).Elem() }

// coverage is how many IPv4 and IPv6 addresses the networks cover
// together, a network inside another counted once.
func coverage(nets []Prefix) (v4, v6 float64) {
	for i, p := range nets {
		if !p.IsValid() {
			continue
		}
		inside := false
		for j, q := range nets {
			if j != i && q.IsValid() && q.Bits() <= p.Bits() && q.Contains(p.Addr()) && (q.Bits() < p.Bits() || j < i) {
				inside = true // counted with q (the first of equal ones)
				break
			}
		}
		if inside {
			continue
		}
		if p.Addr().Is4() {
			v4 += math.Pow(2, float64(32-p.Bits()))
		} else {
			v6 += math.Pow(2, float64(128-p.Bits()))
		}
	}
	return v4, v6
}

// wideNetwork reports a client network wider than an IPv4 /8 or an IPv6
// /32; an IPv4-mapped IPv6 network counts as the IPv4 one it maps.
func wideNetwork(p netip.Prefix) bool {
	switch a := p.Addr(); {
	case !p.IsValid():
		return false // reported as not a network
	case a.Is4():
		return p.Bits() < 8
	case a.Is4In6():
		return p.Bits() < 96+8
	default:
		return p.Bits() < 32
	}
}
