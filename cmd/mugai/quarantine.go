package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/text/width"

	"mugai/config"
	"mugai/gateway"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/sanitize"
)

const quarantineUsage = `Usage: mugai quarantine [-config FILE] [-dir DIR] COMMAND [flags]

Find, inspect, release and purge the originals that sanitising replaced.
Changes (release, purge) go through the running gateway's admin listener,
so the store keeps one writer; list and show ask it too and, when it is not
running, read the store directly (read-only). -dir DIR reads the store in
DIR directly, for example another node's on shared storage. show -headers
and -original read directly only while no gateway runs on this
configuration's spool: the read is then written to its audit trail
(log.audit) by this command; with the gateway running they go through it.

  list [-since DURATION] [-sender S] [-recipient R] [-verdict V] [-message-id ID] [-json]
        originals, oldest first; -sender and -recipient match any part of
        the address (a domain finds all of its senders), -message-id any
        part of the Message-ID
  show [-json] ID                 metadata and the sanitiser's report
  show -headers -reason TEXT ID   the original's header section (control
                                  characters escaped)
  show -original -o FILE -reason TEXT ID
                                  write the original to a new FILE (never to
                                  a terminal; treat it as hostile)
  release ID -policy NAME [-to ADDR]... [-again] -reason TEXT
        sanitise the original again under policy NAME and deliver it to its
        recipients (or to ADDR, which must be in the route's domains)
  release ID -original -to ADDR... [-again] -reason TEXT
        deliver the untouched original, only to domains listed in
        quarantine.release_original_to, through a pass-through route
        A release to a recipient an earlier release reached is refused
        (it says when and by whom); -again delivers it once more on purpose.
  purge [-older-than DURATION] [-reason TEXT]
        delete originals older than DURATION (default: quarantine.retention)

Durations take Go syntax plus days: 90m, 36h, 7d. Every release, purge
and read of an original (show -headers, show -original) is written to the
audit trail with the invoking user (SUDO_USER under sudo) and the reason.
`

// runQuarantine is `mugai quarantine`.
func runQuarantine(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("quarantine", "COMMAND", stderr)
	cfgPath := configFlag(fs)
	dir := fs.String("dir", "", "read the store in `DIR` directly, read-only (for example another node's, on shared storage)")
	fs.Usage = func() {
		fmt.Fprint(stderr, quarantineUsage)
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 1
	}
	q := &qcmd{cfgPath: cfgPath, dir: dir, stdout: stdout, stderr: stderr}
	sub, rest := fs.Arg(0), fs.Args()[1:]
	switch sub {
	case "list":
		return q.list(rest)
	case "show":
		return q.show(rest)
	case "release":
		return q.release(rest)
	case "purge":
		return q.purge(rest)
	case "help":
		fmt.Fprint(stdout, quarantineUsage)
		return 0
	}
	fmt.Fprintf(stderr, "mugai quarantine: unknown command %q\n\n", sub)
	fs.Usage()
	return 1
}

// qcmd holds what every subcommand needs.
type qcmd struct {
	cfgPath, dir   *string
	cfg            *config.Config
	stdout, stderr io.Writer
}

func (q *qcmd) fail(format string, a ...any) int {
	// An error of the quarantine names it already ("quarantine: read
	// ID: …"), and the command's name says it once.
	fmt.Fprintln(q.stderr, "mugai quarantine: "+strings.TrimPrefix(fmt.Sprintf(format, a...), "quarantine: "))
	return 1
}

// flags makes a subcommand's flag set; -config and -dir are accepted
// there too, into the same variables, so that "-config F list" and
// "list -config F" are one. They are defined with their own defaults
// (which -h prints) and the values given before the subcommand are put
// back after: defining them with those values as defaults printed
// `(default "cfg.yaml")` after "-config cfg.yaml purge -h".
func (q *qcmd) flags(name, usage string) *flag.FlagSet {
	fs := newFlagSet("quarantine "+name, "", q.stderr)
	cfgPath, dir := *q.cfgPath, *q.dir
	fs.StringVar(q.cfgPath, "config", "", configUsage)
	fs.StringVar(q.dir, "dir", "", "read the store in `DIR` directly (read-only)")
	*q.cfgPath, *q.dir = cfgPath, dir
	fs.Usage = func() {
		fmt.Fprintf(q.stderr, "Usage: mugai quarantine %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and positional arguments in any order
// (`release ID -policy relaxed` as well as `release -policy relaxed ID`).
func (q *qcmd) parse(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return nil, code, false
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	cfg, err := loadConfig(*q.cfgPath)
	if err != nil {
		fmt.Fprintln(q.stderr, err)
		return nil, 1, false
	}
	q.cfg = cfg
	return pos, 0, true
}

// errDirect: -dir asks for the store to be read directly.
var errDirect = errors.New("-dir given")

// admin returns the client of the gateway's admin listener, or errDirect
// when -dir asks to read a store directly.
func (q *qcmd) admin() (*adminClient, error) {
	if *q.dir != "" {
		return nil, errDirect
	}
	return newAdminClient(q.cfg), nil
}

// direct reports whether err means: read the store directly.
func direct(err error) bool { return errors.Is(err, errAdminDown) || errors.Is(err, errDirect) }

// storeDir is the store read directly: -dir, or quarantine.dir.
func (q *qcmd) storeDir() string {
	if *q.dir != "" {
		return *q.dir
	}
	return q.cfg.Quarantine.Dir
}

// exportDirect opens an original (part original or headers) of a store
// read directly, once its export record is in the audit trail (see
// gateway.ExportDirect); down is why the admin listener was not asked.
func (q *qcmd) exportDirect(id, part, reason string, down error) (io.ReadCloser, func(), error) {
	st, err := q.readOnly(true, down)
	if err != nil {
		return nil, nil, err
	}
	_, rc, last, err := gateway.ExportDirect(q.cfg, st, q.storeDir(), id, part, invokingUser(), reason)
	if last != "" {
		// The gateway's next start logs continues_from=LAST, not the
		// last= of its stop: the operator has the hash to show that the
		// difference is this record (a refusal's too).
		what := "the read is"
		if err != nil {
			what = "the refused read is"
		}
		fmt.Fprintf(q.stderr, "mugai quarantine: %s recorded in the audit trail %s, which now ends with a line hashing to %s "+
			"(the gateway's next start logs it as continues_from; its last stop logged the line before)\n", what, q.cfg.Log.Audit, last)
	}
	switch {
	case errors.Is(err, gateway.ErrGatewayRunning) && errors.Is(down, errDirect):
		err = fmt.Errorf("%w (spool %s): read the original through it, without -dir, on the node that owns the store, so that the read is in its audit trail", err, q.cfg.SpoolDir)
	case errors.Is(err, gateway.ErrGatewayRunning):
		err = fmt.Errorf("%w (spool %s), but nothing answers on its admin listener (%v; is it running with another configuration?): the original is read through the running gateway only, so that the read is in its audit trail", err, q.cfg.SpoolDir, down)
	case errors.Is(err, quarantine.ErrWrongKey):
		err = fmt.Errorf("%w (the key read is quarantine.encryption_key_file %s)", err, q.cfg.Quarantine.EncryptionKeyFile)
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return rc, func() { rc.Close(); st.Close() }, nil
}

// readOnly opens the store for reading when the gateway is not running.
// The key is read if configured and readable; needKey makes its absence
// an error (originals are encrypted, metadata is not).
func (q *qcmd) readOnly(needKey bool, why error) (*quarantine.Store, error) {
	dir := q.storeDir()
	if *q.dir == "" {
		fmt.Fprintf(q.stderr, "mugai quarantine: %v; reading %s directly (read-only)\n", why, dir)
	}
	opt := quarantine.Options{ReadOnly: true}
	if f := q.cfg.Quarantine.EncryptionKeyFile; f != "" {
		key, err := os.ReadFile(f)
		switch {
		case err == nil:
			opt.Key = key
		case needKey:
			return nil, fmt.Errorf("quarantine key: %w", err)
		}
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no quarantine store at %s (mugai serve makes it at its first start: check -dir or quarantine.dir)%s", dir, configHint(*q.cfgPath))
	} else if err != nil {
		return nil, err
	}
	return quarantine.Open(dir, opt)
}

func (q *qcmd) list(args []string) int {
	fs := q.flags("list", "list [-since DURATION] [-sender S] [-recipient R] [-verdict V] [-message-id ID] [-json]")
	since := fs.String("since", "", "only originals received within `DURATION` (7d, 36h)")
	var f gateway.QuarantineFilter
	fs.StringVar(&f.Sender, "sender", "", "envelope sender or From: containing `S` (case-insensitive)")
	fs.StringVar(&f.Recipient, "recipient", "", "a recipient containing `R` (case-insensitive)")
	fs.StringVar(&f.MessageID, "message-id", "", "a Message-ID containing `ID` (with or without <>)")
	fs.Var((*verdictFlag)(&f.Verdict), "verdict", "only this verdict (`V`: "+strings.Join(gateway.QuarantineVerdicts, ", ")+")")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, code, ok := q.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return q.fail("list takes no arguments (got %q)", pos[0])
	}
	if *since != "" {
		d, err := config.ParseDuration(*since)
		if err != nil || d <= 0 {
			return q.fail("-since: %q is not a positive duration (such as 7d or 168h)", *since)
		}
		f.Since = d.D()
	}
	var entries []gateway.QuarantineEntry
	total := "" // set when the gateway listed only the newest
	c, err := q.admin()
	if err == nil {
		query, _ := url.ParseQuery(f.Query())
		var resp *http.Response
		if resp, err = c.do(context.Background(), http.MethodGet, "/quarantine", query, nil); err == nil {
			total = resp.Header.Get("X-Mugai-Total")
			if derr := decodeAnswer(resp.Body, &entries); derr != nil {
				err = fmt.Errorf("admin listener: list: bad answer: %w", derr)
			}
			resp.Body.Close()
		}
	}
	if direct(err) {
		st, oerr := q.readOnly(false, err)
		if oerr != nil {
			return q.fail("%v", oerr)
		}
		defer st.Close()
		entries, err = gateway.ListQuarantine(st, f, time.Now()), nil
	}
	if err != nil {
		return q.fail("%v", err)
	}
	if total != "" {
		fmt.Fprintf(q.stderr, "mugai quarantine: %s originals match; listing the newest %d (narrow it with -since, -sender, -recipient, -verdict or -message-id)\n", safe(total), len(entries))
	}
	if *asJSON {
		return q.printJSON(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(q.stderr, "no originals match")
		return 0
	}
	rows := [][]string{{"ID", "RECEIVED", "SIZE", "SENDER", "RECIPIENTS", "REMOVED", "SUBJECT"}}
	for _, e := range entries {
		sender := e.Sender
		if sender == "" {
			sender = "<>"
		}
		rows = append(rows, []string{safe(e.ID), localTime(e.Time), humanSize(e.Size),
			safe(sender), safe(strings.Join(e.Recipients, ",")), safe(removedNames(e.Removed, e.RemovedMore)), safe(e.Subject)})
	}
	printTable(q.stdout, rows)
	return 0
}

// removedNames shortens "form.pdf (pdf, not allowed by policy)" to the
// names for the table; show has the reasons.
func removedNames(removed []string, more int) string {
	var names []string
	for _, r := range removed {
		if i := strings.LastIndex(r, " ("); i > 0 {
			r = r[:i]
		}
		names = append(names, r)
	}
	if more > 0 {
		// The listing names the first few (show names all).
		names = append(names, fmt.Sprintf("… %d more", more))
	}
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ", ")
}

func (q *qcmd) show(args []string) int {
	fs := q.flags("show", "show [-json] ID | show -headers -reason TEXT ID | show -original -o FILE -reason TEXT ID")
	asJSON := fs.Bool("json", false, "print the metadata and report as JSON")
	headers := fs.Bool("headers", false, "print the original's header section")
	original := fs.Bool("original", false, "write the original to the file given with -o")
	outPath := fs.String("o", "", "`FILE` to create for -original (must not exist)")
	reason := fs.String("reason", "", "the reason (`TEXT`) for reading the original with -headers or -original, for the audit trail (required with them)")
	pos, code, ok := q.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return q.oneID(fs, pos)
	}
	id := pos[0]
	switch {
	case *headers && *original:
		return q.fail("give -headers or -original, not both")
	case *original && (*outPath == "" || *outPath == "-"):
		return q.fail("-original needs -o FILE: the raw original is never written to a terminal (treat it as hostile)")
	case *outPath != "" && !*original:
		return q.fail("-o goes with -original")
	case *reason != "" && !*original && !*headers:
		return q.fail("-reason goes with -headers or -original")
	case (*original || *headers) && strings.TrimSpace(*reason) == "":
		return q.fail("-headers and -original read the unsanitised original: give -reason TEXT (it goes to the audit trail)")
	case *original:
		return q.showOriginal(id, *outPath, *reason)
	case *headers:
		return q.showHeaders(id, *reason)
	}

	var d gateway.QuarantineDetail
	c, err := q.admin()
	if err == nil {
		err = c.get("/quarantine/"+url.PathEscape(id), &d)
	}
	if direct(err) {
		st, oerr := q.readOnly(false, err)
		if oerr != nil {
			return q.fail("%v", oerr)
		}
		defer st.Close()
		var m quarantine.Meta
		if m, err = st.Get(id); err == nil {
			d = gateway.NewQuarantineDetail(m)
		}
		err = gateway.OriginalError(id, err)
	}
	if err != nil {
		return q.fail("%v", err)
	}
	if *asJSON {
		return q.printJSON(d)
	}
	q.printDetail(d)
	return 0
}

func (q *qcmd) printDetail(d gateway.QuarantineDetail) {
	w := q.stdout
	field := func(k, v string) { fmt.Fprintf(w, "%-12s %s\n", k+":", v) }
	field("ID", safe(d.ID))
	field("Received", fmt.Sprintf("%s on route %s from %s", localTime(d.Time), safe(d.Route), safe(orDash(d.Client))))
	sender := d.Sender
	if sender == "" {
		sender = "<>"
	}
	field("Sender", safe(sender))
	if d.HeaderFrom != "" {
		field("From", safe(d.HeaderFrom))
	}
	field("Recipients", safe(strings.Join(d.Recipients, ", ")))
	field("Subject", safe(d.Subject))
	field("Size", fmt.Sprintf("%s (%d bytes), SHA-256 %s", humanSize(d.Size), d.Size, safe(d.SHA256)))
	field("Policy", fmt.Sprintf("%s, verdict %s", safe(d.Policy), safe(d.Verdict)))
	for i, r := range d.Removed {
		k := ""
		if i == 0 {
			k = "Removed:"
		}
		fmt.Fprintf(w, "%-12s %s\n", k, safe(r))
	}
	var rep sanitize.Report
	if len(d.Report) > 0 && json.Unmarshal(d.Report, &rep) == nil {
		if len(rep.Actions) > 0 {
			field("Actions", safe(strings.Join(rep.Actions, ", ")))
		}
		if len(rep.Parts) > 0 {
			fmt.Fprintln(w, "\nParts:")
			rows := [][]string{{"PATH", "DECISION", "CLASS", "TYPE", "SIZE", "FILENAME", "REASON"}}
			for _, p := range rep.Parts {
				rows = append(rows, []string{safe(p.Path), safe(p.Decision), safe(orDash(p.Class)), safe(orDash(p.SniffedType)),
					humanSize(p.Size), safe(orDash(p.Filename)), safe(p.Reason)})
			}
			printTable(indent{w}, rows)
		}
		if len(rep.Findings) > 0 {
			fmt.Fprintln(w, "\nFindings:")
			for _, f := range rep.Findings {
				fmt.Fprintf(w, "  %s %s: %s\n", safe(f.Path), safe(f.Kind), safe(f.Detail))
			}
		}
	}
	for i, r := range d.Releases {
		k := ""
		if i == 0 {
			k = "Released:"
		}
		again := ""
		if r.Again {
			again = ", again"
		}
		fmt.Fprintf(w, "%-12s %s by %s to %s (policy %s, queue id %s%s)\n", k, localTime(r.Time),
			safe(r.User), safe(strings.Join(r.To, ", ")), safe(r.Policy), safe(r.QueueID), again)
	}
	if len(d.Releases) > 0 {
		fmt.Fprintf(w, "\nRelease: %s release %s -policy NAME [-to ADDR] -reason TEXT (-again for recipients it reached)\n", safe(q.command()), safe(d.ID))
		return
	}
	fmt.Fprintf(w, "\nRelease: %s release %s -policy NAME -reason TEXT\n", safe(q.command()), safe(d.ID))
}

// command is how to run mugai quarantine again as this run was: with its
// -config, or a hint copied as printed reaches another gateway (the
// embedded default's admin listener and token).
func (q *qcmd) command() string {
	if *q.cfgPath == "" {
		return "mugai quarantine"
	}
	return "mugai quarantine -config " + shellQuote(*q.cfgPath)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+=,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// reader names who reads an original and why, for the audit trail.
func reader(reason string) url.Values {
	return url.Values{"user": {invokingUser()}, "reason": {reason}}
}

func (q *qcmd) showHeaders(id, reason string) int {
	var hdr []byte
	truncated := false // the header section goes on past MaxHeaderSection
	c, err := q.admin()
	if err == nil {
		var resp *http.Response
		if resp, err = c.do(context.Background(), http.MethodGet, "/quarantine/"+url.PathEscape(id)+"/headers", reader(reason), nil); err == nil {
			defer resp.Body.Close()
			truncated = resp.Header.Get("X-Mugai-Truncated") != ""
			hdr, err = readAnswer(resp.Body, gateway.MaxHeaderSection)
		}
	}
	if direct(err) {
		rc, done, oerr := q.exportDirect(id, metrics.ReadHeaders, reason, err)
		if oerr != nil {
			return q.fail("%v", oerr)
		}
		hdr, truncated, err = gateway.HeaderSection(rc, gateway.MaxHeaderSection)
		done()
	}
	if err != nil {
		return q.fail("%v", err)
	}
	for _, line := range strings.SplitAfter(string(hdr), "\n") {
		line = strings.TrimRight(line, "\r\n")
		if line != "" {
			fmt.Fprintln(q.stdout, safe(line))
		}
	}
	if truncated {
		// Said, or the operator takes the cut for the whole section.
		fmt.Fprintf(q.stderr, "mugai quarantine: the header section goes on past %d bytes and is cut there; show -original -o FILE writes the original whole\n", gateway.MaxHeaderSection)
	}
	return 0
}

func (q *qcmd) showOriginal(id, path, reason string) int {
	// O_EXCL: never overwrite a file, never follow a planted symlink.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return q.fail("%s exists: -o makes a new file and never overwrites one; give another name", safe(path))
	}
	if err != nil {
		return q.fail("%v", err)
	}
	// Interrupted (Ctrl-C, a stop), the command removes what it wrote
	// as on any failure: FILE is only ever left whole.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var n int64
	c, err := q.admin()
	if err == nil {
		var resp *http.Response
		if resp, err = c.do(ctx, http.MethodGet, "/quarantine/"+url.PathEscape(id)+"/original", reader(reason), nil); err == nil {
			n, err = q.copyOriginal(f, resp, id)
			resp.Body.Close()
		}
	}
	if direct(err) {
		var rc io.ReadCloser
		var done func()
		if rc, done, err = q.exportDirect(id, metrics.ReadOriginal, reason, err); err == nil {
			n, err = io.Copy(f, ctxReader{ctx, rc})
			done()
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		if ctx.Err() != nil {
			err = fmt.Errorf("original %s: interrupted after %d bytes", safe(id), n)
		}
		return q.fail("%v; %s removed", err, safe(path))
	}
	fmt.Fprintf(q.stdout, "wrote the original of %s to %s (%d bytes); treat it as hostile: do not open it on a workstation\n", safe(id), safe(path), n)
	return 0
}

// ctxReader ends a read once ctx is done (the command interrupted).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// copyOriginal writes the answer of GET /quarantine/{id}/original to f:
// at most what the quarantine keeps of one original (maxOriginal),
// whether or not the answer says its length, and only an answer that
// says its SHA-256 and has it. Whatever answers on the admin address may
// be no gateway, and this command is often run as root: an endless
// answer must not fill the disk, and a cut one must not be taken for
// the original.
func (q *qcmd) copyOriginal(f io.Writer, resp *http.Response, id string) (int64, error) {
	limit, why := maxOriginal(q.cfg)
	tooLong := func(what string) error {
		return fmt.Errorf("original %s: the answer %s, the most the quarantine keeps of one original (%s): "+
			"is it a gateway that answers there? If that limit was lowered since the original was kept, read it with the gateway stopped (the read is audited then too)",
			safe(id), what, why)
	}
	if resp.ContentLength > limit {
		return 0, tooLong(fmt.Sprintf("says it is %d bytes long, more than %d", resp.ContentLength, limit))
	}
	want := strings.ToLower(resp.Header.Get("X-Mugai-SHA256"))
	if len(want) != sha256.Size*2 {
		return 0, fmt.Errorf("original %s: the answer has no X-Mugai-SHA256, so what arrives cannot be checked (is it a gateway that answers there?)", safe(id))
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return n, fmt.Errorf("original %s: after %d bytes: %w", safe(id), n, err)
	case n > limit:
		return n, tooLong(fmt.Sprintf("goes on past %d bytes", limit))
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		return n, fmt.Errorf("original %s: got %d of %d bytes", safe(id), n, resp.ContentLength)
	case hex.EncodeToString(h.Sum(nil)) != want:
		return n, fmt.Errorf("original %s: the %d bytes received do not have the SHA-256 the answer gives (%s): cut short or changed on the way", safe(id), n, safe(want))
	}
	return n, nil
}

// maxOriginal is the most the quarantine keeps of one original under cfg
// (and why, for a message): an original is a message a sanitising route
// accepted, so at most the largest limits.max_message_size of those
// routes, and never more than quarantine.max_bytes, past which it is not
// kept.
func maxOriginal(cfg *config.Config) (int64, string) {
	limit, why := int64(0), ""
	for _, r := range cfg.Routes {
		if r.Policy == config.PolicyNone {
			continue // pass-through: it keeps no originals
		}
		if n := int64(r.Limits.MaxMessageSize); n > limit {
			limit, why = n, fmt.Sprintf("limits.max_message_size %s of route %s", r.Limits.MaxMessageSize, r.Name)
		}
	}
	if limit == 0 {
		limit, why = int64(config.DefaultMaxMessageSize), "no sanitising route is configured; the default limits.max_message_size "+config.DefaultMaxMessageSize.String()
	}
	if m := int64(cfg.Quarantine.MaxBytes); m > 0 && m < limit {
		limit, why = m, "quarantine.max_bytes "+cfg.Quarantine.MaxBytes.String()
	}
	return limit, why
}

func (q *qcmd) release(args []string) int {
	fs := q.flags("release", "release ID -policy NAME [-to ADDR]... [-again] -reason TEXT | release ID -original -to ADDR... [-again] -reason TEXT")
	req := gateway.ReleaseRequest{}
	fs.StringVar(&req.Policy, "policy", "", "sanitise again under policy `NAME` (for example one that keeps PDFs)")
	fs.BoolVar(&req.Original, "original", false, "deliver the untouched original (only to quarantine.release_original_to)")
	fs.Var((*addrList)(&req.To), "to", "recipient `ADDR` instead of the original ones (repeat, or comma-separated)")
	fs.BoolVar(&req.Again, "again", false, "deliver it again to recipients an earlier release already reached (refused without it)")
	fs.StringVar(&req.Reason, "reason", "", "the reason (`TEXT`), for the audit trail (required)")
	pos, code, ok := q.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return q.oneID(fs, pos)
	}
	req.ID = pos[0]
	switch {
	case strings.TrimSpace(req.Reason) == "":
		return q.fail("release needs -reason TEXT (it goes to the audit trail)")
	case req.Original == (req.Policy != ""):
		return q.fail("give either -policy NAME (sanitise again) or -original (untouched, to quarantine.release_original_to)")
	case req.Original && len(req.To) == 0:
		return q.fail("-original needs -to ADDR (an address in quarantine.release_original_to)")
	}
	req.User = invokingUser()
	var res gateway.ReleaseResult
	c, err := q.admin()
	if err == nil {
		err = c.post("/quarantine/"+url.PathEscape(req.ID)+"/release", req, &res)
	}
	if err != nil {
		return q.failChange("release", err)
	}
	// Every field as answered, escaped: the recipients are the
	// request's, and whatever answers on the admin address may be no
	// gateway.
	what := "sanitised again under policy " + safe(res.Policy)
	if res.Original {
		what = "untouched original"
	}
	fmt.Fprintf(q.stdout, "released %s (%s) to %s: queued as %s on route %s (next hop %s)\n",
		safe(res.ID), what, safe(strings.Join(res.To, ", ")), safe(res.QueueID), safe(res.Route), safe(res.NextHop))
	if len(res.Kept) > 0 {
		fmt.Fprintf(q.stdout, "  kept:    %s\n", safe(strings.Join(res.Kept, ", ")))
	}
	if len(res.Removed) > 0 {
		fmt.Fprintf(q.stdout, "  removed: %s\n", safe(strings.Join(res.Removed, ", ")))
	}
	if res.Lockdown {
		// Its recipients have had it now: a release without -again
		// would be refused as a second one.
		fmt.Fprintf(q.stderr, "mugai quarantine: warning: lockdown is on, so every attachment was stripped and every link removed; once it is off, release it again with -again (its recipients have had this one): %s release %s -policy %s -to %s -again -reason TEXT\n",
			safe(q.command()), safe(res.ID), safe(shellQuote(res.Policy)), safe(shellQuote(strings.Join(res.To, ","))))
	}
	return 0
}

func (q *qcmd) purge(args []string) int {
	fs := q.flags("purge", "purge [-older-than DURATION] [-reason TEXT]")
	older := fs.String("older-than", "", "purge originals older than `DURATION` (default: quarantine.retention)")
	reason := fs.String("reason", "", "the reason (`TEXT`), for the audit trail (default: \"manual purge of originals older than …\")")
	pos, code, ok := q.parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return q.fail("purge takes no arguments (got %q)", pos[0])
	}
	if *older != "" {
		d, err := config.ParseDuration(*older)
		if err != nil || d <= 0 {
			return q.fail("-older-than: %q is not a positive duration (such as 7d or 168h)", *older)
		}
	}
	var res gateway.PurgeResult
	req := gateway.PurgeRequest{OlderThan: *older, User: invokingUser(), Reason: *reason}
	c, err := q.admin()
	if err == nil {
		err = c.post("/quarantine/purge", req, &res)
	}
	if err != nil {
		return q.failChange("purge", err)
	}
	fmt.Fprintf(q.stdout, "purged %s (%s) received before %s\n", plural(res.Purged, "original"), humanSize(res.Bytes),
		localTime(res.Before))
	return 0
}

// oneID refuses the arguments of show or release, which take one ID,
// saying what was given before the usage.
func (q *qcmd) oneID(fs *flag.FlagSet, pos []string) int {
	if len(pos) == 0 {
		fmt.Fprintln(q.stderr, "mugai quarantine: give the ID of an original (mugai quarantine list finds it)")
	} else {
		fmt.Fprintf(q.stderr, "mugai quarantine: one ID, got %d arguments (%s)\n", len(pos), safe(strings.Join(pos, " ")))
	}
	fs.Usage()
	return 1
}

// failChange explains that changes need the running gateway.
func (q *qcmd) failChange(what string, err error) int {
	if errors.Is(err, errDirect) {
		return q.fail("%s goes through the gateway that owns the store, not -dir (run it on that node)", what)
	}
	if errors.Is(err, errAdminDown) {
		return q.fail("%s needs the running gateway: %v (start mugai serve; changes go through it so that the store has one writer)%s", what, err, configHint(*q.cfgPath))
	}
	return q.fail("%v", err)
}

func (q *qcmd) printJSON(v any) int {
	if err := writeJSON(q.stdout, v); err != nil {
		return q.fail("%v", err)
	}
	return 0
}

// addrList is a repeatable, comma-separated -to flag. An empty address
// is an error: -to "$ADDR" with ADDR unset must not fall back to the
// original recipients.
type addrList []string

func (l *addrList) String() string { return strings.Join(*l, ",") }

func (l *addrList) Set(v string) error {
	var add []string
	for _, a := range strings.Split(v, ",") {
		if a = strings.TrimSpace(a); a == "" {
			return fmt.Errorf("empty address in %q (give an address, or leave -to out for the original recipients)", v)
		}
		add = append(add, a)
	}
	*l = append(*l, add...)
	return nil
}

// verdictFlag is -verdict: one of gateway.QuarantineVerdicts, so that a
// typo is a usage error rather than an empty listing.
type verdictFlag string

func (v *verdictFlag) String() string { return string(*v) }

func (v *verdictFlag) Set(s string) error {
	for _, ok := range gateway.QuarantineVerdicts {
		if strings.EqualFold(s, ok) {
			*v = verdictFlag(ok)
			return nil
		}
	}
	return fmt.Errorf("not a verdict (allowed: %s)", strings.Join(gateway.QuarantineVerdicts, ", "))
}

// displayWidth counts East Asian wide and fullwidth characters as two
// columns, so tables with Japanese subjects line up.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// printTable aligns rows by display width; the last column is not padded.
func printTable(w io.Writer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// indent prefixes every write (one line each, from printTable) with two
// spaces.
type indent struct{ w io.Writer }

func (i indent) Write(p []byte) (int, error) {
	if _, err := i.w.Write(append([]byte("  "), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
