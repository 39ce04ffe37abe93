package htmltext

import (
	"bytes"
	flagpkg "flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flagpkg.Bool("update", false, "rewrite testdata/*.txt from the current output (review the diff by eye)")

// TestGolden converts every testdata/*.html and compares with the .txt
// beside it, which was reviewed by eye.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got bytes.Buffer
			// Each pass reads the file from its start, as the sanitiser
			// reads a spilled part.
			open := func() io.Reader { return io.NewSectionReader(f, 0, math.MaxInt64) }
			if _, err := Convert(&got, open, Options{}); err != nil {
				t.Fatalf("Convert: %v", err)
			}
			checkText(t, got.Bytes())
			golden := strings.TrimSuffix(in, ".html") + ".txt"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", in, golden, got.Bytes(), want)
			}
		})
	}
}
