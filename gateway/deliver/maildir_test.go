package deliver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"testing/iotest"
)

func TestMaildir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	c := dial(t, Dialer{}, hop("maildir", dir, ""))
	for _, sub := range []string{"cur", "new", "tmp"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil {
			t.Fatalf("Dial did not create %s: %v", sub, err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v, want 0700", sub, fi.Mode().Perm())
		}
	}
	// Not CRLF-clean on purpose: the file must hold exactly these bytes.
	bodies := [][]byte{testMessage(1), []byte("Subject: x\n\nbare LF\r\n\x00\xff end without newline")}
	for _, body := range bodies {
		res := send(t, c, "s@example.org", []string{"a@city.example.lg.jp", "b@city.example.lg.jp"}, body)
		if codes(res) != "a@city.example.lg.jp=250 b@city.example.lg.jp=250" {
			t.Fatalf("results %s", codes(res))
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("new/ holds %d files, want 2", len(entries))
	}
	name := regexp.MustCompile(`^\d+\.M\d{6}P\d+R[0-9a-f]{16}\.mugai\.test\.example$`)
	found := 0
	for _, e := range entries {
		if !name.MatchString(e.Name()) {
			t.Errorf("file name %q is not time.MusecPpidRrand.host", e.Name())
		}
		b, err := os.ReadFile(filepath.Join(dir, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range bodies {
			if bytes.Equal(b, body) {
				found++
			}
		}
		if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
		}
	}
	if found != 2 {
		t.Errorf("%d of 2 files hold the exact bytes sent", found)
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ not empty: %v", tmp)
	}
}

func TestMaildirHostnameEscaped(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, err := Dial(ctx, hop("maildir", dir, ""), "odd/host:name")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, "", []string{"a@x"}, bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "new"))
	if len(entries) != 1 || !regexp.MustCompile(`\.odd\\057host\\072name$`).MatchString(entries[0].Name()) {
		t.Fatalf("new/ = %v", entries)
	}
}

func TestMaildirFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, err := Dial(ctx, hop("maildir", dir, ""), ourHost)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Send(cctx, "", []string{"a@x"}, bytes.NewReader(testMessage(1))); err == nil {
		t.Fatal("Send with a cancelled context succeeded")
	}
	if err := os.RemoveAll(filepath.Join(dir, "new")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, "", []string{"a@x"}, bytes.NewReader(testMessage(1))); err == nil {
		t.Fatal("Send into a missing new/ succeeded")
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ keeps %v after failures", tmp)
	}
	// The message unreadable (the spool's disk): ErrReadingMessage, not
	// the next hop's failure.
	broken := io.MultiReader(bytes.NewReader(testMessage(1)[:40]), iotest.ErrReader(errors.New("disk read failed")))
	if _, err := c.Send(ctx, "", []string{"a@x"}, broken); !errors.Is(err, ErrReadingMessage) {
		t.Errorf("Send of an unreadable message: %v, want ErrReadingMessage", err)
	}
}
