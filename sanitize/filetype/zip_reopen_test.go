package filetype

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// failingReopen is a ReaderAt over data that serves archive/zip's read
// of the local header at off once and fails it later: an entry that
// opens for the walk and then not again.
type failingReopen struct {
	data  []byte
	off   int64
	reads int
}

func (r *failingReopen) ReadAt(p []byte, at int64) (int, error) {
	if at == r.off && len(p) == 30 { // archive/zip's read of the header
		if r.reads++; r.reads > 1 {
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

// TestReopenFails: the readers that open an entry a second time (an
// OpenDocument picture, an OOXML part read as SVG, Word's settings)
// ignore a failure to open it, because the failure is the caller's
// reader failing and Classify answers that with an error, which the
// sanitiser takes for an attachment it cannot keep. Were the error
// lost, a picture that fetches from a share would go unread.
func TestReopenFails(t *testing.T) {
	for _, c := range []struct {
		name, filename, member string
		data                   []byte
	}{
		{"OpenDocument picture", "a.odt", "Pictures/1.svg",
			odfFile(t, mimeODT, odfBody("text", odfSVGFrame), deflate("Pictures/1.svg", svgImage(`\\evil.example\s\a.png`)))},
		{"OOXML part drawn as SVG", "a.docx", "word/media/image1.png",
			docx(t, deflate("word/media/image1.png", svgImage(`\\evil.example\s\a.png`)))},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &failingReopen{data: c.data, off: localHeader(t, c.data, c.member)}
			res, err := Classify(r, int64(len(c.data)), "", c.filename, DefaultLimits())
			if err == nil || !strings.Contains(err.Error(), "read error") {
				t.Errorf("Classify = %q, %v: want the second open's failure as an error", res.Findings, err)
			}
			if r.reads < 2 {
				t.Errorf("the member's header was read %d times: the test did not reach a second open", r.reads)
			}
		})
	}
}
