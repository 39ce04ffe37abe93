package spill

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
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
