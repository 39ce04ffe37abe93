package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"mugai/config"
	"mugai/gateway"
	"mugai/sanitize"
)

// runSanitize is `mugai sanitize`: rebuild one message as a route would,
// for admins trying a policy on a sample. Exit 0: rebuilt; 3: rejected by
// the policy (reason on stderr, nothing on stdout); 1: usage, config or
// I/O error.
func runSanitize(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("sanitize", "[INPUT]", stderr)
	cfgPath := configFlag(fs)
	polName := fs.String("policy", "", "policy `NAME` to apply (default: the policy of the only sanitising route, else \"default\"; or the one the rules pick with -route, -from, -to)")
	routeName := fs.String("route", "", "with -from/-to: the route `NAME` the message comes in on (default: the only sanitising route)")
	from := fs.String("from", "", "envelope sender `ADDRESS` (<> for the null sender): the policy is the one the rules pick, as the gateway would")
	to := fs.String("to", "", "envelope recipient `ADDRESSES`, separated by commas: the policy is the one the rules pick")
	client := fs.String("client", "", "with -from/-to: the `ADDRESS` of the server the message comes from, for rules with clients")
	lockdown := fs.String("lockdown", "", "`MODE` on or off: apply the policy as under the emergency mode, or as without it (default: as the running gateway of -config does now, or where none answers as the marker in its spool directory says)")
	reportPath := fs.String("report", "", "write the JSON report to `FILE` (\"-\": standard error)")
	outPath := fs.String("o", "", "write the rebuilt message to `FILE` instead of standard output")
	asText := fs.Bool("text", false, "write the rebuilt message as a mail client shows it (header and text decoded, kept attachments named), not as it is sent")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: mugai sanitize [-config FILE] [-policy NAME | [-route NAME] [-client ADDRESS] -from ADDRESS -to ADDRESSES] [-lockdown on|off] [-report FILE|-] [-o FILE] [-text] [INPUT]")
		fmt.Fprintln(stderr, "\nRebuilds the message in INPUT (default: standard input) under a policy and writes it")
		fmt.Fprintln(stderr, "to standard output. With -from and -to the configuration's rules pick the policy, as")
		fmt.Fprintln(stderr, "they would for that envelope (the gateway never reads From: or To: for this); the")
		fmt.Fprintln(stderr, "choice is said on standard error. While the gateway's lockdown is on, the policy is applied")
		fmt.Fprintln(stderr, "as the gateway applies it then (-lockdown off: as without it). Exit status: 0 rebuilt,")
		fmt.Fprintln(stderr, "3 rejected by the policy, 1 error.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "mugai sanitize: at most one INPUT")
		fs.Usage()
		return 1
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mugai sanitize: "+format+"\n", a...)
		return 1
	}

	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return fail("%v", err)
	}
	name := *polName
	// route is the route the message comes in on when the rules pick
	// the policy: its limits then apply to the message as well.
	var route *config.Route
	hostname := "" // the route's, for a Message-ID made in the rebuild
	if *routeName != "" || *from != "" || *to != "" || *client != "" {
		if name != "" {
			return fail("give -policy, or -route, -from and -to to have the rules pick the policy, not both")
		}
		var why string
		if route, name, why, err = rulePolicy(cfg, *routeName, *client, *from, *to); err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(stderr, "mugai sanitize: %s\n", why)
		if route.Recipients.Verify == "next-hop" {
			// Asked over the network at RCPT: not something a dry run
			// does, and the one refusal it cannot foresee.
			fmt.Fprintf(stderr, "mugai sanitize: route %s asks its next hop at RCPT whether each recipient exists (recipients.verify: next-hop); the dry run does not, and one the next hop does not know is refused there\n", route.Name)
		}
	}
	if name == "" {
		// Neither a policy nor an envelope: the policy of the only
		// sanitising route, which the gateway applies where no rule
		// matches; "default" was taken whatever the route's is.
		name = "default"
		var only []config.Route
		for _, r := range cfg.Routes {
			if r.Policy != config.PolicyNone {
				only = append(only, r)
			}
		}
		if len(only) == 1 {
			name, hostname = only[0].Policy, only[0].Hostname
			// Without an envelope the route's limits (max_message_size,
			// max_recipients, the mail-loop check) are not applied
			// either: an admin trying a size limit must be told.
			note := "; its limits are not applied: give -from and -to for them"
			if len(cfg.Rules) > 0 {
				note = "; the rules are not asked and its limits not applied: give -from and -to (and -client) for the policy the rules pick and the limits"
			}
			fmt.Fprintf(stderr, "mugai sanitize: policy %q, route %s's%s\n", name, only[0].Name, note)
		}
	}
	if name == config.PolicyNone {
		return fail("policy %q does not sanitise", name)
	}
	pol, ok := cfg.Policies[name]
	if !ok {
		var names []string
		for n := range cfg.Policies {
			names = append(names, n)
		}
		sort.Strings(names)
		return fail("%s: no policy %q (policies: %s)", cfg.File, name, strings.Join(names, ", "))
	}

	// The emergency mode changes every sanitising policy at the gateway
	// while it is on (strips every attachment, removes every link): the
	// dry run shows what the gateway delivers now, and says so.
	switch *lockdown {
	case "":
		// The running gateway's mode, as mugai ctl lockdown status has
		// it; its marker only where no gateway answers (the marker and
		// the mode part while a full disk kept it from being written,
		// or a marker was left by hand).
		var st gateway.LockdownState
		err := newAdminClient(cfg).get("/lockdown", &st)
		if errors.Is(err, errAdminDown) {
			st, err = gateway.ReadLockdown(cfg.SpoolDir)
		}
		if err == nil && st.Warning != "" {
			fmt.Fprintf(stderr, "mugai sanitize: lockdown: %s\n", safe(st.Warning))
		}
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "mugai sanitize: cannot tell whether the gateway's lockdown is on (%v): policy %q is applied as without it; -lockdown on applies it as under the lockdown\n", err, name)
		case st.Lockdown:
			pol = gateway.LockdownPolicy(pol)
			// Who turned it on and why: the admin asks them how long.
			stamp := "since when, by whom and why unknown"
			if !st.Since.IsZero() {
				stamp = "since " + localTime(st.Since) + " by " + safe(st.User) + ": " + safe(st.Reason)
			}
			fmt.Fprintf(stderr, "mugai sanitize: the lockdown is on (%s; %s): policy %q is applied as the gateway applies it now, every attachment stripped and every link removed; -lockdown off shows it as without the lockdown\n", gateway.LockdownMark(cfg.SpoolDir), stamp, name)
		}
	case "on":
		pol = gateway.LockdownPolicy(pol)
	case "off":
	default:
		return fail("-lockdown %q: give on or off", *lockdown)
	}

	// Message needs an io.ReaderAt: a file as it is, standard input
	// copied to a temporary file first (never into memory). With a
	// route, the input is read as the route receives a message, into a
	// temporary file too: the route refuses one too big or with a line
	// too long, and the sanitiser gets what the gateway's gets.
	var in *os.File
	var src io.Reader = stdin
	srcName := "standard input"
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return fail("%v", err)
		}
		defer f.Close()
		in, src, srcName = f, f, fs.Arg(0)
	}
	if in == nil || route != nil {
		tmpIn, err := os.CreateTemp("", "mugai-sanitize-in-*")
		if err != nil {
			return fail("%v", err)
		}
		defer os.Remove(tmpIn.Name())
		defer tmpIn.Close()
		if route == nil {
			_, err = io.Copy(tmpIn, src)
		} else {
			_, err = gateway.Receive(tmpIn, src, route)
		}
		var refused *gateway.RefusedError
		if errors.As(err, &refused) {
			return fail("route %s refuses the message at the end of DATA: %v", route.Name, err)
		}
		if err != nil {
			return fail("read %s: %v", srcName, err)
		}
		if route != nil {
			if _, err := tmpIn.Seek(0, io.SeekStart); err != nil {
				return fail("%v", err)
			}
			if h := gateway.CheckHops(tmpIn, route.Hostname); h.RefusedError != nil {
				return fail("route %s refuses the message at the end of DATA: %v", route.Name, h.RefusedError)
			}
		}
		in = tmpIn
	}
	st, err := in.Stat()
	if err != nil {
		return fail("%v", err)
	}

	// The output goes to a temporary file first, so that a rejection
	// leaves nothing on standard output and no half-written -o file.
	dir := os.TempDir()
	if *outPath != "" {
		dir = filepath.Dir(*outPath)
	}
	tmp, err := os.CreateTemp(dir, ".mugai-sanitize-out-*")
	if err != nil {
		return fail("%v", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	// The gateway tells the reader the id the original is kept under
	// (the notice's line, X-Mugai-Original-Id) where the policy keeps
	// it: the dry run writes that line too, with an id no original has,
	// so that the admin reads the notice the reader will get.
	qid := ""
	if pol.Original == "quarantine" {
		qid = dryRunOriginalID
	}
	// A Message-ID made for an original without one names the dry run,
	// not a queue id the gateway would give.
	opt := sanitize.Options{Policy: pol, PolicyName: name, OriginalID: qid, QueueID: dryRunOriginalID, TempDir: os.TempDir()}
	if route != nil {
		hostname = route.Hostname
	}
	opt.Hostname = hostname
	if s := strings.TrimSpace(*from); s != "" && s != "<>" {
		// The From of an original without a usable one, as the gateway
		// has the envelope sender (rulePolicy refused one it refuses).
		opt.Sender, _ = gateway.CheckSender(s)
	}
	rep, err := sanitize.Message(tmp, in, st.Size(), opt)
	if err != nil {
		return fail("%v", err)
	}
	if *reportPath != "" {
		if err := writeReport(*reportPath, rep, stderr); err != nil {
			return fail("report: %v", err)
		}
	}
	if rep.Verdict != sanitize.Rebuilt {
		fmt.Fprintf(stderr, "mugai sanitize: rejected by policy %q: %s\n", name, safe(rep.Reason))
		return 3
	}
	if strings.TrimSpace(*from) == "" && slices.ContainsFunc(rep.Findings, func(f sanitize.Finding) bool { return f.Kind == "from-missing" }) {
		// The gateway writes the envelope sender there, which the dry
		// run was not given: say so rather than show a From it never
		// writes for a sender it takes.
		fmt.Fprintf(stderr, "mugai sanitize: the message has no usable From: the gateway writes the envelope sender there (MAIL FROM); the dry run, given none, shows %s (give -route, -from and -to to see the gateway's)\n", sanitize.UnknownSender)
	}
	if *asText {
		// The message is sent base64 or quoted-printable with encoded
		// words: the admin reads what the recipient will.
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return fail("%v", err)
		}
		if *outPath == "" {
			if err := writeReadable(stdout, tmp); err != nil {
				return fail("%v", err)
			}
			return 0
		}
		txt, err := os.CreateTemp(dir, ".mugai-sanitize-text-*")
		if err != nil {
			return fail("%v", err)
		}
		defer os.Remove(txt.Name())
		defer txt.Close()
		if err := writeReadable(txt, tmp); err != nil {
			return fail("%v", err)
		}
		if err := txt.Close(); err != nil {
			return fail("%v", err)
		}
		if err := os.Rename(txt.Name(), *outPath); err != nil {
			return fail("%v", err)
		}
		return 0
	}
	if *outPath != "" {
		if err := tmp.Close(); err != nil {
			return fail("%v", err)
		}
		if err := os.Rename(tmp.Name(), *outPath); err != nil {
			return fail("%v", err)
		}
		return 0
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fail("%v", err)
	}
	if _, err := io.Copy(stdout, tmp); err != nil {
		return fail("write: %v", err)
	}
	return 0
}

func writeReport(path string, rep *sanitize.Report, stderr io.Writer) error {
	// "from": "Taro <taro@…>" as written; a filename's escapes as \u
	// escapes, on the terminal and in the file alike.
	var buf bytes.Buffer
	if err := writeJSON(&buf, rep); err != nil {
		return err
	}
	if path == "-" {
		_, err := stderr.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// dryRunOriginalID stands where the gateway writes the quarantine id of
// the original: no id the quarantine gives looks like it.
const dryRunOriginalID = "DRY-RUN"

// rulePolicy picks the policy the gateway would apply on routeName to a
// message from sender to the comma-separated rcpts, sent by the server
// at client ("" when not given), and says why.
func rulePolicy(cfg *config.Config, routeName, client, sender, rcpts string) (route *config.Route, policy, why string, err error) {
	var sanitising []string
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		if r.Name == routeName {
			route = r
		}
		if r.Policy != config.PolicyNone {
			sanitising = append(sanitising, r.Name)
		}
	}
	switch {
	case routeName != "" && route == nil:
		return nil, "", "", fmt.Errorf("%s: no route %q", cfg.File, routeName)
	case route == nil && len(sanitising) != 1:
		return nil, "", "", fmt.Errorf("%s: give -route (sanitising routes: %s)", cfg.File, strings.Join(sanitising, ", "))
	case route == nil:
		routeName = sanitising[0]
		for i := range cfg.Routes {
			if cfg.Routes[i].Name == routeName {
				route = &cfg.Routes[i]
			}
		}
	case route.Policy == config.PolicyNone:
		return nil, "", "", fmt.Errorf("route %q is a pass-through route (policy none): it sanitises nothing", routeName)
	}
	if sender = strings.TrimSpace(sender); sender == "" || rcpts == "" {
		return nil, "", "", fmt.Errorf("-from and -to are both needed for the rules to pick a policy (-from '<>' for the null sender of a bounce)")
	}
	if sender == "<>" {
		sender = "" // MAIL FROM:<>, which the gateway takes
	}
	from, err := gateway.CheckSender(sender)
	if err != nil {
		return nil, "", "", fmt.Errorf("route %s refuses %s at MAIL FROM: %v", routeName, sender, err)
	}
	var given []string
	for _, a := range strings.Split(rcpts, ",") {
		if a = strings.TrimSpace(a); a != "" {
			if f := strings.Fields(a); len(f) > 1 && strings.Contains(f[0], "@") {
				// Not an address the route would refuse: two of them.
				return nil, "", "", fmt.Errorf("-to %q: separate recipients with commas (-to %s)", a, strings.Join(f, ","))
			}
			given = append(given, a)
		}
	}
	// As the gateway keeps them after RCPT: the rules see that form.
	to, refused, err := gateway.CheckRecipients(given, route)
	if refused != "" {
		return nil, "", "", fmt.Errorf("route %s refuses %s at RCPT TO: %v", routeName, refused, err)
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("route %s: %v", routeName, err)
	}
	var addr netip.Addr
	if client != "" {
		if addr, err = netip.ParseAddr(client); err != nil {
			return nil, "", "", fmt.Errorf("-client %q is not an IP address", client)
		}
		addr = addr.Unmap()
		if !slices.ContainsFunc(route.Clients, func(p config.Prefix) bool { return p.Contains(addr) }) {
			return nil, "", "", fmt.Errorf("route %s refuses connections from %s (its clients: %s)", routeName, addr, prefixes(route.Clients))
		}
	} else {
		for _, rcpt := range to {
			if r := cfg.RuleAnyClient(route, from, []string{rcpt}); r != nil && len(r.Match.Clients) > 0 {
				// Unknown, the address would match no rule by it: the
				// dry run must not say that such a rule does not apply.
				return nil, "", "", fmt.Errorf("-client is needed: rule %q picks policy %q for mail to %s when the sending server is in %s", r.Name, r.Policy, rcpt, prefixes(r.Match.Clients))
			}
		}
	}
	// Each recipient's policy is its own (config.PolicyForRecipient):
	// the gateway takes in one message the recipients whose policy is
	// the first one's, and defers the others to a message of their own.
	policy = cfg.PolicyForRecipient(route, addr, from, to[0])
	var deferred []string
	for _, rcpt := range to[1:] {
		if p := cfg.PolicyForRecipient(route, addr, from, rcpt); p != policy {
			deferred = append(deferred, fmt.Sprintf("%s (policy %q)", rcpt, p))
		}
	}
	if r := cfg.RuleFor(route, addr, from, to[:1]); r != nil {
		why = fmt.Sprintf("route %s: rule %q picks policy %q", routeName, r.Name, r.Policy)
	} else {
		why = fmt.Sprintf("route %s: no rule matches, the route's policy %q applies", routeName, route.Policy)
	}
	if len(deferred) > 0 {
		why += fmt.Sprintf(" for %s; the gateway answers 452 4.5.3 to %s, whose mail is checked under another policy, and the sending server sends that in a message of its own: what follows is the message as %s gets it", to[0], strings.Join(deferred, ", "), to[0])
	}
	return route, policy, why, nil
}
