// Package textfile neutralises a text file that the policy delivers
// (.txt, .csv), in the file's own encoding: its URLs as the body's are
// (mail clients show text attachments inline and link them), and in
// spreadsheets the fields a spreadsheet would run as a formula
// (=HYPERLINK, DDE "=cmd|..."). Every line that needs no change is
// delivered byte for byte, so a Shift_JIS CSV still opens in Excel as the
// sender wrote it.
package textfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"

	"mugai/sanitize/links"
	"mugai/sanitize/textenc"
)

// Options say what to neutralise.
type Options struct {
	Charset  string // the declared charset label; "" when none
	Links    string // links.Defang, links.Remove or links.Keep
	Formulas bool   // spreadsheet data (CSV, TSV): neutralise formulas
	TSV      bool   // tab-separated by its name or type
	MaxLine  int    // longest line it checks, in bytes; 0 means DefaultMaxLine
}

// DefaultMaxLine bounds a line: a longer one is not checked piecewise (a
// URL could straddle the pieces), the file is refused.
const DefaultMaxLine = 1 << 20

// Result says what Rewrite did.
type Result struct {
	Charset  string // the charset the file was read and written in
	Links    int    // URLs neutralised
	Formulas int    // spreadsheet fields turned into text
	Replaced int    // characters of changed lines the charset could not write back (see textenc.LineEncoder)
}

// Changed reports whether the output differs from the input.
func (r Result) Changed() bool { return r.Links+r.Formulas > 0 }

// Errors for a file that cannot be checked. The caller does not deliver it.
var (
	ErrLineTooLong = errors.New("textfile: a line is too long to check")
	ErrCharset     = errors.New("textfile: the charset cannot be rewritten line by line")
	ErrReadings    = errors.New("textfile: the file reads differently in the programs that open it")
	// ErrSYLK: spreadsheet data whose first record is SYLK's ID record,
	// which Excel opens as SYLK whatever the file's name (see sylkID).
	ErrSYLK = errors.New("textfile: the file is SYLK, which Excel opens as such under any name")
	// ErrControl: a control character where text has none.
	ErrControl = errors.New("textfile: a control character where text has none")
)

// Rewrite copies the text file of size bytes at r to w with its URLs
// neutralised per opt.Links and, with opt.Formulas, every field that would
// start a formula prefixed by an apostrophe. It reads r twice: once to
// learn the charset (textenc's detection, as for body text), once to copy.
// A UTF-16 file needs its byte order mark. Spreadsheet data that Excel
// would open as SYLK, whatever its name, is refused (ErrSYLK).
func Rewrite(w io.Writer, r io.ReaderAt, size int64, opt Options) (Result, error) {
	if opt.MaxLine <= 0 {
		opt.MaxLine = DefaultMaxLine
	}
	var bom [2]byte
	if n, _ := r.ReadAt(bom[:], 0); n == 2 && (bom == [2]byte{0xff, 0xfe} || bom == [2]byte{0xfe, 0xff}) {
		return rewriteUTF16(w, io.NewSectionReader(r, 0, size), bom[0] == 0xff, opt)
	}
	var name string
	var head [3]byte
	bomUTF8 := false
	if n, _ := r.ReadAt(head[:], 0); n == 3 && string(head[:]) == "\uFEFF" {
		bomUTF8 = true
		// Excel reads a file with the UTF-8 byte order mark as UTF-8,
		// whatever the mail says: so do we.
		name = "utf-8"
	} else {
		tr := textenc.NewReader(opt.Charset, io.NewSectionReader(r, 0, size))
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return Result{}, fmt.Errorf("textfile: read: %w", err)
		}
		name = tr.Charset()
	}
	if name == "" {
		name = "us-ascii"
	}
	codec, ok := textenc.LookupCodec(name)
	if !ok {
		return Result{Charset: name}, fmt.Errorf("%w (%s)", ErrCharset, name)
	}
	// ISO-2022-JP is 7-bit: a program that does not read it as such (a
	// spreadsheet never does) sees its kanji as ASCII, which can spell a
	// formula or a URL the decoded text does not have.
	stateful := codec.Name() == "iso-2022-jp"
	if stateful && opt.Formulas {
		return Result{Charset: codec.Name()}, fmt.Errorf("%w (iso-2022-jp: spreadsheets read its bytes as ASCII)", ErrReadings)
	}
	rw := newRewriter(opt, codec.Name())
	dec, enc := codec.NewLineDecoder(), codec.NewLineEncoder()
	var others []*otherReading
	if opt.Formulas && !bomUTF8 {
		others = otherReadings(codec.Name())
	}
	othersOn := false
	bw := bufio.NewWriterSize(w, 64<<10)
	one := func(line []byte) error {
		body, end := splitEnd(line)
		if i := controlByte(body, stateful, len(end) == 0); i >= 0 {
			return fmt.Errorf("%w (%#02x)", ErrControl, body[i])
		}
		first := !rw.inited
		invalid := dec.Invalid()
		rw.text = dec.Append(rw.text[:0], body)
		undecoded := dec.Invalid() - invalid
		if r := enc.Replacement(); r != utf8.RuneError && bytes.ContainsRune(rw.text, utf8.RuneError) {
			// What cannot be decoded is written back as the stand-in if
			// the line changes: rewrite the text as it will read.
			rw.text = bytes.ReplaceAll(rw.text, []byte("\uFFFD"), []byte(string(r)))
		}
		written := body
		out, changed, err := rw.line(rw.text)
		if err != nil {
			return err
		}
		if changed {
			var n int
			rw.encoded, n = enc.Append(rw.encoded[:0], out)
			rw.res.Replaced += n + undecoded
			written = rw.encoded
		}
		if stateful && opt.Links != links.Keep {
			var n int
			if rw.raw, n = links.Append(rw.raw[:0], written, opt.Links); n > 0 {
				return fmt.Errorf("%w (iso-2022-jp: its bytes read as ASCII hold a link)", ErrReadings)
			}
		}
		if len(others) > 0 && !othersOn && !plainASCII(written) {
			// Every line written before was ASCII, which reads the same
			// in every charset: the other readings start where this
			// one stood before this line.
			othersOn = true
			for _, o := range others {
				o.start(&rw.csv, first)
			}
		}
		if othersOn {
			for _, o := range others {
				if err := o.line(written, codec.Name()); err != nil {
					return err
				}
			}
		}
		bw.Write(written)
		bw.Write(end)
		return nil
	}
	sc := bufio.NewScanner(io.NewSectionReader(r, 0, size))
	sc.Buffer(make([]byte, min(64<<10, opt.MaxLine+2)), opt.MaxLine+2) // the line and its end
	sc.Split(splitLines)
	for sc.Scan() {
		if err := one(sc.Bytes()); err != nil {
			return rw.res, err
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return rw.res, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, opt.MaxLine)
	} else if err != nil {
		return rw.res, fmt.Errorf("textfile: read: %w", err)
	}
	if err := rw.finish(); err != nil {
		return rw.res, err
	}
	for _, o := range others {
		if err := o.csv.finish(); othersOn && err != nil {
			return rw.res, err
		}
	}
	if err := bw.Flush(); err != nil {
		return rw.res, fmt.Errorf("textfile: write: %w", err)
	}
	return rw.res, nil
}

// otherReading reads the lines of spreadsheet data as written, in a
// charset other than the one they were read and written in, for fields
// that start a formula there. The spreadsheet does not read the file in
// the charset the mail labels it with or mugai detects: Japanese Excel
// reads a file without a byte order mark as Shift_JIS (CP932), where the
// bytes 81 81 are the full-width "＝" that GBK, Big5 or windows-1252 read
// as other characters; LibreOffice offers UTF-8, where EF BC 9D is "＝"
// in a file read here as Shift_JIS. Such a file cannot be given its
// apostrophes in both readings at once: it is refused.
type otherReading struct {
	name      string
	dec       *textenc.LineDecoder
	csv       csvState
	first     bool
	text, out []byte
}

// otherReadings are the readings of a file read in charset other than
// its own: Shift_JIS and UTF-8.
func otherReadings(charset string) []*otherReading {
	var l []*otherReading
	for _, name := range []string{"shift_jis", "utf-8"} {
		if c, ok := textenc.LookupCodec(name); ok && c.Name() != charset {
			l = append(l, &otherReading{name: c.Name(), dec: c.NewLineDecoder()})
		}
	}
	return l
}

// start takes the spreadsheet readings' state before the current line
// (first: the file's first line, before which there is none).
func (o *otherReading) start(st *csvState, first bool) {
	o.first = first
	o.csv = csvState{tsv: st.tsv, calls: true}
	if !first {
		o.csv.readings = slices.Clone(st.before)
	}
	for k := range o.csv.readings {
		o.csv.readings[k].calls = true
	}
}

// line reads one written line (without its line end).
func (o *otherReading) line(b []byte, charset string) error {
	o.text = o.dec.Append(o.text[:0], b)
	var n int
	var err error
	o.out, n, err = o.csv.neutralise(o.out[:0], o.text, o.first)
	o.first = false
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%w (%s read as %s starts a formula)", ErrReadings, charset, o.name)
	}
	return nil
}

// plainASCII reports bytes below 0x80 without ESC or SO, which read the
// same in every charset a line is checked in.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1b || c == 0x0e {
			return false
		}
	}
	return true
}

// controlByte is the index of the first byte of line that text has not,
// or -1: a control character but the tab and the form feed (line ends
// are not in line), ISO-2022-JP's ESC, SO and SI in a stateful charset,
// and the DOS end-of-file mark as the last byte of the file (last: no
// line end follows). The type sniffer, which says the same of a file's
// first 4 KiB only, did not see one after them. Bytes below 0x20 are
// never part of a multibyte character in the charsets a line is read
// in (trail bytes start at 0x40, UTF-8's at 0x80).
func controlByte(line []byte, stateful, last bool) int {
	for i, c := range line {
		switch {
		case c >= 0x20 && c != 0x7f, c == '\t', c == '\f':
		case stateful && (c == 0x1b || c == 0x0e || c == 0x0f):
		case c == 0x1a && last && i == len(line)-1:
		default:
			return i
		}
	}
	return -1
}

// controlRune is controlByte for decoded UTF-16 text: C1 controls and
// the non-characters U+FFFE and U+FFFF are not text either.
func controlRune(text []byte) (rune, bool) {
	for _, r := range string(text) {
		switch {
		case r == '\t', r == '\f':
		case r < 0x20, r >= 0x7f && r < 0xa0, r == 0xfffe, r == 0xffff:
			return r, true
		}
	}
	return 0, false
}

// splitEnd splits a line from its line end ("\n", "\r\n", "\r" or none).
func splitEnd(line []byte) (body, end []byte) {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return line[:n], line[n:]
}

// splitLines is a bufio.SplitFunc for lines ending in LF, CRLF or a bare
// CR (old Mac files), each with its line end.
func splitLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	i := bytes.IndexAny(data, "\r\n")
	switch {
	case i < 0:
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	case data[i] == '\n':
		return i + 1, data[:i+1], nil
	case i+1 < len(data):
		if data[i+1] == '\n' {
			return i + 2, data[:i+2], nil
		}
		return i + 1, data[:i+1], nil
	case atEOF:
		return i + 1, data[:i+1], nil
	}
	return 0, nil, nil // a CR at the end of what was read: is an LF next?
}

// rewriteUTF16 is Rewrite for UTF-16 with a byte order mark (Excel's
// "Unicode text"): lines end at the code unit U+000A.
func rewriteUTF16(w io.Writer, r io.Reader, little bool, opt Options) (Result, error) {
	order, name := unicode.BigEndian, "utf-16be"
	if little {
		order, name = unicode.LittleEndian, "utf-16le"
	}
	enc := unicode.UTF16(order, unicode.IgnoreBOM)
	rw := newRewriter(opt, name)
	rw.csv.tsv = true // Excel opens a UTF-16 file as tab-separated "Unicode text"
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	lf := []byte{0, '\n'}
	if little {
		lf = []byte{'\n', 0}
	}
	cr := []byte{0, '\r'}
	if little {
		cr = []byte{'\r', 0}
	}
	var line []byte
	flush := func() error {
		if len(line) == 0 {
			return nil
		}
		body := line
		if n := len(body); n >= 2 && body[n-2] == lf[0] && body[n-1] == lf[1] {
			body = body[:n-2]
		}
		if n := len(body); n >= 2 && body[n-2] == cr[0] && body[n-1] == cr[1] {
			body = body[:n-2]
		}
		end := line[len(body):]
		text, _ := enc.NewDecoder().Bytes(body)
		if r, ok := controlRune(text); ok {
			return fmt.Errorf("%w (U+%04X)", ErrControl, r)
		}
		out, changed, err := rw.line(text)
		if err != nil {
			return err
		}
		if changed {
			b, err := enc.NewEncoder().Bytes(out)
			if err != nil {
				b, _ = enc.NewEncoder().Bytes(bytes.ToValidUTF8(out, []byte("\uFFFD")))
			}
			bw.Write(b)
			bw.Write(end)
		} else {
			bw.Write(line)
		}
		line = line[:0]
		return nil
	}
	var unit [2]byte
	for {
		n, err := io.ReadFull(br, unit[:])
		line = append(line, unit[:n]...)
		switch {
		case n == 2 && unit == [2]byte{lf[0], lf[1]}:
			if err := flush(); err != nil {
				return rw.res, err
			}
		case n == 2 && unit == [2]byte{cr[0], cr[1]}:
			// A bare CR ends a line too (old Mac files).
			if next, _ := br.Peek(2); len(next) < 2 || next[0] != lf[0] || next[1] != lf[1] {
				if err := flush(); err != nil {
					return rw.res, err
				}
			}
		case len(line) > opt.MaxLine:
			return rw.res, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, opt.MaxLine)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if err := flush(); err != nil {
				return rw.res, err
			}
			if err := rw.finish(); err != nil {
				return rw.res, err
			}
			break
		}
		if err != nil {
			return rw.res, fmt.Errorf("textfile: read: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return rw.res, fmt.Errorf("textfile: write: %w", err)
	}
	return rw.res, nil
}

// rewriter holds what carries from line to line: the spreadsheet's
// quoting state and the counts, and its buffers.
type rewriter struct {
	opt    Options
	res    Result
	csv    csvState
	inited bool

	text, formulas, links, encoded, raw []byte
}

// finish checks what only the end of the file shows.
func (rw *rewriter) finish() error {
	if rw.opt.Formulas {
		return rw.csv.finish()
	}
	return nil
}

func newRewriter(opt Options, charset string) rewriter {
	return rewriter{opt: opt, res: Result{Charset: charset}, csv: csvState{tsv: opt.TSV}}
}

// line neutralises one decoded line (without its line end). The result
// is valid until the next call.
func (rw *rewriter) line(text []byte) ([]byte, bool, error) {
	out := text
	changed := false
	if rw.opt.Links != links.Keep {
		// Spreadsheet data too get Thunderbird's span rule, though its
		// double quotes are the fields' quoting: Thunderbird shows a
		// text/csv attachment inline as plain text, as it does every
		// text/ type it does not know (mimei.cpp), and links a span's
		// text with its blanks taken out. The rule changes only a span
		// that would link; formulas are looked for in the line as it is
		// then written. Their bare host names are data, which neither
		// spreadsheets nor Thunderbird link (links.AppendData).
		var n int
		if rw.opt.Formulas {
			rw.links, n = links.AppendData(rw.links[:0], out, rw.opt.Links)
		} else {
			rw.links, n = links.Append(rw.links[:0], out, rw.opt.Links)
		}
		if n > 0 {
			rw.res.Links += n
			out, changed = rw.links, true
		}
	}
	if rw.opt.Formulas {
		first := !rw.inited
		rw.inited = true
		var n int
		var err error
		rw.formulas, n, err = rw.csv.neutralise(rw.formulas[:0], out, first)
		if err != nil {
			return nil, false, err
		}
		if n > 0 {
			rw.res.Formulas += n
			out, changed = rw.formulas, true
		}
	}
	return out, changed, nil
}
