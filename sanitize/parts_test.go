package sanitize

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"mime"
	nettextproto "net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/japanese"

	"mugai/sanitize/invariant"
)

func TestCRLFReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\rb\r", "a\r\nb\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\n\rb", "a\r\n\r\nb"},
		{"a\r\r\nb", "a\r\n\r\nb"},
		{"", ""},
	}
	for _, tt := range tests {
		// One byte at a time: a CR at the end of one read and its LF at
		// the start of the next must still make one line end.
		got, err := io.ReadAll(newCRLFReader(iotest.OneByteReader(strings.NewReader(tt.in))))
		if err != nil || string(got) != tt.want {
			t.Errorf("%q → %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func readParts(t *testing.T, body, boundary string, window int) (parts []string, end error) {
	t.Helper()
	mr := newMultipartReaderSize(iotest.HalfReader(strings.NewReader(body)), boundary, window)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return parts, err
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, string(b))
	}
}

func TestMultipartReader(t *testing.T) {
	big := strings.Repeat("x", 3*mpWindow+17)
	long := strings.Repeat("b", 200)
	tests := []struct {
		name     string
		body     string
		boundary string
		want     []string
		end      error
	}{
		{"first delimiter at start", "--b\r\nA\r\n--b\r\nB\r\n--b--\r\n", "b", []string{"A", "B"}, io.EOF},
		{"preamble and epilogue", "pre\r\n--b\r\nA\r\n--b--\r\nepi\r\n--b\r\nC\r\n", "b", []string{"A"}, io.EOF},
		{"transport padding", "--b  \t\r\nA\r\n--b \r\nB\r\n--b--", "b", []string{"A", "B"}, io.EOF},
		{"longer boundary is content", "--b\r\nA\r\n--bb\r\nstill A\r\n--b--\r\n", "b", []string{"A\r\n--bb\r\nstill A"}, io.EOF},
		{"delimiter needs a line start", "--b\r\nA --b\r\n--b--\r\n", "b", []string{"A --b"}, io.EOF},
		{"empty part", "--b\r\n\r\n--b--\r\n", "b", []string{""}, io.EOF},
		{"part content keeps its own CRLF", "--b\r\nA\r\n\r\n--b--\r\n", "b", []string{"A\r\n"}, io.EOF},
		{"missing final boundary", "--b\r\nA\r\n--b\r\nB\r\n", "b", []string{"A", "B\r\n"}, errNoFinalBoundary},
		{"no boundary at all", "just text\r\n", "b", nil, errNoFirstBoundary},
		{"large part across windows", "--b\r\n" + big + "\r\n--b--\r\n", "b", []string{big}, io.EOF},
		{"close delimiter at end of input", "--b\r\nA\r\n--b--", "b", []string{"A"}, io.EOF},
		{"delimiter at end of input", "--b\r\nA\r\n--b", "b", []string{"A", ""}, errNoFinalBoundary},
		{"longest boundary with padding", "--" + long + "   \r\nA\r\n--" + long + "--\r\n", long, []string{"A"}, io.EOF},
	}
	// The smallest window (a small message's) reads the same parts.
	for _, window := range []int{mpWindow, 1} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/window %d", tt.name, window), func(t *testing.T) {
				got, end := readParts(t, tt.body, tt.boundary, window)
				if end != tt.end {
					t.Errorf("end = %v, want %v", end, tt.end)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("%d parts %q, want %d %q", len(got), got, len(tt.want), tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("part %d = %q, want %q", i+1, truncate(got[i], 60), truncate(tt.want[i], 60))
					}
				}
			})
		}
	}
}

func TestB64Reader(t *testing.T) {
	tests := []struct {
		in, want string
		invalid  bool
	}{
		{"aGVsbG8=", "hello", false},
		{"aGVs\r\nbG8=\r\n", "hello", false},
		{"aGVsbG8", "hello", false}, // missing padding: every lenient decoder agrees
		{" aG Vs\tbG8= ", "hello", false},
		{"aGVs!bG8=", "hello", true}, // skipped like lenient clients, but flagged
		{"aGVsbG8=aGk=", "hellohi", true},
		{"aGVsbG8=a", "hello", true},
		{"", "", false},
	}
	for _, tt := range tests {
		d := newB64Reader(iotest.OneByteReader(strings.NewReader(tt.in)))
		got, err := io.ReadAll(d)
		if err != nil || string(got) != tt.want || (d.invalid > 0) != tt.invalid {
			t.Errorf("%q → %q, invalid %d, %v; want %q, invalid %v", tt.in, got, d.invalid, err, tt.want, tt.invalid)
		}
	}
}

func TestQPReader(t *testing.T) {
	tests := []struct {
		in, want string
		invalid  bool
	}{
		{"caf=C3=A9\r\n", "café\r\n", false},
		{"caf=c3=a9", "café", false},
		{"soft=\r\nbreak\r\n", "softbreak\r\n", false},
		{"trailing   \r\nspace\t\r\n", "trailing\r\nspace\r\n", false},
		{"a=ZZb\r\n", "a=ZZb\r\n", true},
		{"end=", "end", false},
		{strings.Repeat("a", 20000) + "=41=\r\nb\r\n", strings.Repeat("a", 20000) + "Ab\r\n", false},
	}
	for _, tt := range tests {
		d := newQPReader(iotest.HalfReader(strings.NewReader(tt.in)))
		got, err := io.ReadAll(d)
		if err != nil || string(got) != tt.want || (d.invalid > 0) != tt.invalid {
			t.Errorf("%q → %q, invalid %d, %v; want %q", truncate(tt.in, 40), truncate(string(got), 40), d.invalid, err, truncate(tt.want, 40))
		}
	}
}

func TestScanParams(t *testing.T) {
	ps := scanParams(`multipart/mixed; boundary="a;b"; BOUNDARY*=utf-8''c%20d; x*0*=utf-8''%E3%81; x*1*=%82; name=plain`)
	plain, ext, has := paramForms(ps, "boundary")
	if len(plain) != 1 || plain[0] != "a;b" || !has || ext != "c d" {
		t.Errorf("boundary forms = %q, %q, %v", plain, ext, has)
	}
	if _, ext, _ := paramForms(ps, "x"); ext != "あ" {
		t.Errorf("continuation = %q, want あ", ext)
	}
	if n := countParam(ps, "name"); n != 1 {
		t.Errorf("count name = %d", n)
	}
}

func TestCleanFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{`C:\Users\x\evil.exe`, "evil.exe"},
		{"../../etc/passwd", "passwd"},
		{"evil\u202Etxt.exe", "eviltxt.exe"},
		{"a\x00b\x1fc.txt", "abc.txt"},
		{"zero\u200bwidth.txt", "zerowidth.txt"},
		{"what?.txt", "what_.txt"},
		{" .hidden. ", "hidden"},
		{strings.Repeat("あ", 200) + ".txt", strings.Repeat("あ", 146) + ".txt"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := cleanFilename(tt.in); got != tt.want {
			t.Errorf("cleanFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTextSinkLongLine(t *testing.T) {
	// A 100 KB line: broken into bounded lines, and a URL after a space
	// is still defanged.
	var out bytes.Buffer
	s := newTextSink(&out, "defang")
	s.Write([]byte(strings.Repeat("a", 50000) + " https://evil.example/x " + strings.Repeat("b", 50000) + "\n"))
	s.Close()
	for _, l := range strings.Split(out.String(), "\n") {
		if len(l) > maxLine+100 { // defanging adds a few bytes
			t.Fatalf("line of %d bytes", len(l))
		}
	}
	if strings.Contains(out.String(), "https://evil.example") {
		t.Error("URL in a long line not defanged")
	}
}

func TestTextSinkCleansLines(t *testing.T) {
	var out bytes.Buffer
	s := newTextSink(&out, "keep")
	s.Write([]byte("a\x00b\x1b[31mc\u202Ed\xffe\r\nnext\rlast"))
	s.Close()
	if got, want := out.String(), "ab[31mcd\uFFFDe\nnext\nlast\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// errReaderAt fails after n bytes.
type errReaderAt struct {
	data []byte
	n    int64
}

func (e errReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= e.n {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, e.data[off:min(int64(len(e.data)), e.n)])
	return n, nil
}

type panicReaderAt struct{}

func (panicReaderAt) ReadAt([]byte, int64) (int, error) { panic("boom") }

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestErrorsAndPanics(t *testing.T) {
	msg := []byte("Subject: x\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("hello\r\n", 20000))
	pol := defaultPolicy(t)

	if _, err := Message(io.Discard, errReaderAt{msg, 5000}, int64(len(msg)), Options{Policy: pol}); err == nil {
		t.Error("read failure: no error")
	}
	if _, err := Message(failWriter{}, bytes.NewReader(msg), int64(len(msg)), Options{Policy: pol}); err == nil {
		t.Error("write failure: no error")
	}
	rep, err := Message(io.Discard, panicReaderAt{}, 100, Options{Policy: pol})
	if err != nil {
		t.Fatalf("panic: err = %v", err)
	}
	if rep.Verdict != Rejected || len(rep.Findings) == 0 || rep.Findings[len(rep.Findings)-1].Kind != "panic" {
		t.Errorf("panic: verdict %q findings %+v", rep.Verdict, rep.Findings)
	}
}

// TestDoubleEncodedWords: a Subject or a display name that decodes to
// something reading like an encoded word is decoded again, as a client
// would, and cleaned: the right-to-left override and BEL hidden in it are
// gone. Text still reading like encoded words after a few rounds, and a
// filename that does, are written encoded, so that a client decoding the
// rebuilt header once sees the text. (The walker reads such a filename
// the most dangerous way, decoded twice, and strips the part; the
// Content-Type name is checked on its own.)
func TestDoubleEncodedWords(t *testing.T) {
	word := func(t string) string { return "=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(t)) + "?=" }
	inner := word("\u202egpj.exe \a")
	outer := word(inner)
	fname := word(inner + ".pdf")
	deep := word(word(word(word(inner))))
	msg := "From: " + outer + " <a@example.jp>\r\nTo: b@example.jp\r\nSubject: " + outer + "\r\nReferences: x\r\n" +
		"Comments: " + deep + "\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/pdf; name=\"" + fname + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(fakePDF(2000)) + "\r\n--b--\r\n"
	var out bytes.Buffer
	pol := benchPolicy(t)
	pol.Headers = append(pol.Headers, "Comments")
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol})
	if err != nil || rep.Verdict != Rebuilt || rep.Kept != 0 || rep.Removed != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	e, err := message.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	dec := mime.WordDecoder{}
	for k, want := range map[string]string{"Subject": "gpj.exe", "From": `"gpj.exe" <a@example.jp>`} {
		if d, err := dec.DecodeHeader(e.Header.Get(k)); err != nil || d != want {
			t.Errorf("%s decodes once to %q (%v), want %q", k, d, err, want)
		}
	}
	if rep.Subject != "gpj.exe" {
		t.Errorf("report Subject %q", rep.Subject)
	}
	seen := map[string]int{}
	for _, f := range rep.Findings {
		if f.Kind == "encoded-word-in-text" {
			k, _, _ := strings.Cut(f.Detail, ":")
			seen[k]++
		}
	}
	if seen["Subject"] != 1 || seen["From"] != 1 || seen["Comments"] != 1 {
		t.Errorf("encoded-word-in-text findings per field: %v, want one each for Subject, From, Comments", seen)
	}
	if d, err := dec.DecodeHeader(e.Header.Get("Comments")); err != nil || !strings.HasPrefix(d, "=?utf-8?b?") {
		t.Errorf("Comments encoded five times decodes once to %q (%v), want encoded-word text", d, err)
	}
	ct, _ := attachmentParams("application/pdf", inner+".pdf")
	_, params, _ := mime.ParseMediaType(ct)
	if d, err := dec.DecodeHeader(params["name"]); err != nil || d != inner+".pdf" {
		t.Errorf("name parameter decodes once to %q (%v), want the text %q", d, err, inner+".pdf")
	}
}

// TestFieldListValues: looking a policy key up in the fields read once,
// and the MIME fields mimeFields collects in one pass, give what
// go-message's Header.Values gives, for keys in any case and headers with
// repeated, oddly written and invalid field names.
func TestFieldListValues(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	names := []string{"From", "from", "FROM", "Message-ID", "message-id", "Received", "X-Mugai-Policy", "x-a-b",
		"Subject", "SUBJECT", "Content-Type", "X Foo", "X_Foo", "Reply-To", "reply-to", "a-", "-a", "Ä-Key",
		"content-type", "CONTENT-TRANSFER-ENCODING", "Content-Transfer-Encoding", "content-disposition", "Content-Disposition"}
	for n := 0; n < 2000; n++ {
		var b strings.Builder
		for k := r.Intn(12); k > 0; k-- {
			fmt.Fprintf(&b, "%s: v%d\r\n", names[r.Intn(len(names))], r.Intn(100))
		}
		b.WriteString("\r\n")
		h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(b.String())))
		if err != nil {
			continue
		}
		fl := readFields(h, nil)
		cts, ctes, cds := mimeFields(h)
		if !slices.Equal(cts, h.Values("Content-Type")) || !slices.Equal(ctes, h.Values("Content-Transfer-Encoding")) || !slices.Equal(cds, h.Values("Content-Disposition")) {
			t.Fatalf("mimeFields of %q: %q %q %q", b.String(), cts, ctes, cds)
		}
		for _, name := range names {
			key := canonicalKey(name)
			if c := nettextproto.CanonicalMIMEHeaderKey(key); c != key {
				t.Fatalf("canonicalKey(%q) = %q, but net/textproto makes it %q", name, key, c)
			}
			if got, want := fl.values(key, nil), h.Values(key); !slices.Equal(got, want) {
				t.Fatalf("%q in %q: values %q, Header.Values %q", key, b.String(), got, want)
			}
		}
	}
}

// TestCleanID: an id already clean comes back as it is; others lose the
// characters unsafe in a header or text and are cut at 128.
func TestCleanID(t *testing.T) {
	long := strings.Repeat("a", 200)
	for in, want := range map[string]string{
		"q-20261126-0001":           "q-20261126-0001",
		`a b"c\d(e)f` + "\r\n\x7fg": "abcdefg",
		"日本id":                      "id",
		long:                        long[:128],
		"x" + long:                  ("x" + long)[:128],
	} {
		if got := cleanID(in); got != want {
			t.Errorf("cleanID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHeaderDecodingFindings: a header field that decodes with a U+FFFD,
// under a wrong or unknown label, or from a broken encoded word gets a
// finding naming the field (issue: never silent mojibake), in the
// original's header, a forwarded message's and filename parameters; and
// the notice explains the U+FFFD even when only the Subject has one.
func TestHeaderDecodingFindings(t *testing.T) {
	fwd := "From: =?x-unknown-cs?b?5bGx55Sw?= <c@example.jp>\r\nSubject: =?utf-8?b?gGJj?=\r\n\r\nforwarded\r\n"
	msg := "From: =?utf-8?q?Yamada?= <a@example.jp>\r\nTo: =?utf-8?b?gA==?= <b@example.jp>\r\n" +
		"Cc: \x1b$B$\"\x1b(B <c@example.jp>\r\n" +
		"Subject: =?utf-8?b?gGFi?= ok\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" + fwd +
		"--b\r\nContent-Type: application/octet-stream; name=\"=?utf-8?b?gHg=?=.bin\"\r\n\r\nxx\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"=?utf-8?b?gHk=?=.bin\"\r\n\r\nyy\r\n--b--\r\n"
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	var got []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Kind, "charset-") || f.Kind == "encoded-word-invalid" {
			got = append(got, f.Path+" "+f.Kind+" "+f.Detail)
		}
	}
	want := []string{
		"2 charset-unknown From: unknown charset \"x-unknown-cs\", decoded as utf-8",
		"2 charset-invalid Subject: 1 invalid sequence in utf-8",
		"3 charset-invalid Content-Type: 1 invalid sequence in utf-8",
		"4 charset-invalid Content-Disposition: 1 invalid sequence in utf-8",
		" charset-invalid To: 1 invalid sequence in utf-8",
		" charset-missing Cc: unencoded header text, decoded as iso-2022-jp",
		" charset-invalid Subject: 1 invalid sequence in utf-8",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(rep.Subject, "\uFFFD") {
		t.Errorf("report subject %q has no U+FFFD", rep.Subject)
	}

	// Only the Subject is broken: the notice still says what U+FFFD means.
	only := "From: a@example.jp\r\nSubject: =?utf-8?b?gGFi?=\r\nDate: Tue, 5 Mar 2024 09:30:00 +0900\r\nMessage-ID: <1@example.jp>\r\n\r\nhello\r\n"
	out.Reset()
	rep, err = Message(&out, strings.NewReader(only), int64(len(only)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt || len(rep.Findings) != 1 || rep.Findings[0].Kind != "charset-invalid" {
		t.Fatalf("%v %+v", err, rep)
	}
	e, err := message.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(e.Body)
	if !strings.Contains(string(body), "読めない部分は「\uFFFD」") {
		t.Errorf("notice does not explain the U+FFFD in the Subject:\n%s", body)
	}

	// Clean ASCII and well-formed words: nothing to report.
	clean := benchMessages()[0].data
	rep, err = Message(io.Discard, bytes.NewReader(clean), int64(len(clean)), Options{Policy: defaultPolicy(t)})
	if err != nil || len(rep.Findings) != 0 {
		t.Errorf("clean message: %v, findings %+v", err, rep.Findings)
	}
}

// TestSubjectLinksNotice: the notice says where links were neutralised.
// TestSubjectLinksNotice: links in the Subject, in display names and in
// other header text are neutralised like the body's, counted as the
// links action, and the notice names where they were.
func TestSubjectLinksNotice(t *testing.T) {
	pol := defaultPolicy(t)
	pol.Headers = append(pol.Headers, "Organization")
	for _, tc := range []struct{ from, subject, extra, body, want string }{
		{"a@example.jp", "see https://evil.example", "", "no link here", "・件名中のURL"},
		{"a@example.jp", "see https://evil.example", "", "and http://evil.example/x", "・件名と本文中のURL"},
		{"a@example.jp", "plain subject", "", "and http://evil.example/x", "・本文中のURL"},
		{`"https://secure.evil.example/login" <a@example.jp>`, "plain subject", "", "no link here", "・ヘッダー中のURL"},
		{"Support www.evil.example <a@example.jp>", "plain subject", "", "and http://evil.example/x", "・ヘッダーと本文中のURL"},
		{"=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("サポート https://evil.example/")) + "?= <a@example.jp>", "see https://evil.example", "", "no link here", "・件名とヘッダー中のURL"},
		{"a@example.jp", "see https://evil.example", "Organization: visit evil.com/win\r\n", "and http://evil.example/x", "・件名・ヘッダー・本文中のURL"},
		{"Amazon.co.jp <a@example.jp>", "plain subject", "", "no link here", "・ヘッダー中のURL"},
		{"Yamada Taro <a@example.jp>", "plain subject", "", "and http://evil.example/x", "・本文中のURL"},
	} {
		msg := "From: " + tc.from + "\r\nTo: b@example.jp\r\nSubject: " + tc.subject + "\r\n" + tc.extra + "\r\n" + tc.body + "\r\n"
		var out bytes.Buffer
		rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol})
		if err != nil || rep.Verdict != Rebuilt {
			t.Fatalf("%v %+v", err, rep)
		}
		if !slices.Contains(rep.Actions, "links-defanged") {
			t.Errorf("from %q: actions %v lack links-defanged", tc.from, rep.Actions)
		}
		e, err := message.Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(e.Body)
		if !bytes.Contains(body, []byte(tc.want)) {
			t.Errorf("from %q, subject %q, body %q: notice lacks %q:\n%s", tc.from, tc.subject, tc.body, tc.want, body)
		}
		if x := e.Header.Get("X-Mugai-Sanitized"); !strings.Contains(x, "links-defanged") {
			t.Errorf("X-Mugai-Sanitized %q lacks links-defanged", x)
		}
		for _, k := range []string{"Subject", "From", "Organization"} {
			v, err := e.Header.Text(k)
			if err != nil {
				t.Errorf("%s: %v", k, err)
			}
			if strings.Contains(v, "https://") || strings.Contains(v, "www.") || strings.Contains(v, "evil.example") || strings.Contains(v, "evil.com") || strings.Contains(v, "Amazon.co") {
				t.Errorf("%s %q still links", k, v)
			}
		}
		if rep.From != strings.TrimSpace(tc.from) && !strings.Contains(tc.from, "=?") {
			t.Errorf("report From %q, want the original's %q", rep.From, tc.from)
		}
	}
}

// TestFileSentAsText: a file labelled as an inline text part, as the body
// or after it, is an attachment with its checks and the policy's
// decision, not bytes printed as text; text that merely starts like a
// format stays text.
func TestFileSentAsText(t *testing.T) {
	zipOf := func(name string, data []byte, encrypted bool) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		fh := &zip.FileHeader{Name: name, Method: zip.Store}
		if encrypted {
			fh.Flags |= 0x1
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		zw.Close()
		return b.Bytes()
	}
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0, 1, 2}, 100)...)
	textPart := func(data []byte) string {
		return "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(data) + "\r\n"
	}
	mixed := func(parts ...string) string {
		m := "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
		for _, p := range parts {
			m += "--b\r\n" + p
		}
		return m + "--b--\r\n"
	}
	body := "Content-Type: text/plain; charset=utf-8\r\n\r\nご確認ください。\r\n"
	for _, tc := range []struct {
		name, msg string
		reject    bool   // encrypted_archives: reject
		verdict   string // of the message
		class     string // of the file part
		decision  string
		inText    string // must (not) be in the delivered text
	}{
		{"encrypted zip after the body", mixed(body, textPart(zipOf("見積.xlsx", []byte("secret"), true))), true, Rejected, "encrypted-archive", DecisionReject, ""},
		{"encrypted zip as the body", mixed(textPart(zipOf("a.xlsx", []byte("secret"), true)), body), true, Rejected, "encrypted-archive", DecisionReject, ""},
		{"program after the body", mixed(body, textPart(exe)), false, Rebuilt, "executable", DecisionStrip, "ご確認ください。"},
		{"zip with a program after the body", mixed(body, textPart(zipOf("invoice.exe", exe, false))), false, Rebuilt, "executable", DecisionStrip, "ご確認ください。"},
		{"shell script pasted as text stays text", mixed(body, textPart([]byte("#!/bin/sh\necho hello\n"))), false, Rebuilt, "text", DecisionBody, "echo hello"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			if tc.reject {
				pol.Attachments.EncryptedArchives = "reject"
			}
			var out bytes.Buffer
			rep, err := Message(&out, strings.NewReader(tc.msg), int64(len(tc.msg)), Options{Policy: pol})
			if err != nil || rep.Verdict != tc.verdict {
				t.Fatalf("%v: verdict %q (%s), want %q", err, rep.Verdict, rep.Reason, tc.verdict)
			}
			var file *Part
			for i := range rep.Parts {
				if rep.Parts[i].Class != "text" || tc.class == "text" {
					file = &rep.Parts[i]
				}
			}
			if file == nil || file.Class != tc.class || file.Decision != tc.decision {
				t.Fatalf("parts %+v, want one of class %s decided %s", rep.Parts, tc.class, tc.decision)
			}
			if tc.verdict != Rebuilt {
				return
			}
			e, err := message.Read(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			text, _ := io.ReadAll(e.Body)
			if !bytes.Contains(text, []byte(tc.inText)) || bytes.Contains(text, []byte("MZ")) || bytes.Contains(text, []byte("PK")) {
				t.Errorf("delivered text:\n%s", text)
			}
		})
	}
}

// TestForwardedHeaderLinksCounted: links in a forwarded message's quoted
// From and Subject lines are body text: neutralised, counted as an
// action, and named in the notice.
func TestForwardedHeaderLinksCounted(t *testing.T) {
	for _, tc := range []struct{ subject, want string }{
		{"plain", "・本文中のURL"},
		{"see https://evil.example/top", "・件名と本文中のURL"},
	} {
		msg := "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: " + tc.subject + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nno link here\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@evil.example\r\nSubject: inner https://evil.example/inner\r\n\r\ninner text\r\n--b--\r\n"
		var out bytes.Buffer
		rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
		if err != nil || rep.Verdict != Rebuilt || !slices.Contains(rep.Actions, "links-defanged") {
			t.Fatalf("%v %+v", err, rep)
		}
		e, err := message.Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(e.Body)
		if !bytes.Contains(body, []byte(tc.want)) || !bytes.Contains(body, []byte("> Subject: inner hxxps://evil[.]example/inner")) {
			t.Errorf("subject %q: notice lacks %q or the quoted Subject is not defanged:\n%s", tc.subject, tc.want, body)
		}
	}
}

// TestForwardedMboxFromLine: a message/rfc822 part saved from a mailbox
// starts with its mbox "From " line, which Thunderbird skips, as the
// sanitiser does before the original's header: the forwarded message is
// quoted, not dropped as a part whose header does not parse.
func TestForwardedMboxFromLine(t *testing.T) {
	msg := "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee the attached message\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom tester@example.com Tue May 10 11:28:07 2011\r\n" +
		"From: Test Tester <tester@example.com>\r\nSubject: Another PDF\r\n\r\nJust attaching another PDF, here.\r\n--b--\r\n"
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	for _, f := range rep.Findings {
		if f.Kind == "header-unparseable" {
			t.Errorf("finding %+v", f)
		}
	}
	text := decodedText(t, out.Bytes())
	for _, want := range []string{"> Subject: Another PDF", "> Just attaching another PDF, here."} {
		if !strings.Contains(text, want) {
			t.Errorf("the quoted message lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Tue May 10 11:28:07 2011") {
		t.Errorf("the mbox From line is in the text:\n%s", text)
	}
}

// TestNoticeBodyWithheld: where the part holding the text was dropped
// for its structure (ambiguous: strip), the reader is told that the
// message's text is not shown, not only that an "attachment" was
// removed; where the text is shown, the notice does not say so.
func TestNoticeBodyWithheld(t *testing.T) {
	const line = "・このため、メールの本文は表示していません。"
	head := "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: s\r\nDate: Wed, 1 Apr 2026 08:00:00 +0900\r\nMessage-ID: <w1@example.jp>\r\nMIME-Version: 1.0\r\n"
	for _, c := range []struct {
		name, msg string
		withheld  bool
	}{
		// Thunderbird wrote no blank line after the header.
		{"header without its blank line", head + "Content-Type: text/plain\r\nThis is the text.\r\n", true},
		{"unknown transfer encoding", head + "Content-Type: text/html\r\nContent-Transfer-Encoding: 8bits\r\n\r\n<p>the text</p>\r\n", true},
		{"ambiguous text in a multipart", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-unknown\r\n\r\nthe text\r\n--b--\r\n", true},
		{"ambiguous attachment, text shown", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nthe text\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: x-unknown\r\n\r\nxx\r\n--b--\r\n", false},
		{"no ambiguity", head + "Content-Type: text/plain\r\n\r\nthe text\r\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			rep, err := Message(&out, strings.NewReader(c.msg), int64(len(c.msg)), Options{Policy: defaultPolicy(t), OriginalID: "Q1"})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v %+v", err, rep)
			}
			text := decodedText(t, out.Bytes())
			if got := strings.Contains(text, line); got != c.withheld {
				t.Errorf("notice says the text is withheld: %v, want %v:\n%s", got, c.withheld, text)
			}
			if got := strings.Contains(text, "message text withheld"); got != c.withheld {
				t.Errorf("English notice says the text is withheld: %v, want %v:\n%s", got, c.withheld, text)
			}
			if c.withheld && strings.Contains(text, "the text") {
				t.Errorf("the ambiguous text was delivered:\n%s", text)
			}
		})
	}
}

// TestNoticeNamesFilesUnderRemove: the notice lists a removed file by its
// name under every links mode; a name a mail client would link (a .zip
// is a top-level domain) is defanged, never replaced by "[リンク削除]",
// which would leave the reader unable to tell which file it was.
func TestNoticeNamesFilesUnderRemove(t *testing.T) {
	for _, tc := range []struct{ mode, name, want string }{
		{"defang", "archive.zip", "archive[.]zip (5 B)"},
		{"remove", "archive.zip", "archive[.]zip (5 B)"},
		{"remove", "www.evil.example.pdf", "www[.]evil[.]example[.]pdf (5 B)"},
		{"remove", "申請書.pdf", "申請書.pdf (5 B)"},
	} {
		pol := defaultPolicy(t)
		pol.Body.Links = tc.mode
		msg := "From: a@example.jp\r\nTo: b@example.jp\r\nSubject: s\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee http://evil.example/x\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''" +
			url.PathEscape(tc.name) + "\r\n\r\nhello\r\n--b--\r\n"
		var out bytes.Buffer
		rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol, TempDir: t.TempDir()})
		if err != nil || rep.Verdict != Rebuilt {
			t.Fatalf("%s %q: %v %+v", tc.mode, tc.name, err, rep)
		}
		if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
			t.Errorf("%s %q: invariants: %v", tc.mode, tc.name, err)
		}
		text := decodedText(t, out.Bytes())
		if !strings.Contains(text, "    - "+tc.want+" … ") {
			t.Errorf("links %s, file %q: notice lacks %q:\n%s", tc.mode, tc.name, tc.want, text)
		}
		if tc.mode == "remove" && !strings.Contains(text, "see [リンク削除]") {
			t.Errorf("links remove: the body's link is not removed:\n%s", text)
		}
	}
}

// TestMislabeledJapaneseDelivered: a short Japanese text under a Latin-1
// label, in the MIME header or in an HTML part's <meta>, or under a 7-bit
// MIME label its HTML's <meta> corrects, reaches the reader as the
// Japanese it is, with a charset-mislabeled finding and the notice's
// line; it was "eXg" (C1 controls dropped), "ƒeƒXƒg" or another
// charset's reading.
func TestMislabeledJapaneseDelivered(t *testing.T) {
	sjis := func(s string) string {
		b, err := japanese.ShiftJIS.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	euc := func(s string) string {
		b, err := japanese.EUCJP.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	msg := func(ct, body string) string {
		return "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: " + ct +
			"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n"
	}
	html := func(meta, body string) string {
		return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=` + meta + `"></head><body><p>` + body + "</p></body></html>"
	}
	for _, tc := range []struct {
		name, msg, text, detail string
	}{
		{"plain, iso-8859-1", msg("text/plain; charset=iso-8859-1", sjis("テスト")), "テスト", "declared iso-8859-1, decoded as shift_jis"},
		{"plain, windows-1252", msg("text/plain; charset=windows-1252", sjis("テスト")), "テスト", "declared windows-1252, decoded as shift_jis"},
		// The <meta>'s iso-8859-1 is windows-1252 to HTML, as it names it.
		{"html, meta iso-8859-1", msg("text/html", html("iso-8859-1", sjis("テスト"))), "テスト", "declared windows-1252, decoded as shift_jis"},
		{"html, iso-8859-1 label, meta Shift_JIS", msg("text/html; charset=iso-8859-1", html("Shift_JIS", sjis("了解"))), "了解", "declared iso-8859-1, decoded as shift_jis"},
		// 8-bit text under a 7-bit label (a Japanese client's default
		// ISO-2022-JP on a web page's EUC-JP): the <meta> names the
		// charset where the bytes read two ways. ｾﾝﾀｰ in EUC-JP is
		// Shift_JIS 疾爵実鴫, 各位 Shift_JIS ｳﾆｰﾌ.
		{"html, iso-2022-jp label, meta EUC-JP, half-width katakana", msg("text/html; charset=ISO-2022-JP", html("EUC-JP", euc("ｾﾝﾀｰ"))), "ｾﾝﾀｰ", "declared ISO-2022-JP, decoded as euc-jp (the HTML's <meta>)"},
		{"html, iso-2022-jp label, meta EUC-JP, kanji", msg("text/html; charset=iso-2022-jp", html("euc-jp", euc("各位"))), "各位", "declared iso-2022-jp, decoded as euc-jp (the HTML's <meta>)"},
		{"html, us-ascii label, meta Shift_JIS", msg("text/html; charset=us-ascii", html("Shift_JIS", sjis("ﾃｽﾄﾒｰﾙ"))), "ﾃｽﾄﾒｰﾙ", "declared us-ascii, decoded as shift_jis (the HTML's <meta>)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			rep, err := Message(&out, strings.NewReader(tc.msg), int64(len(tc.msg)), Options{Policy: defaultPolicy(t)})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v: verdict %q (%s)", err, rep.Verdict, rep.Reason)
			}
			e, err := message.Read(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			text, _ := io.ReadAll(e.Body)
			if !strings.HasSuffix(strings.TrimRight(string(text), "\r\n"), "\r\n"+tc.text) || !strings.Contains(string(text), "文字コードの表示の誤りを補正") {
				t.Errorf("delivered text:\n%s", text)
			}
			found := false
			for _, f := range rep.Findings {
				found = found || f.Kind == "charset-mislabeled" && f.Detail == tc.detail
			}
			if !found {
				t.Errorf("findings %v, want charset-mislabeled %q", rep.Findings, tc.detail)
			}
		})
	}
}

// TestShiftOutKanaDelivered: ISO-2022-JP text whose only non-ASCII is
// half-width katakana between SO and SI (CP50221/CP50222), no ESC
// anywhere, is decoded: as 7-bit text it was passed through as it was,
// the sink dropped SO and SI as controls, and "ﾃｽﾄ" read "C=D".
func TestShiftOutKanaDelivered(t *testing.T) {
	for _, label := range []string{"ISO-2022-JP", "iso-2022-jp-ms", "CP50221"} {
		m := "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: t\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=" + label +
			"\r\n\r\nabc \x0eC=D\x0f def\r\n"
		var out bytes.Buffer
		rep, err := Message(&out, strings.NewReader(m), int64(len(m)), Options{Policy: defaultPolicy(t)})
		if err != nil || rep.Verdict != Rebuilt {
			t.Fatalf("%s: %v: verdict %q (%s)", label, err, rep.Verdict, rep.Reason)
		}
		e, err := message.Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(e.Body)
		if !strings.Contains(string(text), "\r\nabc ﾃｽﾄ def") {
			t.Errorf("%s: delivered text:\n%s", label, text)
		}
	}
}

// TestReturnedMessageLabel: the message a bounce returns (the
// message/rfc822 of a multipart/report) is labelled as returned, not as
// forwarded: the reader's own mail came back (a review of real-world
// shapes). A forwarded message inside it is forwarded still.
func TestReturnedMessageLabel(t *testing.T) {
	inner := "From: shimin@city.example.lg.jp\r\nTo: nobody@example.jp\r\nSubject: =?UTF-8?B?5ZWP44GE5ZCI44KP44Gb?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nお問い合わせの件です。\r\n" +
		"--in\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@example.jp\r\nSubject: fwd\r\n\r\n転送した本文\r\n--in--\r\n"
	msg := "From: MAILER-DAEMON@mx.example.jp\r\nTo: shimin@city.example.lg.jp\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n" +
		"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.jp\r\n\r\nFinal-Recipient: rfc822; nobody@example.jp\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"--r\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--r--\r\n"
	_, out := rebuilt(t, msg, defaultPolicy(t))
	text := decodedText(t, out)
	for _, want := range []string{"> ---------- 返送された元のメッセージ / Returned message ----------", "> お問い合わせの件です。",
		"> > ---------- 転送されたメッセージ / Forwarded message ----------", "> > 転送した本文"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if n := strings.Count(text, "Forwarded message"); n != 1 {
		t.Errorf("%d forwarded labels in\n%s", n, text)
	}
}

// TestBidiControlsReported: bidirectional controls were dropped from the
// text and the Subject without a word (a review of real-world shapes:
// a Subject ending "\u202Etxt.exe", an amount written backwards). They
// are dropped still, and the report, X-Mugai-Sanitized and the notice say
// so: what the reader sees is not what the sender's screen showed.
func TestBidiControlsReported(t *testing.T) {
	for _, tt := range []struct {
		name, msg string
		findings  []string
	}{
		{"body", "From: a@example.jp\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n金額: \u202e000,01\u202c 円\r\nfine www.example.com\r\n",
			[]string{"1: 2 bidirectional controls removed"}},
		{"subject", "From: a@example.jp\r\nSubject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("お知らせ\u202etxt.exe")) + "?=\r\n\r\nbody\r\n",
			[]string{": Subject: 1 bidirectional control removed"}},
		{"display name", "From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("経理課\u202e")) + "?= <a@example.jp>\r\nTo: =?UTF-8?B?" +
			base64.StdEncoding.EncodeToString([]byte("\u202e総務")) + "?= <b@example.jp>\r\nSubject: s\r\n\r\nbody\r\n",
			[]string{": From: 1 bidirectional control removed", ": To: 1 bidirectional control removed from a display name"}},
		{"forwarded From", "From: a@example.jp\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee below\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("(経理課\u202eexe.pdf)")) + "?= <x@example.jp>\r\nSubject: inner\r\n\r\ninner text\r\n--b--\r\n",
			[]string{"2: From: 1 bidirectional control removed"}},
		{"none", "From: a@example.jp\r\nSubject: s\r\n\r\nplain text, アラビア語なし\r\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, out := rebuilt(t, tt.msg, defaultPolicy(t))
			var got []string
			for _, f := range rep.Findings {
				if f.Kind == "bidi-control" {
					got = append(got, f.Path+": "+f.Detail)
				}
			}
			if !slices.Equal(got, tt.findings) {
				t.Errorf("findings %q, want %q", got, tt.findings)
			}
			text := decodedText(t, out)
			if strings.ContainsRune(text, '\u202e') {
				t.Errorf("a control is left:\n%q", text)
			}
			if tt.name == "body" && !slices.Equal(rep.Actions, []string{"links-defanged", "bidi-removed"}) {
				t.Errorf("actions %q, want them in their order", rep.Actions)
			}
			said := slices.Contains(rep.Actions, "bidi-removed") && strings.Contains(text, "文字の並びを逆向きに見せる制御文字を取り除きました")
			if said != (tt.findings != nil) {
				t.Errorf("action %q; notice:\n%s", rep.Actions, text)
			}
		})
	}
}

// TestISO2022JPKeepsWhatSplitsLinks: the links are neutralised in the
// text before it is encoded, so the encoder must not take out a joiner
// or a selector that kept a URL from being one: under output_charset
// iso-2022-jp "https\u200d://evil.example/login" came out as a clickable
// https://evil.example/login, in the Subject and the text (a review of
// the whole change).
func TestISO2022JPKeepsWhatSplitsLinks(t *testing.T) {
	for _, bad := range []string{
		"see https\u200d://evil.example/login now", "see https\ufe0f://evil.example/login now", "see https\ufe0e://evil.example/login now",
		// What the preparation takes out or changes after a picture or
		// a half-width kana (the review of the fixes).
		"see 😀\u200dawww.evil.example/login now", "😀\u200dahttp:evil.example/login", "😀\u200d.http:evil.example/login",
		"see ｶ\u200dawww.evil.example now", "see ｶ\U000E007F.com now", "see ｶ\U0001F3FB.com now", "カ\u3099\u200dawww.evil.example",
		"see ﾞ@evil.com now", "see ﾟ@www.com now",
	} {
		mark := bad
		msg := "From: a@example.jp\r\nSubject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(bad)) + "?=\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + bad + "\r\n"
		for _, links := range []string{"defang", "remove"} {
			pol := defaultPolicy(t)
			pol.OutputCharset = "iso-2022-jp"
			pol.Body.Links = links
			_, out := rebuilt(t, msg, pol)
			if err := invariant.Check(bytes.NewReader(out), pol); err != nil {
				t.Errorf("%+q, links %s: %v", mark, links, err)
			}
			if text := decodedText(t, out); strings.Contains(text, "https://") {
				t.Errorf("%+q, links %s: a link in the text:\n%s", mark, links, text)
			}
		}
	}
}
