package sanitize

// The sibling packages, behind the few functions the walker calls.

import (
	"io"
	"regexp"
	"strings"

	"mugai/sanitize/filetype"
	"mugai/sanitize/htmltext"
	"mugai/sanitize/textenc"
)

type encFinding = textenc.Finding

// newTextDecoder decodes text declared as label to UTF-8, detecting wrong
// and missing labels (registering go-message's missing labels is done by
// textenc's init).
func newTextDecoder(label string, r io.Reader) *textenc.Reader { return textenc.NewReader(label, r) }

func decodeHeaderText(raw string) (string, []encFinding) { return textenc.DecodeHeader(raw) }

func parseMediaType(v string) (string, map[string]string, []encFinding, error) {
	t, p, f, err := textenc.ParseMediaType(v)
	return strings.ToLower(t), p, f, err
}

func convertHTML(w io.Writer, r io.Reader, maxDepth int) (htmltext.Stats, error) {
	return htmltext.Convert(w, r, htmltext.Options{MaxDepth: maxDepth})
}

func encodeISO2022JP(s string) ([]byte, int) { return textenc.EncodeISO2022JP(s) }

type classResult struct {
	Class       string
	SniffedType string
	Mismatch    string
	Findings    []string
	Executable  bool
	Encrypted   bool
}

type archiveLimits = filetype.Limits

func classify(r io.ReaderAt, size int64, declared, filename string, lim archiveLimits) (classResult, error) {
	res, err := filetype.Classify(r, size, declared, filename, lim)
	return classResult{
		Class: string(res.Class), SniffedType: res.SniffedType, Mismatch: res.Mismatch,
		Findings: res.Findings, Executable: res.Executable, Encrypted: res.Encrypted,
	}, err
}

func sniff(head []byte) (string, string) {
	t, c := filetype.Sniff(head)
	return t, string(c)
}

// TEMPORARY until sanitize/links lands: a minimal defanger.
var fbURL = regexp.MustCompile(`(?i)\b(https?|ftp)://[^\s<>"]+`)

func rewriteLinks(line, mode string) (string, int) {
	if mode == "keep" {
		return line, 0
	}
	n := 0
	out := fbURL.ReplaceAllStringFunc(line, func(u string) string {
		n++
		if mode == "remove" {
			return "[リンク削除]"
		}
		u = strings.Replace(u, "http", "hxxp", 1)
		u = strings.Replace(u, "HTTP", "hxxp", 1)
		return strings.ReplaceAll(u, ".", "[.]")
	})
	return out, n
}
