package sanitize

// TEMPORARY: thin fallbacks for sibling packages that have not landed yet
// (textenc, htmltext, links, filetype). Replaced by direct calls once they do.

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"

	gmcharset "github.com/emersion/go-message/charset"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding/japanese"
)

type encFinding struct{ Kind, Detail string }

type textDecoder interface {
	io.Reader
	Charset() string
	Findings() []encFinding
}

type fbDecoder struct {
	io.Reader
	label string
	f     []encFinding
}

func (d *fbDecoder) Charset() string        { return d.label }
func (d *fbDecoder) Findings() []encFinding { return d.f }

func newTextDecoder(label string, r io.Reader) textDecoder {
	l := strings.ToLower(label)
	if l == "" || l == "utf-8" || l == "us-ascii" {
		return &fbDecoder{Reader: r, label: "utf-8"}
	}
	cr, err := gmcharset.Reader(l, r)
	if err != nil {
		return &fbDecoder{Reader: r, label: "utf-8", f: []encFinding{{"charset-unknown", l}}}
	}
	return &fbDecoder{Reader: cr, label: l}
}

func decodeHeaderText(raw string) (string, []encFinding) {
	d := mime.WordDecoder{CharsetReader: gmcharset.Reader}
	s, err := d.DecodeHeader(raw)
	if err != nil {
		return raw, []encFinding{{"charset-unknown", err.Error()}}
	}
	return s, nil
}

func parseMediaType(v string) (string, map[string]string, []encFinding, error) {
	t, p, err := mime.ParseMediaType(v)
	if err != nil && t == "" {
		return "", nil, nil, err
	}
	return strings.ToLower(t), p, nil, nil
}

type htmlStats struct {
	Links, Images, Hidden int
	DepthExceeded         bool
}

func convertHTML(w io.Writer, r io.Reader, maxDepth int) (htmlStats, error) {
	z := html.NewTokenizer(r)
	var st htmlStats
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return st, nil
			}
			return st, z.Err()
		case html.TextToken:
			if skip == 0 {
				w.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken:
			n, _ := z.TagName()
			switch string(n) {
			case "script", "style", "head":
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			case "br", "p", "div", "tr", "li":
				w.Write([]byte("\n"))
			}
		}
	}
}

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

type classResult struct {
	Class       string
	SniffedType string
	Mismatch    string
	Findings    []string
	Executable  bool
	Encrypted   bool
}

type archiveLimits struct {
	MaxDepth, MaxEntries int
	MaxRatio             float64
	MaxTotal             int64
}

func classify(r io.ReaderAt, size int64, declared, filename string, lim archiveLimits) (classResult, error) {
	head := make([]byte, 512)
	n, _ := r.ReadAt(head, 0)
	t, c := sniff(head[:n])
	res := classResult{Class: c, SniffedType: t}
	if c == "executable" {
		res.Executable = true
	}
	return res, nil
}

func sniff(head []byte) (string, string) {
	switch {
	case bytes.HasPrefix(head, []byte("MZ")), bytes.HasPrefix(head, []byte("\x7fELF")), bytes.HasPrefix(head, []byte("#!")):
		return "application/x-msdownload", "executable"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf", "pdf"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "application/zip", "archive"
	}
	t := http.DetectContentType(head)
	t, _, _ = mime.ParseMediaType(t)
	switch {
	case strings.HasPrefix(t, "text/"):
		return "text/plain", "text"
	case strings.HasPrefix(t, "image/"):
		return t, "image"
	}
	return t, "other"
}

func encodeISO2022JP(s string) ([]byte, int) {
	var b bytes.Buffer
	bad := 0
	enc := japanese.ISO2022JP.NewEncoder()
	for _, r := range s {
		out, err := enc.String(string(r))
		if err != nil {
			bad++
			out, _ = enc.String("?")
		}
		b.WriteString(out)
	}
	return b.Bytes(), bad
}
