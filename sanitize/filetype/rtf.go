package filetype

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// rtfScanner reports embedded OLE objects in an RTF document (the carrier
// of the Equation Editor and Follina-style exploits), an attached
// template, which Word fetches from where it names as it does a DOCX's
// external attachedTemplate (remote template injection), and hands each
// field's code to field: an RTF document has Word's fields too
// ({\field{\*\fldinst DDEAUTO ...}}, INCLUDEPICTURE from a share), and
// Word opens an RTF file saved as .doc. It reads the document as Word
// does, group by group, so that a code split over groups, escaped
// (\'49NCLUDEPICTURE, \u73?) or with formatting in it is read whole.
type rtfScanner struct {
	out              []string
	object, template bool
	// field is called with each field's code (the text of its \fldinst
	// destination, at most maxFieldCode bytes), also one the document
	// leaves open.
	field func(code string)

	pos     int64      // bytes of the document read so far
	bin     int64      // bytes of \binN data still to skip
	groups  []rtfGroup // the groups open, innermost last
	deep    int        // groups open past maxRTFDepth, not followed
	codes   [][]byte   // the field codes being read, innermost last
	unknown bool       // "fields not inspected" said
	word    [32]byte   // a control word's letters
	ucSkip  int        // characters still to skip after \uN
}

// rtfGroup is what a group of the document is, as its control words say.
type rtfGroup struct {
	star  bool // \* opened it: an optional destination
	skip  bool // a destination whose text is not a field's code
	instr bool // the \fldinst destination of codes[len-1]
	uc    int  // characters that stand in for each \uN (\ucN)
}

const (
	// maxRTFDepth bounds the groups followed. Word stops reading a
	// document nested deeper than a few hundred groups; a \fldinst past
	// the bound makes the document's fields not inspected.
	maxRTFDepth = 4096
	// maxFieldCode bounds the code read of one field: its keyword and
	// first argument are at the start.
	maxFieldCode = 2048
	// maxFieldNesting bounds the fields open in one another's codes
	// (Word nests IF, MERGEFIELD and the like a few deep); a field
	// deeper makes the document's fields not inspected.
	maxFieldNesting = 64
	// maxBin is the largest \binN followed: a larger N is past any
	// attachment, and a reader taking it as a 32-bit number (which
	// wraps) would read the rest of the document as text where this
	// one skips it.
	maxBin = 1 << 30
	// rtfTail is what a window but the last leaves to the next one, which
	// repeats it (scanOverlap): a control word and its number, cut by the
	// window's end, are read whole there.
	rtfTail = 256
)

func (s *rtfScanner) scan(b []byte, base int64, final bool) {
	if !s.object {
		for _, w := range []string{`\object`, `\objdata`, `\objupdate`, `\objemb`, `\objlink`} {
			if bytes.Contains(b, []byte(w)) {
				s.objectFound()
				break
			}
		}
	}
	if !s.template && bytes.Contains(b, []byte(`\template`)) {
		s.templateFound()
	}
	i := max(int(s.pos-base), 0)
	end := len(b)
	if !final {
		end = max(i, len(b)-rtfTail)
	}
	for i < end {
		if s.bin > 0 {
			n := min(s.bin, int64(len(b)-i))
			s.bin -= n
			i += int(n)
			continue
		}
		switch c := b[i]; c {
		case '{':
			s.standIn()
			s.open()
			i++
		case '}':
			s.close()
			i++
		case '\\':
			i = s.control(b, i)
		case '\r', '\n':
			i++ // not text in RTF
		default:
			if c < ' ' && c != '\t' {
				// A control byte: readers derived from RTF Tools
				// drop NUL, so a keyword with one ("DD\x00EAUTO") is
				// read without, whether Word drops it or not; as a
				// \uN's stand-in it is counted or not.
				s.standIn()
				i++
				continue
			}
			s.char(rune(c))
			i++
		}
	}
	s.pos = base + int64(i)
	if final {
		// A field the document leaves open is checked too: Word
		// repairs the document and may run it.
		for len(s.codes) > 0 {
			s.endCode()
		}
	}
}

func (s *rtfScanner) top() *rtfGroup {
	if len(s.groups) == 0 || s.deep > 0 {
		return nil
	}
	return &s.groups[len(s.groups)-1]
}

func (s *rtfScanner) open() {
	if len(s.groups) >= maxRTFDepth {
		s.deep++
		return
	}
	g := rtfGroup{uc: 1}
	if t := s.top(); t != nil {
		g.skip, g.uc = t.skip, t.uc
	}
	s.groups = append(s.groups, g)
}

func (s *rtfScanner) close() {
	switch {
	case s.deep > 0:
		s.deep--
	case len(s.groups) > 0:
		if s.groups[len(s.groups)-1].instr {
			s.endCode()
		}
		s.groups = s.groups[:len(s.groups)-1]
	}
	s.ucSkip = 0
}

// endCode hands the innermost field code to field.
func (s *rtfScanner) endCode() {
	if s.field != nil {
		s.field(string(s.codes[len(s.codes)-1]))
	}
	s.codes = s.codes[:len(s.codes)-1]
}

// control reads the control word or symbol at b[i] ("\") and returns the
// offset after it.
func (s *rtfScanner) control(b []byte, i int) int {
	if i+1 >= len(b) {
		return i + 1
	}
	c := b[i+1]
	switch {
	case c == '\'':
		if i+3 < len(b) && isHex(b[i+2]) && isHex(b[i+3]) {
			s.char(rune(unhex(b[i+2])<<4 | unhex(b[i+3])))
			return i + 4
		}
		return i + 2
	case c == '\\' || c == '{' || c == '}':
		s.char(rune(c))
		return i + 2
	case c == '~':
		s.char(' ')
		return i + 2
	case c == '_':
		s.char('-')
		return i + 2
	case c == '*':
		s.standIn()
		if t := s.top(); t != nil {
			t.star = true
		}
		return i + 2
	case c == '\r' || c == '\n':
		s.char(' ') // \par
		return i + 2
	case !('a' <= c|0x20 && c|0x20 <= 'z'):
		s.standIn()
		return i + 2 // \- \: \| and the like: no text of a code
	}
	j := i + 1
	n := 0
	upper := false
	for j < len(b) && 'a' <= b[j]|0x20 && b[j]|0x20 <= 'z' {
		upper = upper || b[j] < 'a'
		if n < len(s.word) {
			s.word[n] = b[j] | 0x20
			n++
		}
		j++
	}
	name := string(s.word[:n])
	neg := j < len(b) && b[j] == '-'
	if neg {
		j++
	}
	param, digits := int64(0), 0
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		if digits < 10 {
			param = param*10 + int64(b[j]-'0')
		}
		digits++
		j++
	}
	if neg {
		param = -param
	}
	if j-i > rtfTail {
		// Longer than a window leaves to the next: a window's end may
		// cut it, its rest then read as text ("0000DDEAUTO"). Word
		// writes none so long.
		s.notInspected()
	}
	s.lineBreakIn(b, j, name, digits > 0 || neg)
	if j < len(b) && b[j] == ' ' {
		j++ // the delimiter is part of the control word
	}
	s.standIn()
	if upper {
		switch name {
		case "bin", "u", "uc", "fldinst":
			// Control words are lower case (RTF 1.9.1): a reader
			// that looks them up as written, as Word's, LibreOffice's
			// and WINE's do, skips no data after \BIN1 and no
			// stand-in after \U68, which this one, folding case,
			// would skip.
			s.notInspected()
			return j
		}
	}
	s.word1(name, param, digits)
	return j
}

// word1 acts on the control word name with its parameter, of digits
// digits (the first ten read).
func (s *rtfScanner) word1(name string, param int64, digits int) {
	hasParam := digits > 0
	t := s.top()
	switch name {
	case "bin":
		switch {
		case !hasParam || param <= 0:
		case param > maxBin || digits > 10:
			s.notInspected()
		default:
			s.bin = param
		}
		return
	case "fldinst":
		if t == nil {
			if s.deep > 0 {
				s.notInspected()
			}
			return
		}
		if s.keywordOpen() {
			// A field inside another before the outer's keyword is
			// complete: the keyword may be the inner one's result.
			s.notInspected()
		}
		if len(s.codes) >= maxFieldNesting {
			s.notInspected()
			return
		}
		t.instr, t.skip, t.star = true, false, false
		s.codes = append(s.codes, nil)
		return
	case "uc":
		if t != nil && hasParam {
			t.uc = int(min(max(param, 0), 16))
		}
		return
	case "u":
		if hasParam {
			r := rune(param)
			if r < 0 {
				r += 0x10000
			}
			s.char(r)
			if t != nil {
				s.ucSkip = t.uc
			}
		}
		return
	case "par", "line", "tab", "cell", "row", "sect", "page":
		s.char(' ')
		return
	case "deleted":
		// A tracked deletion in a field's code: whether Word runs the
		// code as shown or as it reads once accepted is not known
		// here, and each hides a keyword or target from a reader of
		// the other (DDE{\deleted XXX}AUTO).
		if t != nil && !t.skip && len(s.codes) > 0 && (!hasParam || param != 0) {
			s.notInspected()
		}
		return
	}
	if rtfDestinations[name] && t != nil && !t.skip && s.keywordOpen() {
		// A destination whose text a reader may leave out of the
		// code, or put in it, before the keyword is whole: {\listtext
		// X}DDEAUTO reads "XDDEAUTO" here, DDEAUTO to a reader that
		// drops a list item's text.
		s.notInspected()
	}
	if t != nil && t.star {
		// An optional destination other than \fldinst ({\*\datafield
		// ...}): not a code's text.
		t.skip, t.star = true, false
	}
}

// keywordOpen reports a field's code being read whose keyword is not
// yet complete: no blank after its first text.
func (s *rtfScanner) keywordOpen() bool {
	n := len(s.codes)
	return n > 0 && !bytes.ContainsAny(bytes.TrimLeft(s.codes[n-1], " \t"), " \t")
}

// rtfDestinations are destinations (RTF 1.9.1) whose text is not the
// text around them: a list item's or a paragraph number's stand-in, the
// ANSI half of \upr, a field's result, a picture's or an object's data,
// a footnote, an index or contents entry, the document's tables.
var rtfDestinations = map[string]bool{
	"listtext": true, "pntext": true, "upr": true, "ud": true, "fldrslt": true, "pict": true, "nonshppict": true,
	"shppict": true, "shp": true, "object": true, "result": true, "footnote": true, "xe": true, "tc": true, "txe": true,
	"rxe": true, "fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "header": true, "footer": true,
	"annotation": true, "atnid": true, "atnauthor": true,
}

// char is a character of the document's text.
func (s *rtfScanner) char(r rune) {
	if s.ucSkip > 0 {
		s.ucSkip-- // a \uN's stand-in
		return
	}
	t := s.top()
	if len(s.codes) > 0 && s.deep > 0 {
		// Text of a code in groups past maxRTFDepth, not followed.
		s.notInspected()
	}
	if len(s.codes) == 0 || t == nil || t.skip {
		return
	}
	if c := &s.codes[len(s.codes)-1]; len(*c) < maxFieldCode {
		*c = utf8.AppendRune(*c, r)
	}
}

// lineBreakIn is called after a control word, name, ending at b[j]: a
// line break there followed by what would continue it (\fld CR LF inst,
// \b CR LF in1) makes a field's code, or a word this reader acts on,
// uncertain. This reader ends the word at the break and reads the rest
// as text; one that drops CR and LF wherever they are, as RTF Tools'
// derivatives do, reads one word.
func (s *rtfScanner) lineBreakIn(b []byte, j int, name string, number bool) {
	k := j
	for k < len(b) && (b[k] == '\r' || b[k] == '\n') {
		k++
	}
	if k == j || k == len(b) {
		return
	}
	c := b[k]
	letter := 'a' <= c|0x20 && c|0x20 <= 'z'
	digit := '0' <= c && c <= '9'
	if !(letter && !number || digit || c == '-' && !number) {
		return
	}
	joined := name
	for ; k < len(b) && len(joined) < len(s.word); k++ {
		if c := b[k] | 0x20; 'a' <= c && c <= 'z' {
			joined += string(c)
		} else if b[k] != '\r' && b[k] != '\n' {
			break
		}
	}
	switch {
	case rtfObjectWords[joined]:
		// \obj CR LF data, which the byte search for objects (scan)
		// does not see, is an object to a reader joining the word.
		s.objectFound()
		return
	case joined == "template":
		s.templateFound()
		return
	case len(s.codes) > 0 && s.top() != nil && !s.top().skip:
	case joined == "fldinst", joined == "bin", joined == "u", joined == "uc":
	default:
		return
	}
	s.notInspected()
}

// rtfObjectWords are the control words of an embedded or linked object
// (RTF 1.9.1 "Objects").
var rtfObjectWords = map[string]bool{"object": true, "objdata": true, "objemb": true, "objlink": true, "objautlink": true,
	"objupdate": true, "objocx": true, "objhtml": true, "objsub": true, "objpub": true, "objicemb": true}

func (s *rtfScanner) objectFound() {
	if !s.object {
		s.object = true
		s.out = append(s.out, EmbeddedObject)
	}
}

func (s *rtfScanner) templateFound() {
	if !s.template {
		s.template = true
		s.out = append(s.out, "office: external reference template")
	}
}

// standIn is called at a group, a control word or a symbol that is no
// character: one where a \uN's stand-in is awaited in a field's code
// makes the fields not inspected. RTF 1.9.1 counts a control word as
// one character skipped ({\fldinst \u68\b DEAUTO} would be DDEAUTO,
// read here as DEAUTO); a reader may count it, a group or \bin's data
// otherwise.
func (s *rtfScanner) standIn() {
	if s.ucSkip > 0 && len(s.codes) > 0 {
		s.notInspected()
	}
}

func (s *rtfScanner) notInspected() {
	if !s.unknown {
		s.unknown = true
		s.out = append(s.out, "office: fields not inspected")
	}
}

// rtfScanner returns a scanner for the RTF document at path whose fields
// are checked as a Word document's are (wordField).
func (in *inspector) rtfScanner(path string) *rtfScanner {
	where := strings.TrimSuffix(path, "/")
	return &rtfScanner{field: func(code string) { in.wordField(code, where) }}
}
