package htmltext

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCorpus converts the HTML reference inputs of the shared corpus
// ($MUGAI_CORPUS/html-to-text): no error, well-formed text, and nothing of
// a script or style element in the output.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("MUGAI_CORPUS")
	if dir == "" {
		t.Skip("MUGAI_CORPUS not set")
	}
	files, err := filepath.Glob(filepath.Join(dir, "html-to-text", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no HTML files in %s/html-to-text", dir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if _, err := Convert(&out, openBytes(in), Options{}); err != nil {
				t.Fatalf("Convert: %v", err)
			}
			checkText(t, out.Bytes())
			if bytes.Contains(bytes.ToLower(out.Bytes()), []byte("<script")) {
				t.Errorf("output contains <script")
			}
			for _, leak := range rawContents(in) {
				if bytes.Contains(out.Bytes(), []byte(leak)) {
					t.Errorf("output contains script/style content %q", leak)
				}
			}
			// The reference rendering shows what a reader must still see.
			ref, err := os.ReadFile(strings.TrimSuffix(path, ".html") + ".txt")
			if err == nil {
				for _, want := range []string{"Work - In with Jerry", "DOWNLOAD OUR FREE APP", "4 Liberty Lane West"} {
					if bytes.Contains(ref, []byte(want)) && !bytes.Contains(out.Bytes(), []byte(want)) {
						t.Errorf("output lacks %q, which the reference rendering has", want)
					}
				}
			}
		})
	}
}

var rawRE = regexp.MustCompile(`(?is)<(script|style)\b[^>]*>(.*?)</(script|style)`)

// rawContents returns distinctive lines from inside the script and style
// elements of an HTML file (lines long enough not to occur by chance).
func rawContents(in []byte) []string {
	var out []string
	for _, m := range rawRE.FindAllSubmatch(in, -1) {
		for _, line := range strings.Split(string(m[2]), "\n") {
			if line = strings.TrimSpace(line); len(line) >= 12 {
				out = append(out, line)
			}
		}
	}
	return out
}
