package filetype

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestLibreOfficeFiles classifies Office files a real program wrote:
// LibreOffice converts the flat OpenDocument files in
// testdata/libreoffice to .doc, .rtf, .xls, .ppt and their OOXML and
// OpenDocument forms. Documents of text, a page number, a date, links
// to the web and mail, a sum and a presentation are clean in every
// format (the readers built from the specifications found LibreOffice's
// empty VBAInfoAtom in every .ppt to be macros); links to a program on
// the disk are found in the binary formats too. It needs soffice
// (Debian's libreoffice-*-nogui); .ci/run installs it and sets
// MUGAI_REQUIRE_INTEROP=1, which makes a missing soffice a failure.
func TestLibreOfficeFiles(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
			t.Fatal("soffice not found (apt-get install libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui)")
		}
		t.Skip("soffice not found")
	}
	if testing.Short() {
		t.Skip("converting with LibreOffice takes seconds")
	}
	out := t.TempDir()
	profile := "file://" + filepath.Join(t.TempDir(), "profile")
	// One run of soffice a format: each start takes seconds.
	convert := func(format string, srcs ...string) {
		t.Helper()
		args := []string{"-env:UserInstallation=" + profile, "--headless", "--convert-to", format, "--outdir", out}
		for _, src := range srcs {
			args = append(args, filepath.Join("testdata", "libreoffice", src))
		}
		if b, err := exec.Command(soffice, args...).CombinedOutput(); err != nil {
			t.Fatalf("soffice --convert-to %s %v: %v\n%s", format, srcs, err, b)
		}
	}
	read := func(src, format string) []byte {
		t.Helper()
		name := filepath.Join(out, src[:len(src)-len(filepath.Ext(src))]+"."+format)
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("soffice wrote no %s: %v", name, err)
		}
		return b
	}
	convert("doc", "doc1.fodt", "doc2.fodt")
	convert("rtf", "doc1.fodt", "doc2.fodt")
	convert("docx", "doc1.fodt")
	convert("odt", "doc1.fodt")
	convert("xls", "calc1.fods")
	convert("xlsx", "calc1.fods")
	convert("ppt", "pres1.fodp", "pres2.fodp")
	convert("pptx", "pres1.fodp")
	for _, tc := range []struct {
		src, format, sniffed string
		findings             []string // nil: clean
	}{
		{"doc1.fodt", "doc", "application/msword", nil},
		{"doc1.fodt", "rtf", "application/rtf", nil},
		{"doc1.fodt", "docx", mimeDocx, nil},
		{"doc1.fodt", "odt", mimeODT, nil},
		{"calc1.fods", "xls", "application/vnd.ms-excel", nil},
		{"calc1.fods", "xlsx", mimeXlsx, nil},
		{"pres1.fodp", "ppt", "application/vnd.ms-powerpoint", nil},
		{"pres1.fodp", "pptx", mimePptx, nil},
		// A link to cmd.exe on the disk: LibreOffice writes it as a
		// relative HYPERLINK field in a .doc and as file: in an RTF and
		// a .ppt.
		{"doc2.fodt", "doc", "application/msword", []string{"office: link to a relative target (no scheme: opened as a file)"}},
		{"doc2.fodt", "rtf", "application/rtf", []string{"office: link to a file (file:)"}},
		{"pres2.fodp", "ppt", "application/vnd.ms-powerpoint", []string{"office: link to a file (file:) (PowerPoint Document: hyperlink)"}},
	} {
		t.Run(tc.src+" as "+tc.format, func(t *testing.T) {
			b := read(tc.src, tc.format)
			res, err := Classify(bytes.NewReader(b), int64(len(b)), "", "a."+tc.format, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if res.SniffedType != tc.sniffed || res.Class != ClassOffice {
				t.Errorf("sniffed %s, class %s; want %s, office", res.SniffedType, res.Class, tc.sniffed)
			}
			if tc.findings == nil && len(res.Findings) > 0 {
				t.Errorf("findings %q, want none", res.Findings)
			}
			for _, f := range tc.findings {
				if !slices.Contains(res.Findings, f) {
					t.Errorf("finding %q missing from %q", f, res.Findings)
				}
			}
		})
	}
}
