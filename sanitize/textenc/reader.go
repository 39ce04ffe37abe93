package textenc

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/transform"
)

// Reader decodes text in a declared charset to UTF-8, correcting a wrong
// or missing label where the bytes show it. It looks at up to 64 KiB
// before it decides; when that window is plain ASCII it decides again at
// the first 8-bit byte or ESC, looking 64 KiB ahead from there.
//
// A Japanese or Unicode label (Shift_JIS/CP932, EUC-JP, UTF-8) is kept
// unless another of these reads the text clearly better, or reads short
// text cleanly where the label's reading is mostly invalid; ISO-2022-JP
// with 8-bit bytes, us-ascii, a missing or an unknown label get the best
// reading among UTF-8, Shift_JIS, EUC-JP, ISO-2022-JP, GBK, Big5, EUC-KR
// and, for Western text, windows-1252; any other label is trusted unless
// the text is ISO-2022-JP, valid multibyte UTF-8 or (under a single-byte
// label) plausibly Japanese. A single-byte label on bytes it has no
// character for (ISO-8859-1's C1 range) counts as missing, but for
// windows-1252 punctuation in Western words, and so does a UTF-16 label
// on bytes with CR LF and no NUL. Each correction is a Finding, and so is
// the count of sequences that still could not be decoded (they become
// U+FFFD). Output is always valid UTF-8.
type Reader struct {
	label string
	br    *bufio.Reader

	started  bool
	pending  bool // passing ASCII through until there is something to detect
	done     bool
	flushed  bool // the decoder has seen atEOF with no input left
	dec      decision
	t        transform.Transformer
	invalid  int
	findings []Finding

	spill    [2 * utf8Max]byte // output that did not fit a tiny p
	spillLen int
	spillOff int
	err      error
}

const utf8Max = 4

// NewReader returns a Reader decoding r, declared as charset label (""
// when the message declares none), to UTF-8.
func NewReader(label string, r io.Reader) *Reader {
	return &Reader{label: label, br: bufio.NewReaderSize(r, detectWindow)}
}

// Charset reports the charset being used: a canonical lowercase name such
// as "utf-8", "shift_jis" (also for CP932 and its aliases), "euc-jp",
// "iso-2022-jp" (all its variants), "us-ascii" or an IANA name like
// "iso-8859-1". It is known after the first Read and final after EOF.
func (r *Reader) Charset() string {
	if !r.started {
		return ""
	}
	return r.dec.codec.name
}

// Findings reports the corrections made and the invalid sequences met;
// complete after Read has returned io.EOF.
func (r *Reader) Findings() []Finding {
	out := append([]Finding(nil), r.dec.findings...)
	return append(out, r.findings...)
}

// peekWindow returns up to detectWindow buffered bytes and whether they
// are all that is left.
func (r *Reader) peekWindow() ([]byte, bool, error) {
	b, err := r.br.Peek(detectWindow)
	if err == nil {
		return b, false, nil
	}
	if err == io.EOF || errors.Is(err, bufio.ErrBufferFull) {
		return b, err == io.EOF, nil
	}
	return b, false, err
}

func (r *Reader) decide() error {
	window, atEOF, err := r.peekWindow()
	if err != nil {
		return fmt.Errorf("textenc: read: %w", err)
	}
	r.dec = decide(r.label, window, atEOF)
	r.pending = r.dec.pending
	if !r.pending {
		r.t = r.dec.codec.newDecoder(&r.invalid)
	}
	return nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.spillOff < r.spillLen {
		n := copy(p, r.spill[r.spillOff:r.spillLen])
		r.spillOff += n
		return n, nil
	}
	if r.err != nil {
		return 0, r.err
	}
	if !r.started {
		r.started = true
		if err := r.decide(); err != nil {
			r.err = err
			return 0, err
		}
	}
	for {
		var n int
		var err error
		if r.pending {
			n, err = r.readASCII(p)
		} else {
			n, err = r.readDecoded(p)
		}
		if err != nil {
			if err == io.EOF {
				r.finish()
			}
			r.err = err
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

// finish records the invalid-sequence count at EOF.
func (r *Reader) finish() {
	if r.done {
		return
	}
	r.done = true
	if r.invalid > 0 {
		r.findings = append(r.findings, invalidFinding(r.invalid, r.dec.codec.name))
	}
}

func invalidFinding(n int, charset string) Finding {
	s := "s"
	if n == 1 {
		s = ""
	}
	return Finding{KindInvalid, fmt.Sprintf("%d invalid sequence%s in %s", n, s, charset)}
}

// readASCII copies plain ASCII through while the charset is undecided; at
// the first byte that needs a decision it decides from there.
func (r *Reader) readASCII(p []byte) (int, error) {
	if r.br.Buffered() == 0 {
		if _, err := r.br.Peek(1); err != nil {
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, fmt.Errorf("textenc: read: %w", err)
		}
	}
	buf, _ := r.br.Peek(r.br.Buffered())
	i, trigger := 0, false
	for ; i < len(buf) && i < len(p); i++ {
		c := buf[i]
		if c >= 0x80 {
			trigger = true
			break
		}
		if (c == 0x0e || c == 0x0f) && r.dec.codec.kind == kindISO2022JP {
			// Declared ISO-2022-JP: SO and SI shift to half-width
			// katakana and back (CP50221), the decoder's as an ESC is.
			trigger = true
			break
		}
		if c != 0x1b {
			continue
		}
		if r.dec.codec.kind == kindISO2022JP {
			// Declared ISO-2022-JP: every ESC is the decoder's.
			trigger = true
			break
		}
		// An ESC matters only if it starts an ISO-2022-JP designation.
		if len(buf)-i < 4 {
			if i > 0 {
				break // hand out what we have; look again with more
			}
			more, err := r.br.Peek(4)
			if err != nil && err != io.EOF {
				return 0, fmt.Errorf("textenc: read: %w", err)
			}
			buf = more
		}
		if isJISEscape(buf[i:]) {
			trigger = true
			break
		}
	}
	copy(p, buf[:i])
	if _, err := r.br.Discard(i); err != nil {
		return i, fmt.Errorf("textenc: read: %w", err)
	}
	if trigger {
		if err := r.decide(); err != nil {
			return i, err
		}
		if r.pending {
			// An ESC that designates nothing in ISO-2022-JP text: the
			// declared decoder takes over from here.
			r.pending = false
			r.t = r.dec.codec.newDecoder(&r.invalid)
		}
	}
	return i, nil
}

// readDecoded runs the decoder over buffered input straight into p.
func (r *Reader) readDecoded(p []byte) (int, error) {
	want := r.br.Buffered()
	if want == 0 {
		want = 1
	}
	for {
		src, perr := r.br.Peek(want)
		atEOF := false
		switch {
		case perr == nil:
		case perr == io.EOF:
			atEOF = true
		case errors.Is(perr, bufio.ErrBufferFull):
		default:
			return 0, fmt.Errorf("textenc: read: %w", perr)
		}
		if len(src) == 0 && atEOF {
			if r.flushed {
				return 0, io.EOF
			}
			// Let the decoder end its state (a UTF-7 '+' run).
			r.flushed = true
		}
		dst := p
		small := len(p) < len(r.spill)
		if small {
			dst = r.spill[:]
		}
		nDst, nSrc, err := r.t.Transform(dst, src, atEOF)
		if _, derr := r.br.Discard(nSrc); derr != nil {
			return 0, fmt.Errorf("textenc: read: %w", derr)
		}
		if small && nDst > 0 {
			r.spillLen = nDst
			r.spillOff = copy(p, r.spill[:nDst])
			nDst = r.spillOff
		}
		switch {
		case nDst > 0:
			return nDst, nil
		case err == transform.ErrShortSrc && !atEOF:
			if len(src) >= r.br.Size() {
				// Cannot happen with our decoders (a character is at
				// most a few bytes); guard against looping.
				return 0, fmt.Errorf("textenc: read: %w", err)
			}
			want = len(src) + 1
			continue
		case err == nil && atEOF && nSrc == len(src):
			return 0, io.EOF
		case err == nil:
			want = r.br.Buffered()
			if want == 0 {
				want = 1
			}
			continue
		default:
			return 0, fmt.Errorf("textenc: decode %s: %w", r.dec.codec.name, err)
		}
	}
}

// decodeBytes decodes a complete byte string declared as label, with the
// same detection as Reader.
func decodeBytes(label string, b []byte) (string, decision, int) {
	d := decide(label, b, true)
	invalid := 0
	out := runDecoder(d.codec.newDecoder(&invalid), b)
	return out, d, invalid
}
