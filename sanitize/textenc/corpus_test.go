package textenc

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// corpus returns $MUGAI_CORPUS or skips the test.
func corpus(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("MUGAI_CORPUS")
	if dir == "" {
		t.Skip("MUGAI_CORPUS not set")
	}
	return dir
}

// TestCharsetTruth decodes the same text in EUC-JP, ISO-2022-JP,
// Shift_JIS and UTF-8 (corpus/charset-truth, from x/text's test data)
// through NewReader, with its right label, with none, and with wrong
// ones: each must give the UTF-8 file byte for byte.
func TestCharsetTruth(t *testing.T) {
	dir := filepath.Join(corpus(t), "charset-truth")
	want, err := os.ReadFile(filepath.Join(dir, "rashomon-utf-8.txt"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"euc-jp":      "rashomon-euc-jp.txt",
		"iso-2022-jp": "rashomon-iso-2022-jp.txt",
		"shift_jis":   "rashomon-shift-jis.txt",
		"utf-8":       "rashomon-utf-8.txt",
	}
	for charset, file := range files {
		src, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, label := range []string{charset, "", "us-ascii", "iso-2022-jp", "shift_jis", "euc-jp", "utf-8", "x-unknown", "iso-8859-1"} {
			t.Run(charset+"/label="+label, func(t *testing.T) {
				r := NewReader(label, bytes.NewReader(src))
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("decoded text differs from the UTF-8 file (charset %s, findings %v)", r.Charset(), r.Findings())
				}
				if r.Charset() != charset {
					t.Errorf("Charset() = %q, want %q", r.Charset(), charset)
				}
				for _, f := range r.Findings() {
					if f.Kind == KindInvalid {
						t.Errorf("unexpected finding %v", f)
					}
				}
				if label != charset && label != "" && len(r.Findings()) == 0 {
					t.Errorf("label %q corrected to %s without a finding", label, charset)
				}
			})
		}
	}
}

// subjectFFFD lists corpus messages whose Subject legitimately decodes
// with U+FFFD, and why.
var subjectFFFD = func() map[string]string {
	const (
		au   = "au carrier emoji in ISO-2022-JP rows 85-88, outside JIS X 0208 and its extensions"
		sjis = "carrier emoji in the Shift_JIS user-defined area (0xF040-0xF9FC), which no standard table maps"
	)
	m := map[string]string{}
	for _, f := range []string{"au-attached.eml", "au-decomail.eml", "au-emoji.eml", "au-emoji2.eml"} {
		m["jpmobile/spec/unit/email-fixtures/"+f] = au
	}
	for _, f := range []string{"docomo-emoji.eml", "docomo-gmail-sjis.eml", "softbank-emoji.eml", "softbank-gmail-sjis.eml"} {
		m["jpmobile/spec/unit/email-fixtures/"+f] = sjis
	}
	return m
}()

// subjectWant is what a reader sees in some corpus Subjects (checked by
// eye against the messages' own test suites).
var subjectWant = map[string]string{
	"milter-manager-test-mails/normal/headers/subject/raw-cp932.eml":                 "①②③",
	"milter-manager-test-mails/normal/headers/subject/folded-raw-cp932.eml":          "①②③ ④⑤⑥",
	"milter-manager-test-mails/normal/headers/subject/raw-euc-jp.eml":                "テスト",
	"milter-manager-test-mails/normal/headers/subject/folded-raw-euc-jp.eml":         "テスト テスト",
	"milter-manager-test-mails/normal/headers/subject/raw-iso-2022-jp.eml":           "テスト",
	"milter-manager-test-mails/normal/headers/subject/folded-raw-iso-2022-jp.eml":    "テスト テスト",
	"milter-manager-test-mails/normal/headers/subject/folded-mime-incomplete.eml":    "テストメール",
	"milter-manager-test-mails/normal/headers/subject/folded-base64-iso-2022-jp.eml": "テストテスト",
	"milter-manager-test-mails/normal/headers/subject/include-null.eml":              "te st",
	"milter-manager-test-mails/normal/decomail/emobile-shift_jis.eml":                "デコメ送信テスト",
	"jpmobile/spec/unit/email-fixtures/iphone-circled-numbers-in-jis.eml":            "テスト①",
	"jpmobile/spec/unit/email-fixtures/pc-mail-single.eml":                           "タイトルの長いメールの場合の対処を実装するためのテストケースとしてのメールに含まれている件名であるサブジェクト部分",
	"mimekit/UnitTests/TestData/messages/japanese.txt":                               "日本語メールテスト (testing Japanese emails)",
}

// TestCorpusSubjects decodes the Subject of every corpus message whose
// INDEX.tsv charsets_seen names a Japanese charset.
func TestCorpusSubjects(t *testing.T) {
	dir := corpus(t)
	index, err := os.ReadFile(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var messages, subjects, encoded, raw, withFFFD, checked int
	for i, line := range strings.Split(strings.TrimSpace(string(index)), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 || len(cols) < 4 || !japaneseCharset(cols[3]) {
			continue
		}
		messages++
		file := cols[0]
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		subj, ok := rawHeader(data, "Subject")
		if !ok {
			continue
		}
		subjects++
		if strings.Contains(subj, "=?") {
			encoded++
		}
		if hasHighOrEsc(subj) {
			raw++
		}
		got, fs := DecodeHeader(subj)
		if !utf8.ValidString(got) {
			t.Errorf("%s: invalid UTF-8 %q", file, got)
		}
		if want, ok := subjectWant[file]; ok {
			checked++
			if got != want {
				t.Errorf("%s: Subject %q, want %q", file, got, want)
			}
		}
		if strings.ContainsRune(got, utf8.RuneError) {
			withFFFD++
			why, expected := subjectFFFD[file]
			switch {
			case !expected:
				t.Errorf("%s: Subject %q decoded with U+FFFD: %q %v", file, subj, got, fs)
			case !hasKind(fs, KindInvalid):
				t.Errorf("%s: U+FFFD without a %s finding", file, KindInvalid)
			default:
				t.Logf("%s: U+FFFD expected (%s)", file, why)
			}
		} else if _, expected := subjectFFFD[file]; expected {
			t.Errorf("%s: expected U+FFFD for %s, got %q", file, subjectFFFD[file], got)
		}
	}
	t.Logf("%d Japanese messages, %d with Subject (%d with encoded words, %d raw 8-bit/ISO-2022-JP), %d decoded with U+FFFD, %d compared with the text a reader sees",
		messages, subjects, encoded, raw, withFFFD, checked)
	if checked != len(subjectWant) {
		t.Errorf("%d of %d expected subjects found", checked, len(subjectWant))
	}
}

func japaneseCharset(s string) bool {
	for _, cs := range strings.Split(strings.ToLower(s), ",") {
		cs = strings.TrimPrefix(strings.TrimPrefix(cs, "ew:"), "2231:")
		if c, ok := lookup(cs); ok && (c.kind == kindShiftJIS || c.kind == kindEUCJP || c.kind == kindISO2022JP) {
			return true
		}
	}
	return false
}

func hasHighOrEsc(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == 0x1b {
			return true
		}
	}
	return false
}

// rawHeader returns the raw (folded) value of the first field named name
// in the message header.
func rawHeader(msg []byte, name string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(msg))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var val strings.Builder
	in := false
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			break
		}
		if in {
			if line[0] == ' ' || line[0] == '\t' {
				val.WriteString("\r\n" + line)
				continue
			}
			return val.String(), true
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, name) {
			in = true
			val.WriteString(v)
		}
	}
	return val.String(), in
}

// TestCorpusBodies decodes every text part of every corpus message through
// NewReader with its declared charset and reports what was corrected.
func TestCorpusBodies(t *testing.T) {
	dir := corpus(t)
	index, err := os.ReadFile(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var parts, corrected, invalid, broken int
	for i, line := range strings.Split(strings.TrimSpace(string(index)), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 || len(cols) < 4 {
			continue
		}
		file := cols[0]
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		walkTextParts(bufio.NewReader(f), 0, func(path, label string, body io.Reader) {
			parts++
			src := &errRecorder{r: body}
			r := NewReader(label, src)
			got, err := io.ReadAll(r)
			if err != nil {
				// Broken structure (missing boundary, bad base64) fails
				// the source; our error must be that one, wrapped.
				if src.err == nil || !errors.Is(err, src.err) {
					t.Errorf("%s %s: %v", file, path, err)
				}
				broken++
				return
			}
			if !utf8.Valid(got) {
				t.Errorf("%s %s: invalid UTF-8", file, path)
			}
			fs := r.Findings()
			if bytes.ContainsRune(got, utf8.RuneError) && !hasKind(fs, KindInvalid) && !strings.Contains(label, "utf") {
				t.Errorf("%s %s: U+FFFD without a finding", file, path)
			}
			if len(fs) > 0 {
				if hasKind(fs, KindInvalid) {
					invalid++
				}
				if hasKind(fs, KindMislabeled) || hasKind(fs, KindMissing) || hasKind(fs, KindUnknown) {
					corrected++
				}
				t.Logf("%s %s: declared %q → %s %v", file, path, label, r.Charset(), fs)
			}
		})
		f.Close()
	}
	t.Logf("%d text parts: %d with a corrected or missing label, %d with invalid sequences, %d unreadable (broken MIME)", parts, corrected, invalid, broken)
}

// errRecorder remembers the error its reader returned.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// walkTextParts calls fn with the transfer-decoded body of each text part.
func walkTextParts(br *bufio.Reader, depth int, fn func(path, label string, body io.Reader)) {
	walkPart(br, "1", depth, fn)
}

func walkPart(br *bufio.Reader, path string, depth int, fn func(path, label string, body io.Reader)) {
	h, err := textproto.ReadHeader(br)
	if err != nil || depth > 20 {
		return
	}
	mt, params, _, err := ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt = "text/plain"
	}
	switch {
	case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "":
		mr := textproto.NewMultipartReader(br, params["boundary"])
		for n := 1; ; n++ {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			var buf bytes.Buffer
			var ph textproto.Header = p.Header
			if err := textproto.WriteHeader(&buf, ph); err != nil {
				return
			}
			walkPart(bufio.NewReader(io.MultiReader(&buf, p)), path+"."+strconv.Itoa(n), depth+1, fn)
		}
	case mt == "message/rfc822":
		walkPart(br, path+".1", depth+1, fn)
	case strings.HasPrefix(mt, "text/"):
		var body io.Reader = br
		switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		fn(path, params["charset"], body)
	}
}
