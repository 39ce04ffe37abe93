package spill

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Buffer collects bytes in memory up to a threshold, then in a temporary
// file. Write appends; the readers see everything written so far. A Buffer
// is not safe for concurrent use.
type Buffer struct {
	threshold int64
	dir       string

	mem   [][]byte  // chunks of chunkSize bytes, the last one partial
	first [1][]byte // backs mem while it has one chunk: no slice to allocate
	f     *os.File
	// pend holds small writes to the file until a chunk's worth is
	// there: the text sink writes a line at a time, and a write(2) per
	// line made a 25 MiB body of empty lines cost 30 s. Every read and
	// Flush write it out first.
	pend   []byte
	size   int64
	err    error // sticky write error
	closed bool
}

// chunkSize is the unit of in-memory storage: growing a buffer never
// copies what it already holds.
const chunkSize = 16 << 10

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("spill: buffer closed")

// New returns a Buffer that keeps up to threshold bytes in memory and
// spills to a temporary file in dir past it. With dir "" it never spills
// (memory only, for callers that accept unbounded memory).
func New(threshold int64, dir string) *Buffer {
	if threshold < 0 {
		threshold = 0
	}
	return &Buffer{threshold: threshold, dir: dir}
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	if b.closed {
		return 0, ErrClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.f == nil && (b.dir == "" || b.size+int64(len(p)) <= b.threshold) {
		appendMem(b, p)
		return len(p), nil
	}
	if b.f == nil {
		if err := b.spill(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if len(b.pend)+len(p) > chunkSize {
		if err := b.Flush(); err != nil {
			return 0, err
		}
	}
	if len(p) < chunkSize {
		if b.pend == nil {
			b.pend = getChunk(chunkSize)
		}
		b.pend = append(b.pend, p...)
		b.size += int64(len(p))
		return len(p), nil
	}
	n, err := b.f.Write(p)
	b.size += int64(n)
	if err != nil {
		b.err = fmt.Errorf("spill: write %s: %w", b.f.Name(), err)
		return n, b.err
	}
	return n, nil
}

// Flush writes what small writes left pending to the temporary file and
// releases the memory that held it; a Buffer in memory has nothing to do.
// Reads flush by themselves; a caller that has written all it will calls
// Flush so that a buffer kept for later holds no memory meanwhile.
func (b *Buffer) Flush() error {
	if b.err != nil {
		return b.err
	}
	if b.pend == nil {
		return nil
	}
	_, err := b.f.Write(b.pend)
	putChunk(b.pend)
	b.pend = nil
	if err != nil {
		b.err = fmt.Errorf("spill: write %s: %w", b.f.Name(), err)
	}
	return b.err
}

// WriteString appends p (io.StringWriter, so io.WriteString need not
// copy it first).
func (b *Buffer) WriteString(p string) (int, error) {
	if b.closed {
		return 0, ErrClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.f == nil && (b.dir == "" || b.size+int64(len(p)) <= b.threshold) {
		appendMem(b, p)
		return len(p), nil
	}
	return b.Write([]byte(p))
}

func appendMem[T ~string | ~[]byte](b *Buffer, p T) {
	b.size += int64(len(p))
	if len(b.mem) == 1 && cap(b.mem[0]) < chunkSize && len(b.mem[0])+len(p) > cap(b.mem[0]) {
		// The first chunk starts at the size of the first write and
		// grows by classes up to a full chunk: a small content costs
		// little.
		old := b.mem[0]
		b.mem[0] = append(getChunk(max(2*cap(old), len(old)+len(p))), old...)
		putChunk(old)
	}
	for len(p) > 0 {
		if len(b.mem) == 0 || len(b.mem[len(b.mem)-1]) == chunkSize {
			c := chunkSize
			if len(b.mem) == 0 {
				c = len(p)
				b.mem = b.first[:0]
			}
			b.mem = append(b.mem, getChunk(c))
		}
		last := &b.mem[len(b.mem)-1]
		n := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:n]...)
		p = p[n:]
	}
}

// Grow reserves room for n bytes in memory (up to one chunk) when nothing
// is held yet: a caller that knows about how much is coming saves the
// small first allocations.
func (b *Buffer) Grow(n int) {
	if len(b.mem) == 0 && b.f == nil && n > 0 && (b.dir == "" || int64(n) <= b.threshold) {
		b.first[0] = getChunk(n)
		b.mem = b.first[:1]
	}
}

// WriteTo writes the bytes written so far to w (io.WriterTo), straight
// from memory when they are held there.
func (b *Buffer) WriteTo(w io.Writer) (int64, error) {
	if b.closed {
		return 0, ErrClosed
	}
	if b.f == nil {
		var n int64
		for _, c := range b.mem {
			k, err := w.Write(c)
			n += int64(k)
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
	if err := b.Flush(); err != nil {
		return 0, err
	}
	return io.Copy(w, b.Reader())
}

// spill moves the in-memory bytes to a new temporary file. The file is
// unlinked at once, so it disappears with the process even after a crash.
func (b *Buffer) spill() error {
	f, err := os.CreateTemp(b.dir, "mugai-spill-*")
	if err != nil {
		return fmt.Errorf("spill: create temp file in %s: %w", b.dir, err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return fmt.Errorf("spill: unlink %s: %w", f.Name(), err)
	}
	for _, c := range b.mem {
		if _, err := f.Write(c); err != nil {
			f.Close()
			return fmt.Errorf("spill: write %s: %w", f.Name(), err)
		}
	}
	b.f = f
	b.releaseMem()
	return nil
}

// Size is the number of bytes written.
func (b *Buffer) Size() int64 { return b.size }

// Spilled reports whether the content lives in a temporary file.
func (b *Buffer) Spilled() bool { return b.f != nil }

// Err is the first write error, if any.
func (b *Buffer) Err() error { return b.err }

// ReaderAt reads the bytes written so far.
func (b *Buffer) ReaderAt() io.ReaderAt { return readerAt{b} }

// Reader reads the bytes written so far from the start. Each call returns
// an independent reader.
func (b *Buffer) Reader() io.Reader { return io.NewSectionReader(readerAt{b}, 0, b.size) }

// Close releases the memory and closes (and so removes) the temporary file.
// It is safe to call more than once.
func (b *Buffer) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.releaseMem()
	if b.pend != nil {
		putChunk(b.pend)
		b.pend = nil
	}
	if b.f != nil {
		err := b.f.Close()
		b.f = nil
		if err != nil {
			return fmt.Errorf("spill: close: %w", err)
		}
	}
	return nil
}

type readerAt struct{ b *Buffer }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	b := r.b
	if b.closed {
		return 0, ErrClosed
	}
	if off < 0 {
		return 0, errors.New("spill: negative offset")
	}
	if off >= b.size {
		return 0, io.EOF
	}
	if b.f == nil {
		n := 0
		for n < len(p) && off < b.size {
			c := b.mem[off/chunkSize]
			k := copy(p[n:], c[off%chunkSize:])
			n += k
			off += int64(k)
		}
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	if err := b.Flush(); err != nil {
		return 0, err
	}
	if rest := b.size - off; int64(len(p)) > rest {
		n, err := b.f.ReadAt(p[:rest], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return b.f.ReadAt(p, off)
}
