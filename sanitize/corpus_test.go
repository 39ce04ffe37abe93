package sanitize

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mugai/config"
	"mugai/sanitize/invariant"
)

// corpusDir returns $MUGAI_CORPUS or skips the test.
func corpusDir(t *testing.T) string {
	dir := os.Getenv("MUGAI_CORPUS")
	if dir == "" {
		t.Skip("MUGAI_CORPUS not set")
	}
	return dir
}

// corpusFiles lists the messages of INDEX.tsv.
func corpusFiles(t *testing.T, dir string) []string {
	f, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 || cols[0] == "file" {
			continue
		}
		files = append(files, cols[0])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("INDEX.tsv lists no messages")
	}
	return files
}

// TestCorpus runs every corpus message through two policies: each is
// rebuilt or rejected, never an I/O error, and every rebuilt message
// keeps the invariants.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	policies := map[string]func(*config.Policy){
		"default": nil,
		"iso-2022-jp,bottom,remove,prefer-html": func(p *config.Policy) {
			p.OutputCharset = "iso-2022-jp"
			p.Notice.Position = "bottom"
			p.Body.Links = "remove"
			p.Body.Prefer = "html"
			p.Attachments.Default = "keep"
		},
	}
	counts := map[string]int{}
	for _, name := range corpusFiles(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for pname, mod := range policies {
			pol := defaultPolicy(t)
			if mod != nil {
				mod(&pol)
			}
			var out bytes.Buffer
			rep, err := Message(&out, bytes.NewReader(data), int64(len(data)), Options{Policy: pol, PolicyName: pname, TempDir: t.TempDir()})
			if err != nil {
				t.Errorf("%s [%s]: error %v", name, pname, err)
				continue
			}
			counts[pname+" "+rep.Verdict]++
			for _, f := range rep.Findings {
				if f.Kind == "panic" {
					t.Errorf("%s [%s]: panic %s", name, pname, f.Detail)
				}
				if !KnownFinding(f.Kind) {
					t.Errorf("%s [%s]: finding kind %q is not in findingKinds", name, pname, f.Kind)
				}
			}
			switch rep.Verdict {
			case Rebuilt:
				if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
					t.Errorf("%s [%s]: %v", name, pname, err)
				}
			case Rejected:
				if rep.Reason == "" {
					t.Errorf("%s [%s]: rejected without a reason", name, pname)
				}
			default:
				t.Errorf("%s [%s]: verdict %q", name, pname, rep.Verdict)
			}
		}
	}
	t.Logf("verdicts: %v", counts)
}

// TestCorpusCharsetTruth sends one text in each Japanese encoding as a
// mail body: the rebuilt text must equal the UTF-8 original exactly.
func TestCorpusCharsetTruth(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "charset-truth")
	want, err := os.ReadFile(filepath.Join(dir, "rashomon-utf-8.txt"))
	if err != nil {
		t.Fatal(err)
	}
	wantText := strings.ReplaceAll(string(want), "\r\n", "\n")
	for _, tc := range []struct{ file, label string }{
		{"rashomon-euc-jp.txt", "EUC-JP"},
		{"rashomon-iso-2022-jp.txt", "ISO-2022-JP"},
		{"rashomon-shift-jis.txt", "Shift_JIS"},
		{"rashomon-utf-8.txt", "UTF-8"},
		{"rashomon-shift-jis.txt", ""}, // no label: detected
	} {
		t.Run(tc.file+"/"+tc.label, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			ct := "text/plain"
			if tc.label != "" {
				ct += "; charset=" + tc.label
			}
			msg := append([]byte("From: a@example.jp\r\nSubject: rashomon\r\nMIME-Version: 1.0\r\nContent-Type: "+ct+"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"), body...)
			pol := defaultPolicy(t)
			pol.Body.Links = "keep"
			var out bytes.Buffer
			rep, err := Message(&out, bytes.NewReader(msg), int64(len(msg)), Options{Policy: pol})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v %+v", err, rep)
			}
			text := decodedText(t, out.Bytes())
			i := strings.Index(text, noticeRule+"\n\n")
			if i < 0 {
				t.Fatal("no notice rule")
			}
			if got := text[i+len(noticeRule)+2:]; got != wantText {
				t.Errorf("decoded text differs from the UTF-8 original:\n%s", firstDiff(wantText, got))
			}
		})
	}
}

// TestCorpusReadings pins what a reader sees in corpus messages a review
// of the rebuilt output found wrong: each text must be in the rebuilt
// message's decoded text, each absent one not, and no finding of the
// kinds named may be reported.
func TestCorpusReadings(t *testing.T) {
	dir := corpusDir(t)
	for _, c := range []struct {
		file        string
		has, hasNot []string
		noFinding   []string
	}{
		// An address with Japanese right after it stays readable.
		{file: "jpmobile/spec/unit/email-fixtures/au-decomail2.eml",
			has: []string{"スイカになってくれるお父さんは xxxx@example.comへ"}, hasNot: []string{"example[.]com"}},
		// A forwarded message saved from a mailbox, its mbox "From " line first.
		{file: "mikel-mail/spec/fixtures/emails/attachment_emails/attachment_message_rfc822.eml",
			has: []string{"> Subject: Another PDF", "> Just attaching another PDF"}, noFinding: []string{"header-unparseable"}},
		// A link whose text is its target, after a paragraph: once.
		{file: "rspamd/test/functional/messages/url_suspect_schemeless_email_href.eml",
			has: []string{"\n<user.name@example.com>"}, hasNot: []string{"user.name@example.com <"}},
		// A header without its blank line: the text is withheld, and the notice says so.
		{file: "enmime/testdata/mail/qp-utf8-header-no-break.raw",
			has: []string{"このため、メールの本文は表示していません。"}, hasNot: []string{"Lorem ipsum"}},
		// A bounce's report is text: no type mismatch.
		{file: "nodemailer-mailparser/test/fixtures/delivery-status.eml", noFinding: []string{"type-mismatch"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			rep, err := Message(&out, bytes.NewReader(data), int64(len(data)), Options{Policy: defaultPolicy(t), TempDir: t.TempDir()})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v %+v", err, rep)
			}
			text := decodedText(t, out.Bytes())
			for _, s := range c.has {
				if !strings.Contains(text, s) {
					t.Errorf("the text lacks %q:\n%s", s, text)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(text, s) {
					t.Errorf("the text holds %q:\n%s", s, text)
				}
			}
			for _, f := range rep.Findings {
				if slices.Contains(c.noFinding, f.Kind) {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}
