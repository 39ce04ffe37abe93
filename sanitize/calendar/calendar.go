package calendar

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"mugai/sanitize/textenc"
)

// Bounds of Read. A calendar past them is summarised as far as it was
// read, and Truncated or MoreEvents says so.
const (
	MaxInput     = 256 << 10 // octets of input read; the rest is not
	MaxLine      = 16 << 10  // octets of one unfolded content line kept; the rest is dropped
	MaxEvents    = 20        // events read; those after are counted
	MaxText      = 200       // characters of a text value kept (SUMMARY, LOCATION, a name)
	maxDepth     = 16        // components nested: deeper ones are skipped whole
	maxAttendees = 5         // attendees kept per event; the others are counted
)

// Calendar is what Read found in an iCalendar object (or several in one
// stream: their events in order, the first METHOD).
type Calendar struct {
	// Method is the METHOD property, upper case (REQUEST, CANCEL, REPLY,
	// PUBLISH, ...); "" when there is none or it is not a token.
	Method string
	Events []Event
	// MoreEvents counts the events after the first MaxEvents, not read.
	MoreEvents int
	// Truncated says that input past MaxInput, or the part of a content
	// line past MaxLine, was not read.
	Truncated bool
	// Invalid counts the byte sequences not valid in the charset, each
	// replaced by U+FFFD.
	Invalid int
	// Mislabeled says that lines the declared charset did not fit were
	// read as UTF-8 (valid as such, the charset of iCalendar) or
	// ISO-2022-JP (with its escape sequences).
	Mislabeled bool
}

// Event is one VEVENT. Text values are unescaped and on one line: line
// breaks, tabs and other control characters are spaces, runs of spaces
// one, and they are at most MaxText characters (a longer one ends in
// "…").
type Event struct {
	Summary  string
	Location string
	// Start is DTSTART; End is DTEND, or DTSTART plus DURATION, or for
	// a date without either the next day (RFC 5545 3.6.1).
	Start, End DateTime
	Organizer  Address
	Status     string // STATUS, upper case: TENTATIVE, CONFIRMED, CANCELLED; "" for none
	Recurring  bool   // an RRULE or RDATE: the event repeats
	Occurrence bool   // a RECURRENCE-ID: this is one occurrence of a repeating event
	// Attendees are the first few ATTENDEEs with their PARTSTAT (a
	// REPLY's answer); MoreAttendees counts the rest.
	Attendees     []Attendee
	MoreAttendees int
}

// Address is a calendar user: an ORGANIZER or an ATTENDEE.
type Address struct {
	Name string // the CN parameter
	// Addr is the address of a mailto: URI, or another URI as written.
	Addr string
}

// Attendee is an ATTENDEE and its participation status.
type Attendee struct {
	Address
	PartStat string // upper case: ACCEPTED, DECLINED, TENTATIVE, ...; "" for none
}

// Kind is the form of a DateTime.
type Kind uint8

const (
	None     Kind = iota // no value
	Invalid              // a value that is no date or date-time (Raw holds it)
	Date                 // a date: all day
	Floating             // a date and time without a zone, the same wherever it is read
	UTC                  // a date and time in UTC ("Z")
	Zoned                // a date and time in the zone its TZID names
)

// DateTime is a DATE or DATE-TIME value.
type DateTime struct {
	Kind Kind
	// Time is, for Date, Floating and Zoned, the date and time as
	// written, in time.UTC (a wall clock, not an instant: the zone is
	// not resolved); for UTC the instant.
	Time time.Time
	TZID string // Zoned: the TZID parameter as written
	Raw  string // Invalid: the value as written
}

// Read reads an iCalendar object from r, whose MIME part declared
// charset ("" for none). Content never makes it fail, however malformed:
// what does not parse is skipped. The error is r's.
func Read(r io.Reader, charset string) (*Calendar, error) {
	p := &parser{cal: &Calendar{}}
	p.lim = io.LimitedReader{R: r, N: MaxInput}
	p.br = bufio.NewReaderSize(&p.lim, 4096)
	p.setCharset(charset)
	if b, err := p.br.Peek(3); err == nil && string(b) == "\uFEFF" {
		p.br.Discard(3) // a byte order mark
	}
	for p.next() {
		if p.eofLine && p.lim.N == 0 {
			// Cut by MaxInput: a value cut short is worse than none.
			break
		}
		p.content(p.decode(p.line))
	}
	if p.err != nil {
		return p.cal, p.err
	}
	if p.lim.N == 0 {
		var one [1]byte
		n, err := io.ReadFull(r, one[:])
		if n > 0 {
			p.cal.Truncated = true
		} else if err != nil && err != io.EOF {
			return p.cal, err
		}
	}
	p.endEvent() // one left open by the end of the input
	for _, d := range p.decs {
		if d != nil {
			p.cal.Invalid += d.Invalid()
		}
	}
	return p.cal, nil
}

type parser struct {
	cal     *Calendar
	lim     io.LimitedReader
	br      *bufio.Reader
	err     error
	line    []byte // the content line being read, unfolded
	eofLine bool   // it ended at the end of the input, without a line end
	text    []byte // it decoded

	label bool                    // the declared charset is not UTF-8 (nor none, nor unknown)
	dec   *textenc.LineDecoder    // the declared charset's
	decs  [2]*textenc.LineDecoder // the declared charset's and ISO-2022-JP's: for the count of invalid sequences

	// stack holds the names of the open components, upper case; depth
	// counts them, those past maxDepth too.
	stack []string
	depth int
	ev    *Event // the VEVENT being read; nil outside one, or past MaxEvents
	// the VEVENT's DTEND and DURATION, resolved at its END
	end      DateTime
	duration string
}

func (p *parser) setCharset(label string) {
	c, ok := textenc.LookupCodec(label)
	if !ok || c.Name() == "utf-8" || c.Name() == "us-ascii" {
		c, _ = textenc.LookupCodec("utf-8")
	} else {
		p.label = true
	}
	p.dec = c.NewLineDecoder()
	p.decs[0] = p.dec
}

// next reads one content line, unfolded (RFC 5545 3.1: a line end
// followed by a space or a tab is removed with it, at the octet level, so
// that a character split by the fold is whole again), into p.line. It
// reports false at the end of the input.
func (p *parser) next() bool {
	p.line = p.line[:0]
	if !p.physical() {
		return false
	}
	for p.err == nil {
		b, err := p.br.Peek(1)
		if err != nil || b[0] != ' ' && b[0] != '\t' {
			break
		}
		p.br.Discard(1)
		p.physical()
	}
	return true
}

// physical appends one line of the input, without its line end, to
// p.line as far as MaxLine allows, and reports whether there was one.
// Every call reads at least one octet or meets the end of the input.
func (p *parser) physical() bool {
	start, read := len(p.line), false
	for {
		b, err := p.br.ReadSlice('\n')
		read = read || len(b) > 0
		if err == nil {
			b = b[:len(b)-1]
		}
		if room := MaxLine - len(p.line); len(b) > room {
			b = b[:room]
			p.cal.Truncated = true
		}
		p.line = append(p.line, b...)
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			if n := len(p.line); n > start && p.line[n-1] == '\r' {
				p.line = p.line[:n-1]
			}
			p.eofLine = false
		case io.EOF:
			p.eofLine = true
		default:
			p.err = err
		}
		return read
	}
}

// decode returns a content line as UTF-8. iCalendar is UTF-8 (RFC 5545
// 3.1.4), but a part may declare another charset: a line is read in it,
// unless its octets say otherwise. Non-ASCII octets that are valid UTF-8
// are UTF-8 (Shift_JIS or EUC-JP text almost never is), and a JIS
// escape sequence is ISO-2022-JP (UTF-8 text has no ESC), whatever the
// label. Lines are decoded one by one, each from the initial state.
func (p *parser) decode(b []byte) string {
	high, esc := false, false
	for _, c := range b {
		if c >= 0x80 {
			high = true
		} else if c == 0x1b {
			esc = true
		}
	}
	switch {
	case !high && !esc:
		return string(b)
	case high && utf8.Valid(b):
		if p.label {
			p.cal.Mislabeled = true
		}
		return string(b)
	case !p.label && esc && !high && jisEscape(b):
		p.cal.Mislabeled = true
		return string(p.decoder(1, "iso-2022-jp").Append(p.text[:0], b))
	}
	p.text = p.dec.Append(p.text[:0], b)
	return string(p.text)
}

// jisEscape reports an ISO-2022-JP escape to a two-byte set in b.
func jisEscape(b []byte) bool {
	return bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@"))
}

// decoder returns the i-th of p.decs, made for charset on first use.
func (p *parser) decoder(i int, charset string) *textenc.LineDecoder {
	if p.decs[i] == nil {
		c, _ := textenc.LookupCodec(charset)
		p.decs[i] = c.NewLineDecoder()
	}
	return p.decs[i]
}

// content takes one content line.
func (p *parser) content(line string) {
	name, params, value, ok := parseLine(line)
	if !ok {
		return
	}
	switch name {
	case "BEGIN":
		p.begin(strings.ToUpper(strings.TrimSpace(value)))
		return
	case "END":
		p.endComponent(strings.ToUpper(strings.TrimSpace(value)))
		return
	}
	if p.depth > len(p.stack) || len(p.stack) == 0 {
		return // inside a component past maxDepth, or outside any
	}
	switch p.path() {
	case "VCALENDAR":
		if name == "METHOD" && p.cal.Method == "" {
			if m := strings.ToUpper(strings.TrimSpace(value)); isToken(m) && len(m) <= 32 {
				p.cal.Method = m
			}
		}
	case "VCALENDAR/VEVENT":
		if p.ev != nil {
			p.property(name, params, value)
		}
	}
}

// path names where the parser is: "VCALENDAR", "VCALENDAR/VEVENT", ...
// Only the first two levels matter.
func (p *parser) path() string {
	switch len(p.stack) {
	case 1:
		return p.stack[0]
	case 2:
		return p.stack[0] + "/" + p.stack[1]
	}
	return ""
}

func (p *parser) begin(comp string) {
	p.depth++
	if p.depth > maxDepth || p.depth > len(p.stack)+1 {
		return
	}
	p.stack = append(p.stack, comp)
	if p.path() == "VCALENDAR/VEVENT" {
		if len(p.cal.Events) >= MaxEvents {
			p.cal.MoreEvents++
			return
		}
		p.ev = &Event{}
		p.end, p.duration = DateTime{}, ""
	}
}

// endComponent closes the innermost component. An END that names
// another component than the open one closes up to the one it names
// when that is open (a missing END inside it), and is ignored otherwise.
func (p *parser) endComponent(comp string) {
	if p.depth > len(p.stack) {
		p.depth-- // a component past maxDepth
		return
	}
	i := len(p.stack) - 1
	for i >= 0 && p.stack[i] != comp {
		i--
	}
	if i < 0 {
		return
	}
	if i <= 1 && len(p.stack) >= 2 && p.stack[0] == "VCALENDAR" && p.stack[1] == "VEVENT" {
		p.endEvent()
	}
	p.stack = p.stack[:i]
	p.depth = i
}

// endEvent finishes the VEVENT being read, if any.
func (p *parser) endEvent() {
	e := p.ev
	if e == nil {
		return
	}
	p.ev = nil
	switch {
	case p.end.Kind != None:
		e.End = p.end
	case p.duration != "" && e.Start.Kind >= Date:
		if days, secs, ok := parseDuration(p.duration); ok {
			if e.Start.Kind == Date {
				// A date's duration is days (RFC 5545 3.8.2.5).
				if days > 0 {
					e.End = e.Start
					e.End.Time = e.Start.Time.AddDate(0, 0, days)
				}
			} else {
				// Added to the time as written: for a zoned time,
				// nominal days, and hours as if the zone had no
				// change of offset in between.
				e.End = e.Start
				e.End.Time = e.Start.Time.AddDate(0, 0, days).Add(time.Duration(secs) * time.Second)
			}
		}
	case e.Start.Kind == Date:
		e.End = e.Start
		e.End.Time = e.Start.Time.AddDate(0, 0, 1)
	}
	if e.Summary == "" && e.Location == "" && e.Start.Kind == None && e.Organizer == (Address{}) {
		return // nothing to tell
	}
	p.cal.Events = append(p.cal.Events, *e)
}

// property takes a property of the VEVENT being read. The first of a
// property given twice counts.
func (p *parser) property(name string, params []param, value string) {
	e := p.ev
	switch name {
	case "SUMMARY":
		if e.Summary == "" {
			e.Summary = oneLine(unescapeText(value), MaxText)
		}
	case "LOCATION":
		if e.Location == "" {
			e.Location = oneLine(unescapeText(value), MaxText)
		}
	case "DTSTART":
		if e.Start.Kind == None {
			e.Start = parseDateTime(value, get(params, "TZID"))
		}
	case "DTEND":
		if p.end.Kind == None {
			p.end = parseDateTime(value, get(params, "TZID"))
		}
	case "DURATION":
		if p.duration == "" {
			p.duration = strings.TrimSpace(value)
		}
	case "ORGANIZER":
		if e.Organizer == (Address{}) {
			e.Organizer = address(params, value)
		}
	case "ATTENDEE":
		if len(e.Attendees) >= maxAttendees {
			e.MoreAttendees++
			return
		}
		ps := strings.ToUpper(strings.TrimSpace(get(params, "PARTSTAT")))
		if !isToken(ps) || len(ps) > 32 {
			ps = ""
		}
		e.Attendees = append(e.Attendees, Attendee{Address: address(params, value), PartStat: ps})
	case "STATUS":
		if s := strings.ToUpper(strings.TrimSpace(value)); e.Status == "" && isToken(s) && len(s) <= 32 {
			e.Status = s
		}
	case "RRULE", "RDATE":
		e.Recurring = true
	case "RECURRENCE-ID":
		e.Occurrence = true
	}
}

// address reads a CAL-ADDRESS value with its CN parameter.
func address(params []param, value string) Address {
	v := strings.TrimSpace(value)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	return Address{Name: oneLine(get(params, "CN"), 100), Addr: oneLine(v, 254)}
}

// param is a parameter of a content line, with its first value.
type param struct{ name, value string }

func get(params []param, name string) string {
	for _, p := range params {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// keptParams are the parameters parseLine keeps.
var keptParams = map[string]bool{"TZID": true, "CN": true, "PARTSTAT": true, "VALUE": true}

// parseLine splits a content line (RFC 5545 3.1):
//
//	name *(";" param) ":" value
//	param = param-name "=" param-value *("," param-value)
//	param-value = paramtext / DQUOTE *QSAFE-CHAR DQUOTE
//
// A quoted value may hold ";", ":" and ",". The name is upper-cased; of
// the parameters only those in keptParams are returned, with their first
// value, RFC 6868's caret escapes decoded. ok is false for a line that is
// not of this form.
func parseLine(s string) (name string, params []param, value string, ok bool) {
	i := nameEnd(s, 0)
	if i == 0 || i >= len(s) {
		return "", nil, "", false
	}
	name = strings.ToUpper(s[:i])
	for s[i] == ';' {
		j := nameEnd(s, i+1)
		if j == i+1 || j >= len(s) || s[j] != '=' {
			return "", nil, "", false
		}
		pname := strings.ToUpper(s[i+1 : j])
		i = j + 1
		first := true
		for {
			var v string
			if i < len(s) && s[i] == '"' {
				k := strings.IndexByte(s[i+1:], '"')
				if k < 0 {
					return "", nil, "", false
				}
				v, i = s[i+1:i+1+k], i+1+k+1
			} else {
				k := i
				for k < len(s) && s[k] != ';' && s[k] != ':' && s[k] != ',' {
					k++
				}
				v, i = s[i:k], k
			}
			if first && keptParams[pname] && get(params, pname) == "" {
				params = append(params, param{pname, caretDecode(v)})
			}
			first = false
			if i < len(s) && s[i] == ',' {
				i++
				continue
			}
			break
		}
		if i >= len(s) {
			return "", nil, "", false
		}
		if s[i] != ';' && s[i] != ':' {
			return "", nil, "", false
		}
	}
	if s[i] != ':' {
		return "", nil, "", false
	}
	return name, params, s[i+1:], true
}

// nameEnd returns the end of the name (ALPHA, DIGIT, "-") at s[i:].
func nameEnd(s string, i int) int {
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '-') {
		i++
	}
	return i
}

// isToken reports a non-empty name of ALPHA, DIGIT and "-".
func isToken(s string) bool {
	return s != "" && nameEnd(s, 0) == len(s)
}

// caretDecode decodes RFC 6868's escapes in a parameter value: ^n a line
// break, ^' a double quote, ^^ a caret; any other caret stays.
func caretDecode(v string) string {
	if !strings.Contains(v, "^") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '^' && i+1 < len(v) {
			switch v[i+1] {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			case '^':
				b.WriteByte('^')
				i++
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// unescapeText decodes a TEXT value's escapes (RFC 5545 3.3.11): \n and
// \N a line break, \\ \; \, the character. Any other backslash stays.
func unescapeText(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			switch c := v[i+1]; c {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '\\', ';', ',':
				b.WriteByte(c)
				i++
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// oneLine puts a value on one line: control characters (line breaks,
// tabs, C1) and the Unicode line and paragraph separators become
// spaces, runs of spaces one, the ends trimmed; then it is cut to at
// most max characters, the last of them "…".
func oneLine(v string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range v {
		if r <= ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029 {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if b.Len() > 4*max+4 {
			break // more than max characters already: enough to cut
		}
	}
	s := b.String()
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	i, n := 0, 0
	for i = range s {
		if n == max-1 {
			break
		}
		n++
	}
	return strings.TrimRight(s[:i], " ") + "…"
}
