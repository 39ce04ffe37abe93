package sanitize

import (
	"bytes"
	"errors"
	"io"
	"path"
	"slices"
	"strings"

	"golang.org/x/net/html"
	htmlcharset "golang.org/x/net/html/charset"

	"mugai/sanitize/filetype"
	"mugai/sanitize/links"
	"mugai/sanitize/spill"
	"mugai/sanitize/textfile"
)

// attachment decodes a part that is not body text into a spill buffer,
// hashing on the way, classifies it and makes the preliminary decision.
// The buffer is kept only when the part may be delivered.
func (s *sanitizer) attachment(l *leaf, ph *partHeader, body io.Reader) {
	dec, check := s.transferDecoder(ph.cte, body)
	hc := s.sc.hashCounter()
	buf := s.newSpill()
	hc.next = buf
	_, err := s.copy(hc, dec)
	if err != nil && buf.Err() != nil {
		s.ioErr(buf.Err())
	}
	drain(dec)
	l.part.Size = hc.n
	l.part.SHA256 = hc.sum()
	if kinds := check(); len(kinds) > 0 {
		l.ambig = append(l.ambig, kinds...)
		for _, k := range kinds {
			s.finding(l.part.Path, k, "")
		}
	}
	s.decideAttachment(l, ph, buf)
}

// decideAttachment classifies an attachment's decoded content in buf,
// decides on it and keeps buf (as l.att) or closes it.
func (s *sanitizer) decideAttachment(l *leaf, ph *partHeader, buf *spill.Buffer) {
	// The most dangerous reading: classify under every filename the
	// header allows and keep the strictest result.
	names := ph.names
	if len(names) == 0 {
		names = []string{""}
	}
	var res classResult
	for i, n := range names {
		r, err := classify(buf.ReaderAt(), buf.Size(), ph.mediaType, n, s.archiveLimits())
		if err != nil {
			s.ioErr(err)
		}
		if i == 0 || classRank(r.Class) > classRank(res.Class) {
			exe, enc := res.Executable || r.Executable, res.Encrypted || r.Encrypted
			fs := append(res.Findings, r.Findings...)
			links := max(res.Links, r.Links)
			res = r
			res.Executable, res.Encrypted, res.Findings, res.Links = exe, enc, fs, links
		} else {
			res.Executable = res.Executable || r.Executable
			res.Encrypted = res.Encrypted || r.Encrypted
			res.Findings = append(res.Findings, r.Findings...)
			res.Links = max(res.Links, r.Links)
		}
	}
	l.part.Class = res.Class
	l.part.SniffedType = res.SniffedType
	if res.Mismatch != "" {
		s.finding(l.part.Path, "type-mismatch", res.Mismatch)
	}
	for _, f := range res.Findings {
		s.finding(l.part.Path, "attachment", f)
	}

	decision, reason := s.decide(l, ph, res, buf)
	l.part.Decision, l.part.Reason = decision, reason
	if strings.HasPrefix(reason, "encrypted archive") {
		// PPAP: the reader is told what the archive held, which the
		// password sent apart cannot open here. From the classifier's
		// own list, not its findings, where an entry named "(9 more)"
		// reads as its count.
		l.encEntries = res.EncEntries
		l.encMore = max(0, res.EncCount-len(res.EncEntries))
	}
	if decision == DecisionStrip && reason == calendarReason && len(l.ambig) == 0 && calendarFile.is(ph.mediaType, "", ph.names) {
		s.summariseCalendar(l, ph, buf)
	}
	if decision == DecisionReject {
		l.reject = reason
	}
	if decision == DecisionKeep && len(l.ambig) == 0 {
		if res.textual() {
			buf = s.keptText(l, ph, res, buf)
		} else if sheet, _ := spreadsheet(ph, res); sheet && !declaredWorkbook(ph, res) {
			// A CSV that is not text (a control byte, say) still opens
			// in a spreadsheet, where its formulas run: it cannot be
			// checked line by line.
			s.notKeptText(l, "spreadsheet file is not text and cannot be checked for formulas")
		}
	}
	if l.part.Decision == DecisionKeep && len(l.ambig) == 0 && res.Links > 0 {
		// A PDF is delivered as it is: its links stay clickable, and
		// the reader must be told (finish, notice).
		l.fileLinks = res.Links
		l.part.Reason += "; " + plural(res.Links, "link") + " left clickable"
	}
	if l.part.Decision == DecisionKeep && len(l.ambig) == 0 {
		l.att = buf
		s.hold(buf)
		return
	}
	buf.Close()
}

// keptText neutralises a text file the policy delivers, in its own
// encoding (textfile): its URLs as the body's (clients show text
// attachments inline and link them) and, in spreadsheet data, the fields
// a spreadsheet would run as formulas. It returns the buffer to deliver.
// A file that cannot be checked is not delivered.
func (s *sanitizer) keptText(l *leaf, ph *partHeader, res classResult, buf *spill.Buffer) *spill.Buffer {
	opt := textfile.Options{
		Charset: strings.TrimSpace(ph.params["charset"]),
		Links:   s.pol.Body.Links,
	}
	opt.Formulas, opt.TSV = spreadsheet(ph, res)
	if opt.Links == links.Keep && !opt.Formulas {
		return buf
	}
	out := s.newSpill()
	r, err := textfile.Rewrite(out, buf.ReaderAt(), buf.Size(), opt)
	if err == nil {
		err = out.Err()
	}
	switch {
	case errors.Is(err, textfile.ErrSYLK):
		// Excel opens it as the SYLK it is, not as the CSV it is named:
		// never kept, as a .slk is not.
		out.Close()
		s.finding(l.part.Path, "attachment", filetype.SYLKFile+" (content: an ID record first)")
		s.notKeptText(l, sylkReason)
		return buf
	case errors.Is(err, textfile.ErrLineTooLong), errors.Is(err, textfile.ErrCharset), errors.Is(err, textfile.ErrReadings), errors.Is(err, textfile.ErrControl):
		out.Close()
		s.notKeptText(l, "text file cannot be checked for links and formulas: "+strings.TrimPrefix(err.Error(), "textfile: "))
		return buf
	case err != nil:
		out.Close()
		s.ioErr(err)
		return buf
	}
	l.fileCharset = r.Charset
	if opt.Formulas {
		// Delivered as what it is, not as the text/plain it sniffs as.
		// Thunderbird still shows it inline as plain text (every text/
		// type it does not know), so its links had the span rule too.
		l.sheetType = "text/csv"
		if opt.TSV {
			l.sheetType = "text/tab-separated-values"
		}
	}
	if !r.Changed() {
		out.Close()
		return buf
	}
	buf.Close()
	l.textLinks, l.textFormulas = r.Links, r.Formulas
	var done []string
	if r.Links > 0 {
		verb := "defanged"
		if s.pol.Body.Links == links.Remove {
			verb = "removed"
		}
		done = append(done, plural(r.Links, "link")+" "+verb)
	}
	if r.Formulas > 0 {
		done = append(done, plural(r.Formulas, "spreadsheet formula")+" made text")
		s.finding(l.part.Path, "spreadsheet-formula", plural(r.Formulas, "field")+" starting with = + - or @")
	}
	if r.Replaced > 0 {
		done = append(done, plural(r.Replaced, "character")+" not writable in "+r.Charset+" replaced")
	}
	l.part.Reason += "; " + strings.Join(done, ", ")
	return out
}

// notKeptText withdraws the keep decision from a file that cannot be
// neutralised: stripped, or rejected where the policy rejects what it
// does not keep.
func (s *sanitizer) notKeptText(l *leaf, why string) {
	l.part.Decision, l.part.Reason = DecisionStrip, why
	if s.pol.Attachments.Default == "reject" {
		l.part.Decision, l.reject = DecisionReject, why
	}
}

// spreadsheet reports whether a text file is data a spreadsheet opens
// (CSV, TSV) by any of its names or types, the strictest reading, and
// whether it is tab-separated.
func spreadsheet(ph *partHeader, res classResult) (sheet, tsv bool) {
	for _, t := range []string{ph.mediaType, res.SniffedType} {
		switch strings.ToLower(strings.TrimSpace(strings.SplitN(t, ";", 2)[0])) {
		case "text/csv", "text/comma-separated-values", "application/csv", "text/x-csv", "application/x-csv", "application/vnd.ms-excel":
			sheet = true
		case "text/tab-separated-values":
			sheet, tsv = true, true
		}
	}
	for _, n := range ph.names {
		switch extension(cleanFilename(n)) {
		case ".csv":
			sheet = true
		case ".tsv", ".tab":
			sheet, tsv = true, true
		}
	}
	return sheet, tsv
}

// declaredWorkbook reports whether a file spreadsheet takes for a CSV by
// its type alone is a workbook: application/vnd.ms-excel is the type of
// an .xls or .xlsx as much as Windows' type for a CSV, and a workbook
// was inspected as Office content. A CSV or TSV name still makes it one
// (Excel reads the file as text then).
func declaredWorkbook(ph *partHeader, res classResult) bool {
	switch strings.ToLower(strings.TrimSpace(strings.SplitN(res.SniffedType, ";", 2)[0])) {
	case "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel.sheet.macroenabled.12":
	default:
		return false
	}
	for _, n := range ph.names {
		switch extension(cleanFilename(n)) {
		case ".csv", ".tsv", ".tab":
			return false
		}
	}
	return true
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what + "s"
}

func (s *sanitizer) ioErr(err error) {
	if s.writeErr == nil {
		s.writeErr = err
	}
}

func (s *sanitizer) archiveLimits() archiveLimits {
	a := s.pol.Attachments.Archives
	return archiveLimits{MaxDepth: a.MaxDepth, MaxEntries: a.MaxEntries, MaxRatio: a.MaxRatio, MaxTotal: int64(a.MaxTotal)}
}

// textual reports whether a file reads as text, by its class or its
// content: a text file declared image/png is still text to whoever opens
// it (and is delivered as the text/plain it sniffs as).
func (r classResult) textual() bool {
	return r.Class == "text" || strings.HasPrefix(strings.ToLower(r.SniffedType), "text/plain")
}

func classRank(c string) int {
	switch c {
	case "executable":
		return 8
	case "encrypted-archive":
		return 7
	case "archive":
		return 6
	case "office":
		return 5
	case "pdf":
		return 4
	case "other":
		return 3
	case "image":
		return 2
	case "text":
		return 1
	}
	return 0
}

// decide applies the policy to one classified attachment.
func (s *sanitizer) decide(l *leaf, ph *partHeader, res classResult, buf interface {
	Reader() io.Reader
	Size() int64
}) (decision, reason string) {
	att := s.pol.Attachments
	notKept := func(why string) (string, string) {
		if att.Default == "reject" {
			return DecisionReject, why
		}
		return DecisionStrip, why
	}
	name := strings.ToLower(l.part.Filename)
	// By its content too: a TNEF file under another name and type was
	// delivered (by a policy keeping attachments by default) as the
	// application/ms-tnef it sniffs as, which Outlook unpacks.
	if ph.mediaType == "application/ms-tnef" || ph.mediaType == "application/vnd.ms-tnef" || path.Base(strings.ReplaceAll(name, `\`, "/")) == "winmail.dat" ||
		strings.HasPrefix(strings.ToLower(res.SniffedType), "application/ms-tnef") {
		l.action = "tnef-removed"
		return DecisionStrip, "TNEF (winmail.dat) is never delivered"
	}
	if !res.Executable && slices.ContainsFunc(res.Findings, func(f string) bool { return strings.HasPrefix(f, bidiNameFinding) }) {
		// Classed as an executable for its disguise, not its content.
		return notKept(bidiNameReason)
	}
	if res.Executable || res.Class == "executable" {
		return notKept("executable or script")
	}
	if res.Encrypted || res.Class == "encrypted-archive" {
		if att.EncryptedArchives == "reject" {
			return DecisionReject, "encrypted archive attachment"
		}
		return DecisionStrip, "encrypted archive (contents cannot be inspected)"
	}
	if why := cryptoReason(ph, buf.Reader()); why != "" {
		return notKept(why)
	}
	if activeMarkup.is(ph.mediaType, res.SniffedType, ph.names) {
		return notKept("HTML or other active markup")
	}
	if mailFile.is(ph.mediaType, res.SniffedType, ph.names) {
		return notKept(mailFileReason)
	}
	if calendarOrContact.is(ph.mediaType, "", ph.names) {
		return notKept(calendarReason)
	}
	if why := blocksKeeping(res.Findings); why != "" {
		return notKept(why)
	}
	keep, limit, unfit := s.keepRule(l, ph, res)
	if keep {
		if res.textual() && hasEncodedBlock(buf.Reader()) {
			return notKept("text file carries an encoded file (uuencode, yEnc or BinHex)")
		}
		if m := s.memberNotKept(res.Members); m != "" {
			return notKept(memberNotKeptReason + " (" + shortName(m) + ")")
		}
		return DecisionKeep, "allowed by a keep rule"
	}
	switch att.Default {
	case "keep":
		if res.textual() && hasEncodedBlock(buf.Reader()) {
			return DecisionStrip, "text file carries an encoded file (uuencode, yEnc or BinHex)"
		}
		return DecisionKeep, "policy keeps attachments by default"
	case "reject":
		if limit > 0 {
			return DecisionReject, tooLargeReason + humanSize(limit) + ")"
		}
		if unfit != "" {
			return DecisionReject, unfit
		}
		return DecisionReject, "attachment type not allowed"
	}
	if unfit != "" {
		// A rule allows its name and its content, not the two together.
		return DecisionStrip, unfit
	}
	if limit > 0 {
		// Its type is allowed, its size is not: say so, not "type".
		return DecisionStrip, tooLargeReason + humanSize(limit) + ")"
	}
	if s.pol.Lockdown {
		return DecisionStrip, lockdownReason
	}
	return DecisionStrip, "not allowed by the policy"
}

// lockdownReason is why a file is removed under the gateway's emergency
// mode, which strips every attachment whatever the policy keeps.
const lockdownReason = "every attachment is removed during the gateway's emergency lockdown"

// tooLargeReason starts the reason of a file a keep rule allows but for
// its size; the rule's limit and ")" follow.
const tooLargeReason = "larger than a keep rule allows ("

// fileKind is a kind of file told by its media types and extensions.
type fileKind struct{ types, exts []string }

// is reports whether a file is of the kind by its declared or sniffed
// type (parameters aside; "" for none) or the extension of any of its
// names.
func (k fileKind) is(declared, sniffed string, names []string) bool {
	for _, t := range []string{declared, sniffed} {
		if t != "" && slices.Contains(k.types, strings.ToLower(strings.TrimSpace(strings.SplitN(t, ";", 2)[0]))) {
			return true
		}
	}
	for _, n := range names {
		if slices.Contains(k.exts, extension(cleanFilename(n))) {
			return true
		}
	}
	return false
}

// activeMarkup is HTML or another format a client renders with scripts
// (XHTML, SVG, HTA, MHTML), by its declared type, its content or any of
// its names: such a file is never delivered, whatever the policy, since
// the output must hold no HTML (invariant 1).
var activeMarkup = fileKind{
	types: []string{"text/html", "application/xhtml+xml", "image/svg+xml", "application/hta", "message/rfc822", "multipart/related", "application/x-mimearchive", "text/xml", "application/xml", "text/javascript", "application/javascript"},
	exts:  []string{".htm", ".html", ".xhtml", ".xht", ".shtml", ".svg", ".svgz", ".hta", ".mht", ".mhtml", ".xml", ".xsl", ".js"},
}

// mailFile is a mail message saved as a file, by its declared or sniffed
// type or any of its names: an .eml (or Apple Mail's .emlx, Outlook
// Express's .nws, an mbox), an Outlook item or template (.msg, .oft), an
// S/MIME message (.p7m). The mail client opens it as the message it is,
// its HTML rendered and its attachments offered, none of which the
// sanitiser looked into (a forwarded message/rfc822 is rebuilt; this is a
// file). It is never kept, whatever the policy; named .txt, the same
// bytes open as text.
var mailFile = fileKind{
	types: []string{"application/vnd.ms-outlook", "application/pkcs7-mime", "application/x-pkcs7-mime", "application/mbox"},
	exts:  []string{".eml", ".emlx", ".msg", ".oft", ".nws", ".mbox", ".mbx", ".p7m"},
}

// calendarOrContact is an iCalendar, vCalendar or vCard file, by its
// declared type or any of its names (not by content: see below). Such a
// file is text, but the program that opens it (Outlook, a phone's
// contacts) joins folded lines (RFC 5545 3.1, RFC 6350 3.2) and decodes
// quoted-printable and base64 values and inline ATTACH and PHOTO data: a
// URL folded across two lines, or an executable in an ATTACH property, is
// nothing the link rewriter, which reads the file line by line as
// written, can see. It is never kept, like SYLK; opened as text (a .txt
// name, the sniffed text/plain type of the rebuilt part) the same bytes
// are harmless.
var calendarOrContact = fileKind{
	types: []string{"text/calendar", "text/x-vcalendar", "application/ics", "text/vcard", "text/x-vcard", "text/directory"},
	exts:  []string{".ics", ".ical", ".icalendar", ".ifb", ".vcs", ".vcf", ".vcard"},
}

// blocksKeeping says why classifier findings forbid delivering a file
// whatever the keep rules say: active content (macros, PDF JavaScript,
// launch actions, embedded files and objects), contents that could not be
// fully inspected (limits, corruption, encryption) and disguise (names
// that differ inside a ZIP, an archive glued to an image, bidi controls).
// Only a nested archive that was inspected is harmless in itself.
func blocksKeeping(findings []string) string {
	// What the file holds is said before what could not be read of it:
	// a workbook with macros is "with macros" even when part of it was
	// unreadable too.
	why, rank := "", 3
	for _, f := range findings {
		r, k := keepBlocker(f)
		if r != "" && k < rank {
			why, rank = r, k
		}
	}
	return why
}

// keepBlocker is the reason one finding forbids keeping a file, and its
// rank: 0 active content, 1 encryption, 2 what could not be inspected or
// is unknown.
func keepBlocker(f string) (string, int) {
	lf := strings.ToLower(f)
	switch {
	case strings.HasPrefix(lf, "zip: nested archive"):
		return "", 0
	case strings.HasPrefix(f, filetype.FormulaEntry):
		return formulaEntryReason, 0
	case strings.HasPrefix(f, filetype.SYLKFile):
		return sylkReason, 0
	case strings.HasPrefix(f, filetype.ODFLinked), strings.HasPrefix(f, filetype.OOXMLPictureLinked):
		// Before macros: the detail names an element, never the
		// sender's text, but a part's name could say "macro".
		return linkedContentReason, 0
	case strings.HasPrefix(lf, "archive: entry named unlike its content"):
		return misnamedEntryReason, 0
	case strings.HasPrefix(f, filetype.MessageEntry):
		return messageEntryReason, 0
	case strings.HasPrefix(f, filetype.EscapingEntry):
		return escapingEntryReason, 0
	case strings.HasPrefix(f, filetype.LinkEntry):
		return linkEntryReason, 0
	case strings.HasPrefix(f, filetype.RunningFormula):
		return runningFormulaReason, 0
	case strings.HasPrefix(f, filetype.OOXMLTypesNotInspected), strings.HasPrefix(f, filetype.OOXMLNoMainPart):
		// Before macros: the detail quotes a part's name and type,
		// which may say "macro" (a binary workbook's main part).
		return "document could not be fully inspected", 2
	case strings.HasPrefix(f, filetype.MacroFinding), strings.HasPrefix(f, filetype.ODFMacro), strings.HasPrefix(f, filetype.OOXMLPictureScript):
		// By its kind: a finding naming a part or a member may say
		// "macro" too (word/macros.xml).
		return "office document with macros", 0
	case strings.Contains(lf, "active content entry"):
		return "archive holds HTML or SVG, which runs scripts when opened", 0
	case strings.HasPrefix(lf, "pdf:") && (strings.Contains(lf, "not inspected") || strings.Contains(lf, "not fully inspected")):
		return "document could not be fully inspected", 2
	case strings.HasPrefix(lf, "office:") && strings.Contains(lf, "not inspected"):
		return "document could not be fully inspected", 2
	case strings.HasPrefix(lf, pdfLinkTo), strings.HasPrefix(lf, officeLinkTo):
		// What was refused, as the classifier names it from a closed
		// set ("a file (file:)", "a program (ms-word:)"); the path of
		// a PDF in an archive (or of an Office document's part) after
		// it is left out. An Office hyperlink is refused as a PDF's.
		what := f[strings.Index(lf, "link to ")+len("link to "):]
		if i := strings.IndexByte(what, ')'); i >= 0 {
			what = what[:i+1]
		}
		return linksReason + what, 0
	case strings.HasPrefix(lf, pdfOpensFile):
		what := f[len(pdfOpensFile):]
		if i := strings.IndexByte(what, ')'); i >= 0 {
			what = what[:i+1]
		}
		return opensFileReason + what, 0
	case pdfOpensFileAction(lf) != "":
		return opensFileReason + pdfOpensFileAction(lf) + ")", 0
	case strings.HasPrefix(lf, "pdf:") && !strings.Contains(lf, "encrypted"), strings.Contains(lf, "embedded"), strings.Contains(lf, "external reference"):
		return "document with active or embedded content", 0
	case strings.Contains(lf, "encrypted"):
		return "encrypted content cannot be inspected", 1
	case strings.Contains(lf, "exceeded"), strings.Contains(lf, "too many"), strings.Contains(lf, "too deep"),
		strings.Contains(lf, "too large"), strings.Contains(lf, "not inspected"), strings.Contains(lf, "not fully"),
		strings.Contains(lf, "corrupt"), strings.Contains(lf, "unsupported"):
		return "archive could not be fully inspected", 2
	default:
		return "content needs inspection (" + strings.SplitN(lf, ":", 2)[0] + ")", 2
	}
}

// keepRule reports whether some keep rule allows the attachment: its
// extension (under every filename reading) and its sniffed type are both
// listed, the extension is one the content goes by (a rule listing .pdf
// and .xlsx does not keep a workbook named .pdf, which the PDF reader
// would open), and it is not too big. If rules allow its kind but not
// its size, limit is the largest of their sizes; if they allow its name
// and its content but not the two together, unfit says so.
func (s *sanitizer) keepRule(l *leaf, ph *partHeader, res classResult) (keep bool, limit int64, unfit string) {
	names := ph.names
	if len(names) == 0 {
		names = []string{""}
	}
	sniffed := strings.ToLower(strings.TrimSpace(strings.SplitN(res.SniffedType, ";", 2)[0]))
	misnamed := ""
	for _, n := range names {
		if ext := extension(cleanFilename(n)); !nameFits(ext, sniffed) {
			misnamed = ext
		}
	}
	for _, rule := range s.pol.Attachments.Keep {
		if len(rule.Types) > 0 && !containsFold(rule.Types, sniffed) {
			continue
		}
		if len(rule.Types) == 0 && (sniffed == "" || sniffed == "application/octet-stream") {
			// A rule naming no type keeps what mugai could tell the
			// type of: content it cannot identify fits every name
			// (NameFits), and 3000 random bytes named data.txt were
			// kept by "extensions: [.txt]". A rule that means to keep
			// such files lists application/octet-stream.
			continue
		}
		ok := true
		for _, n := range names {
			// Exactly, as every other check reads the name: Unicode
			// folding took "data.cſv" for the .csv that the formula
			// check did not.
			if len(rule.Extensions) > 0 && !slices.Contains(normExts(rule.Extensions), extension(cleanFilename(n))) {
				ok = false
			}
		}
		switch {
		case !ok:
		case misnamed != "":
			unfit = unfitReason + misnamed + ") does not match its content (" + sniffed + ")"
		case rule.MaxSize > 0 && l.part.Size > int64(rule.MaxSize):
			limit = max(limit, int64(rule.MaxSize))
		default:
			return true, 0, ""
		}
	}
	return false, limit, unfit
}

// memberNotKeptReason starts the reason of an archive a keep rule
// allows that holds a file none allows; the file's path follows.
const memberNotKeptReason = "archive holds a file the policy does not keep"

// memberNotKept returns the path of the first archive member that no
// keep rule allows by its name and its content, as if attached on its
// own (sizes aside: the archive's rule bounds them all), or "". A
// policy that keeps ZIPs and strips workbooks delivered the workbooks
// of a ZIP (the admin review): what a reader unpacks from a kept
// archive is what the policy would have given that reader directly.
func (s *sanitizer) memberNotKept(members []archiveMember) string {
	for _, m := range members {
		kept := false
		for _, rule := range s.pol.Attachments.Keep {
			if memberKept(rule.Extensions, rule.Types, m) {
				kept = true
				break
			}
		}
		if !kept {
			return m.Path
		}
	}
	return ""
}

// memberKept reports whether a keep rule of those extensions and types
// keeps the archive member m: as keepRule, its extension under every
// reading of its name and the type its content was read as (an empty
// file has none to compare).
func memberKept(extensions, types []string, m archiveMember) bool {
	t := strings.ToLower(m.Type)
	switch {
	case t == "":
	case len(types) > 0 && !containsFold(types, t):
		return false
	case len(types) == 0 && t == "application/octet-stream":
		return false
	}
	if len(extensions) == 0 {
		return true
	}
	exts := normExts(extensions)
	if len(m.Exts) == 0 {
		return false
	}
	for _, e := range m.Exts {
		if !slices.Contains(exts, filetype.FoldExtension("."+e)) {
			return false
		}
	}
	return true
}

// pdfLinkTo starts the classifier's finding for a PDF link it refuses;
// linksReason starts the part's reason then, what was refused after it.
const (
	pdfLinkTo    = "pdf: link to "
	officeLinkTo = "office: link to "
	linksReason  = "document links to "
)

// pdfOpensFile starts the classifier's finding for what makes a PDF
// reader read another file (external stream data, a reference XObject);
// opensFileReason starts the part's reason then, what was found after
// it, as for the actions below.
const (
	pdfOpensFile    = "pdf: opens another file ("
	opensFileReason = "document opens another file ("
)

// pdfOpensFileAction names the action of a finding (lower case) that
// opens or plays another file, or "".
func pdfOpensFileAction(lf string) string {
	for _, a := range []string{"remote go-to action", "import data action", "thread action", "movie or sound"} {
		if strings.HasPrefix(lf, "pdf: "+a) {
			return a
		}
	}
	return ""
}

// misnamedEntryReason is the reason of an archive holding a file whose
// name is not one its content goes by (as unfitReason for a file).
const misnamedEntryReason = "archive holds a file whose name does not match its content"

// escapingEntryReason is the reason of an archive holding a member that
// an extractor would write outside the folder it extracts to.
const escapingEntryReason = "archive holds a file that would be written outside its folder (an absolute path or ..)"

// linkEntryReason is the reason of an archive holding a symbolic or hard
// link: an extractor writes through it wherever the sender pointed it.
const linkEntryReason = "archive holds a link (symbolic or hard), through which an extractor may write outside its folder"

// runningFormulaReason is the reason of a workbook with a formula that
// runs another program or fetches from elsewhere when Excel evaluates
// it (filetype.RunningFormula).
const runningFormulaReason = "workbook with formulas that run programs or fetch from elsewhere (DDE, WEBSERVICE, other workbooks)"

// linkedContentReason is the reason of an OpenDocument file that loads
// content from outside itself (filetype.ODFLinked): a picture from a
// share hands over the user's NTLM hash as it opens.
const linkedContentReason = "document loads content from outside itself (a file, a share, the web, a database or another program) when opened or recalculated"

// messageEntryReason is the reason of an archive holding a mail message,
// TNEF, calendar or contact file, none of which is delivered attached.
const messageEntryReason = "archive holds a mail, calendar or contact file, whose contents are not inspected"

// sylkReason is the reason of a SYLK file, which a keep rule cannot
// keep: no rewriting makes its formulas text.
const sylkReason = "spreadsheet data that runs formulas and macros (SYLK)"

// mailFileReason is the reason of a mail message saved as a file, which
// a keep rule cannot keep (mailFile).
const mailFileReason = "mail message file: opened, it shows its own HTML and attachments, none of them sanitised"

// The reasons of the parts of a signed or encrypted message (S/MIME, RFC
// 8551; OpenPGP, RFC 3156). The reader is told what the part was: an
// encrypted message is not "an attachment of a type the policy does not
// allow" but the whole message, unreadable here; a signature cannot sign
// the rebuilt message and was not checked.
const (
	encryptedMailReason = "S/MIME or OpenPGP encrypted message: its content cannot be inspected"
	opaqueSignedReason  = "S/MIME signed message in one opaque part: its content is not unpacked"
	smimeReason         = "S/MIME message (signed or encrypted): its content is not unpacked"
	signatureReason     = "digital signature: not verified, and no signature of the rebuilt message"
	pgpControlReason    = "OpenPGP encrypted message's version part"
)

// cryptoReason says why a part of a signed or encrypted message is not
// delivered, by its declared type, names and first bytes; "" for any
// other part. An executable under these names is one all the same: the
// caller asks after the executable check.
func cryptoReason(ph *partHeader, content io.Reader) string {
	switch ph.mediaType {
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		switch strings.ToLower(strings.TrimSpace(ph.params["smime-type"])) {
		case "enveloped-data", "authenveloped-data":
			return encryptedMailReason
		case "signed-data":
			return opaqueSignedReason
		}
		return smimeReason
	case "application/pgp-encrypted":
		return pgpControlReason
	case "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature":
		return signatureReason
	}
	var head [32]byte
	n, _ := io.ReadFull(content, head[:])
	switch {
	case bytes.HasPrefix(head[:n], []byte("-----BEGIN PGP MESSAGE-----")):
		return encryptedMailReason
	case bytes.HasPrefix(head[:n], []byte("-----BEGIN PGP SIGNATURE-----")):
		return signatureReason
	}
	for _, name := range ph.names {
		switch strings.ToLower(path.Ext(name)) {
		case ".p7s":
			return signatureReason
		case ".p7m":
			return smimeReason
		}
	}
	return ""
}

// bidiNameReason is the reason of a file whose name holds a bidirectional
// control (請求書\u202Efdp.exe shows as 請求書exe.pdf): never kept, as the
// executable its name may hide.
const bidiNameReason = "file name with a bidirectional control character, which can disguise its extension"

// bidiNameFinding starts the classifier's finding for such a name.
const bidiNameFinding = "filename: bidi control"

// calendarReason is the reason of a calendar or contact file, which a
// keep rule cannot keep (calendarOrContact).
const calendarReason = "calendar or contact file: the program that opens it unfolds and decodes what line-by-line checking does not see"

// formulaEntryReason is the reason of an archive holding a CSV or TSV
// with fields a spreadsheet would run as formulas, which an attached one
// would have made text, or a SYLK file, which holds formulas.
const formulaEntryReason = "archive holds spreadsheet data (CSV, TSV, SYLK) with fields a spreadsheet would run as formulas"

// unfitReason starts the reason of a file whose name and content a keep
// rule allows, but not the two together.
const unfitReason = "its name ("

func normExts(l []string) []string {
	out := make([]string, len(l))
	for i, e := range l {
		e = filetype.FoldExtension(strings.TrimSpace(e))
		if e != "" && !strings.HasPrefix(e, ".") {
			e = "." + e
		}
		out[i] = e
	}
	return out
}

// extension is the lowercased last extension with its dot ("" if none),
// ſ and ı folded as Windows may read them (filetype.FoldExtension).
func extension(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	return filetype.FoldExtension(name[i:])
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

// indexFold is the offset of the first lower (ASCII, in lower case) in
// s, in any ASCII case, or -1. An offset in strings.ToLower(s) is none in
// s: it changes the length of invalid UTF-8 and of letters such as İ.
func indexFold(s, lower string) int {
	for i := 0; i+len(lower) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(lower)], lower) {
			return i
		}
	}
	return -1
}

// hasEncodedBlock reports whether text carries a uuencode, yEnc or BinHex
// block: such a text file is an executable in disguise as often as not.
// A "begin" line the sink took for text counts too when a mail client
// would start a file at it ("begin 644 …", not "begin 10 minutes"): a
// kept file is delivered as it is, and the client takes what follows
// such a line for a file however little it looks like one.
func hasEncodedBlock(r io.Reader) bool {
	sink := newTextSink(io.Discard, "keep")
	io.Copy(sink, r)
	sink.Close()
	return len(sink.blocks) > 0 || sink.begins > 0
}

// metaCharset finds the charset an HTML document declares for itself: a
// byte order mark, or a <meta charset> / <meta http-equiv=Content-Type>
// in the first 1024 bytes. "" when it declares none.
func metaCharset(head []byte) string {
	if len(head) > 1024 {
		head = head[:1024]
	}
	if _, name, certain := htmlcharset.DetermineEncoding(head, ""); certain {
		return name
	}
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ""
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if string(name) != "meta" || !hasAttr {
			continue
		}
		var cs, content string
		equiv := false
		for {
			k, v, more := z.TagAttr()
			switch strings.ToLower(string(k)) {
			case "charset":
				cs = string(v)
			case "http-equiv":
				equiv = strings.EqualFold(string(v), "content-type")
			case "content":
				content = string(v)
			}
			if !more {
				break
			}
		}
		if cs == "" && equiv {
			if i := indexFold(content, "charset="); i >= 0 {
				cs = strings.Trim(content[i+len("charset="):], `"' ;`)
				if j := strings.IndexAny(cs, " ;\"'"); j >= 0 {
					cs = cs[:j]
				}
			}
		}
		if cs = strings.TrimSpace(cs); cs != "" {
			if _, canon := htmlcharset.Lookup(cs); canon != "" {
				return canon
			}
			return cs
		}
	}
}
