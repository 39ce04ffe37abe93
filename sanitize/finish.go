package sanitize

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"mugai/sanitize/spill"
)

// finish chooses each message's body, settles every part's decision (the
// walk may have learnt of an ambiguity after a part was decoded), and
// fills in the report's verdict, actions and parts.
func (s *sanitizer) finish() {
	for _, m := range s.msgs {
		if m.slot == nil {
			continue
		}
		s.chooseBody(m.slot)
		for _, c := range m.slot.more {
			s.chooseBody(c)
		}
	}
	removed, kept := 0, 0
	var actions actionSet
	linksAction := s.linksAction()
	var cals []*leaf // calendar files whose events the body text shows
	for _, l := range s.leaves {
		p := &l.part
		switch {
		case len(l.ambig) > 0:
			p.Decision = DecisionStrip
			p.Reason = "ambiguous structure: " + strings.Join(dedupe(l.ambig), ", ")
			l.reject = ""
			if l.kind == leafText || l.kind == leafAttach {
				removed++
			}
			actions.add("ambiguous")
		case l.kind == leafText:
			// The first text shown is the body (without a chosen body,
			// its alternatives ambiguous, the first that continues it).
			if i := slices.Index(l.msg.slot.texts(), l); i >= 0 {
				p.Decision, p.Reason = DecisionBody, "body text"
				// Cut out like the listed ones: the count says so.
				removed += l.moreBlocks
				s.moreBlocks += l.moreBlocks
				if i > 0 {
					p.Reason = "body text, continued"
					actions.add("body-parts-joined")
				}
				if l.html {
					actions.add("html-to-text")
				}
				if l.stats.links > 0 {
					s.bodyLinks = true
					actions.add(linksAction)
				}
				if l.charsetRepaired {
					actions.add("charset-repaired")
				}
			} else {
				p.Decision, p.Reason = DecisionStrip, "alternative representation not chosen"
				l.alt = true
			}
		case l.kind == leafBlock:
			p.Decision, p.Reason = DecisionStrip, l.part.DeclaredType[len("text/x-"):]+" data cut out of the body text"
			if l.parent.part.Decision == DecisionBody {
				actions.add(l.action)
				removed++
			} else {
				l.alt = true
			}
		default: // attachment with its preliminary decision
			switch p.Decision {
			case DecisionKeep:
				kept++
				if l.textLinks > 0 {
					if s.pol.Body.Links == "remove" {
						actions.add("attachment-links-removed")
					} else {
						actions.add("attachment-links-defanged")
					}
				}
				if l.textFormulas > 0 {
					actions.add("formulas-neutralised")
				}
				if l.fileLinks > 0 {
					s.finding(p.Path, "pdf-links", plural(l.fileLinks, "link")+" left clickable")
				}
			default:
				removed++
				if l.action != "" {
					actions.add(l.action)
				}
			}
		}
		if l.cal != nil {
			s.calendarText(l, &actions, linksAction, &cals)
		}
		if p.Decision != DecisionKeep && l.att != nil {
			l.att.Close()
			l.att = nil
		}
		if p.Decision != DecisionBody && l.text != nil {
			l.text.Close()
			l.text = nil
		}
	}
	s.subjectRaw = s.root.Get("Subject")
	s.rep.Subject, s.subjectReread, s.subjectFindings = headerTextFindings(s.root, "Subject")
	// The Subject's links are neutralised like the body's: it is the line
	// a reader sees first, and a reply or forward carries it into a body.
	// The report keeps the original's, by which an administrator finds it.
	s.subjectOut = s.rep.Subject
	if mode := s.pol.Body.Links; mode != "keep" {
		if out, n := rewriteLinks(s.rep.Subject, mode); n > 0 {
			s.subjectOut, s.subjectLinks = out, true
			actions.add(linksAction)
		}
		// The quoted header lines of forwarded messages are body text.
		for _, m := range s.msgs[1:] {
			for _, v := range []string{m.from, m.date, m.subject} {
				if _, n := rewriteLinks(v, mode); n > 0 {
					s.bodyLinks = true
					actions.add(linksAction)
				}
			}
		}
	}
	if removed > 0 {
		actions.add("attachment-stripped")
	}
	if s.pol.Lockdown {
		// In X-Mugai-Sanitized and the audit trail: what was removed
		// was removed by the emergency mode, not by the policy named.
		actions.add(lockdownAction)
	}
	s.rep.Removed, s.rep.Kept = removed, kept
	for _, x := range s.rep.Actions {
		actions.add(x) // taken while the texts were read (bidi-removed): in their place in the order
	}
	s.rep.Actions = actions.list(s.rep.Actions[:0])
	for _, l := range s.leaves {
		s.rep.Parts = append(s.rep.Parts, l.part)
	}
	s.fromRaw = s.root.Get("From")
	s.rep.From, _, s.fromFindings = headerTextFindings(s.root, "From")
	s.rep.MessageID = strings.TrimSpace(cleanString(s.root.Get("Message-Id")))

	// Verdict.
	if s.ambig && s.pol.Ambiguous == "reject" {
		s.reject("ambiguous MIME structure")
		return
	}
	for _, l := range s.leaves {
		if l.reject != "" && l.part.Decision == DecisionReject {
			s.reject(l.reject)
			return
		}
	}
}

// calendarText settles a calendar file whose events were read
// (summariseCalendar): removed for being a calendar, and not ambiguous,
// its events are written in the body text, and its reason says so;
// otherwise they are not. Of calendars with the same events in one
// message (Google sends the invitation as an alternative and again as
// invite.ics) the first is written: the reason of the others is as true.
func (s *sanitizer) calendarText(l *leaf, actions *actionSet, linksAction string, cals *[]*leaf) {
	p := &l.part
	if p.Decision != DecisionStrip || len(l.ambig) > 0 || p.Reason != calendarReason {
		l.cal, l.calFindings = nil, nil
		return
	}
	p.Reason = calendarSummaryReason
	actions.add("calendar-summarised")
	l.calShown = !slices.ContainsFunc(*cals, func(o *leaf) bool { return o.msg == l.msg && bytes.Equal(o.cal, l.cal) })
	if l.calShown {
		*cals = append(*cals, l)
		if l.calStats.links > 0 {
			s.bodyLinks = true
			actions.add(linksAction)
		}
	}
	for _, f := range l.calFindings {
		s.finding(f.Path, f.Kind, f.Detail)
	}
	l.calFindings = nil
}

func (s *sanitizer) reject(reason string) {
	s.rep.Verdict = Rejected
	s.rep.Reason = reason
	// Nothing is delivered, so nothing was done to it: an action such as
	// attachment-stripped beside a part's reject misleads the reader.
	s.rep.Actions = s.rep.Actions[:0]
}

// chooseBody picks the text of a message: its one text part, or for a
// multipart/alternative the preferred representation unless that one is
// empty (an empty text/plain beside real HTML is a common trick and a
// common mistake). Of several of the preferred kind, the last is the
// best (RFC 2046 5.1.4) and the one mail clients show: it is tried
// first. Ambiguous candidates are never chosen.
func (s *sanitizer) chooseBody(slot *bodySlot) {
	var plain, html []*leaf
	for _, c := range slot.cands {
		if len(c.ambig) > 0 {
			continue
		}
		if c.html {
			html = append(html, c)
		} else {
			plain = append(plain, c)
		}
	}
	first, second := plain, html
	if s.pol.Body.Prefer == "html" {
		first, second = html, plain
	}
	// Render in order of preference and stop at the first with visible
	// text: the others are never converted.
	for _, group := range [][]*leaf{first, second} {
		for _, c := range slices.Backward(group) {
			if !c.rendered {
				s.renderText(c)
			}
			if c.stats.visible && !c.html {
				// Before its findings and cut-out files are reported:
				// a placeholder is not the body.
				if h := s.fullerHTML(c, html); h != nil {
					c = h
				}
			}
			s.render(c)
			if c.stats.visible {
				s.choose(slot, c)
				return
			}
		}
	}
	for _, group := range [][]*leaf{first, second} {
		if len(group) > 0 {
			s.choose(slot, group[len(group)-1])
			return
		}
	}
}

// placeholderMax is the most text, in UTF-8 bytes, a plain alternative
// may have and still be a placeholder for its HTML ("このメールはHTML形式
// です。表示されない方は…"; "View this email in your browser").
const placeholderMax = 2048

// fullerHTML returns the HTML alternative to show in place of plain, a
// short plain text chosen by preference, when the plain text is a
// placeholder: the HTML has three times its words and 200 letters more.
// Mail clients show the HTML, and the sender's words are there; the
// reader would otherwise get a pointer to a web version and nothing
// else. A plain text that says what the HTML says is never that much
// shorter (the HTML's link addresses are not counted), so "prefer
// plain" holds for it. The comparison is made only for a short plain
// text: a longer one is no placeholder, and the walk did not keep its
// HTML alternative (see leafPart).
func (s *sanitizer) fullerHTML(plain *leaf, html []*leaf) *leaf {
	if plain.stats.bytes > placeholderMax || len(html) == 0 {
		return nil
	}
	pw := textWeight(plain.text, placeholderMax)
	for _, h := range slices.Backward(html) {
		if !h.rendered {
			s.renderText(h)
		}
		if !h.stats.visible {
			continue
		}
		if hw := textWeight(h.text, max(3*pw, pw+200)); hw >= 3*pw && hw >= pw+200 {
			s.finding(plain.part.Path, "plain-placeholder", "the plain text ("+itoa(pw)+" letters) is far shorter than the HTML alternative at "+h.part.Path+" (at least "+itoa(hw)+"): the HTML's text is the body")
			return h
		}
		return nil
	}
	return nil
}

// textWeight counts the letters and digits of a rendered text outside
// its links, up to enough of them: what there is to read, not the
// addresses an HTML conversion writes beside each link text. It reads
// 64 KiB at most.
func textWeight(t *spill.Buffer, enough int) int {
	if t == nil {
		return 0
	}
	r := bufio.NewReader(io.LimitReader(t.Reader(), 64<<10))
	n, word, wide := 0, 0, 0
	link := false          // the word holds "://" or "[.]"
	var p1, p2 rune = 0, 0 // the two runes before
	for n < enough {
		c, _, err := r.ReadRune()
		if err != nil || unicode.IsSpace(c) {
			// Of a word with a link in it, only the letters outside
			// ASCII: Japanese puts no space around an address
			// ("詳しくはhxxps://…をご覧ください"), and those words are
			// the reader's.
			if link {
				n += wide
			} else {
				n += word
			}
			if err != nil {
				break
			}
			word, wide, link, p1, p2 = 0, 0, false, 0, 0
			continue
		}
		if unicode.IsLetter(c) || unicode.IsNumber(c) {
			word++
			if c >= utf8.RuneSelf {
				wide++
			}
		}
		if p2 == ':' && p1 == '/' && c == '/' || p2 == '[' && p1 == '.' && c == ']' {
			link = true
		}
		p2, p1 = p1, c
	}
	return n
}

// choose makes c the slot's body text, with the other texts of its
// alternative that a client shows with it, in their order, when that
// alternative is a multipart/mixed or related (Apple Mail's HTML, photo,
// HTML): every text right in it, plain or HTML, and of a
// multipart/alternative nested in it the texts of c's kind, or of the
// other kind where it has none.
func (s *sanitizer) choose(slot *bodySlot, c *leaf) {
	slot.chosen = c
	if !slot.alt {
		return
	}
	member := func(o *leaf) bool { return o.member == c.member && len(o.ambig) == 0 }
	shows := func(o *leaf) bool {
		if o.group == slot.path || o.html == c.html {
			return true
		}
		// The other kind, in a nested alternative: shown only where
		// that alternative has nothing of c's kind.
		return !slices.ContainsFunc(slot.cands, func(x *leaf) bool { return member(x) && x.group == o.group && x.html == c.html })
	}
	n := 0
	for _, o := range slot.cands {
		if member(o) && shows(o) {
			n++
		}
	}
	if n < 2 {
		return
	}
	for _, o := range slot.cands {
		if member(o) && shows(o) {
			s.render(o)
			slot.shown = append(slot.shown, o)
		}
	}
}

// truncatedFinding closes the findings with one that counts those past
// the cap, once the last were met: the rebuild reports some too (the
// header's addresses, a From, Date or Message-ID written).
func (s *sanitizer) truncatedFinding() {
	if s.droppedFindings > 0 {
		s.rep.Findings = append(s.rep.Findings, Finding{Kind: "findings-truncated", Detail: itoa(s.droppedFindings) + " more findings not listed"})
	}
}

func dedupe(l []string) []string {
	var out []string
	for _, x := range l {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// actionOrder is the order of the actions in the report and in
// X-Mugai-Sanitized: stable and readable.
var actionOrder = [...]string{"html-to-text", "body-parts-joined", "charset-repaired", "characters-replaced", "links-defanged", "links-removed", "addresses-removed", "from-written", "bidi-removed",
	"attachment-stripped", "tnef-removed", "uuencode-removed", "yenc-removed", "binhex-removed", "calendar-summarised",
	"attachment-links-defanged", "attachment-links-removed", "formulas-neutralised", "ambiguous"}

// ActionKinds lists every action a report may hold, in report order:
// the metrics create a series for each at zero, so that a rate or an
// alert over one works before its first message.
func ActionKinds() []string {
	return append(actionOrder[:], lockdownAction)
}

// KnownAction reports whether a is one of ActionKinds.
func KnownAction(a string) bool {
	return a == lockdownAction || slices.Contains(actionOrder[:], a)
}

// lockdownAction marks a message sanitised during the emergency lockdown.
const lockdownAction = "lockdown"

// linksAction is the action of neutralising links anywhere in the text
// or the header.
func (s *sanitizer) linksAction() string {
	if s.pol.Body.Links == "remove" {
		return "links-removed"
	}
	return "links-defanged"
}

// addAction adds an action the header rebuild took to the report's.
func (s *sanitizer) addAction(name string) {
	if slices.Contains(s.rep.Actions, name) {
		return
	}
	var a actionSet
	for _, x := range s.rep.Actions {
		a.add(x)
	}
	a.add(name)
	s.rep.Actions = a.list(s.rep.Actions[:0])
}

// actionSet collects the actions taken, without duplicates.
type actionSet struct {
	known [len(actionOrder)]bool
	other []string // not in actionOrder: listed last, sorted
}

func (a *actionSet) add(name string) {
	for i, x := range actionOrder {
		if x == name {
			a.known[i] = true
			return
		}
	}
	if !slices.Contains(a.other, name) {
		a.other = append(a.other, name)
	}
}

// list appends the actions to dst in order.
func (a *actionSet) list(dst []string) []string {
	for i, ok := range a.known {
		if ok {
			dst = append(dst, actionOrder[i])
		}
	}
	slices.Sort(a.other)
	return append(dst, a.other...)
}
