package quarantine

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"
)

// sealed returns the stored payload of plain under testKey and id.
func sealed(t testing.TB, id string, plain []byte) []byte {
	sl, err := newSealer(testKey, id, bytes.NewReader(plain), int64(len(plain)), sha256.New())
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(sl)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != storedSize(int64(len(plain)), true) {
		t.Fatalf("sealed %d bytes, storedSize says %d", len(b), storedSize(int64(len(plain)), true))
	}
	return b
}

// FuzzOriginalReader feeds arbitrary stored payloads to the reader of
// originals: it must not panic, and an encrypted payload that was changed
// must never decrypt to anything but what was sealed.
func FuzzOriginalReader(f *testing.F) {
	valid := sealed(f, "fuzzid", []byte("an original message"))
	f.Add(valid)
	f.Add([]byte{formatVersion, 0, 'h', 'i'})
	f.Add(valid[:len(valid)-1])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newOriginalReader(io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data))), "fuzzid", testKey)
		if err != nil {
			return
		}
		got, err := io.ReadAll(r)
		// The only plain text ever sealed under testKey for this id is the
		// seeds' one: anything else that decrypts was forged.
		if err == nil && len(data) > 1 && data[1] == flagEncrypted && string(got) != "an original message" {
			t.Fatalf("forged encrypted payload decrypted to %q", got)
		}
	})
}

func TestSealedSizes(t *testing.T) {
	for _, n := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 5 * chunkSize} {
		b := make([]byte, n)
		p := sealed(t, "x", b)
		r, err := newOriginalReader(io.NewSectionReader(bytes.NewReader(p), 0, int64(len(p))), "x", testKey)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%d bytes: got %d, %v", n, len(got), err)
		}
		// Cut at the last chunk boundary: the earlier chunk was not sealed
		// as the last one, so the truncation is detected.
		if n > chunkSize {
			cut := p[:encHdrLen+chunkSize+tagLen]
			r, _ := newOriginalReader(io.NewSectionReader(bytes.NewReader(cut), 0, int64(len(cut))), "x", testKey)
			if _, err := io.ReadAll(r); err == nil {
				t.Errorf("%d bytes cut at a chunk boundary decrypted", n)
			}
		}
		// The same payload under another id does not open.
		r, _ = newOriginalReader(io.NewSectionReader(bytes.NewReader(p), 0, int64(len(p))), "y", testKey)
		if _, err := io.ReadAll(r); err == nil {
			t.Errorf("%d bytes opened under another record id", n)
		}
	}
}
