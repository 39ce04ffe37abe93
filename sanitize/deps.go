package sanitize

// The sibling packages, behind the few functions the walker calls.

import (
	"io"
	"strings"

	"mugai/sanitize/filetype"
	"mugai/sanitize/htmltext"
	"mugai/sanitize/links"
	"mugai/sanitize/textenc"
)

type encFinding = textenc.Finding

// newTextDecoder decodes text declared as label to UTF-8, detecting wrong
// and missing labels (registering go-message's missing labels is done by
// textenc's init).
func newTextDecoder(label string, r io.Reader) *textenc.Reader { return textenc.NewReader(label, r) }

func sevenBitLabel(label string) bool { return textenc.SevenBitLabel(label) }

// lineCharset reports a known charset in which ASCII is ASCII.
func lineCharset(name string) bool { _, ok := textenc.LookupCodec(name); return ok }

func decodeHeaderText(raw string) (string, []encFinding) { return textenc.DecodeHeader(raw) }

func parseMediaType(v string) (string, map[string]string, []encFinding, error) {
	t, p, f, err := textenc.ParseMediaType(v)
	return strings.ToLower(t), p, f, err
}

// convertHTML converts the decoded HTML part open gives from its start,
// once per pass (htmltext.Convert reads it up to three times).
// mismatchMark follows a link whose text shows another site.
const mismatchMark = htmltext.MismatchMark

func convertHTML(w io.Writer, open func() io.Reader, maxDepth int) (htmltext.Stats, error) {
	return htmltext.Convert(w, open, htmltext.Options{MaxDepth: maxDepth})
}

func encodeISO2022JP(s string) ([]byte, int) { return textenc.EncodeISO2022JP(s) }
func prepareISO2022JP(s string) string       { return textenc.PrepareISO2022JP(s) }
func needsISOPrepare(s []byte) bool          { return textenc.NeedsPrepare(s) }

func appendISO2022JP(dst, s []byte) ([]byte, int) { return textenc.AppendISO2022JPBytes(dst, s) }

func countUnencodable(s []byte) int { return textenc.CountUnencodable(s) }

type classResult struct {
	Class       string
	SniffedType string
	Mismatch    string
	Findings    []string
	Executable  bool
	Encrypted   bool
	Links       int // distinct link targets in its PDFs
	EncEntries  []string
	EncCount    int
	Members     []archiveMember
}

type archiveMember = filetype.Member

type archiveLimits = filetype.Limits

func classify(r io.ReaderAt, size int64, declared, filename string, lim archiveLimits) (classResult, error) {
	res, err := filetype.Classify(r, size, declared, filename, lim)
	return classResult{
		Class: string(res.Class), SniffedType: res.SniffedType, Mismatch: res.Mismatch,
		Findings: res.Findings, Executable: res.Executable, Encrypted: res.Encrypted,
		Links: res.Links, EncEntries: res.EncryptedEntries, EncCount: res.EncryptedCount,
		Members: res.Members,
	}, err
}

func sniffFile(head []byte) (string, string) {
	t, c := filetype.SniffFile(head)
	return t, string(c)
}

func sniff(head []byte) (string, string) {
	t, c := filetype.Sniff(head)
	return t, string(c)
}

// nameFits reports whether a file named with extension ext may hold
// content sniffed as mt (filetype.NameFits).
func nameFits(ext, mt string) bool { return filetype.NameFits(ext, mt) }

// rewriteLinks neutralises the URLs of one line of text (links.Rewrite).
func rewriteLinks(line, mode string) (string, int) { return links.Rewrite(line, mode) }

// inLocalPart reports a link in an address's local part (links.InLocalPart).
func inLocalPart(spec, mode string) bool { return links.InLocalPart(spec, mode) }

// appendLinks appends line with its URLs neutralised to dst.
func appendLinks(dst, line []byte, mode string) ([]byte, int) { return links.Append(dst, line, mode) }
