package filetype

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Classify tells what an attachment is from its content r (size bytes), the
// declared Content-Type and the decoded filename. The strictest reading
// wins (executable > encrypted-archive > archive > office > pdf > other >
// image > text); archives are opened within lim (zero fields take
// DefaultLimits).
//
// Malformed content is never an error: a corrupt ZIP is an archive with a
// finding. err is non-nil only when r fails to deliver size bytes (or on an
// internal panic, recovered); the Result is then incomplete and the
// attachment must not be kept. Classify reads at most a bounded amount of
// r, decompresses at most lim.MaxTotal bytes and holds at most 32 MiB of
// nested archives in memory.
func Classify(r io.ReaderAt, size int64, declaredType, filename string, lim Limits) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res = Result{
				Class:       ClassExecutable,
				SniffedType: "application/octet-stream",
				Findings:    []string{"filetype: internal error"},
			}
			err = fmt.Errorf("filetype: classify %q: panic: %v", displayName(filename), p)
		}
	}()
	if size < 0 {
		return Result{Class: ClassOther, SniffedType: "application/octet-stream"},
			fmt.Errorf("filetype: classify %q: negative size %d", displayName(filename), size)
	}
	in := newInspector(lim)
	rec := &recordingReaderAt{r: r}
	src := io.NewSectionReader(rec, 0, size)

	head, _ := readHead(src, size)
	mt, content := Sniff(head)
	mt, content = in.inspect(src, size, head, mt, content, "", filename, 1)
	// A ZIP's own directory is its trailer; any other file that readers
	// open from the start can carry one at its end, which archivers open.
	if !isZipMagic(head) && !Stricter(content, ClassOffice) {
		mt, content = in.inspectTrailer(src, size, mt, content)
	}

	fn := parseFileName(filename)
	ext, extName, hasExt := fn.claim()
	var declared claim
	dt := normDeclared(declaredType)
	if dt != "" {
		declared = declaredClaim(dt)
	}
	if fn.bidi != 0 {
		in.find("filename: bidi control", fmt.Sprintf("U+%04X in %s", fn.bidi, displayName(filename)))
	}
	if fn.double != "" && ext.class == ClassExecutable && extensionTable[fn.double].class != ClassExecutable {
		in.find("filename: double extension", "."+fn.double+"."+extName)
	}
	if slices.Contains(fn.exts, "slk") {
		// As in an archive (inspectEntry): text that Excel opens and runs
		// the formulas and macros of, which no rewriting makes safe.
		in.find(SYLKFile, displayName(filename))
	}

	class := strictest(content, in.contained)
	if hasExt {
		class = strictest(class, ext.strictClass(content))
	}
	// Windows declares .csv as application/vnd.ms-excel: text content
	// under that label is a CSV, not a workbook.
	if dt != "" && !(dt == "application/vnd.ms-excel" && content == ClassText) {
		class = strictest(class, declared.strictClass(content))
	}
	if in.limitHit || in.corrupt {
		class = strictest(class, ClassArchive)
	}
	if in.encrypted {
		class = strictest(class, ClassEncryptedArchive)
	}
	exe := in.executable || content == ClassExecutable ||
		(hasExt && ext.class == ClassExecutable) || (dt != "" && declared.class == ClassExecutable)
	if exe || fn.bidi != 0 {
		class = ClassExecutable
	}

	res = Result{
		Class:       class,
		SniffedType: mt,
		Findings:    in.findings.list(),
		Executable:  exe,
		Encrypted:   in.encrypted,
		Links:       in.pdfLinks.count(),

		EncryptedEntries: in.encNames,
		EncryptedCount:   in.encCount,
		Members:          in.members,
	}
	res.Mismatch = mismatch(dt, declared, extName, ext, hasExt, mt, content)
	if rec.err != nil {
		return res, fmt.Errorf("filetype: classify %q: %w", displayName(filename), rec.err)
	}
	return res, nil
}

// mismatch describes disagreement between the declared type, the extension
// and the content, or returns "".
func mismatch(dt string, declared claim, extName string, ext claim, hasExt bool, mt string, content Class) string {
	ok := true
	if dt != "" && !declared.consistentWith(content) {
		ok = false
	}
	if hasExt && !ext.consistentWith(content) {
		ok = false
	}
	if dt != "" && hasExt && !agree(declared, ext, content) {
		ok = false
	}
	if ok {
		return ""
	}
	var parts []string
	if dt != "" {
		parts = append(parts, "declared "+dt)
	}
	if hasExt {
		parts = append(parts, "extension ."+displayName(extName))
	}
	parts = append(parts, "content "+mt)
	return strings.Join(parts, ", ")
}

// agree reports whether a declared type and an extension name the same
// family (given content they are both consistent with).
func agree(d, e claim, content Class) bool {
	switch {
	case d.class == e.class, d.also == e.class && d.also != "", e.also == d.class && e.also != "":
		return true
	case content == ClassText && d.textual && e.class == ClassText:
		return true // a .csv declared application/vnd.ms-excel or text/html
	}
	return false
}

// readHead reads the first bytes for sniffing: 4 KiB, or 36 KiB when that
// is not enough to tell (ISO 9660 descriptors sit at 32 KiB).
func readHead(r io.ReaderAt, size int64) ([]byte, error) {
	n := min(size, sniffShort)
	head := make([]byte, n)
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return head[:0], err
	}
	if _, c := Sniff(head); c == ClassOther && size > n {
		long := make([]byte, min(size, sniffLong))
		m, _ := r.ReadAt(long, 0)
		head = long[:m]
	}
	return head, nil
}

// recordingReaderAt remembers the first failure of the caller's reader:
// every read Classify makes lies within size, so a short read is an error.
type recordingReaderAt struct {
	r   io.ReaderAt
	err error
}

func (r *recordingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	if n == len(p) {
		return n, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if r.err == nil {
		r.err = fmt.Errorf("read %d bytes at %d: %w", len(p), off, err)
	}
	return n, err
}
