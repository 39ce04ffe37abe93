package sanitize

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"sync"

	"github.com/emersion/go-message/textproto"
)

// scratch is the working memory of one Message call: readers, the output
// writer, hashes and line buffers. A gateway sanitises one small message
// after another, and allocating and clearing these each time was a third
// of the cost of a 2 KiB message; they come from a pool instead. Nothing
// in them outlives the call that used them: every reader and writer is
// Reset before use and every byte slice is used from length zero.
type scratch struct {
	readers []*bufio.Reader // free entity readers (a multipart holds one per level)
	windows []*bufio.Reader // free multipart windows, of the sizes mpBuffer makes
	hdr     []byte          // the header block being parsed
	hdrSrc  bytes.Reader
	hdrBR   *bufio.Reader
	bw      *bufio.Writer
	hashes  []hash.Hash // free SHA-256 states
	clean   []byte      // textSink: a cleaned line
	out2    []byte      // textSink: a line with its links rewritten
	copyBuf []byte
	head    [4 << 10]byte // the start of a text part, sniffed for a file
	body    bodyText      // the rebuilt body text's encoder
	san     sanitizer
	sink    textSink    // the text being rendered (one at a time)
	hc      hashCounter // the part being hashed (one at a time)
	hcBusy  bool
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

const (
	entityBufSize = 4 << 10
	writerSize    = 16 << 10
	copyBufSize   = 32 << 10
	// maxKeep bounds a byte slice worth pooling: one pathological
	// message must not pin its largest line buffer for the next.
	maxKeep = 64 << 10
)

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// release gives the scratch back for the next Message call.
func (sc *scratch) release() {
	t := &sc.body
	for _, b := range []*[]byte{&sc.hdr, &sc.clean, &sc.out2, &t.qp, &t.str, &t.iso, &t.b64.out, &t.split.part, &t.split.buf, &sc.sink.line} {
		if cap(*b) > maxKeep {
			*b = nil
		}
	}
	// Nothing of the message stays reachable but these buffers' bytes,
	// which the next use overwrites from length zero.
	*t = bodyText{qp: t.qp[:0], str: t.str[:0], iso: t.iso[:0], b64: base64Lines{out: t.b64.out[:0]}, split: lineSplitter{part: t.split.part[:0], buf: t.split.buf[:0]}}
	if sc.hdrBR != nil && sc.hdrBR.Size() > maxKeep {
		sc.hdrBR = nil
	}
	sc.hdrSrc.Reset(nil)
	sc.hc, sc.hcBusy = hashCounter{}, false
	sc.sink = textSink{line: sc.sink.line[:0]}
	scratchPool.Put(sc)
}

// reader returns a buffered reader over r; give it back with putReader.
func (sc *scratch) reader(r io.Reader) *bufio.Reader {
	if n := len(sc.readers); n > 0 {
		br := sc.readers[n-1]
		sc.readers = sc.readers[:n-1]
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, entityBufSize)
}

func (sc *scratch) putReader(br *bufio.Reader) {
	br.Reset(nil)
	if len(sc.readers) < 32 {
		sc.readers = append(sc.readers, br)
	}
}

// mpBuffer returns an empty buffered reader of n bytes or a little more
// for a multipart's window; give it back with putMPBuffer once the
// multipart is read. Sizes are powers of two from 1 KiB, so that a run
// of small messages, each asking its own size (bufSize), reuses them:
// a new 16 KiB window was a third of the allocation of a 30 KiB message,
// and its clearing 3% of the time.
func (sc *scratch) mpBuffer(n int) *bufio.Reader {
	size := 1 << 10
	for size < n {
		size <<= 1
	}
	for i := len(sc.windows) - 1; i >= 0; i-- {
		if br := sc.windows[i]; br.Size() == size {
			sc.windows = append(sc.windows[:i], sc.windows[i+1:]...)
			return br
		}
	}
	return bufio.NewReaderSize(nil, size)
}

func (sc *scratch) putMPBuffer(br *bufio.Reader) {
	br.Reset(nil)
	if len(sc.windows) == 8 {
		sc.windows = append(sc.windows[:0], sc.windows[1:]...)
	}
	sc.windows = append(sc.windows, br)
}

// parseHeader parses a header block read into sc.hdr with go-message's
// textproto, from a reader whose buffer holds the whole block. An error
// means a line that is not a header field (or a continuation first):
// clients disagree on where such a header ends.
func (sc *scratch) parseHeader(raw []byte) (textproto.Header, error) {
	if !bytes.HasSuffix(raw, []byte("\r\n\r\n")) && !bytes.Equal(raw, []byte("\r\n")) {
		raw = append(raw, "\r\n"...)
	}
	sc.hdr = raw[:0]
	sc.hdrSrc.Reset(raw)
	if sc.hdrBR == nil || sc.hdrBR.Size() < len(raw) {
		sc.hdrBR = bufio.NewReaderSize(&sc.hdrSrc, max(len(raw), entityBufSize))
	} else {
		sc.hdrBR.Reset(&sc.hdrSrc)
	}
	return textproto.ReadHeader(sc.hdrBR)
}

// writer returns the buffered writer over w for the rebuilt message.
func (sc *scratch) writer(w io.Writer) *bufio.Writer {
	if sc.bw == nil {
		sc.bw = bufio.NewWriterSize(w, writerSize)
	} else {
		sc.bw.Reset(w)
	}
	return sc.bw
}

// hashCounter returns a counter with a fresh SHA-256 state; sum gives
// the state back.
func (sc *scratch) hashCounter() *hashCounter {
	var c *hashCounter
	if sc.hcBusy {
		c = &hashCounter{sc: sc}
	} else {
		sc.hcBusy = true
		c = &sc.hc
		*c = hashCounter{sc: sc}
	}
	if n := len(sc.hashes); n > 0 {
		c.h = sc.hashes[n-1]
		sc.hashes = sc.hashes[:n-1]
		c.h.Reset()
	} else {
		c.h = sha256.New()
	}
	return c
}

// sum is the hex SHA-256 of what was written. The counter is done after.
func (c *hashCounter) sum() string {
	var b [sha256.Size]byte
	var x [2 * sha256.Size]byte
	s := string(hex.AppendEncode(x[:0], c.h.Sum(b[:0]))) // one allocation, the string
	if c.sc != nil && len(c.sc.hashes) < 8 {
		c.sc.hashes = append(c.sc.hashes, c.h)
	}
	if c.sc != nil && c == &c.sc.hc {
		c.sc.hcBusy = false
		*c = hashCounter{}
		return s
	}
	c.h = nil
	return s
}

// buffer returns the shared copy buffer.
func (sc *scratch) buffer() []byte {
	if sc.copyBuf == nil {
		sc.copyBuf = make([]byte, copyBufSize)
	}
	return sc.copyBuf
}
