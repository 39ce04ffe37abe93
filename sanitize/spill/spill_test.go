package spill

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestBuffer(t *testing.T) {
	tests := []struct {
		name        string
		threshold   int64
		dir         bool
		writes      []int
		wantSpilled bool
	}{
		{"small stays in memory", 16, true, []int{5, 5}, false},
		{"exactly threshold stays", 10, true, []int{5, 5}, false},
		{"past threshold spills", 10, true, []int{5, 6}, true},
		{"one big write spills", 10, true, []int{100}, true},
		{"no dir never spills", 10, false, []int{100, 100}, false},
		{"zero threshold spills at once", 0, true, []int{1}, true},
		{"empty", 10, true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := ""
			if tt.dir {
				dir = t.TempDir()
			}
			b := New(tt.threshold, dir)
			var want bytes.Buffer
			for i, n := range tt.writes {
				p := bytes.Repeat([]byte{byte('a' + i)}, n)
				if _, err := b.Write(p); err != nil {
					t.Fatal(err)
				}
				want.Write(p)
			}
			if b.Size() != int64(want.Len()) {
				t.Errorf("Size = %d, want %d", b.Size(), want.Len())
			}
			if b.Spilled() != tt.wantSpilled {
				t.Errorf("Spilled = %v, want %v", b.Spilled(), tt.wantSpilled)
			}
			got, err := io.ReadAll(b.Reader())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("Reader content differs")
			}
			// ReadAt across the whole range, and past the end.
			if want.Len() > 2 {
				p := make([]byte, 2)
				if n, err := b.ReaderAt().ReadAt(p, int64(want.Len()-2)); n != 2 || (err != nil && err != io.EOF) {
					t.Errorf("ReadAt tail = %d, %v", n, err)
				}
				p = make([]byte, 4)
				if n, err := b.ReaderAt().ReadAt(p, int64(want.Len()-2)); n != 2 || err != io.EOF {
					t.Errorf("ReadAt past end = %d, %v, want 2, EOF", n, err)
				}
			}
			if dir != "" {
				// The temporary file is unlinked from the start.
				ents, _ := os.ReadDir(dir)
				if len(ents) != 0 {
					t.Errorf("temp dir holds %d entries, want 0", len(ents))
				}
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if _, err := b.Write([]byte("x")); err != ErrClosed {
				t.Errorf("Write after Close = %v, want ErrClosed", err)
			}
		})
	}
}

func TestBufferBadDir(t *testing.T) {
	b := New(1, filepath.Join(t.TempDir(), "missing"))
	defer b.Close()
	if _, err := b.Write([]byte("abc")); err == nil {
		t.Fatal("write spilling into a missing directory succeeded")
	}
	if b.Err() == nil {
		t.Error("Err() is nil after a failed spill")
	}
}

func TestBufferFileDescriptorReleased(t *testing.T) {
	dir := t.TempDir()
	before := countFDs(t)
	for range 50 {
		b := New(0, dir)
		b.Write([]byte("hello"))
		b.Close()
	}
	if after := countFDs(t); after > before+2 {
		t.Errorf("open descriptors grew from %d to %d", before, after)
	}
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestBufferChunks reads back, at every kind of offset, contents written
// in odd pieces across the in-memory chunks and then across the spill.
func TestBufferChunks(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		b := New(100<<10, dir)
		var want []byte
		for i := 0; len(want) < 300<<10; i++ {
			p := bytes.Repeat([]byte{byte(i)}, 1+(i*7919)%9000)
			b.Write(p)
			want = append(want, p...)
		}
		if (dir != "") != b.Spilled() {
			t.Errorf("dir %q: Spilled = %v", dir, b.Spilled())
		}
		for _, off := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize - 5, len(want) - 100} {
			for _, n := range []int{1, 10, chunkSize + 3, 2 * chunkSize} {
				p := make([]byte, n)
				got, err := b.ReaderAt().ReadAt(p, int64(off))
				wantN := min(n, len(want)-off)
				if got != wantN || !bytes.Equal(p[:got], want[off:off+got]) {
					t.Fatalf("dir %q: ReadAt(%d, %d) = %d, %v", dir, n, off, got, err)
				}
				if got < n && err != io.EOF {
					t.Errorf("short read without EOF")
				}
			}
		}
		all, _ := io.ReadAll(b.Reader())
		if !bytes.Equal(all, want) {
			t.Errorf("dir %q: Reader content differs", dir)
		}
		b.Close()
	}
}

// TestBufferSmallStart: a buffer that starts with a small first chunk
// (the first write's size, or Grow) keeps chunk offsets right as it grows
// past one chunk, with writes of every size, and WriteTo gives back what
// was written, from memory or from the file.
func TestBufferSmallStart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grow  int
		sizes []int
		dir   bool
	}{
		{"tiny writes", 0, []int{1, 2, 3, 100, 7, 5000}, false},
		{"grow then overflow", 300, []int{200, 200, 20000, 1}, false},
		{"grow a full chunk", chunkSize, []int{chunkSize, 1, chunkSize}, false},
		{"strings past a chunk", 0, []int{90, 90, 9000, 9000, 9000}, false},
		{"spills", 100, []int{100, 5000, 200 << 10}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := ""
			if tc.dir {
				dir = t.TempDir()
			}
			b := New(64<<10, dir)
			b.Grow(tc.grow)
			var want []byte
			for i, n := range tc.sizes {
				p := bytes.Repeat([]byte{byte('a' + i)}, n)
				if i%2 == 1 {
					b.WriteString(string(p))
				} else {
					b.Write(p)
				}
				want = append(want, p...)
			}
			for off := 0; off < len(want); off += 997 {
				p := make([]byte, 3000)
				n, _ := b.ReaderAt().ReadAt(p, int64(off))
				if !bytes.Equal(p[:n], want[off:min(off+3000, len(want))]) {
					t.Fatalf("ReadAt at %d differs", off)
				}
			}
			var out bytes.Buffer
			if n, err := b.WriteTo(&out); err != nil || n != int64(len(want)) || !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("WriteTo = %d, %v; content equal %v", n, err, bytes.Equal(out.Bytes(), want))
			}
			if b.Spilled() != tc.dir {
				t.Errorf("Spilled = %v", b.Spilled())
			}
			b.Close()
			if _, err := b.WriteTo(&out); err != ErrClosed {
				t.Errorf("WriteTo after Close: %v", err)
			}
		})
	}
}

// TestChunkReuse: memory a closed Buffer gave back is reused, and a new
// Buffer shows only what was written to it, whatever the chunk held.
func TestChunkReuse(t *testing.T) {
	for _, n := range []int{100, 600, 3000, 9000, chunkSize + 10, 3 * chunkSize} {
		old := New(1<<20, "")
		old.Write(bytes.Repeat([]byte("secret!"), 3*chunkSize/7+1))
		old.Close()
		b := New(1<<20, "")
		want := bytes.Repeat([]byte{'x'}, n)
		b.Write(want[:n/2])
		b.WriteString(string(want[n/2:]))
		var out bytes.Buffer
		if _, err := b.WriteTo(&out); err != nil || !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("%d bytes: WriteTo gave %d bytes (%v), want only what was written", n, out.Len(), err)
		}
		all, _ := io.ReadAll(b.Reader())
		p := make([]byte, 64)
		if k, err := b.ReaderAt().ReadAt(p, int64(n)); k != 0 || err != io.EOF {
			t.Errorf("%d bytes: ReadAt past the end = %d, %v", n, k, err)
		}
		if !bytes.Equal(all, want) {
			t.Fatalf("%d bytes: Reader differs", n)
		}
		b.Close()
		if _, err := b.Write([]byte("x")); err != ErrClosed {
			t.Errorf("Write after Close = %v", err)
		}
	}
}

// TestBufferSmallWritesBatched: a spilled buffer does not make a write(2)
// of every small Write. The text sink writes a line at a time, and a 25
// MiB body of empty lines took 30 s of system calls (red team). Reads see
// every byte written, pending ones too, between writes as at the end.
func TestBufferSmallWritesBatched(t *testing.T) {
	b := New(0, t.TempDir())
	defer b.Close()
	var want []byte
	before := writeCalls(t)
	for i := range 100000 {
		p := []byte{byte('a' + i%26)}
		if i%1000 == 999 {
			p = bytes.Repeat(p, 40<<10) // a large write among the small ones
		}
		if _, err := b.Write(p); err != nil {
			t.Fatal(err)
		}
		want = append(want, p...)
		if i%20011 == 0 {
			// Read in the middle: what is pending is read too.
			got, err := io.ReadAll(b.Reader())
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("after %d writes: read %d bytes (%v), want %d", i+1, len(got), err, len(want))
			}
		}
	}
	if n := writeCalls(t) - before; n > 1000 {
		t.Errorf("%d write system calls for 100,000 small writes", n)
	}
	if b.Size() != int64(len(want)) {
		t.Errorf("Size = %d, want %d", b.Size(), len(want))
	}
	var got bytes.Buffer
	if _, err := b.WriteTo(&got); err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Errorf("WriteTo: %d bytes (%v), want %d", got.Len(), err, len(want))
	}
	p := make([]byte, 3)
	if n, err := b.ReaderAt().ReadAt(p, int64(len(want)-3)); n != 3 || err != nil || !bytes.Equal(p, want[len(want)-3:]) {
		t.Errorf("ReadAt tail = %d %q %v", n, p, err)
	}
}

// writeCalls is the process's count of write system calls so far.
func writeCalls(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "syscw: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no syscw in /proc/self/io")
	return 0
}
