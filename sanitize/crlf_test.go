package sanitize

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// refCRLF is the obvious line-end normaliser the streaming crlfReader
// must match, whatever the read sizes.
func refCRLF(in string) string {
	s := strings.ReplaceAll(in, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// readSized reads r with reads of the sizes in turn (cycled).
func readSized(r io.Reader, sizes []int) ([]byte, error) {
	var out []byte
	for i := 0; ; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func FuzzCRLFReader(f *testing.F) {
	for _, s := range []string{"", "a\r\nb", "a\nb\rc\r\n", "\r", "\n", "\r\r\n\n", strings.Repeat("x\r", 200), strings.Repeat("\n", 300), strings.Repeat("line of text\r\n", 40)} {
		f.Add(s, uint16(1), uint16(7))
	}
	f.Fuzz(func(t *testing.T, in string, a, b uint16) {
		want := refCRLF(in)
		sizes := []int{1 + int(a)%600, 1 + int(b)%4000}
		for _, src := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in)), iotest.HalfReader(strings.NewReader(in)), iotest.DataErrReader(strings.NewReader(in))} {
			got, err := readSized(newCRLFReader(src), sizes)
			if err != nil || string(got) != want {
				t.Fatalf("%q with reads %v: got %q, %v; want %q", in, sizes, got, err, want)
			}
		}
		got, _ := io.ReadAll(bufio.NewReaderSize(newCRLFReader(strings.NewReader(in)), 16+int(a)%100))
		if !bytes.Equal(got, []byte(want)) {
			t.Fatalf("%q through bufio: got %q, want %q", in, got, want)
		}
	})
}
