package quarantine

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
)

// The payload of an original record:
//
//	0  version   1 byte  (1)
//	1  flags     1 byte  (bit 0: encrypted)
//	plain:     the original follows.
//	encrypted: 2 chunk size (4, LE) | 6 key id (8) | 14 salt (16) | 30 nonce prefix (7) |
//	           37 chunks, each the sealed chunk plus its 16-byte GCM tag.
//
// Each original gets its own AES-256-GCM subkey, HKDF-SHA256(key, salt),
// so nonces never repeat across originals whatever their number. Chunk i is
// sealed under the nonce prefix | i (4 bytes, BE) | last (1 byte), with the
// header and the record id as additional data: reordered, dropped, cut off
// or moved chunks fail to open, and so does a header or id that was changed.
const (
	formatVersion = 1
	flagEncrypted = 1
	plainHdrLen   = 2
	encHdrLen     = 37
	chunkSize     = 64 << 10
	maxChunkSize  = 16 << 20
	tagLen        = 16
	keyLen        = 32
)

var (
	// ErrTampered: the stored original fails authentication or no longer
	// matches its recorded SHA-256.
	ErrTampered = errors.New("original fails its integrity check (tampered or corrupted)")
	// ErrWrongKey: the original was encrypted under a different key.
	ErrWrongKey = errors.New("original was encrypted with a different key")
	// ErrNoKey: the original is encrypted and the store was opened without a key.
	ErrNoKey = errors.New("original is encrypted and no key is configured")
)

func keyID(key []byte) [8]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mugai quarantine key id v1"))
	var id [8]byte
	copy(id[:], m.Sum(nil))
	return id
}

func subkeyAEAD(key, salt []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, key, salt, "mugai quarantine original v1", keyLen)
	if err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func chunkNonce(prefix []byte, i uint32, last bool) []byte {
	var n [12]byte
	copy(n[:7], prefix)
	binary.BigEndian.PutUint32(n[7:11], i)
	if last {
		n[11] = 1
	}
	return n[:]
}

func numChunks(size int64, chunk int) int64 {
	if size == 0 {
		return 1
	}
	return (size + int64(chunk) - 1) / int64(chunk)
}

// storedSize is the payload size of an original of size bytes.
func storedSize(size int64, encrypted bool) int64 {
	if !encrypted {
		return plainHdrLen + size
	}
	return encHdrLen + size + tagLen*numChunks(size, chunkSize)
}

// sealer produces the encrypted payload of an original while reading it,
// one chunk at a time, hashing the plain text.
type sealer struct {
	src       io.Reader
	aead      cipher.AEAD
	aad       []byte
	prefix    []byte
	remaining int64
	ctr       uint32
	pt, out   []byte
	pending   []byte
	h         hash.Hash
	done      bool
}

func newSealer(key []byte, id string, src io.Reader, size int64, h hash.Hash) (*sealer, error) {
	hdr := make([]byte, encHdrLen)
	hdr[0], hdr[1] = formatVersion, flagEncrypted
	binary.LittleEndian.PutUint32(hdr[2:6], chunkSize)
	kid := keyID(key)
	copy(hdr[6:14], kid[:])
	if _, err := rand.Read(hdr[14:37]); err != nil { // salt and nonce prefix
		return nil, err
	}
	aead, err := subkeyAEAD(key, hdr[14:30])
	if err != nil {
		return nil, err
	}
	return &sealer{
		src: src, aead: aead, aad: append(hdr[:encHdrLen:encHdrLen], id...), prefix: hdr[30:37],
		remaining: size, pt: make([]byte, chunkSize), out: make([]byte, 0, chunkSize+tagLen),
		pending: hdr, h: h,
	}, nil
}

func (s *sealer) Read(p []byte) (int, error) {
	for len(s.pending) == 0 {
		if s.done {
			return 0, io.EOF
		}
		if err := s.seal(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

func (s *sealer) seal() error {
	n := min(int64(chunkSize), s.remaining)
	pt := s.pt[:n]
	if _, err := io.ReadFull(s.src, pt); err != nil {
		return fmt.Errorf("original ended early: %w", err)
	}
	s.h.Write(pt)
	s.remaining -= n
	last := s.remaining == 0
	if last {
		var one [1]byte
		if m, _ := io.ReadFull(s.src, one[:]); m > 0 {
			return errors.New("original longer than its size")
		}
	}
	s.out = s.aead.Seal(s.out[:0], chunkNonce(s.prefix, s.ctr, last), pt, s.aad)
	s.ctr++
	s.pending = s.out
	s.done = last
	return nil
}

// opener decrypts an encrypted payload chunk by chunk.
type opener struct {
	p       io.ReaderAt
	off     int64
	size    int64
	aead    cipher.AEAD
	aad     []byte
	prefix  []byte
	chunk   int
	ctr     uint32
	ct, pt  []byte
	pending []byte
	done    bool
}

// newOriginalReader returns a reader of the plain original from a stored
// payload. It checks the header and key; chunks are checked as they are
// read.
func newOriginalReader(p *io.SectionReader, id string, key []byte) (io.Reader, error) {
	var hdr [encHdrLen]byte
	if p.Size() < plainHdrLen {
		return nil, ErrTampered
	}
	if _, err := p.ReadAt(hdr[:plainHdrLen], 0); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if hdr[0] != formatVersion {
		return nil, fmt.Errorf("%w: unknown format %d", ErrTampered, hdr[0])
	}
	switch hdr[1] {
	case 0:
		return io.NewSectionReader(p, plainHdrLen, p.Size()-plainHdrLen), nil
	case flagEncrypted:
	default:
		return nil, fmt.Errorf("%w: unknown flags %#x", ErrTampered, hdr[1])
	}
	if key == nil {
		return nil, ErrNoKey
	}
	if p.Size() < encHdrLen+tagLen {
		return nil, ErrTampered
	}
	if _, err := p.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if kid := keyID(key); !hmac.Equal(kid[:], hdr[6:14]) {
		return nil, ErrWrongKey
	}
	chunk := int(binary.LittleEndian.Uint32(hdr[2:6]))
	if chunk < 1 || chunk > maxChunkSize {
		return nil, ErrTampered
	}
	aead, err := subkeyAEAD(key, hdr[14:30])
	if err != nil {
		return nil, err
	}
	return &opener{
		p: p, off: encHdrLen, size: p.Size(), aead: aead, aad: append(hdr[:], id...),
		prefix: append([]byte(nil), hdr[30:37]...), chunk: chunk,
		ct: make([]byte, chunk+tagLen), pt: make([]byte, 0, chunk),
	}, nil
}

func (o *opener) Read(p []byte) (int, error) {
	for len(o.pending) == 0 {
		if o.done {
			return 0, io.EOF
		}
		if err := o.open(); err != nil {
			return 0, err
		}
	}
	n := copy(p, o.pending)
	o.pending = o.pending[n:]
	return n, nil
}

func (o *opener) open() error {
	left := o.size - o.off
	if left < tagLen {
		return ErrTampered // cut off after a chunk that was not the last
	}
	n := min(int64(o.chunk+tagLen), left)
	ct := o.ct[:n]
	if _, err := o.p.ReadAt(ct, o.off); err != nil {
		return fmt.Errorf("read chunk %d: %w", o.ctr, err)
	}
	last := n == left
	pt, err := o.aead.Open(o.pt[:0], chunkNonce(o.prefix, o.ctr, last), ct, o.aad)
	if err != nil {
		return ErrTampered
	}
	o.off += n
	o.ctr++
	o.pending = pt
	o.done = last
	return nil
}
