package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mugai/config"
	"mugai/gateway"
	"mugai/gateway/deliver"
	"mugai/sanitize/filetype"
)

func runCheck(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "", stderr)
	path := configFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(fs, stderr) {
		return 1
	}
	c, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if es, ok := err.(config.Errors); ok && len(es) > 1 {
			fmt.Fprintf(stderr, "%d errors\n", len(es))
		}
		return 1
	}
	summarise(stdout, c)
	return 0
}

func summarise(w io.Writer, c *config.Config) {
	fmt.Fprintf(w, "%s: ok\n", c.File)
	floor := c.SpoolMinFree.String()
	if c.SpoolMinFree == 0 {
		floor = "off"
	}
	fmt.Fprintf(w, "admin %s, spool %s (spool_min_free %s), quarantine %s (retention %s)\n", c.Admin.Listen, c.SpoolDir, floor, c.Quarantine.Dir, c.Quarantine.Retention)
	fmt.Fprintf(w, "routes (%d):\n", len(c.Routes))
	for _, r := range c.Routes {
		tls := "no TLS"
		if r.TLS != nil {
			tls = "STARTTLS"
			if r.TLS.Require {
				tls = "STARTTLS required"
			}
		}
		fmt.Fprintf(w, "  %-10s listen %s, %s, clients %s\n", r.Name, strings.Join(r.Listen, " "), tls, prefixes(r.Clients))
		hop := fmt.Sprintf("%s (tls %s, attempt_timeout %s)", r.Deliver.To, r.Deliver.TLS, r.Deliver.AttemptTimeout)
		if r.Deliver.URL.Scheme == "maildir" {
			hop = r.Deliver.To // a local directory: no TLS, no next hop to wait for
		}
		fmt.Fprintf(w, "  %-10s domains %s, policy %s, deliver %s\n", "", strings.Join(r.Domains, " "), r.Policy, hop)
		// The limits in force, defaults filled in: what a sending server
		// meets (deploy/README.md "Limits as sending servers see them"),
		// and max_recipients bounds a quarantine release's -to too.
		l := r.Limits
		fmt.Fprintf(w, "  %-10s limits max_message_size %s (EHLO SIZE %d), max_recipients %d, max_connections %d (%d per client), session_timeout %s\n",
			"", l.MaxMessageSize, int64(l.MaxMessageSize)+1, l.MaxRecipients, l.MaxConnections, l.MaxConnectionsPerClient, l.SessionTimeout)
	}
	names := make([]string, 0, len(c.Policies))
	for n := range c.Policies {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "policies (%d):\n", len(names))
	for _, n := range names {
		p := c.Policies[n]
		var keep []string
		for _, k := range p.Attachments.Keep {
			r := strings.Join(append(slices.Clone(k.Extensions), k.Types...), ",")
			if k.MaxSize > 0 {
				r += " up to " + k.MaxSize.String()
			}
			keep = append(keep, r)
		}
		rules := ""
		if len(keep) > 0 {
			rules = ", kept by rule: " + strings.Join(keep, "; ")
		}
		fmt.Fprintf(w, "  %-10s body %s, links %s, other attachments %s%s, ambiguous %s, original %s\n",
			n, p.Body.Prefer, p.Body.Links, p.Attachments.Default, rules, p.Ambiguous, p.Original)
	}
	fmt.Fprintf(w, "rules (%d):\n", len(c.Rules))
	for i, r := range c.Rules {
		fmt.Fprintf(w, "  %d. %s: %s → policy %s\n", i+1, r.Name, matchText(r.Match), r.Policy)
	}
	if ws := warnings(c, false); len(ws) > 0 {
		fmt.Fprintf(w, "warnings (%d):\n", len(ws))
		for _, s := range ws {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
}

// nearestType is the known type closest to t, if it is within two
// edits: a typo's likely intent ("application/pfd": application/pdf).
func nearestType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	best, bestD := "", 3
	for _, k := range filetype.KnownTypes() {
		if d := editDistance(t, k); d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// warnings are settings that are valid but weaken what the gateway
// promises: an admin should have meant them. With gatewayLogs, it leaves
// out what the gateway logs itself at each load (the lines of a
// recipients file that are not addresses), so serve says them once.
func warnings(c *config.Config, gatewayLogs bool) []string {
	var ws []string
	if host, _, err := net.SplitHostPort(c.Admin.Listen); err == nil && host != "localhost" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			ws = append(ws, fmt.Sprintf("admin.listen %s is reachable off the host: /metrics, /healthz and /readyz answer anyone who can connect (control calls still answer only clients on the gateway host, with the token)", c.Admin.Listen))
		}
	}
	ws = append(ws, secretFileWarnings(c)...)
	if os.Geteuid() == 0 {
		// Root reads every file: an admin running sudo mugai check, as
		// the install steps do, is told ok of a key the gateway's own
		// user cannot read, and the service then fails to start.
		if u, err := user.Lookup(serviceUser); err == nil {
			ws = append(ws, unreadableFiles(c, u)...)
		}
	}
	if c.Log.Audit == "stdout" {
		// The default when the key is not written. Under systemd the
		// journal takes standard output, and drops what comes past its
		// rate limit (RateLimitBurst) without the gateway knowing.
		ws = append(ws, "log.audit: stdout (the default when it is not set) writes the audit trail to standard output: under systemd the journal takes it with the operational log, drops lines past its rate limit (RateLimitBurst, 10000 in 30s by default) without mugai knowing, and leaves no file for mugai audit verify; set log.audit to a file, such as /var/log/mugai/audit.log")
	}
	// An untouched original leaves only through a pass-through route
	// whose domains take its recipient (originalRoute): a domain none
	// takes is listed for nothing, and every such release is refused.
	for i, d := range c.Quarantine.ReleaseOriginalTo {
		if !slices.ContainsFunc(c.Routes, func(r config.Route) bool {
			return r.Policy == config.PolicyNone && (slices.Contains(r.Domains, "*") || slices.Contains(r.Domains, d))
		}) {
			ws = append(ws, fmt.Sprintf("quarantine.release_original_to[%d] %s is in no pass-through route's domains: an untouched original leaves only through such a route, so a release -original to it is refused", i, d))
		}
	}
	ws = append(ws, diskFloorWarnings(c, gatewayLogs)...)
	if c.SpoolMinFree == 0 {
		ws = append(ws, "spool_min_free: 0 takes mail until the spool's disk is full: each message is then refused only after it was sent (451), and the quarantine or the audit trail may share that disk")
	}
	names := make([]string, 0, len(c.Policies))
	for n := range c.Policies {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p := c.Policies[n]
		if p.Body.Links == "keep" {
			ws = append(ws, fmt.Sprintf("policy %s: links: keep leaves links clickable in the rebuilt text", n))
		}
		if p.Attachments.Default == "keep" {
			ws = append(ws, fmt.Sprintf("policy %s: attachments default keep delivers every kind of file no rule refuses (executables, macros and encrypted archives are still removed)", n))
		}
		if p.Original == "discard" {
			ws = append(ws, fmt.Sprintf("policy %s: original: discard keeps no original, so nothing it removes can be released", n))
		}
		// The sanitiser holds to its ceilings whatever is written: the
		// admin must not believe a larger limit is in force.
		for _, m := range []struct {
			key        string
			val, ceil  int64
			show, most string
		}{
			{"max_depth", int64(p.MIME.MaxDepth), config.CeilingMIMEDepth, fmt.Sprint(p.MIME.MaxDepth), fmt.Sprint(config.CeilingMIMEDepth)},
			{"max_parts", int64(p.MIME.MaxParts), config.CeilingMIMEParts, fmt.Sprint(p.MIME.MaxParts), fmt.Sprint(config.CeilingMIMEParts)},
			{"max_header_bytes", int64(p.MIME.MaxHeaderBytes), int64(config.CeilingMIMEHeaderBytes), p.MIME.MaxHeaderBytes.String(), config.CeilingMIMEHeaderBytes.String()},
			{"max_html_depth", int64(p.MIME.MaxHTMLDepth), config.CeilingHTMLDepth, fmt.Sprint(p.MIME.MaxHTMLDepth), fmt.Sprint(config.CeilingHTMLDepth)},
		} {
			if m.val > m.ceil {
				ws = append(ws, fmt.Sprintf("policy %s: mime.%s %s is above the %s the sanitiser holds to whatever is written: %s applies", n, m.key, m.show, m.most, m.most))
			}
		}
		for i, h := range p.Headers {
			if config.RebuiltHeader(h) {
				ws = append(ws, fmt.Sprintf("policy %s: headers[%d]: the rebuild writes %s itself, the rebuilt message's structure being new, so listing it carries nothing of the original's", n, i, h))
			}
		}
		for i, rule := range p.Attachments.Keep {
			ws = append(ws, keepRuleWarnings(n, i, p.Attachments.Keep)...)
			for _, t := range rule.Types {
				if filetype.KnownType(t) {
					continue
				}
				w := fmt.Sprintf("policy %s: attachments.keep[%d].types: %s is no type mugai reads from a file's content, which is what the rule is compared with, so the rule keeps no file by it", n, i, t)
				switch s := nearestType(t); {
				case strings.HasPrefix(strings.ToLower(t), "text/"):
					w += " (a CSV, TSV or other text file reads as text/plain)"
				case s != "":
					w += "; did you mean " + s + "?"
				}
				ws = append(ws, w)
			}
		}
	}
	for i, rule := range c.Rules {
		ws = append(ws, senderRuleWarnings(c, rule)...)
		ws = append(ws, unreachableEntries(c, rule)...)
		// The first rule that matches wins: a rule below one that
		// matches all it does is never the one, and the admin who
		// added it sees the other's policy in the dry run with no word
		// why.
		if j := c.ShadowedBy(i); j >= 0 {
			ws = append(ws, fmt.Sprintf("rule %s never picks policy %s: rule %s, before it, matches every message it matches (%s), and the first rule that matches wins; put rule %s first, or narrow rule %s",
				rule.Name, rule.Policy, c.Rules[j].Name, matchText(c.Rules[j].Match), rule.Name, c.Rules[j].Name))
		}
	}
	for i, r := range c.Routes {
		// Unset, the hostname is the machine's, often a short name: it
		// greets sending servers, names this hop in Received: and is the
		// EHLO to the next hop, where an MTA that requires a
		// fully-qualified name (Postfix's reject_non_fqdn_helo_hostname)
		// refuses it and every delivery waits in the queue.
		// The embedded default's localhost, written, is for a loopback
		// trial.
		written := c.Written(fmt.Sprintf("routes[%d].hostname", i))
		if !strings.Contains(r.Hostname, ".") && !(written && r.Hostname == "localhost") {
			whose := "as written"
			if !written {
				whose = "this machine's name, as hostname is not set"
			}
			ws = append(ws, fmt.Sprintf("route %s: hostname %s (%s) is not a fully-qualified domain name: it is the route's EHLO to its next hop, which may refuse it (Postfix's reject_non_fqdn_helo_hostname), and its greeting and Received: name; set hostname to the name the route's address has in DNS", r.Name, r.Hostname, whose))
		}
		// Notices are few: one worker a route delivers them, whatever
		// the key says.
		if r.Bounces != nil && c.Written(fmt.Sprintf("routes[%d].bounces.connections", i)) {
			ws = append(ws, fmt.Sprintf("route %s: bounces.connections is not used: a route's notices go over one connection at a time, whatever it says", r.Name))
		}
		hops := []struct {
			key string
			d   *config.Deliver
		}{{"deliver", &r.Deliver}, {"bounces", r.Bounces}}
		for _, h := range hops {
			// Only tls: required verifies the next hop's certificate,
			// against ca_file: given with opportunistic, the admin
			// believes in a check that is not made.
			if h.d != nil && h.d.CAFile != "" && h.d.TLS != "required" {
				ws = append(ws, fmt.Sprintf("route %s: %s.ca_file is used only with tls: required; with tls: %s the next hop's certificate is not verified at all", r.Name, h.key, h.d.TLS))
			}
			// A next hop may take deliver.DefaultDoneTimeout to answer the
			// final dot; an attempt cut off before then is sent again
			// later, maybe a second time to a mailbox that got it.
			if h.d != nil && h.d.URL.Scheme != "maildir" && h.d.AttemptTimeout.D() < deliver.DefaultDoneTimeout {
				ws = append(ws, fmt.Sprintf("route %s: %s.attempt_timeout %s is shorter than the %s a next hop may take to answer the end of a message: an attempt cut off then is sent again, a duplicate", r.Name, h.key, h.d.AttemptTimeout, deliver.DefaultDoneTimeout))
			}
		}
		if f := r.Recipients.File; f != "" && !gatewayLogs {
			// The gateway leaves such a line out (and logs it at each
			// load): the mailbox meant is refused with 550 5.1.1.
			if _, bad, err := gateway.ReadRecipients(f); err == nil {
				for _, b := range bad {
					ws = append(ws, fmt.Sprintf("route %s: recipients.file %s:%d: %q is %s, so it lists no one: a mailbox meant there is refused (one address a line; a comment on a line of its own, starting with #)", r.Name, f, b.Line, safe(b.Text), b.Why))
				}
			}
		}
		// Bound with SO_BINDTODEVICE at the start: an interface this
		// host lacks stops mugai serve ("no such device"). Only a
		// warning, as check may be run on another host than the
		// gateway's (a test machine, a workstation).
		if r.Interface != "" {
			if _, err := net.InterfaceByName(r.Interface); err != nil {
				ws = append(ws, fmt.Sprintf("route %s: interface %s does not exist on this host (%s): mugai serve here would fail to listen; if this is the gateway host, fix the name (ip -brief link lists them)", r.Name, r.Interface, interfaceNames()))
			}
		}
		// The session time limit lets a message being sent finish, so
		// the time one message may take is bounded by data_timeout and
		// min_data_rate alone: set low, one slow client holds a
		// connection (of max_connections) for days.
		l := r.Limits
		if l.MinDataRate > 0 {
			most := l.DataTimeout.D() + time.Duration(float64(l.MaxMessageSize)/float64(l.MinDataRate)*float64(time.Second))
			if most > config.MaxSessionTimeout.D() {
				ws = append(ws, fmt.Sprintf("route %s: limits.min_data_rate %s lets one message take up to %s to send (data_timeout %s, then max_message_size %s at that rate), which session_timeout does not cut short: a client sending that slowly holds a connection that long; raise min_data_rate or lower max_message_size",
					r.Name, l.MinDataRate, roughly(most), l.DataTimeout, l.MaxMessageSize))
			}
		}
		// A Maildir is ours: what fails there is an operator's problem.
		// A next hop refusing for good is the sender's to hear of.
		if r.Bounces == nil && r.Deliver.URL.Scheme != "maildir" {
			ws = append(ws, fmt.Sprintf("route %s: no bounces: a sender whose mail the next hop refuses for good, or that expires in the queue, is not told (mugai queue failed lists it until retry.keep_failed)", r.Name))
		}
		if r.Policy == config.PolicyNone {
			for _, p := range r.Clients {
				if p.Bits() == 0 {
					ws = append(ws, fmt.Sprintf("route %s: a pass-through route (policy none) that takes mail from any address (%s): nothing crossing it is sanitised", r.Name, p))
				}
			}
		}
	}
	return ws
}

// secretFileWarnings warns of a secret file of the configuration that
// every user on the host may read or write: a route's TLS private key
// (whoever reads it can pose as the gateway) and the quarantine's
// encryption key (whoever reads it can decrypt the stored originals,
// which is what encryption at rest is for; whoever writes it can have
// the next start encrypt under a key of their own). Certificates and
// ca_file are public and not judged.
//
// Only the bits for other users count. The group bits are left alone:
// deploy/README.md installs the keys 0640 root:mugai, so that the
// gateway's user reads them through its group without owning them, and
// check cannot tell the gateway's group (it may run as another user,
// or on another host). A group that may read or write is taken to be
// the gateway's, which holds the key anyway.
//
// The file's own mode is judged, not the directories above it: /etc/mugai
// 0750 shuts other users out today, but the key's mode is what a copy,
// a backup restored elsewhere or a directory made wider leaves it with.
// os.Stat follows a symbolic link: the target's mode is the one that
// guards the key. A file Stat cannot reach was reported by Load as an
// error (mugai check prints no warnings then), so it is not said twice.
func secretFileWarnings(c *config.Config) []string {
	type secret struct{ key, file, reader string }
	secrets := []secret{{"quarantine.encryption_key_file", c.Quarantine.EncryptionKeyFile,
		"decrypt the quarantined originals"}}
	for _, r := range c.Routes {
		if r.TLS != nil {
			secrets = append(secrets, secret{"route " + r.Name + ": tls.key", r.TLS.Key,
				"pose as the gateway with the route's TLS private key"})
		}
	}
	var ws []string
	for _, s := range secrets {
		if s.file == "" {
			continue
		}
		fi, err := os.Stat(s.file)
		if err != nil {
			continue
		}
		perm := fi.Mode().Perm()
		var can []string
		if perm&0o004 != 0 {
			can = append(can, "read it ("+s.reader+")")
		}
		if perm&0o002 != 0 {
			can = append(can, "write it (put a key of their own in its place)")
		}
		if len(can) == 0 {
			continue
		}
		ws = append(ws, fmt.Sprintf("%s %s is mode %04o: every user on this host can %s; give it the gateway's group and mode 640 (chown root:mugai, chmod 640, as deploy/README.md installs it), or mode 600 where the gateway's user owns it",
			s.key, s.file, perm, strings.Join(can, " and ")))
	}
	return ws
}

// interfaceNames lists this host's network interfaces for a warning.
func interfaceNames() string {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		return "no interface listed"
	}
	names := make([]string, len(ifs))
	for i, f := range ifs {
		names[i] = f.Name
	}
	return "it has " + strings.Join(names, ", ")
}

// roughly is a long duration as an admin reads it: days and hours.
func roughly(d time.Duration) string {
	days, hours := d/(24*time.Hour), (d%(24*time.Hour)+time.Hour/2)/time.Hour
	if hours == 24 {
		days, hours = days+1, 0
	}
	if days == 0 {
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dd%dh", days, hours)
}

// senderRuleWarnings warns of a rule that picks its policy by the
// sender (sender, sender_domain) on a route open to every address: the
// sender is the envelope's MAIL FROM, which no one checks, so any client
// on the internet that writes the prefecture's domain there gets the
// prefecture's policy (its kept PDFs, say). A route whose clients are
// the sender's own servers, or the rule's clients condition, is what
// makes the sender mean something.
func senderRuleWarnings(c *config.Config, rule config.Rule) []string {
	m := rule.Match
	if len(m.Clients) > 0 && !slices.ContainsFunc(m.Clients, func(p config.Prefix) bool { return p.Bits() == 0 }) {
		return nil
	}
	key := ""
	switch {
	case len(m.Sender) > 0:
		key = "sender"
	case len(m.SenderDomain) > 0:
		key = "sender_domain"
	default:
		return nil
	}
	var ws []string
	for _, r := range c.Routes {
		if r.Policy == config.PolicyNone || len(m.Route) > 0 && !slices.Contains(m.Route, r.Name) {
			continue
		}
		for _, p := range r.Clients {
			if p.Bits() == 0 {
				ws = append(ws, fmt.Sprintf("rule %s: %s is the envelope sender (MAIL FROM), which any client of route %s (%s) may write: whoever forges it gets policy %s; give the rule clients, the networks of those senders' own servers",
					rule.Name, key, r.Name, p, rule.Policy))
				break
			}
		}
	}
	return ws
}

// unreachableEntries warns of a rule's recipient, recipient_domain and
// clients entries that no message on the routes the rule applies to can
// have: a recipient outside every such route's domains is refused at
// RCPT, a client outside its clients at connect, so the entry never
// matches (a typo, most often), and a rule left with none never picks
// its policy.
func unreachableEntries(c *config.Config, rule config.Rule) []string {
	var routes []*config.Route
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Policy != config.PolicyNone && (len(rule.Match.Route) == 0 || slices.Contains(rule.Match.Route, r.Name)) {
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		return nil
	}
	var names []string
	for _, r := range routes {
		names = append(names, r.Name)
	}
	on := "route " + strings.Join(names, " or ")
	domainRouted := func(d string) bool {
		return slices.ContainsFunc(routes, func(r *config.Route) bool { return slices.Contains(r.Domains, d) })
	}
	var ws []string
	m := rule.Match
	for i, d := range m.RecipientDomain {
		if !domainRouted(d) {
			ws = append(ws, fmt.Sprintf("rule %s: match.recipient_domain[%d] %s is none of the domains of %s, which refuses such recipients: the entry never matches", rule.Name, i, d, on))
		}
	}
	for i, a := range m.Recipient {
		if _, d, _ := strings.Cut(a, "@"); !domainRouted(strings.TrimSuffix(d, ".")) {
			ws = append(ws, fmt.Sprintf("rule %s: match.recipient[%d] %s is in none of the domains of %s, which refuses it: the entry never matches", rule.Name, i, a, on))
		}
	}
	for i, p := range m.Clients {
		if !slices.ContainsFunc(routes, func(r *config.Route) bool {
			return slices.ContainsFunc(r.Clients, func(q config.Prefix) bool { return p.Overlaps(q.Prefix) })
		}) {
			ws = append(ws, fmt.Sprintf("rule %s: match.clients[%d] %s is outside the clients of %s, which refuses connections from it: the entry never matches", rule.Name, i, p, on))
		}
	}
	return ws
}

// matchText says what a rule matches: every condition given must hold.
func matchText(m config.Match) string {
	var s []string
	for _, c := range []struct {
		name string
		v    []string
	}{{"route", m.Route}, {"sender", m.Sender}, {"sender_domain", m.SenderDomain}, {"recipient", m.Recipient}, {"recipient_domain", m.RecipientDomain}} {
		if len(c.v) > 0 {
			s = append(s, c.name+" "+strings.Join(c.v, " or "))
		}
	}
	if len(m.Clients) > 0 {
		s = append(s, "clients "+strings.Join(strings.Fields(prefixes(m.Clients)), " or "))
	}
	return strings.Join(s, " and ")
}

func prefixes(ps []config.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, " ")
}

func runConfig(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("config", "default", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || fs.Arg(0) != "default" {
		fs.Usage()
		return 1
	}
	stdout.Write(config.DefaultYAML())
	return 0
}

// diskFloorWarnings holds spool_min_free against the file systems the
// gateway applies it to (the spool's, and the quarantine's where a route
// sanitises): MAIL gets 452 4.3.1 while one has less free than the floor
// plus the size the client declares. A floor the disk can never clear
// refuses all mail from the first message, and an admin trying the
// gateway on a small disk sees only the 452s; a disk under it now
// refuses mail as soon as the gateway starts (which serve logs itself:
// gatewayLogs).
func diskFloorWarnings(c *config.Config, gatewayLogs bool) []string {
	if c.SpoolMinFree == 0 {
		return nil
	}
	// The largest message each directory takes: the spool every route's,
	// the quarantine the sanitising routes' originals.
	var spoolLargest, quarLargest config.Size
	for _, r := range c.Routes {
		spoolLargest = max(spoolLargest, r.Limits.MaxMessageSize)
		if r.Policy != config.PolicyNone {
			quarLargest = max(quarLargest, r.Limits.MaxMessageSize)
		}
	}
	type dirCheck struct {
		key, dir string
		largest  config.Size
	}
	dirs := []dirCheck{{"spool_dir", c.SpoolDir, spoolLargest}}
	if quarLargest > 0 {
		dirs = append(dirs, dirCheck{"quarantine.dir", c.Quarantine.Dir, quarLargest})
	}
	floor := int64(c.SpoolMinFree)
	var ws []string
	for _, d := range dirs {
		var st syscall.Statfs_t
		measured := existingParent(d.dir)
		if syscall.Statfs(measured, &st) != nil {
			continue // serve says what it cannot create or read
		}
		if measured != d.dir {
			// Not made yet: the disk it will be made on.
			d.dir += " (not made yet; " + measured + "'s disk)"
		}
		largest := d.largest
		// What the gateway's user can ever have free: the blocks kept
		// for root (5% of an ext4 file system) never are.
		total := int64(min((st.Blocks-(st.Bfree-st.Bavail))*uint64(st.Bsize), 1<<62))
		free := int64(min(st.Bavail*uint64(st.Bsize), 1<<62))
		switch {
		case total < floor:
			ws = append(ws, fmt.Sprintf("spool_min_free %s: the file system of %s %s has %s in all, less than the floor itself: every MAIL gets 452 4.3.1; lower spool_min_free or give %s a larger disk",
				c.SpoolMinFree, d.key, d.dir, mib(total), d.key))
		case total-floor < int64(largest):
			ws = append(ws, fmt.Sprintf("spool_min_free %s: the file system of %s %s has %s in all, so it never has the floor plus a message of max_message_size %s free: MAIL of that size always gets 452 4.3.1, and mail without SIZE= once the disk holds %s; lower spool_min_free or give %s a larger disk",
				c.SpoolMinFree, d.key, d.dir, mib(total), largest, mib(total-floor), d.key))
		case free < floor && !gatewayLogs:
			ws = append(ws, fmt.Sprintf("%s %s has %s free, less than spool_min_free %s: every MAIL gets 452 4.3.1 until space is freed", d.key, d.dir, mib(free), c.SpoolMinFree))
		}
	}
	return ws
}

// mib is n bytes in whole MiB, rounded down as df -m does.
func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

// existingParent is dir, or the nearest directory above it that exists:
// the file system dir will be made on.
func existingParent(dir string) string {
	for {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		dir = up
	}
}

// keepRuleWarnings says what keep rule i of policy n keeps that its
// admin may not mean: with no types, files of those names of whatever
// type mugai identifies; with no extensions, content of those types
// under any name (a second dash, "- types:" on a line of its own, splits
// one rule into these two); an extension no listed type fits, or a type
// no listed extension names, which the rule never keeps (a rule is
// compared with the name and the content together).
func keepRuleWarnings(n string, i int, rules []config.KeepRule) []string {
	rule := rules[i]
	key := fmt.Sprintf("policy %s: attachments.keep[%d]", n, i)
	var ws []string
	switch {
	case len(rule.Types) == 0 && len(rule.Extensions) > 0:
		w := fmt.Sprintf("%s names no types: it keeps files named %s whatever mugai reads them as (but not content it cannot identify: list application/octet-stream for that)", key, strings.Join(rule.Extensions, " "))
		if i+1 < len(rules) && len(rules[i+1].Extensions) == 0 && len(rules[i+1].Types) > 0 {
			w += fmt.Sprintf("; keep[%d] has types and no extensions: if they are one rule, the dash before its types: is one too many", i+1)
		}
		ws = append(ws, w)
	case len(rule.Extensions) == 0 && len(rule.Types) > 0:
		ws = append(ws, fmt.Sprintf("%s names no extensions: it keeps content read as %s under any name", key, strings.Join(rule.Types, " ")))
	case len(rule.Extensions) > 0:
		var known []string
		for _, t := range rule.Types {
			if filetype.KnownType(t) {
				known = append(known, strings.ToLower(t))
			}
		}
		if len(known) == 0 {
			break // said of each type
		}
		for _, e := range rule.Extensions {
			// What a well-formed file of that name is read as, where
			// mugai tells its format: the rule must list one of those
			// (an .xlsx file is no application/vnd.ms-excel, which
			// Excel's name fits). Else a type the name fits.
			own := filetype.TypesNamed(e)
			fits := slices.ContainsFunc(own, func(t string) bool { return slices.Contains(known, t) })
			if len(own) == 0 {
				fits = slices.ContainsFunc(known, func(t string) bool { return filetype.NameFits(e, t) })
			}
			switch {
			case fits:
			case len(own) > 0:
				ws = append(ws, fmt.Sprintf("%s keeps no file named %s: mugai reads such a file as %s, which the rule does not list (its types: %s), and a rule keeps a file by its name and its content together", key, e, strings.Join(own, " or "), strings.Join(known, " ")))
			default:
				ws = append(ws, fmt.Sprintf("%s keeps no file named %s: such a file is none of its types (%s), and a rule keeps a file by its name and its content together", key, e, strings.Join(known, " ")))
			}
		}
		for _, t := range known {
			if !slices.ContainsFunc(rule.Extensions, func(e string) bool { return filetype.NameFits(e, t) }) {
				ws = append(ws, fmt.Sprintf("%s keeps no %s content: none of its extensions (%s) names such a file, and a rule keeps a file by its name and its content together", key, t, strings.Join(rule.Extensions, " ")))
			}
		}
	}
	return ws
}

// serviceUser is the user the shipped unit (deploy/mugai.service) runs
// the gateway as.
const serviceUser = "mugai"

// unreadableFiles lists the files the configuration names that u cannot
// read, judged by their modes and owners and those of the directories
// above them: what mugai serve, run as u, would fail to start on.
func unreadableFiles(c *config.Config, u *user.User) []string {
	type named struct{ key, file string }
	files := []named{{"quarantine.encryption_key_file", c.Quarantine.EncryptionKeyFile}}
	for _, r := range c.Routes {
		if r.TLS != nil {
			files = append(files, named{"route " + r.Name + ": tls.cert", r.TLS.Cert}, named{"route " + r.Name + ": tls.key", r.TLS.Key})
		}
		files = append(files, named{"route " + r.Name + ": recipients.file", r.Recipients.File}, named{"route " + r.Name + ": deliver.ca_file", r.Deliver.CAFile})
		if r.Bounces != nil {
			files = append(files, named{"route " + r.Name + ": bounces.ca_file", r.Bounces.CAFile})
		}
	}
	var ws []string
	for _, f := range files {
		if f.file == "" {
			continue
		}
		if why := unreadableBy(u, f.file); why != "" {
			ws = append(ws, fmt.Sprintf("%s %s: %s, which the shipped unit runs mugai serve as, cannot read it (%s), so the gateway would not start; give it the gateway's group and mode 640 (chown root:%s, chmod 640), as deploy/README.md installs it",
				f.key, f.file, u.Username, why, u.Username))
		}
	}
	return ws
}

// unreadableBy says why u cannot read file, by the modes and owners of
// the file and of every directory above it, or "" when u can (or it
// cannot be told: a file that is missing is an error of its own).
func unreadableBy(u *user.User, file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return ""
	}
	gids, _ := u.GroupIds()
	may := func(path string, bits os.FileMode) (bool, bool) {
		fi, err := os.Stat(path)
		if err != nil {
			return false, false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false, false
		}
		perm := fi.Mode().Perm()
		switch {
		case strconv.FormatUint(uint64(st.Uid), 10) == u.Uid:
			return perm&(bits<<6) != 0, true
		case slices.Contains(gids, strconv.FormatUint(uint64(st.Gid), 10)):
			return perm&(bits<<3) != 0, true
		}
		return perm&bits != 0, true
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if ok, known := may(dir, 0o1); known && !ok {
			return "it may not enter " + dir
		}
		if dir == filepath.Dir(dir) {
			break
		}
	}
	if ok, known := may(abs, 0o4); known && !ok {
		fi, _ := os.Stat(abs)
		return fmt.Sprintf("mode %04o, owned by %s", fi.Mode().Perm(), owner(fi))
	}
	return ""
}

// owner is "user:group" of fi, by name where the names are known.
func owner(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "?"
	}
	un, gn := strconv.FormatUint(uint64(st.Uid), 10), strconv.FormatUint(uint64(st.Gid), 10)
	if u, err := user.LookupId(un); err == nil {
		un = u.Username
	}
	if g, err := user.LookupGroupId(gn); err == nil {
		gn = g.Name
	}
	return un + ":" + gn
}
