package filetype

import (
	"bytes"
	"compress/flate"
	"encoding/ascii85"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"unicode/utf16"
)

// A PDF is searched whole for active content: its objects stand anywhere,
// and readers take the last definition of an object. mugai does not
// parse PDF; it reads names the way a reader's lexer does, wherever they
// stand, and it decodes every stream that holds objects (an object
// stream, PDF 1.5) however its dictionary describes it, so that neither a
// missing /Type nor a decoy "stream" keyword in a string hides one.
const (
	// pdfMaxStreams bounds the streams looked into in one attachment.
	pdfMaxStreams = 20000
	// pdfProbe is how much of a stream is decoded to tell an object
	// stream (its header: object numbers and offsets) from the others,
	// from at most pdfProbeInput bytes of the file.
	pdfProbe      = 4 << 10
	pdfProbeInput = 64 << 10
	// pdfMaxDecode bounds the bytes decoded from the PDFs of one
	// attachment (probes, object streams, every reading tried); past it
	// the PDF was not fully inspected.
	pdfMaxDecode = 64 << 20
	// pdfMaxObjStm bounds one object stream, which is held whole in
	// memory to be scanned (and once more for each predictor reading):
	// 64 KiB of mail inflating to the whole budget held 128 MiB, and a
	// few such messages at a time took a gateway's memory. Real ones
	// hold a few hundred objects, some KiB; past it the PDF was not
	// fully inspected.
	pdfMaxObjStm = 8 << 20
	// pdfLookahead bounds how far past a name or a "stream" keyword the
	// scanner looks (white space, comments, the value); scanOverlap is
	// larger, so what is cut at a window's end is seen whole in the next.
	pdfLookahead = 1 << 10
)

// pdfNames maps PDF name objects to findings. Names are compared after
// #xx escapes are decoded, so "/J#61vaScript" is found too. The short
// ones count only before a value of the kind they take (pdfValue): three
// bytes of image data read as "/JS" far too often.
var pdfNames = map[string]string{
	"JavaScript":     "pdf: javascript",
	"JS":             "pdf: javascript",
	"Launch":         "pdf: launch action",
	"EmbeddedFile":   "pdf: embedded file",
	"EmbeddedFiles":  "pdf: embedded file",
	"EF":             "pdf: embedded file",
	"FileAttachment": "pdf: embedded file",
	"RichMedia":      "pdf: rich media",
	"Rendition":      "pdf: rendition action", // may run JavaScript (/JS) in Acrobat
	"GoToE":          "pdf: embedded file",    // opens a PDF embedded in this one
	"GoToR":          "pdf: remote go-to action",
	"ImportData":     "pdf: import data action",
	// A stream's data in another file (PDF 32000 7.3.8.2): /F names
	// the file (pdfScanner.externalStream), /FFilter and /FDecodeParms
	// how to decode it. A reference XObject (8.10.4) shows a page of
	// another PDF, its /Ref dictionary naming the file.
	"FFilter":      pdfExternalStream,
	"FDecodeParms": pdfExternalStream,
	"Ref":          pdfRefXObject,
	"Movie":        pdfMovieSound,
	"Sound":        pdfMovieSound,
	// A form's submit button sends its fields, or the whole file, to a
	// URL; given a UNC path, Windows hands the user's NTLM hash over to
	// it (the "BadPDF" leak).
	"SubmitForm": "pdf: submit form action",
	// A 3D annotation's script, run when the model is shown.
	"OnInstantiate": "pdf: 3D javascript",
	"XFA":           "pdf: xfa form",
	"Encrypt":       "pdf: encrypted",
	// Filters mugai does not decode: an object stream could hide behind
	// them (pdfOpaque).
	"LZWDecode":       pdfOpaque,
	"RunLengthDecode": pdfOpaque,
	"LZW":             pdfOpaque,
	"RL":              pdfOpaque,
}

const pdfOpaque = "pdf: streams not inspected (LZW or run-length filter)"

// A thread action (/S /Thread) with a file specification (/F) opens an
// article in another file, a UNC path as well as a remote go-to does;
// /Thread counts wherever it stands but as the /Type of an article
// thread (pdfScanner.afterType), a dictionary PDF writers do make. A
// thread action within the file is rare enough to block too. A movie
// or a sound (PDF 1.2, gone from PDF 2.0) may play a file its
// dictionary names: both count wherever they stand, as rich media does.
const (
	pdfThread     = "pdf: thread action (may open another file)"
	pdfMovieSound = "pdf: movie or sound (may play another file)"
)

// Findings for what makes a reader read another file, named.
const (
	pdfOpensFile      = "pdf: opens another file ("
	pdfExternalStream = pdfOpensFile + "external stream data)"
	pdfRefXObject     = pdfOpensFile + "reference XObject)"
)

// Findings for a link (a URI action) that is not to a web page, a mail
// address or a phone number, each saying what was refused, and for one
// whose target mugai cannot read: all block the file, as a launch or
// remote go-to action does. A link to another program names its scheme
// (pdfLinkProgram), up to pdfMaxSchemes of them an attachment.
const (
	pdfLinkFile     = "pdf: link to a file (file:)"
	pdfLinkShare    = "pdf: link to a network share (UNC path)"
	pdfLinkDrive    = "pdf: link to a file (drive path)"
	pdfLinkRelative = "pdf: link to a relative target (no scheme: opened as a file)"
	pdfLinkAttach   = "pdf: link to a mail address attaching a file (mailto: with attach)"
	pdfLinkProgram  = "pdf: link to a program ("
	pdfLinkSchemes  = pdfLinkProgram + "other schemes)"
	pdfLinkUnread   = "pdf: link target not inspected"
	pdfMaxSchemes   = 4
	// pdfMaxScheme bounds a scheme named in a finding.
	pdfMaxScheme = 20
)

// pdfValue says what must follow a short name for it to count: a string
// or a reference (JS), an array, a stream reference or a dictionary. A
// name not in it counts wherever it stands.
var pdfValue = map[string]string{
	"JS":  "(<R",
	"XFA": "[<R",
	"EF":  "<",
	// A reference XObject's dictionary; a structure element's /Ref
	// (PDF 2.0) is an array.
	"Ref": "<R",
}

// pdfAbbreviated are filter names so short that image data holds them:
// they count only shortly after a /Filter name or in an array of names.
var pdfAbbreviated = map[string]bool{"LZW": true, "RL": true}

// scanWindow is how much of a stream is looked at at once; windows overlap
// by scanOverlap so that a name cut by a window end is seen whole in the
// next one.
const (
	scanWindow  = 64 << 10
	scanOverlap = 4 << 10
)

// scanStream feeds r, up to limit bytes, to scan in overlapping windows,
// each with the offset of its first byte; final is set for the last one.
func scanStream(r io.Reader, limit int64, scan func(b []byte, base int64, final bool)) {
	r = io.LimitReader(r, limit)
	buf := make([]byte, scanWindow)
	keep := 0
	var base int64
	for {
		n, err := io.ReadFull(r, buf[keep:])
		end := keep + n
		final := err != nil
		scan(buf[:end], base, final)
		if final {
			return
		}
		keep = min(scanOverlap, end)
		base += int64(end - keep)
		copy(buf, buf[end-keep:end])
	}
}

// inspectPDF finds active content in a PDF: the names in it, and in the
// streams that hold objects, decoded. What it cannot decode or bound is a
// finding that blocks keeping the file.
func (in *inspector) inspectPDF(r io.ReaderAt, size int64, path string) {
	p := pdfScanner{filter: -1, typeEnd: -1, links: in.links()}
	scanStream(io.NewSectionReader(r, 0, size), size, p.scan)
	d := pdfDecoder{r: r, size: size, in: in, p: &p, identified: map[int64]bool{}}
	stopped := false
	for _, off := range p.streams {
		if in.pdfStreams >= pdfMaxStreams || in.pdfDecoded > pdfMaxDecode {
			stopped = true
			break
		}
		in.pdfStreams++
		d.stream(off)
	}
	if stopped || in.pdfDecoded > pdfMaxDecode {
		in.limit("pdf: not fully inspected:", "too many or too large streams"+pathSuffix(path))
	}
	if p.tiff {
		p.add("pdf: streams not inspected (TIFF or unknown predictor)")
	}
	for _, off := range p.declared {
		if !d.identified[off] && !stopped {
			// Its dictionary says object stream, and no reading of it
			// is one (CCITT or JBIG2 data, a broken Flate start).
			d.opaque = true
		}
	}
	if d.opaque || p.noEOL || p.nested {
		in.limit("pdf: not fully inspected:", "a stream mugai cannot read to the end"+pathSuffix(path))
	}
	in.findAll(p.out, path)
}

// pdfScanner collects the findings for active content in a PDF, each once,
// in the order found, and where its streams' data start.
type pdfScanner struct {
	seen    map[string]bool
	out     []string
	next    int64   // the first offset not yet scanned: windows overlap
	streams []int64 // data offsets after each "stream" keyword
	filter  int64   // offset of the last /Filter name, -1 before any
	noEOL   bool    // a "stream" keyword without a line end in pdfLookahead
	// Predictor parameters the dictionaries give (/Columns, /Colors,
	// /BitsPerComponent), for undoing a PNG predictor with the row
	// widths readers use; tiff: a TIFF predictor (/Predictor 2).
	columns, colors, bpc []int
	tiff                 bool
	// objStm: an /ObjStm name since the last "stream" keyword; declared:
	// the data offsets of the streams whose dictionaries said so. Each
	// must read as an object stream, or the file is not fully inspected.
	objStm   bool
	declared []int64
	// predicted: the scanner reads a stream through a PNG predictor
	// mugai tries, maybe with a row width no reader uses for it (the
	// xref stream's, say), which drops a byte from every row: a link
	// there may come out garbled (garbledScheme).
	predicted bool
	// inStream: a "stream" keyword came and its "endstream" not yet;
	// nested: another "stream" keyword came meanwhile.
	inStream, nested bool
	// links are the link targets found, shared by every scanner of the
	// attachment (its object streams, the other PDFs of an archive).
	links *pdfLinks
	// typeEnd is the offset just past the last /Type name, -1 before
	// any: a /Thread right after it (white space and comments between)
	// names an article thread, not an action.
	typeEnd int64
	// objects: the scanner reads an object stream's objects, where no
	// stream's dictionary stands (PDF 32000 7.5.7).
	objects bool
	// fileSpec follows the dictionary of an /F to tell whether it is a
	// stream's (externalStream).
	fileSpec fileSpecDict
}

// afterType reports whether the name at b[slash] is the value of a /Type
// name, with nothing but white space between. Not a comment: "/S %
// /Type" and a line break hid a thread action behind a /Type the
// reader never sees (commentBefore keeps such a /Type from counting, a
// comment between would let it). What cannot be seen in the window does
// not count as such.
func (p *pdfScanner) afterType(b []byte, base int64, slash int) bool {
	if p.typeEnd < base || p.typeEnd > base+int64(slash) {
		return false
	}
	for _, c := range b[int(p.typeEnd-base):slash] {
		if !isPDFSpace(c) {
			return false
		}
	}
	return true
}

// commentBefore reports whether a '%' comes before b[i] on its line (the
// name there may stand in a comment: a '%' in a string counts too, which
// errs on the safe side), or the line starts before the window.
func commentBefore(b []byte, i int) bool {
	for k := i - 1; k >= 0; k-- {
		switch b[k] {
		case '\n', '\r':
			return false
		case '%':
			return true
		}
	}
	return true
}

// pdfLinks is a set of link targets, by a hash of each: a 2 KiB target
// is not held, and no more than pdfMaxLinks are counted.
type pdfLinks struct {
	seen    map[uint64]struct{}
	schemes []string // named in findings (pdfMaxSchemes)
}

const (
	pdfMaxLinks = 10000
	// pdfLinkMax bounds the bytes of a link target read (the rest of a
	// longer one is not needed to tell it from others or to read its
	// scheme); with pdfLookahead it stays within scanOverlap, so a target
	// cut by a window is read whole in the next.
	pdfLinkMax = 2 << 10
)

func (l *pdfLinks) add(target []byte) {
	if l == nil {
		return
	}
	if l.seen == nil {
		l.seen = map[uint64]struct{}{}
	}
	if len(l.seen) < pdfMaxLinks {
		h := fnv.New64a()
		h.Write(target)
		l.seen[h.Sum64()] = struct{}{}
	}
}

func (l *pdfLinks) count() int {
	if l == nil {
		return 0
	}
	return len(l.seen)
}

func (p *pdfScanner) add(f string) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if !p.seen[f] {
		p.seen[f] = true
		p.out = append(p.out, f)
	}
}

var streamKeyword = []byte("stream")

func (p *pdfScanner) scan(b []byte, base int64, final bool) {
	var nameBuf [32]byte
	// The dictionary of an /F is followed as far as this window was read.
	defer func() { p.follow(b, base, p.next, final) }()
	i := max(0, int(p.next-base))
	slash, kw := -1, -1 // the next '/' and "stream" at or after i, once looked for
	for i < len(b) {
		if slash < i {
			if slash = bytes.IndexByte(b[i:], '/'); slash >= 0 {
				slash += i
			} else {
				slash = len(b)
			}
		}
		if kw < i {
			if kw = bytes.Index(b[i:], streamKeyword); kw >= 0 {
				kw += i
			} else {
				kw = len(b)
			}
		}
		if slash == len(b) && kw == len(b) {
			break
		}
		if kw < slash {
			// "stream", a keyword of its own (not "endstream"), then the
			// end of its line: the data start after it. Readers skip
			// what stands before the line end; so does this.
			j := kw + len(streamKeyword)
			if j < len(b) && !isPDFDelim(b[j]) {
				i = j // a word that starts with "stream" ("streamable")
				continue
			}
			if kw >= 3 && string(b[kw-3:kw]) == "end" {
				p.inStream = false // "endstream", right after binary data as often as not
				i = j
				continue
			}
			if kw > 0 && !isPDFDelim(b[kw-1]) {
				i = j
				continue
			}
			end := min(len(b), j+pdfLookahead)
			eol := bytes.IndexAny(b[j:end], "\r\n")
			if (eol < 0 || j+eol+1 >= len(b)) && end == len(b) && !final {
				p.next = base + int64(kw)
				return // cut by the window: the next one sees it whole
			}
			// Past the window cut: this keyword is taken once.
			if p.inStream {
				// A second "stream" before "endstream": a decoy in a
				// string, or data no reader would take apart the same
				// way. Which one is the stream cannot be told.
				p.nested = true
			}
			p.inStream = true
			if eol < 0 {
				// A reader looks further for the line end; this does
				// not, so it cannot tell where such a stream starts.
				p.noEOL = true
				i = j
				continue
			}
			data := j + eol + 1
			if b[j+eol] == '\r' && data < len(b) && b[data] == '\n' {
				data++
			}
			p.addStream(base + int64(data))
			if eol > 0 {
				// MuPDF and qpdf start the data after one white space
				// byte that is not a line end ("stream\t…").
				p.addStream(base + int64(j+1))
			}
			i = j
			continue
		}
		name := nameBuf[:0]
		nul := false
		j := slash + 1
		for ; j < len(b) && len(name) < len(nameBuf); j++ {
			c := b[j]
			if isPDFDelim(c) {
				break
			}
			if c == '#' && j+2 < len(b) && isHex(b[j+1]) && isHex(b[j+2]) {
				c = unhex(b[j+1])<<4 | unhex(b[j+2])
				j += 2
			}
			if c == 0 {
				nul = true // poppler ends the name there: "/JavaScript#00"
			}
			if !nul {
				name = append(name, c)
			}
		}
		if j >= len(b) && !final {
			p.next = base + int64(slash)
			return // cut by the window: the next window sees it whole
		}
		if kw < j {
			// Binary data read as a name ran into a keyword
			// ("/\xe57k endstream"): the keyword is what counts.
			i = kw
			continue
		}
		switch string(name) {
		case "Filter":
			p.filter = base + int64(slash)
		case "ObjStm":
			p.objStm = true

		case "First":
			// An object stream's /First is a number; an outline's is a
			// reference. Readers need /First, not /Type.
			if v, _, cut := valueAt(b, j); !cut && v == 0 {
				if _, ok, _ := intAt(b, j); ok {
					p.objStm = true
				}
			}
		case "Columns", "Colors", "BitsPerComponent", "Predictor":
			n, ok, cut := intAt(b, j)
			if cut && !final {
				p.next = base + int64(slash)
				return
			}
			if v, _, _ := valueAt(b, j); string(name) == "Predictor" && (v == 'R' || !ok) {
				p.tiff = true // by reference, or not a number mugai reads: it could be 2 (TIFF)
			}
			if ok {
				p.param(string(name), n)
			}
		}
		switch string(name) {
		case "Type":
			if !commentBefore(b, slash) {
				p.typeEnd = base + int64(j)
			}
		case "Thread":
			if !p.afterType(b, base, slash) {
				p.add(pdfThread)
			}
		}
		if string(name) == "F" && !p.inStream && !p.objects {
			// One followed already holds this /F (fileSpecDict), unless
			// it stopped short of it at the window's end ("s" may begin
			// "stream").
			p.follow(b, base, base+int64(slash), final)
			if d := &p.fileSpec; d.on && d.pos < base+int64(slash) || !d.on && p.externalStream(b, base, j, final) {
				p.next = base + int64(slash)
				return // cut by the window: the next one reads it whole
			}
		}
		if string(name) == "URI" && !inURL(b, slash) && p.link(b, slash, j, base == 0, final) {
			p.next = base + int64(slash)
			return // cut by the window: the next one reads the target whole
		}
		if string(name) == "JavaScript" && inURL(b, slash) {
			i = j // a path in a link ("…/Web/JavaScript/Guide"); a script still needs /JS
			continue
		}
		if f, ok := pdfNames[string(name)]; ok {
			switch want, short := pdfValue[string(name)]; {
			case pdfAbbreviated[string(name)]:
				// Near a /Filter, or an element of an array ("[/RL]",
				// which /Filter 9 0 R may point to).
				if inNameArray(b, slash) || p.filter >= 0 && base+int64(slash)-p.filter <= 4<<10 {
					p.add(f)
				}
			case !short:
				p.add(f)
			default:
				v, at, cut := valueAt(b, j)
				if !cut && v != 0 && bytes.IndexByte([]byte(want), v) >= 0 {
					v, cut = plausible(b, v, at)
				}
				if cut && !final {
					p.next = base + int64(slash)
					return
				}
				// Cut by the end of the file: too short to tell, so it counts.
				if cut || v != 0 && bytes.IndexByte([]byte(want), v) >= 0 {
					p.add(f)
				}
			}
		}
		i = j
	}
	p.next = base + int64(len(b))
}

// link reads the value of a /URI name at b[slash] that ends at b[j]: a
// string is the target of a URI action (the catalog's /URI dictionary
// is not); whole says b starts where the data do. It reports whether
// the window ended before the value did.
func (p *pdfScanner) link(b []byte, slash, j int, whole, final bool) (cut bool) {
	v, at, cut := valueAt(b, j)
	if cut {
		return !final
	}
	var target []byte
	clean := true
	switch {
	case v == 'R':
		// Its string stands in another object: mugai does not follow
		// references. What could be found of it is its number.
		p.add(pdfLinkUnread)
		target = append([]byte("R "), b[at:min(len(b), at+32)]...)
		if k := bytes.IndexByte(target, 'R'); k >= 0 {
			target = target[:k+1]
		}
		p.links.add(target)
		return false
	case v == '(':
		target, cut = pdfLiteral(b, at)
	case v == '<' && at+1 < len(b) && b[at+1] == '<':
		return false // the catalog's << /Base … >>
	case v == '<':
		target, clean, cut = pdfHexString(b, at)
	case v == '/':
		// A name: pdf.js takes it for a relative URL, "/" and the name
		// ("some bad PDFs do not put parentheses around relative URLs"),
		// which resolves against the file's own location.
		var name []byte
		if name, cut = pdfName(b, at); cut && !final {
			return true
		}
		if pdfActionKeys[string(name)] || p.predicted && garbledKey(name) || dictValue(b, slash, whole) {
			// "/S /URI /Type /Action": this /URI is the action's type,
			// the name after it the next key. Were a key's name a
			// target, it would be a relative path named like a key.
			return false
		}
		target = append([]byte("/"), name...)
	case v == '[':
		// No reader takes an array for a target that mugai has seen;
		// one that reads an element of it would open what mugai did
		// not read.
		p.add(pdfLinkUnread)
		p.links.add(append([]byte("A "), b[at:min(len(b), at+32)]...))
		return false
	case v == 0 && at < len(b) && (b[at] >= '0' && b[at] <= '9' || b[at] == '+' || b[at] == '-' || b[at] == '.'):
		// A number that does not read as "12 0 R" here ("5 0R",
		// "5.0 0 R"): poppler takes "5 0R" for a reference all the same.
		p.add(pdfLinkUnread)
		p.links.add(append([]byte("N "), b[at:min(len(b), at+32)]...))
		return false
	default:
		return false
	}
	if cut && !final {
		return true
	}
	target = utf16Text(target)
	if p.predicted && clean && garbledScheme(target) {
		return false
	}
	p.links.add(target)
	switch {
	case !clean:
		// Readers read what is not a digit differently (as 0, or not at
		// all), which shifts every byte after it.
		p.add(pdfLinkUnread)
	default:
		if f := p.links.refused(target); f != "" {
			p.add(f)
		}
	}
	return false
}

// externalStream reads the value of an /F name that ends at b[j],
// outside a stream's data (in image data, "/F(" and a few printable
// bytes come too often): a file specification (a string, a dictionary,
// a reference to either) in the dictionary of a stream makes the
// stream's data come from that file. An /F elsewhere is a file
// specification's file name (of an embedded file, a go-to or launch
// action, each a finding of its own) or a number (an annotation's
// flags). Whether "stream" follows the dictionary holding the /F is
// told by following that dictionary to its end (fileSpecDict), however
// long it and the white space and comments after it are. It reports
// whether the window ended before the value could be told.
func (p *pdfScanner) externalStream(b []byte, base int64, j int, final bool) (cut bool) {
	v, at, cut := valueAt(b, j)
	if cut {
		return !final
	}
	if v == '(' || v == '<' {
		// Cut by the end of the file, a value is too short to tell: as
		// elsewhere in the scanner, it counts.
		switch w, cut := plausible(b, v, at); {
		case cut && !final:
			return true
		case !cut:
			v = w
		}
	}
	if v != '(' && v != '<' && v != 'R' {
		return false
	}
	p.fileSpec = fileSpecDict{on: true, pos: base + int64(j)}
	return false
}

// fileSpecDict follows the dictionary an /F stands in, from just past
// the name, as a reader's lexer reads it (strings, hex strings, comments
// and the dictionaries in it skipped), across windows: where that
// dictionary ends, the first token after white space and comments tells
// whether it is a stream's. No bound on either: a bound is where padding
// would hide the "stream" keyword. Each byte is read once: an /F met
// while one is followed stands in its dictionary or in one nested in it,
// and a stream's dictionary cannot be nested, so the "stream" keyword
// that ends it would still be met (see follow).
type fileSpecDict struct {
	on  bool
	pos int64 // the offset of the next byte to read
	// depth counts the dictionaries open inside the /F's; str the
	// parentheses open in a literal string (0 outside one).
	depth, str        int
	esc, hex, comment bool
	ended             bool // the /F's dictionary ended: the next token decides
	delim             bool // the byte before pos is a delimiter: a keyword may start at pos
}

// follow reads the dictionary of the /F being followed in window b (at
// offset base) up to offset to, or to the window's end. A "stream"
// keyword outside strings and comments ends it: right after the
// dictionary, the stream is that dictionary's; before its end, the
// dictionary is not closed as a reader expects (or the /F stood outside
// any), and a lenient reader may take the stream for its: either way it
// counts. Any other token after the dictionary, or the end of the file,
// ends it with nothing found.
func (p *pdfScanner) follow(b []byte, base, to int64, final bool) {
	d := &p.fileSpec
	if !d.on {
		return
	}
	i, end := int(d.pos-base), int(min(to-base, int64(len(b))))
	if i < 0 {
		// Cannot happen (a window is read from where the last one was
		// left, within the overlap); should it, the bytes between are
		// unread: fail closed.
		p.add(pdfExternalStream)
		d.on = false
		return
	}
	// more reports that b[i+n-1] is beyond the window, which is not
	// the last: what stands at b[i] is read in the next one.
	more := func(n int) bool { return i+n > len(b) && !final }
loop:
	for ; d.on && i < end; i++ {
		c := b[i]
		switch {
		case d.comment:
			d.comment = c != '\r' && c != '\n'
		case d.str > 0:
			switch {
			case d.esc:
				d.esc = false
			case c == '\\':
				d.esc = true
			case c == '(':
				d.str++
			case c == ')':
				d.str--
			}
		case d.hex:
			d.hex = c != '>'
		case c == '%':
			d.comment = true
		case isPDFSpace(c):
		case c == 's' && d.delim:
			if more(len(streamKeyword) + 1) {
				break loop
			}
			if k := i + len(streamKeyword); bytes.HasPrefix(b[i:], streamKeyword) && (k == len(b) || isPDFDelim(b[k])) {
				p.add(pdfExternalStream)
				d.on = false
				break loop
			}
			d.on = !d.ended
		case d.ended:
			d.on = false
		case c == '(':
			d.str = 1
		case c == '<' || c == '>':
			if more(2) {
				break loop
			}
			switch {
			case i+1 < len(b) && b[i+1] == c && c == '<':
				d.depth++
				i++
			case i+1 < len(b) && b[i+1] == c:
				if d.depth == 0 {
					d.ended = true
				}
				d.depth = max(0, d.depth-1)
				i++
			case c == '<':
				d.hex = true
			}
		}
		d.delim = isPDFDelim(b[i])
	}
	d.pos = base + int64(i)
	if final && i >= len(b) {
		d.on = false
	}
}

// pdfActionKeys are the keys of a URI action's dictionary (PDF 32000
// 12.6.4.7, 12.6.2), one of which follows /S /URI.
var pdfActionKeys = map[string]bool{"Type": true, "S": true, "Next": true, "URI": true, "IsMap": true}

// dictValue reports whether the name at b[slash] is a dictionary's
// value, not a key ("/S /URI /X …" has /X for a key, "/S /URI /X /URI
// /a.pdf" has /a.pdf for a target): going back over the names before
// it, to where a key must come (after "<<" or a value that is no name),
// it is the second of a pair. Where that cannot be told (a comment on
// the way, an array, 512 bytes or the window's start reached) it is
// taken for a key: its value is read as a target. whole says b starts
// where the data do (a stream decoded, a file's first window).
func dictValue(b []byte, slash int, whole bool) bool {
	names := 0
	for i := slash; i > 0 && slash-i < 512; {
		k := i - 1
		for k >= 0 && isPDFSpace(b[k]) {
			k--
		}
		if k < 0 {
			return false
		}
		switch c := b[k]; {
		case c == '/': // an empty name
			names++
			i = k
			continue
		case c == '<' && k > 0 && b[k-1] == '<', c == ')', c == '>', c == ']':
			// A dictionary's start, or the end of a value.
		case isPDFDelim(c):
			return false // '[', '(', '{', '}', '%': no dictionary's key
		default:
			m := k
			for m >= 0 && !isPDFDelim(b[m]) {
				m--
			}
			if m >= 0 && b[m] == '/' {
				names++
				i = m
				continue
			}
			if m < 0 {
				return false
			}
			// A number or a keyword ("0 R", "true"): a value.
		}
		// What stands between is names and white space: only a comment
		// before b[k] on its line could hide what was read.
		return names%2 == 1 && !commentWithin(b, k, whole)
	}
	return false
}

// commentWithin reports whether a '%' may come before b[k] on its line,
// looking back at most 1 KiB: a line that starts further back, or
// before the window (unless whole), may hold one.
func commentWithin(b []byte, k int, whole bool) bool {
	for i := k - 1; i >= 0 && k-i <= 1<<10; i-- {
		switch b[i] {
		case '\n', '\r':
			return false
		case '%':
			return true
		}
	}
	return k > 1<<10 || !whole
}

// garbledKey reports whether a name is one of pdfActionKeys with
// letters missing ("/Typ"): what a PNG predictor undone with the wrong
// row width makes of the key after /S /URI (see garbledScheme).
func garbledKey(name []byte) bool {
	for k := range pdfActionKeys {
		if len(name) < len(k) && subsequence(string(name), k) {
			return true
		}
	}
	return false
}

// pdfName decodes the name at b[at] ('/'), #xx escapes and all, up to
// pdfLinkMax bytes of it; a NUL ends it, as poppler reads it. cut says
// the window ended before the name did.
func pdfName(b []byte, at int) (name []byte, cut bool) {
	end := min(len(b), at+pdfLinkMax)
	i := at + 1
	for ; i < end && !isPDFDelim(b[i]); i++ {
		c := b[i]
		if c == '#' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			c = unhex(b[i+1])<<4 | unhex(b[i+2])
			i += 2
		}
		if c == 0 {
			for i < end && !isPDFDelim(b[i]) {
				i++
			}
			break
		}
		name = append(name, c)
	}
	return name, i >= len(b)
}

// garbledScheme reports whether a link target's scheme is one of http,
// https, mailto or tel with letters missing ("htts:", "mailo:"): what a
// PNG predictor undone with the wrong row width makes of a web link, a
// byte dropped from every row. No reader opens a program by such a
// scheme, and no deletions from a web link's first bytes make a file, a
// share or another program's scheme of it: in such a reading the
// target is not counted or refused. A target that lost its colon reads
// as relative and still blocks (a base URI could make it a share).
func garbledScheme(t []byte) bool {
	scheme, _, ok := linkScheme(bytes.TrimLeftFunc(t, func(r rune) bool { return r <= ' ' }))
	if !ok {
		return false
	}
	for _, web := range []string{"https", "mailto", "tel"} {
		if scheme != web && scheme != "http" && subsequence(scheme, web) {
			return true
		}
	}
	return false
}

// subsequence reports whether s is t with some letters left out.
func subsequence(s, t string) bool {
	i := 0
	for j := 0; i < len(s) && j < len(t); j++ {
		if s[i] == t[j] {
			i++
		}
	}
	return i == len(s)
}

// refused says why a link target is not one a PDF may keep, as a
// finding, or "" for a web page, a mail address or a phone number (http,
// https, mailto without a file to attach, tel), read as a reader or the
// browser it hands the target to reads it: blanks and control bytes
// before it are skipped, tabs and line ends in it dropped (the WHATWG URL
// parser does both). Anything else could open a file, a share or a
// program: a relative target too, which resolves against the file's own
// location (a base URI could make it anything).
func (l *pdfLinks) refused(t []byte) string {
	t = bytes.TrimLeftFunc(t, func(r rune) bool { return r <= ' ' })
	t = bytes.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, t)
	scheme, rest, ok := linkScheme(t)
	switch {
	case !ok && (bytes.HasPrefix(t, []byte(`\\`)) || bytes.HasPrefix(t, []byte(`//`)) || bytes.HasPrefix(t, []byte(`\/`)) || bytes.HasPrefix(t, []byte(`/\`))):
		return pdfLinkShare // WHATWG reads '\' as '/' in file URLs
	case !ok:
		return pdfLinkRelative
	}
	switch scheme {
	case "http", "https", "tel":
		return ""
	case "mailto":
		if mailtoAttaches(rest) {
			return pdfLinkAttach
		}
		return ""
	case "file":
		return pdfLinkFile
	}
	if len(scheme) == 1 {
		return pdfLinkDrive // C:\…, a path on Windows
	}
	return l.program(scheme)
}

// program is the finding for a link to another program's scheme: named,
// for the first pdfMaxSchemes of an attachment, so the report says what
// was refused while the findings stay few. A scheme with a dot
// ("www.example.jp:8080/…" reads as one) is not named: the notice
// quotes the name, and it should not read as a host.
func (l *pdfLinks) program(scheme string) string {
	if l == nil || len(scheme) > pdfMaxScheme || strings.Contains(scheme, ".") {
		return pdfLinkSchemes
	}
	if !slices.Contains(l.schemes, scheme) {
		if len(l.schemes) >= pdfMaxSchemes {
			return pdfLinkSchemes
		}
		l.schemes = append(l.schemes, scheme)
	}
	return pdfLinkProgram + scheme + ":)"
}

// linkScheme splits a target at its scheme (RFC 3986 3.1: a letter, then
// letters, digits, '+', '-' or '.', then ':'), lower-cased.
func linkScheme(t []byte) (scheme string, rest []byte, ok bool) {
	for i, c := range t {
		switch {
		case 'a' <= c|0x20 && c|0x20 <= 'z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return string(bytes.ToLower(t[:i])), t[i+1:], true
		default:
			return "", nil, false
		}
	}
	return "", nil, false
}

// mailtoAttaches reports whether a mailto: URL asks the mail client to
// attach a file: an "attach" or "attachment" parameter (Evolution, older
// Thunderbird), its name compared as clients do, percent-decoded and in
// any case. The address and other parameters may say "attach" freely.
func mailtoAttaches(rest []byte) bool {
	_, q, ok := bytes.Cut(rest, []byte("?"))
	if !ok {
		return false
	}
	for _, param := range bytes.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := bytes.Cut(param, []byte("="))
		name = bytes.ToLower(bytes.TrimSpace(percentDecode(name)))
		if string(name) == "attach" || string(name) == "attachment" {
			return true
		}
	}
	return false
}

// percentDecode decodes %XX escapes, leaving a '%' that starts none.
func percentDecode(s []byte) []byte {
	if bytes.IndexByte(s, '%') < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// pdfLiteral decodes the literal string at b[at] ('('), reading at most
// pdfLinkMax bytes of it. cut says the window ended before the string
// and before that bound; a longer string gives what was read.
func pdfLiteral(b []byte, at int) (s []byte, cut bool) {
	end := min(len(b), at+pdfLinkMax)
	depth := 0
	for i := at + 1; i < end; i++ {
		c := b[i]
		switch c {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return s, false
			}
			depth--
		case '\\':
			if i++; i >= end {
				continue
			}
			switch c = b[i]; c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n':
				// A line continuation: neither byte is part of the string.
				if c == '\r' && i+1 < end && b[i+1] == '\n' {
					i++
				}
				continue
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := c - '0'
				for k := 0; k < 2 && i+1 < end && '0' <= b[i+1] && b[i+1] <= '7'; k++ {
					i++
					v = v<<3 | (b[i] - '0')
				}
				c = v
			}
		}
		s = append(s, c)
	}
	return s, end < at+pdfLinkMax
}

// pdfHexString decodes the hex string at b[at] ('<'), as pdfLiteral.
// clean is false when it holds what is neither a hex digit nor white
// space.
func pdfHexString(b []byte, at int) (s []byte, clean, cut bool) {
	end := min(len(b), at+pdfLinkMax)
	clean = true
	half := -1
	for i := at + 1; i < end; i++ {
		switch c := b[i]; {
		case c == '>':
			if half >= 0 {
				s = append(s, byte(half<<4)) // an odd last digit: followed by 0
			}
			return s, clean, false
		case isHex(c) && half < 0:
			half = int(unhex(c))
		case isHex(c):
			s = append(s, byte(half<<4)|unhex(c))
			half = -1
		case isPDFSpace(c):
		default:
			clean = false
		}
	}
	return s, clean, end < at+pdfLinkMax
}

// utf16Text is a text string as UTF-8: UTF-16BE after its byte order mark
// (PDF text strings), else as it is.
func utf16Text(s []byte) []byte {
	if len(s) < 2 || s[0] != 0xfe || s[1] != 0xff {
		return s
	}
	u := make([]uint16, 0, len(s)/2)
	for i := 2; i+1 < len(s); i += 2 {
		u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
	}
	return []byte(string(utf16.Decode(u)))
}

// inURL reports whether the name at b[slash] stands inside a literal
// string, after a "://" in it: a path in a link's URL
// ("(http://x/URI(…", "…/Web/JavaScript/Guide"), which is no name.
//
// Going back from the name, the string is the '(' met with the
// parentheses after it balanced (escaped ones left out, as the lexer
// leaves them): read forward from there, the string does not close
// before the name, so it holds it. White space, brackets, braces and
// angle brackets end the search, and so do 2 KiB and the window's
// start: the name then counts (fail closed). So a URL in the value
// before the name hides nothing: "/X (http://a)/URI (file:…)" ends at
// its ')', "/K [(http://a)]/URI" at ']', "/X /http://a/URI" at the blank.
func inURL(b []byte, slash int) bool {
	depth, url := 0, false
	for i := slash - 1; i >= 0 && i >= slash-2048; i-- {
		c := b[i]
		switch {
		case isPDFSpace(c) || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' || c == '}':
			return false
		case c == ':' && i+2 < slash && b[i+1] == '/' && b[i+2] == '/':
			url = true
			continue
		case c != '(' && c != ')':
			continue
		}
		// A parenthesis: escaped by an odd run of backslashes before it.
		k := i - 1
		for k >= 0 && b[k] == '\\' {
			k--
		}
		switch {
		case k < 0:
			return false // the run may go on before the window
		case (i-k-1)%2 == 1:
		case c == ')':
			depth++
		case depth > 0:
			depth--
		default:
			return url
		}
	}
	return false
}

// addStream records where a stream's data may start; the stream is an
// object stream by its dictionary when an /ObjStm name came since the
// last one.
func (p *pdfScanner) addStream(off int64) {
	p.streams = append(p.streams, off)
	if p.objStm {
		p.declared = append(p.declared, off)
	}
	p.objStm = false
}

// inNameArray reports whether the name at b[slash] stands in an array of
// names ("[/Fl /RL]"): an opening bracket before it with only names and
// white space between. Image data has such a run too rarely to matter.
func inNameArray(b []byte, slash int) bool {
	for i := slash - 1; i >= 0 && i >= slash-128; i-- {
		switch c := b[i]; {
		case c == '[':
			return true
		case isPDFSpace(c) || c == '/':
		case c <= ' ' || c >= 0x7f || isPDFDelim(c):
			return false
		}
	}
	return false
}

// param records a predictor parameter a dictionary gives.
func (p *pdfScanner) param(name string, n int) {
	add := func(l []int) []int {
		if n < 1 || n > 1<<20 || len(l) >= 64 || slices.Contains(l, n) {
			return l
		}
		return append(l, n)
	}
	switch name {
	case "Columns":
		p.columns = add(p.columns)
	case "Colors":
		p.colors = add(p.colors)
	case "BitsPerComponent":
		p.bpc = add(p.bpc)
	case "Predictor":
		p.tiff = p.tiff || n == 2
	}
}

// intAt reads the integer that stands at b[j], past white space and
// comments.
func intAt(b []byte, j int) (n int, ok, cut bool) {
	end := min(len(b), j+pdfLookahead)
	j = skipSpaceComments(b[:end], j)
	if j < end && b[j] == '+' {
		j++
	}
	s := j
	for j < end && '0' <= b[j] && b[j] <= '9' {
		n = min(n*10+int(b[j]-'0'), 1<<30) // leading zeros and all: "000000002" is 2
		j++
	}
	if j == end {
		return 0, false, end == len(b)
	}
	return n, j > s, false
}

// valueAt tells what kind of value starts at b[j], past white space and
// comments: '(' a string, '<' a hex string or a dictionary, '[' an array,
// 'R' an indirect reference ("12 0 R"), ']', '/' or '>' where an array or
// dictionary goes on, 0 for anything else. A value beyond pdfLookahead
// counts as every kind (the reader's lexer would reach it). cut says the
// window ended first.
func valueAt(b []byte, j int) (kind byte, at int, cut bool) {
	end := min(len(b), j+pdfLookahead)
	for j < end {
		switch c := b[j]; {
		case isPDFSpace(c):
			j++
		case c == '%':
			for j < end && b[j] != '\r' && b[j] != '\n' {
				j++
			}
		case c == '(' || c == '<' || c == '[' || c == ']' || c == '/' || c == '>':
			return c, j, false
		case '0' <= c && c <= '9' || c == '+' || c == '-':
			// "12 0 R": a number, a number, R, with white space and
			// comments between, as the lexer reads them.
			k := j
			for n := 0; n < 2; n++ {
				if k < end && (b[k] == '+' || b[k] == '-') {
					k++
				}
				s := k
				for k < end && '0' <= b[k] && b[k] <= '9' {
					k++
				}
				if k == s || k >= end || !isPDFSpace(b[k]) && b[k] != '%' {
					return 0, j, k >= end && end == len(b)
				}
				k = skipSpaceComments(b[:end], k)
			}
			if k >= end {
				return 0, j, end == len(b)
			}
			if b[k] == 'R' {
				return 'R', j, false
			}
			return 0, j, false
		default:
			return 0, j, false
		}
	}
	if end == len(b) {
		return 0, j, true
	}
	return 'R', j, false // past the lookahead: fail closed
}

// plausible checks that a string or a '<' value at b[at] reads as one a
// writer would put there, not as image bytes: a dictionary ("<<"), a hex
// string (hex digits), a literal string of text (mostly printable, or
// UTF-16 with its byte order mark). It returns kind, or 0.
func plausible(b []byte, kind byte, at int) (byte, bool) {
	const n = 32
	if at+1+n > len(b) {
		return 0, true
	}
	v := b[at+1 : at+1+n]
	switch kind {
	case '<':
		if v[0] == '<' {
			return kind, false
		}
		for _, c := range v[:8] {
			if !isHex(c) && !isPDFSpace(c) && c != '>' {
				return 0, false
			}
		}
	case '(':
		if v[0] == 0xfe && v[1] == 0xff || v[0] == 0xff && v[1] == 0xfe {
			return kind, false
		}
		if k := bytes.IndexByte(v, ')'); k >= 0 {
			v = v[:k]
		}
		printable := 0
		for _, c := range v {
			if ' ' <= c && c < 0x7f || '\t' <= c && c <= '\r' || c == '\\' {
				printable++
			}
		}
		if len(v) == 0 || printable*2 < len(v) {
			return 0, false
		}
	}
	return kind, false
}

// pdfDecoder decodes the streams of one PDF, within its inspector's
// budget, and scans those that hold objects.
type pdfDecoder struct {
	r    io.ReaderAt
	size int64
	in   *inspector
	p    *pdfScanner
	zr   [pdfMaxLayers]io.ReadCloser // reused: a decompressor is 40 KiB
	// opaque: some stream could not be read to the end (a decode error
	// in an object stream, too many layers): it could hold anything.
	opaque bool
	// identified are the streams (data offsets) read as object streams.
	identified map[int64]bool
}

// pdfMaxLayers bounds the filters tried one after the other on a stream.
const pdfMaxLayers = 6

// A filter a stream's data may be encoded with.
const (
	filterFlate = iota
	filterHex
	filterHex0 // ASCIIHex with what is not a digit read as 0, as poppler reads it
	filterA85
)

// stream looks at the stream whose data start at off. It tries the
// filters whose output the data look like (Flate, ASCIIHex, ASCII85, up
// to pdfMaxLayers of them in any order), decoding pdfProbe bytes; when
// one reading starts like an object stream, that reading is decoded whole
// and its objects scanned. An uncompressed object stream needs nothing:
// the raw scan read its objects.
func (d *pdfDecoder) stream(off int64) {
	var chain [pdfMaxLayers]int
	d.try(off, chain[:0])
}

func (d *pdfDecoder) try(off int64, chain []int) {
	probe := d.read(off, chain, pdfProbe)
	if probe == nil {
		return
	}
	if len(chain) == 0 && objStmHeader(probe) {
		d.identified[off] = true // uncompressed: the raw scan read it
	}
	if len(chain) > 0 {
		if bpps := objStmReadings(probe); len(bpps) > 0 {
			d.identified[off] = true
			d.objects(off, chain, bpps)
		}
	}
	if len(chain) == pdfMaxLayers {
		for _, f := range []int{filterFlate, filterHex, filterA85} {
			if looksEncoded(probe, f) {
				d.opaque = true // more layers than mugai decodes
			}
		}
		return
	}
	// Hex text ("31 20 30 20") reads like an object stream's header too:
	// every filter the reading looks encoded with is tried as well.
	for _, f := range []int{filterFlate, filterHex, filterHex0, filterA85} {
		if looksEncoded(probe, f) {
			d.try(off, append(chain, f))
		}
	}
}

// read decodes up to n bytes of the stream at off through chain; nil when
// nothing decodes. What it decodes counts against the budget.
func (d *pdfDecoder) read(off int64, chain []int, n int64) []byte {
	b, _ := d.readErr(off, chain, n)
	return b
}

// readErr is read, and whether decoding stopped on corrupt data (not at
// the end of the data, nor for a bad checksum after them).
func (d *pdfDecoder) readErr(off int64, chain []int, n int64) ([]byte, bool) {
	var r io.Reader = io.NewSectionReader(d.r, off, d.size-off)
	var raw *io.LimitedReader
	if n <= pdfProbe && len(chain) > 0 {
		// A probe reads little of the file: white space runs under a hex
		// or ASCII85 layer would have it read through every stream after
		// this one.
		raw = &io.LimitedReader{R: r, N: pdfProbeInput}
		r = raw
	}
	for depth, f := range chain {
		switch f {
		case filterFlate:
			// The zlib header read by hand, then raw deflate: poppler
			// ignores the window size (Go's zlib refuses one over 32 KiB)
			// and the checksum.
			var hdr [2]byte
			if _, err := io.ReadFull(r, hdr[:]); err != nil || !looksEncoded(hdr[:], filterFlate) || hdr[1]&0x20 != 0 {
				return nil, false // no zlib header, or a preset dictionary (readers refuse it)
			}
			if d.zr[depth] == nil {
				d.zr[depth] = flate.NewReader(r)
			} else {
				d.zr[depth].(flate.Resetter).Reset(r, nil)
			}
			r = d.zr[depth]
		case filterHex, filterHex0:
			r = hex.NewDecoder(&hexText{r: r, zero: f == filterHex0})
		case filterA85:
			r = ascii85.NewDecoder(&a85Text{r: r})
		}
		// What every layer decodes counts, not only the last: a GiB of
		// white space under a hex layer decodes to nothing.
		r = &budgetCount{r: r, in: d.in}
	}
	if pdfMaxDecode-d.in.pdfDecoded <= 0 {
		return nil, false
	}
	var buf bytes.Buffer
	m, err := io.Copy(&buf, io.LimitReader(r, n)) // a cut end still shows what decoded
	if raw != nil && raw.N == 0 && m < n {
		d.opaque = true // a stream that starts with more padding than any writer puts there
	}
	var corrupt flate.CorruptInputError
	if m == 0 {
		return nil, errors.As(err, &corrupt)
	}
	return buf.Bytes(), errors.As(err, &corrupt)
}

// budgetCount counts what a decoding layer gives against the inspector's
// budget, and ends it past the budget (inspectPDF reports that).
type budgetCount struct {
	r  io.Reader
	in *inspector
}

func (b *budgetCount) Read(p []byte) (int, error) {
	if b.in.pdfDecoded > pdfMaxDecode {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	b.in.pdfDecoded += int64(n)
	return n, err
}

// objects decodes the object stream at off through chain, whole, and
// scans it as it reads: as it is, and through a PNG predictor for each
// bytes-per-pixel its first row reads with and each row width the data
// allow.
func (d *pdfDecoder) objects(off int64, chain []int, bpps []int) {
	left := min(pdfMaxDecode-d.in.pdfDecoded, pdfMaxObjStm)
	data, corrupt := d.readErr(off, chain, left+1)
	if int64(len(data)) > left {
		d.in.pdfDecoded = pdfMaxDecode + 1 // inspectPDF reports it
		return
	}
	if corrupt {
		// Go's inflater stops where a reader's may go on (a distance
		// back past the start, say): the rest could hold anything.
		d.opaque = true
	}
	scan := func(b []byte, predicted bool) {
		sub := pdfScanner{seen: d.p.seen, out: d.p.out, filter: -1, typeEnd: -1, links: d.p.links,
			predicted: predicted, objects: true}
		sub.scan(b, 0, true)
		d.p.seen, d.p.out = sub.seen, sub.out
		// A stream's /DecodeParms may stand in an object stream.
		d.p.tiff = d.p.tiff || sub.tiff
		for _, n := range sub.columns {
			d.p.param("Columns", n)
		}
		for _, n := range sub.colors {
			d.p.param("Colors", n)
		}
		for _, n := range sub.bpc {
			d.p.param("BitsPerComponent", n)
		}
	}
	type reading struct{ width, bpp int }
	var done []reading
	for _, bpp := range bpps {
		if bpp == 0 {
			scan(data, false)
			continue
		}
		var tries []reading
		for _, r := range d.p.rowWidths() {
			if bpp < 0 || r.bpp == bpp {
				tries = append(tries, reading(r))
			}
		}
		if bpp > 0 {
			for _, w := range pngRowWidths(data, 8) {
				tries = append(tries, reading{w, bpp})
			}
		}
		for _, r := range tries {
			if r.bpp >= r.width || slices.Contains(done, r) {
				continue
			}
			done = append(done, r)
			if d.in.pdfDecoded += int64(len(data)); d.in.pdfDecoded > pdfMaxDecode {
				return // inspectPDF reports it
			}
			scan(unpredictPNG(data, r.width, r.bpp), true)
		}
	}
}

// rowWidths are the PNG row widths (the filter byte included) and bytes
// per pixel the dictionaries' parameters give, at most 64.
func (p *pdfScanner) rowWidths() []struct{ width, bpp int } {
	colors, bpc := p.colors, p.bpc
	if !slices.Contains(colors, 1) {
		colors = append(colors, 1) // the defaults
	}
	if !slices.Contains(bpc, 8) {
		bpc = append(bpc, 8)
	}
	var out []struct{ width, bpp int }
	for _, c := range p.columns {
		for _, n := range colors {
			for _, b := range bpc {
				bits := c * n * b
				bpp := max(1, (n*b+7)/8)
				if len(out) < 64 {
					out = append(out, struct{ width, bpp int }{(bits+7)/8 + 1, bpp})
				}
			}
		}
	}
	return out
}

// objStmReadings tells whether d starts like an object stream (object
// numbers and offsets), as it is (0) or as the first row of PNG
// prediction with some bytes per pixel (up to 64; from 33 on the 32
// bytes looked at read as with 32), or -1 for a first row whose filter
// type readers take for none: the readings to scan.
func objStmReadings(d []byte) []int {
	var out []int
	if objStmHeader(d) {
		out = append(out, 0)
	}
	if len(d) > 1 && d[0] > 4 && objStmHeader(d[1:]) {
		out = append(out, -1) // a filter type readers take for none
	}
	if len(d) > 1 && d[0] <= 4 {
		// The first row has no row above: only its filter type and the
		// bytes per pixel matter, not the row width.
		row := d[1:min(len(d), 33)]
		dec := make([]byte, len(row))
		for bpp := 1; bpp <= len(row); bpp++ { // past it, no byte has a left neighbour
			for i, c := range row {
				var left byte
				if i >= bpp {
					left = dec[i-bpp]
				}
				switch d[0] {
				case 1, 4:
					c += left // Paeth with nothing above is Sub
				case 3:
					c += left / 2
				}
				dec[i] = c
			}
			if objStmHeader(dec) {
				out = append(out, bpp)
			}
		}
	}
	return out
}

// looksEncoded reports whether d could be data encoded with filter f.
func looksEncoded(d []byte, f int) bool {
	switch f {
	case filterFlate:
		return len(d) >= 2 && d[0]&0x0f == 8 && (uint16(d[0])<<8|uint16(d[1]))%31 == 0
	case filterHex, filterHex0:
		// Readers skip what is not a digit (a vertical tab, say): most
		// of it digits is enough.
		n, other := 0, 0
		for _, c := range d {
			switch {
			case isHex(c):
				n++
			case isPDFSpace(c):
			case c == '>':
				return n > 0 && other*4 <= n
			default:
				other++
			}
		}
		return n >= 16 && other*4 <= n
	case filterA85:
		n := 0
		for _, c := range d {
			switch {
			case '!' <= c && c <= 'u' || c == 'z':
				n++
			case isPDFSpace(c):
			case c == '~':
				return n > 0
			default:
				return false
			}
		}
		return n >= 16
	}
	return false
}

// hexText feeds hex.NewDecoder the digits of an ASCIIHex stream: white
// space dropped, ending at '>'. An odd last digit ends the decoding with
// an error after the whole bytes (a reader pads it with 0: no name hides
// in half a byte).
type hexText struct {
	r    io.Reader
	eod  bool
	zero bool // what is neither a digit nor white space reads as 0
}

func (h *hexText) Read(p []byte) (int, error) {
	if h.eod {
		return 0, io.EOF
	}
	n, err := h.r.Read(p)
	w := 0
	for _, c := range p[:n] {
		if c == '>' {
			h.eod = true
			break
		}
		switch {
		case isHex(c):
			p[w] = c
			w++
		case h.zero && !isPDFSpace(c):
			p[w] = '0'
			w++
		}
	}
	if h.eod && w == 0 {
		return 0, io.EOF
	}
	if h.eod {
		return w, nil
	}
	return w, err
}

// a85Text feeds ascii85.NewDecoder an ASCII85 stream, ending at "~>".
type a85Text struct {
	r   io.Reader
	eod bool
}

func (a *a85Text) Read(p []byte) (int, error) {
	if a.eod {
		return 0, io.EOF
	}
	n, err := a.r.Read(p)
	if i := bytes.IndexByte(p[:n], '~'); i >= 0 {
		a.eod, n = true, i
	}
	return n, err
}

// objStmHeader reports whether d starts like an object stream: an object
// number and an offset, signs allowed, white space (NUL is white space)
// and comments before and between, as a reader's lexer skips them. What
// holds nothing else in the probe counts too.
func objStmHeader(d []byte) bool {
	i := 0
	for n := 0; n < 2; n++ {
		i = skipSpaceComments(d, i)
		if n == 0 && i == len(d) && len(d) > 0 {
			return true
		}
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		start := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == start || i == len(d) || !isPDFDelim(d[i]) {
			return false // a number ends at white space or a delimiter ("6 0<<…")
		}
	}
	return true
}

// skipSpaceComments returns the offset of the first byte at or after i
// that is neither white space nor in a comment.
func skipSpaceComments(d []byte, i int) int {
	for i < len(d) {
		switch {
		case isPDFSpace(d[i]):
			i++
		case d[i] == '%':
			for i < len(d) && d[i] != '\r' && d[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

func isPDFSpace(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

// pngRowWidths returns up to max row widths (the filter byte included)
// d could have been encoded with a PNG predictor in: d divides into rows
// of that width, each starting with a filter type (0 to 4).
func pngRowWidths(d []byte, max int) []int {
	var out []int
	if len(d) == 0 || d[0] > 4 {
		return nil
	}
	for w := 2; w <= len(d) && len(out) < max; w++ {
		if len(d)%w != 0 {
			continue
		}
		ok := true
		for r := 0; r < len(d); r += w {
			if d[r] > 4 {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, w)
		}
	}
	return out
}

// unpredictPNG undoes PNG prediction (PDF /Predictor 10 to 15) over rows
// of width bytes (the filter byte first) with bpp bytes per pixel.
func unpredictPNG(d []byte, width, bpp int) []byte {
	cols := width - 1
	out := make([]byte, 0, len(d)/width*cols)
	prev := make([]byte, cols)
	for r := 0; r+width <= len(d); r += width {
		ft, row := d[r], d[r+1:r+width]
		cur := make([]byte, cols)
		for i := range cols {
			var left, up, ul byte
			if i >= bpp {
				left, ul = cur[i-bpp], prev[i-bpp]
			}
			up = prev[i]
			switch ft {
			case 1:
				cur[i] = row[i] + left
			case 2:
				cur[i] = row[i] + up
			case 3:
				cur[i] = row[i] + byte((int(left)+int(up))/2)
			case 4:
				cur[i] = row[i] + paeth(left, up, ul)
			default: // 0, and above 4 as poppler and MuPDF read it: none
				cur[i] = row[i]
			}
		}
		out = append(out, cur...)
		prev = cur
	}
	return out
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func isPDFDelim(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
