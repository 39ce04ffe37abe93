package links_test

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"mugai/config"
	"mugai/sanitize"
	"mugai/sanitize/links"
)

// TestDeliveredTextHasNoLinks holds the whole sanitiser to the
// linkifiers: every message of the project's own test messages and of
// $MUGAI_CORPUS is rebuilt under the default policy and under one that
// prefers HTML and removes links, and no line of the delivered text, of
// the header fields a client shows or of the file names may hold a link a
// client would open. Where TestLinkifiersFindNothing
// tries the rewriter on lines, this tries what reaches it: text
// converted from HTML, decoded from every charset, joined from parts.
func TestDeliveredTextHasNoLinks(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.eml"))
	if dir := os.Getenv("MUGAI_CORPUS"); dir != "" {
		f, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if cols := strings.Split(sc.Text(), "\t"); len(cols) > 1 && cols[0] != "file" {
				files = append(files, filepath.Join(dir, cols[0]))
			}
		}
		f.Close()
	}
	if len(files) < 40 {
		t.Fatalf("%d messages: the test messages are missing", len(files))
	}
	def, ok := config.Default().Policies["default"]
	if !ok {
		t.Fatal("embedded config has no default policy")
	}
	html := def
	html.Body.Prefer, html.Body.Links = "html", links.Remove
	var lines, from []string
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, pol := range []config.Policy{def, html} {
			var out bytes.Buffer
			rep, err := sanitize.Message(&out, bytes.NewReader(data), int64(len(data)), sanitize.Options{Policy: pol, PolicyName: "test", TempDir: t.TempDir()})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if rep.Verdict != sanitize.Rebuilt {
				continue
			}
			for _, l := range deliveredLines(t, name, out.Bytes()) {
				lines, from = append(lines, l), append(from, name+" ["+pol.Body.Links+"]")
			}
		}
	}
	bad := 0
	for i, found := range links.LinkifyForTest(t, lines) {
		for _, f := range found {
			if links.NavigableForTest(f) {
				if bad++; bad <= 40 {
					t.Errorf("%s: %s links %q as %q in %q", from[i], f.Lib, f.Text, f.Href, lines[i])
				}
			}
		}
	}
	if bad > 40 {
		t.Errorf("%d links in all", bad)
	}
	t.Logf("%d messages, %d lines delivered", len(files), len(lines))
}

// deliveredLines returns what a reader is shown of a rebuilt message: the
// lines of its text/plain parts (UTF-8, as both policies write it), the
// header fields a client displays, decoded, and the attachments' file
// names.
func deliveredLines(t *testing.T, name string, msg []byte) []string {
	t.Helper()
	e, err := message.Read(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("%s: rebuilt message: %v", name, err)
	}
	var lines []string
	for _, key := range []string{"From", "To", "Cc", "Reply-To", "Subject", "Date"} {
		v, err := e.Header.Text(key)
		if err != nil {
			t.Fatalf("%s: rebuilt message: %s: %v", name, key, err)
		}
		lines = append(lines, v)
	}
	err = e.Walk(func(_ []int, p *message.Entity, err error) error {
		if err != nil {
			return err
		}
		mt, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if _, dparams, err := p.Header.ContentDisposition(); err == nil {
			lines = append(lines, params["name"], dparams["filename"])
		}
		if mt != "text/plain" {
			return nil
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			return err
		}
		lines = append(lines, strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")...)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: rebuilt message: %v", name, err)
	}
	return lines
}
