package filetype

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"mugai/sanitize/links"
	"mugai/sanitize/textfile"
)

const (
	// maxNestedMemory bounds the nested archives held in memory at once
	// (a stored nested ZIP is read in place and costs nothing).
	maxNestedMemory = 32 << 20
	// ratioFloor: the ratio limit applies from this size on. Tiny entries
	// compress 1000:1 (a 10 KiB run of zeros); the limit is against
	// resource exhaustion, which takes size.
	ratioFloor = 1 << 20
	// maxFindingsPerKind keeps a report of a 1000-entry archive readable.
	maxFindingsPerKind = 5
)

// inspector carries the limits and the budget of one Classify call across
// every nesting level.
type inspector struct {
	lim        Limits
	findings   findings
	executable bool      // an executable or script anywhere
	encrypted  bool      // an encrypted entry anywhere
	encNames   []string  // the first MaxEncryptedNames encrypted entries' display paths
	encCount   int       // encrypted entries, all levels
	members    []Member  // archive members, all levels, outside documents (Result.Members)
	limitHit   bool      // a limit stopped the inspection: at least archive
	corrupt    bool      // a container could not be read: at least archive
	contained  Class     // strictest class of any archive member, all levels
	macroSink  *bool     // set inside an OOXML/ODF document: macros belong to it
	entries    int       // archive entries seen, all levels
	inflated   int64     // bytes decompressed, all levels
	memLeft    int64     // for nested archives held in memory
	pdfStreams int       // PDF streams looked into, all PDFs of the attachment
	pdfDecoded int64     // bytes decoded from them (pdfMaxDecode)
	pdfLinks   *pdfLinks // link targets in them
	// pictureIDs: hyperlink relationships' Ids the next readPart looks
	// for as a picture's link, set by inspectZip for the member read.
	pictureIDs map[string]string
	sigBuf     []byte
}

func newInspector(lim Limits) *inspector {
	lim = lim.withDefaults()
	return &inspector{lim: lim, memLeft: min(lim.MaxTotal, maxNestedMemory)}
}

func (in *inspector) find(kind, detail string) { in.findings.add(kind, detail) }

// limit records a limit finding: the archive is at least "archive".
func (in *inspector) limit(kind, detail string) {
	in.limitHit = true
	in.find(kind, detail)
}

// inspect looks deeper into content already sniffed as (mt, c): archives,
// compound files, PDF and RTF. path prefixes entry names in findings; name
// is the content's own filename (for a gzip member's name); depth is the
// archive nesting level of this content (the attachment is 1). It returns
// the refined type and class of the content.
func (in *inspector) inspect(r io.ReaderAt, size int64, head []byte, mt string, c Class, path, name string, depth int) (string, Class) {
	switch {
	case isZipMagic(head):
		return in.inspectZip(r, size, path, depth, mt)
	case has(head, 0, oleMagic):
		return in.inspectOLE(r, size, path)
	case mt == "application/pdf":
		in.inspectPDF(r, size, path)
	case mt == "application/rtf":
		s := in.rtfScanner(path)
		scanStream(io.NewSectionReader(r, 0, size), size, s.scan)
		in.findAll(s.out, path)
	case mt == "application/gzip" || mt == "application/x-bzip2" || mt == "application/x-tar":
		if depth > in.lim.MaxDepth {
			in.limit("archive: nesting too deep", strings.TrimSuffix(path, "/"))
			return mt, ClassArchive
		}
		in.inspectStream(io.NewSectionReader(r, 0, size), size, mt, path, name, depth)
		return mt, ClassArchive
	case mt == "application/vnd.rar":
		in.find("archive not inspected:", notInspected(mt)+pathSuffix(path))
		in.inspectRAR(r, size, has(head, 0, "Rar!\x1a\x07\x01\x00"), path, depth)
	case c == ClassArchive:
		in.find("archive not inspected:", notInspected(mt)+pathSuffix(path))
	}
	return mt, c
}

func isZipMagic(b []byte) bool {
	return has(b, 0, "PK\x03\x04") || has(b, 0, "PK\x05\x06") || has(b, 0, "PK\x07\x08")
}

func pathSuffix(path string) string {
	if path == "" {
		return ""
	}
	return " " + strings.TrimSuffix(path, "/")
}

// notInspected names an archive type we do not open.
func notInspected(mt string) string {
	switch mt {
	case "application/vnd.rar":
		return "rar"
	case "application/x-7z-compressed":
		return "7z"
	case "application/x-xz":
		return "xz"
	case "application/zstd":
		return "zstd"
	case "application/vnd.ms-cab-compressed":
		return "cab"
	case "application/x-iso9660-image":
		return "iso9660 disk image"
	case "application/x-udf-image":
		return "udf disk image"
	case "application/x-vhd", "application/x-vmdk", "application/x-apple-diskimage":
		return "disk image"
	case "application/x-lzh-compressed":
		return "lzh"
	}
	return strings.TrimPrefix(strings.TrimPrefix(mt, "application/"), "x-")
}

func (in *inspector) inspectOLE(r io.ReaderAt, size int64, path string) (string, Class) {
	info := readCFB(r, size, true, in.charge)
	where := strings.TrimSuffix(path, "/")
	c := info.class
	if info.macros {
		if in.macroSink != nil {
			*in.macroSink = true
		} else {
			in.find(MacroFinding, where)
		}
	}
	// A slide action running a macro or a program blocks keeping as
	// macros do (an OpenDocument slide's "execute" action is ODFMacro);
	// the detail names the stream and the action.
	for _, a := range info.ppt.macros {
		if in.macroSink != nil {
			*in.macroSink = true
		} else {
			in.find(MacroFinding, pptDetail(where, a))
		}
	}
	for _, o := range info.ppt.objects {
		in.find(EmbeddedObject, pptDetail(where, o))
	}
	if info.ppt.verbs {
		in.find(EmbeddedObject, pptDetail(where, "slide action running an object's verb"))
	}
	if info.ppt.media {
		in.find("office: external reference movie or sound", pptDetail(where, "played from a file"))
	}
	for _, t := range info.ppt.links {
		// As a DOCX's HYPERLINK field: a program, a file or a share
		// is opened by a click in the slide show.
		if r := in.links().refused([]byte(t)); r != "" {
			in.find("office: "+strings.TrimPrefix(r, "pdf: "), pptDetail(where, "hyperlink"))
		} else {
			in.links().add([]byte(t))
		}
	}
	if info.xls.macroSheet {
		if in.macroSink != nil {
			*in.macroSink = true
		} else {
			in.find(MacroFinding, xlsDetail(where, "Excel 4.0 macro sheet"))
		}
	}
	if info.xls.external {
		in.find(RunningFormula, xlsDetail(where, "another workbook, or a DDE or OLE link"))
	}
	if info.xlsUnread != "" {
		in.find(oleNotFullyRead, xlsDetail(where, info.xlsUnread))
	}
	// A .doc's field codes count as a DOCX's and an RTF document's do.
	for _, code := range info.doc.codes {
		in.wordField(code, where)
	}
	if info.doc.notInspected != "" {
		in.find("office: fields not inspected", docDetail(where, info.doc.notInspected))
	}
	if info.docUnread != "" {
		in.find(oleNotFullyRead, docDetail(where, info.docUnread))
	}
	if info.oleNative {
		in.find("office: embedded package", where)
	}
	if info.equation {
		in.find(EmbeddedObject, strings.TrimPrefix(where+" (Equation Editor)", " "))
	}
	if info.oleLink {
		in.find(OLELinkObject, where)
	}
	if info.pkgStream {
		in.find(OLEPackageNotInspected, where)
	}
	if info.encrypted {
		in.find("office: encrypted document", where)
		in.encrypted = true
	}
	if info.truncated {
		in.find(oleNotFullyRead, where)
	}
	if info.pptUnread != "" {
		in.find(oleNotFullyRead, pptDetail(where, info.pptUnread))
	}
	if c == ClassExecutable {
		in.executable = true
	}
	return info.mime, c
}

// oleNotFullyRead is the finding for a compound file whose directory,
// or a stream read for what it holds, could not be read to its end.
const oleNotFullyRead = "office: directory not fully read"

// EmbeddedObject is the finding for an OLE object or an ActiveX control
// in a document (an RTF's \object, a PowerPoint 97-2003 presentation's
// records), which the program loads or activates with the document.
const EmbeddedObject = "office: embedded object"

// xlsDetail names what was found in a "Workbook" stream, and where the
// compound file is.
func xlsDetail(where, what string) string {
	return strings.TrimPrefix(where+" (Workbook: "+what+")", " ")
}

// pptDetail names what was found in a "PowerPoint Document" stream, and
// where the compound file is.
func pptDetail(where, what string) string {
	if where == "" {
		return "(PowerPoint Document: " + what + ")"
	}
	return where + " (PowerPoint Document: " + what + ")"
}

// OLELinkObject is the finding for a compound file holding an OLE
// object that is a link (class StdOleLink, an OLE2Link): embedded in a
// document (an OOXML package's oleObject1.bin), it fetches its source
// from the URL or share its moniker names when it updates or is
// activated, a slide's animation activating it without a click.
const OLELinkObject = "office: external reference linked OLE object"

// OLEPackageNotInspected is the finding for a compound file holding an
// OOXML document as an OLE object (a "Package" stream: Word.Document.12
// and its kin in a .doc's object pool, or wrapped as an OOXML
// package's oleObject1.bin), or an OpenDocument one as LibreOffice
// embeds it (a "package_stream"): the program opens it when the object
// is loaded or activated, a slide's animation activating it without a
// click, and its fields, formulas, macros and relationships are not
// read.
const OLEPackageNotInspected = "office: not inspected: document embedded in an OLE object"

func (in *inspector) findAll(kinds []string, path string) {
	for _, f := range kinds {
		in.find(f, strings.TrimSuffix(path, "/"))
	}
}

func readUpTo(r io.ReaderAt, size, max int64) []byte {
	buf := make([]byte, min(size, max))
	n, _ := r.ReadAt(buf, 0)
	return buf[:n]
}

// inspectTrailer finds what sits at the end of a file whose start did not
// say much: a ZIP appended to an image or text (zip readers start from the
// end), a fixed VHD or a DMG (their footer is the last 512 bytes).
func (in *inspector) inspectTrailer(r io.ReaderAt, size int64, mt string, c Class) (string, Class) {
	if size >= 512 {
		foot := make([]byte, 512)
		if n, _ := r.ReadAt(foot, size-512); n == 512 {
			switch {
			case has(foot, 0, "conectix"):
				in.find("archive not inspected:", "disk image")
				return "application/x-vhd", ClassArchive
			case has(foot, 0, "koly"):
				in.find("archive not inspected:", "disk image")
				return "application/x-apple-diskimage", ClassArchive
			}
		}
	}
	// A central directory with at least one real header: random bytes that
	// happen to look like an end record do not make an image an archive.
	if cd, err := readCentralDirectory(r, size, 1); err == nil && len(cd.entries) > 0 {
		in.find("zip: archive appended to", mt)
		_, zc := in.inspectZip(r, size, "", 1, "application/zip")
		in.contained = strictest(in.contained, zc, ClassArchive)
	}
	return mt, c
}

// findings collects findings in order, each once, at most
// maxFindingsPerKind of a kind; the rest are counted.
type findings struct {
	items   []string
	seen    map[string]bool
	perKind map[string]int
	order   []string
}

func (f *findings) add(kind, detail string) {
	if f.seen == nil {
		f.seen, f.perKind = map[string]bool{}, map[string]int{}
	}
	s := kind
	switch {
	case strings.HasPrefix(detail, ":"):
		s = kind + detail
	case detail != "":
		s = kind + " " + detail
	}
	if f.seen[s] {
		return
	}
	f.seen[s] = true
	if f.perKind[kind] == 0 {
		f.order = append(f.order, kind)
	}
	f.perKind[kind]++
	if f.perKind[kind] <= maxFindingsPerKind {
		f.items = append(f.items, s)
	}
}

func (f *findings) list() []string {
	out := append([]string(nil), f.items...)
	for _, k := range f.order {
		if n := f.perKind[k]; n > maxFindingsPerKind {
			out = append(out, fmt.Sprintf("%s (%d more)", strings.TrimSuffix(k, ":"), n-maxFindingsPerKind))
		}
	}
	return out
}

// errLimit stops a read that went past a limit; the finding is recorded
// where the limit is detected.
var errLimit = errors.New("filetype: limit exceeded")

// budgetReader counts decompressed bytes against lim.MaxTotal (all levels
// together) and, when comp > 0, the ratio of this stream against MaxRatio.
// It is what makes lying size headers harmless.
type budgetReader struct {
	in   *inspector
	r    io.Reader
	n    int64
	comp int64
	what string
	err  error
}

func (in *inspector) budget(r io.Reader, comp int64, what string) *budgetReader {
	return &budgetReader{in: in, r: r, comp: comp, what: what}
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	left := b.in.lim.MaxTotal - b.in.inflated
	if left <= 0 {
		b.in.limit("archive: total size exceeded", fmt.Sprintf("(%d bytes)", b.in.lim.MaxTotal))
		b.err = errLimit
		return 0, b.err
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	b.in.inflated += int64(n)
	if b.comp > 0 && b.n >= ratioFloor && float64(b.n) > b.in.lim.MaxRatio*float64(b.comp) {
		b.in.limit("archive: ratio exceeded", b.what)
		b.err = errLimit
		return n, b.err
	}
	return n, err
}

// charge counts n bytes read in place (a stored member, not through a
// budgetReader) against lim.MaxTotal; false, with the limit finding, if
// they do not fit.
func (in *inspector) charge(n int64) bool {
	if n > in.lim.MaxTotal-in.inflated {
		in.limit("archive: total size exceeded", fmt.Sprintf("(%d bytes)", in.lim.MaxTotal))
		return false
	}
	in.inflated += max(n, 0)
	return true
}

// readFullish reads up to len(buf) bytes, returning how many it got and
// the error that stopped it early (nil at a clean end of stream).
func readFullish(r io.Reader, buf []byte) (int, error) {
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return n, err
}

// entry is one member of an archive, whatever the archive format.
type entry struct {
	name      string // decoded, for display and extension
	size      int64  // declared uncompressed size, -1 unknown
	comp      int64  // compressed size, 0 unknown (no ratio check)
	encrypted bool
	format    string // for the encrypted-entry finding: "zip" (default), "rar"
	// at, when set, gives random access to the member's bytes in place
	// (a stored ZIP entry): nested containers are then not copied.
	at io.ReaderAt
}

// inspectEntry classifies one archive member from its name and its bytes
// (rd may be nil when they cannot be read, e.g. encrypted), descending into
// nested archives. path is the display path of the containing archive
// ("" at the top, "inner.zip/" below). It returns the member's class.
func (in *inspector) inspectEntry(e entry, rd io.Reader, path string, depth int) Class {
	where := path + displayName(e.name)
	fn := parseFileName(e.name)
	class := ClassOther
	if nc, _, ok := fn.claim(); ok {
		class = nc.class
	} else {
		class = ""
	}
	if fn.bidi != 0 {
		in.find("archive: bidi control in name", where)
		class = ClassExecutable
	}
	if escapesFolder(e.name) {
		in.find(EscapingEntry, where)
	}
	if class == ClassExecutable {
		in.executable = true
	}
	if e.encrypted {
		in.encrypted = true
		format := e.format
		if format == "" {
			format = "zip"
		}
		in.find(format+": encrypted entry", where)
		if in.encCount++; len(in.encNames) < MaxEncryptedNames {
			in.encNames = append(in.encNames, where)
		}
		class = strictest(class, ClassEncryptedArchive)
	}
	if rd == nil {
		if class == ClassArchive {
			in.find("archive: nested archive not inspected", where)
		}
		return in.noteExecutable(class, where)
	}

	br := in.budget(rd, e.comp, where)
	head := make([]byte, sniffShort)
	n, err := readFullish(br, head)
	head = head[:n]
	mt, c := Sniff(head)
	if c == ClassOther && n == sniffShort && err == nil {
		more := make([]byte, sniffLong-sniffShort)
		m, err2 := readFullish(br, more)
		head = append(head, more[:m]...)
		err = err2
		mt, c = Sniff(head)
	}
	if err != nil && !errors.Is(err, errLimit) {
		in.corrupt = true
		in.find("archive: corrupt entry", where+": "+errText(err))
	}
	if in.macroSink == nil && (slices.ContainsFunc(fn.exts, activeMarkupName) || mt == "text/html" || mt == "image/svg+xml") {
		// Opened from the archive in a browser, it runs its scripts (HTML
		// smuggling): never delivered, as when attached directly. The
		// parts of an Office document are its own.
		in.find("archive: active content entry", where)
	}
	if in.macroSink == nil && (slices.ContainsFunc(fn.exts, messageName) || mt == "application/ms-tnef") {
		// Unpacked, it opens in the mail client or the calendar, which
		// shows or imports what it holds (HTML, attachments, folded and
		// encoded text): nothing of that is inspected here, as nothing
		// of one attached directly is delivered.
		in.find(MessageEntry, where)
	}
	if in.macroSink == nil && slices.Contains(fn.exts, "slk") {
		// SYLK is text, so no misnamed content tells it, and Excel runs
		// the formulas in its records (DDE, Excel 4.0 macros): it cannot
		// be read for them as a CSV is.
		in.find(FormulaEntry, where+" (SYLK, which holds formulas and macros)")
	}
	if in.macroSink == nil && sheetName(fn.exts) != "" && c != ClassText && len(head) > 0 {
		// Unpacked, a spreadsheet opens it as data whatever it holds (a
		// control byte, "%PDF-" in its first KiB) and runs its formulas:
		// not text, it cannot be read for them, as an attached one.
		in.find("archive: spreadsheet entry not inspected", where+": not text ("+mt+")")
	}
	full := io.MultiReader(bytes.NewReader(head), br)
	if err != nil {
		full = bytes.NewReader(head)
	}

	switch {
	case isZipMagic(head) || has(head, 0, oleMagic) || mt == "application/vnd.rar":
		isArchive := c == ClassArchive
		if isArchive {
			in.find("zip: nested archive", where)
			if depth+1 > in.lim.MaxDepth {
				in.limit("archive: nesting too deep", where)
				return in.noteExecutable(strictest(class, c, ClassArchive), where)
			}
		}
		ra, size, release, ok := in.hold(e, head, full, br, where)
		if !ok {
			return in.noteExecutable(strictest(class, c, ClassArchive), where)
		}
		if e.at != nil && has(head, 0, oleMagic) && !in.charge(size-int64(len(head))) {
			// A compound file read in place costs up to a few
			// milliseconds (its directory, the FAT chain to its
			// \x01Ole streams), whatever the budget: 1000 entries
			// over one stored 20 MiB file took seconds. What the
			// budget has not seen counts now, as for a CSV below.
			release()
			return in.noteExecutable(strictest(class, c, ClassArchive), where)
		}
		nd := depth
		if isArchive {
			nd = depth + 1
		}
		mt, c = in.inspect(ra, size, head, mt, c, where+"/", e.name, nd)
		release()
	case mt == "application/gzip" || mt == "application/x-bzip2" || mt == "application/x-tar":
		in.find("zip: nested archive", where)
		if depth+1 > in.lim.MaxDepth {
			in.limit("archive: nesting too deep", where)
			c = ClassArchive
			break
		}
		in.inspectStream(full, e.comp, mt, where+"/", e.name, depth+1)
	case mt == "application/pdf":
		// Its object streams are read where they stand: held like a
		// nested archive.
		ra, size, release, ok := in.hold(e, head, full, br, where)
		if !ok {
			return in.noteExecutable(strictest(class, c, ClassArchive), where)
		}
		in.inspectPDF(ra, size, where)
		release()
	case mt == "application/rtf":
		s := in.rtfScanner(where)
		scanStream(full, math.MaxInt64, s.scan)
		in.findAll(s.out, where)
	case c == ClassText && in.macroSink == nil && sheetName(fn.exts) != "":
		// Unpacked, it opens in the spreadsheet, which runs its
		// formulas: an attached CSV has them made text, one in an
		// archive cannot be rewritten.
		ra, size, release, ok := in.hold(e, head, full, br, where)
		if !ok {
			return in.noteExecutable(strictest(class, c, ClassArchive), where)
		}
		// A stored member is read in place, past the budget reader, and
		// ZIP entries may overlap: 1000 entries over one 20 MiB CSV
		// would have it parsed 1000 times. What the budget has not seen
		// counts now.
		if e.at != nil && !in.charge(size-int64(len(head))) {
			release()
			return in.noteExecutable(strictest(class, c, ClassArchive), where)
		}
		in.inspectSheet(ra, size, sheetName(fn.exts) != "csv", where)
		release()
	case c == ClassArchive:
		in.find("zip: nested archive", where)
		in.find("archive not inspected:", notInspected(mt)+" "+where)
	}
	if in.macroSink == nil && len(in.members) < in.lim.MaxEntries && !folderMetadata(e.name, head) && !strings.HasSuffix(strings.ReplaceAll(e.name, `\`, "/"), "/") {
		t := mt
		if len(head) == 0 {
			t = ""
		}
		in.members = append(in.members, Member{Path: where, Exts: fn.exts, Type: t})
	}
	if in.macroSink == nil && len(head) > 0 && !namedAsContent(fn, mt) {
		// Unpacked, the file opens in the program its name says, which
		// reads it as something other than what mugai inspected (a PDF
		// reader finds a PDF anywhere in a workbook's first KiB): the
		// rule for an attached file's name (NameFits) holds inside an
		// archive too. The parts of an Office document are its own,
		// read by their declared types. An empty file has nothing to
		// read (an empty .pdf sniffs as text).
		in.find(misnamedEntry, where+" ("+mt+")")
	}
	return in.noteExecutable(strictest(class, c), where)
}

// folderMetadata reports a member that a file manager writes about the
// others, not a file of the sender's, by its name and its content:
// macOS's AppleDouble files ("._" and the name they describe, under
// __MACOSX/ or beside it) and .DS_Store, Windows' Thumbs.db. Finder
// puts them in every ZIP it makes; an AppleDouble "._予算.pdf" is no
// PDF, and a policy that keeps the PDFs of an archive would refuse
// every archive from a Mac for them.
func folderMetadata(name string, head []byte) bool {
	name = strings.ReplaceAll(name, `\`, "/")
	base := name[strings.LastIndexByte(name, '/')+1:]
	switch {
	case strings.HasPrefix(base, "._"):
		return bytes.HasPrefix(head, []byte("\x00\x05\x16\x07"))
	case base == ".DS_Store":
		return bytes.HasPrefix(head, []byte("\x00\x00\x00\x01Bud1"))
	case strings.EqualFold(base, "Thumbs.db"):
		return bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"))
	}
	return false
}

// misnamedEntry is the finding for an archive member whose extension is
// not one its content goes by.
const misnamedEntry = "archive: entry named unlike its content"

// FormulaEntry is the finding for an archive member that a spreadsheet
// opens (.csv, .tsv, .tab) with fields it would run as formulas
// (=HYPERLINK, DDE), or a SYLK file (.slk): the detail says where and
// how many.
const FormulaEntry = "archive: spreadsheet entry with formulas"

// SYLKFile is the finding for an attached file named .slk: SYLK is text,
// which Excel opens as a sheet and runs the formulas (DDE) and Excel 4.0
// macros of.
const SYLKFile = "spreadsheet: SYLK file"

// sheetName is the extension of a member's name that a spreadsheet
// opens as data (csv, or tsv and tab, tab-separated), or "".
func sheetName(exts []string) string {
	for _, e := range exts {
		switch e {
		case "csv", "tsv", "tab":
			return e
		}
	}
	return ""
}

// inspectSheet reads a CSV or TSV member as the sanitiser reads an
// attached one (textfile: every separator and quoting Excel and Calc
// may use, the charset guessed as for body text) and notes the fields
// that would start a formula, or that it could not be read so.
func (in *inspector) inspectSheet(r io.ReaderAt, size int64, tsv bool, where string) {
	res, err := textfile.Rewrite(io.Discard, r, size, textfile.Options{Links: links.Keep, Formulas: true, TSV: tsv})
	switch {
	case errors.Is(err, textfile.ErrSYLK):
		// Excel opens it as SYLK, as a member named .slk.
		in.find(FormulaEntry, where+" (SYLK, which holds formulas and macros)")
	case err != nil:
		in.find("archive: spreadsheet entry not inspected", where+": "+errText(err))
	case res.Formulas > 0:
		unit := "fields"
		if res.Formulas == 1 {
			unit = "field"
		}
		in.find(FormulaEntry, fmt.Sprintf("%s (%d %s)", where, res.Formulas, unit))
	}
}

// namedAsContent reports whether each extension a member's name may be
// read with fits its content (NameFits), where the extension is one
// mugai ties to a format it tells apart: an extension it does not know
// (".dat", ".kmz") says nothing.
func namedAsContent(fn fileName, mt string) bool {
	for _, ext := range fn.exts {
		if formatExtensions[ext] && !NameFits(ext, mt) {
			return false
		}
	}
	return true
}

// formatExtensions are the extensions of typeExtensions.
var formatExtensions = func() map[string]bool {
	m := map[string]bool{}
	for _, exts := range typeExtensions {
		for _, e := range exts {
			m[e] = true
		}
	}
	return m
}()

// EscapingEntry is the finding for an archive member whose name would
// have an extractor write it outside the folder it extracts to.
const EscapingEntry = "archive: entry written outside its folder"

// escapesFolder reports a member name that is absolute (/etc/x, \\x,
// C:\x, C:x) or climbs out with a ".." component, "/" and "\" both
// separating: extracted as written, it would overwrite a file elsewhere
// (a startup folder's shortcut, say). Extractors mostly refuse or clean
// such names; one that does not is reason enough not to deliver it.
func escapesFolder(name string) bool {
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) ||
		len(name) >= 2 && name[1] == ':' && ('a' <= name[0]|0x20 && name[0]|0x20 <= 'z') {
		return true
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if strings.TrimRight(part, " .") == "" && strings.Contains(part, "..") {
			return true // "..", and forms Windows may trim to it (".. ", "...")
		}
	}
	return false
}

// MacroFinding is the finding of an Office document (OLE2 or OOXML)
// with a VBA project, an Excel 4.0 macro sheet or a macro-enabled type.
const MacroFinding = "office: macros"

// LinkEntry is the finding for an archive member that an extractor
// makes a link (a ZIP entry with a Unix symlink mode, a tar symlink or
// hard link): what it writes later through the link, or the link
// itself, lands wherever the sender chose, outside the folder too.
const LinkEntry = "archive: link entry"

// MessageEntry starts the finding for a mail message, TNEF, calendar or
// contact file in an archive (messageName).
const MessageEntry = "archive: mail, calendar or contact entry"

// messageName reports the extensions of mail message files (.eml,
// Outlook's .msg and .oft, S/MIME .p7m), calendars and contacts, which
// the sanitiser never delivers as attachments (TNEF is told by its
// content).
func messageName(ext string) bool {
	switch ext {
	case "eml", "emlx", "msg", "oft", "nws", "mbox", "mbx", "p7m", "ics", "ical", "icalendar", "ifb", "vcs", "vcf", "vcard":
		return true
	}
	return false
}

// activeMarkupName reports whether a file with extension ext (lower case,
// no dot) is one a browser opens and runs scripts in.
func activeMarkupName(ext string) bool {
	switch ext {
	case "htm", "html", "xhtml", "xht", "shtml", "svg", "svgz", "mht", "mhtml", "hta":
		return true
	}
	return false
}

func (in *inspector) noteExecutable(c Class, where string) Class {
	in.contained = strictest(in.contained, c)
	if c == ClassExecutable {
		in.executable = true
		in.find("archive: executable entry", where)
	}
	return c
}

// hold makes a nested container randomly accessible: in place when the
// entry is stored, else read into memory within memLeft. release gives the
// memory back.
func (in *inspector) hold(e entry, head []byte, full io.Reader, br *budgetReader, where string) (io.ReaderAt, int64, func(), bool) {
	if e.at != nil {
		return e.at, e.size, func() {}, true
	}
	if e.size > in.memLeft || (e.size < 0 && in.memLeft <= 0) {
		in.limit("archive: nested archive too large", where)
		return nil, 0, nil, false
	}
	want := e.size
	if want < 0 {
		want = in.memLeft
	}
	// Grow with what arrives: a declared size is only a claim.
	w := bytes.NewBuffer(make([]byte, 0, min(want, 64<<10)))
	n, err := io.Copy(w, io.LimitReader(full, in.memLeft+1))
	if errors.Is(err, errLimit) {
		return nil, 0, nil, false
	}
	if err != nil {
		in.corrupt = true
		in.find("archive: corrupt entry", where+": "+errText(err))
		return nil, 0, nil, false
	}
	if n > in.memLeft {
		in.limit("archive: nested archive too large", where)
		return nil, 0, nil, false
	}
	in.memLeft -= n
	data := w.Bytes()
	return bytes.NewReader(data), n, func() { in.memLeft += n }, true
}

// withWhere prefixes a detail with the member path, if any.
func withWhere(where, msg string) string {
	if where == "" {
		return ": " + msg
	}
	return where + ": " + msg
}

// errText shortens a library error for a finding.
func errText(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
