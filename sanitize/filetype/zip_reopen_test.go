package filetype

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// failingReopen is a ReaderAt over data that counts archive/zip's
// reads of the local header at off and fails each from the failFrom-th
// on (0: none): an entry that opens for the first readers and then not
// again.
type failingReopen struct {
	data     []byte
	off      int64
	failFrom int
	reads    int
}

func (r *failingReopen) ReadAt(p []byte, at int64) (int, error) {
	if at == r.off && len(p) == 30 { // archive/zip's read of the header
		if r.reads++; r.failFrom > 0 && r.reads >= r.failFrom {
			return 0, errors.New("read error")
		}
	}
	return bytes.NewReader(r.data).ReadAt(p, at)
}

// localHeader returns the offset of name's local file header in data.
func localHeader(t *testing.T, data []byte, name string) int64 {
	for i := 0; ; {
		k := bytes.Index(data[i:], []byte("PK\x03\x04"))
		if k < 0 {
			t.Fatalf("no local header for %s", name)
		}
		i += k
		n := int(data[i+26]) | int(data[i+27])<<8
		if string(data[i+30:i+30+n]) == name {
			return int64(i)
		}
		i += 4
	}
}

// TestReopenFails: the readers that open an entry a second time, after
// the walk opened it (an OpenDocument part, an OOXML part read as SVG,
// Word's settings), ignore a failure to open it, because the failure is
// the caller's reader failing and Classify answers that with an error,
// which the sanitiser takes for an attachment it cannot keep. Were the
// error lost, a picture that fetches from a share would go unread. Each
// open after the walk's is made to fail in turn, the walk's own
// succeeding (no "archive: corrupt entry"): failing every read from the
// second on failed the walk's open, and said nothing of the others.
func TestReopenFails(t *testing.T) {
	const nsW = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	for _, c := range []struct {
		name, filename, member string
		data                   []byte
	}{
		{"OpenDocument picture", "a.odt", "Pictures/1.svg",
			odfFile(t, mimeODT, odfBody("text", odfSVGFrame), deflate("Pictures/1.svg", svgImage(`\\evil.example\s\a.png`)))},
		{"OOXML part drawn as SVG", "a.docx", "word/media/image1.png",
			docx(t, deflate("word/media/image1.png", svgImage(`\\evil.example\s\a.png`)))},
		{"Word settings", "a.docx", "word/settings.xml",
			docx(t, deflate("word/settings.xml", []byte(`<?xml version="1.0"?><w:settings `+nsW+`><w:mailMerge><w:mainDocumentType w:val="formLetters"/>`+
				`<w:connectString w:val="Data Source=\\192.0.2.1\s\a.xlsx"/></w:mailMerge></w:settings>`)))},
	} {
		t.Run(c.name, func(t *testing.T) {
			off := localHeader(t, c.data, c.member)
			all := &failingReopen{data: c.data, off: off}
			if res, err := Classify(all, int64(len(c.data)), "", c.filename, DefaultLimits()); err != nil || len(res.Findings) == 0 {
				t.Fatalf("Classify with every read served = %q, %v: want the content's finding and no error", res.Findings, err)
			}
			second := 0
			for from := 1; from <= all.reads; from++ {
				r := &failingReopen{data: c.data, off: off, failFrom: from}
				res, err := Classify(r, int64(len(c.data)), "", c.filename, DefaultLimits())
				if slices.ContainsFunc(res.Findings, func(f string) bool { return strings.HasPrefix(f, "archive: corrupt entry") }) {
					continue // the walk's own open failed
				}
				second++
				if err == nil || !strings.Contains(err.Error(), "read error") {
					t.Errorf("header reads from the %d-th of %d failing: Classify = %q, %v: want the failure as an error", from, all.reads, res.Findings, err)
				}
			}
			if second == 0 {
				t.Errorf("of the %d reads of the member's header none came after the walk's open: the test reached no second reader", all.reads)
			}
		})
	}
}
