package sanitize

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"mugai/config"
	"mugai/sanitize/invariant"
)

// attached is a file for withAttachments.
type attached struct {
	name, ctype string
	data        []byte
}

// withAttachments is a message with a one-line text body and the files
// attached, base64-encoded.
func withAttachments(files ...attached) string {
	var b strings.Builder
	b.WriteString("From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n")
	for _, f := range files {
		b.WriteString("--b\r\nContent-Type: " + f.ctype + "\r\nContent-Disposition: attachment; filename=" + f.name + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(f.data) + "\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.String()
}

// Kept text files reach the reader neutralised, in their own encoding:
// what the reader's spreadsheet or mail client would open is checked
// here, decoded from the rebuilt message.
func TestKeptTextFiles(t *testing.T) {
	enc := func(e *encoding.Encoder, s string) string {
		b, err := e.String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sjis := enc(japanese.ShiftJIS.NewEncoder(), "氏名,金額,備考\r\n髙橋,-1200,=HYPERLINK(\"http://evil.example/a\",\"詳細\")\r\n")
	wantSJIS := enc(japanese.ShiftJIS.NewEncoder(), "氏名,金額,備考\r\n髙橋,-1200,'=HYPERLINK(\"hxxp://evil[.]example/a\",\"詳細\")\r\n")
	u16 := enc(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(), "番号\t式\r\n1\t@SUM(A1:A2)\r\n")
	wantU16 := enc(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(), "番号\t式\r\n1\t'@SUM(A1:A2)\r\n")
	plain := "ただの一覧です。\r\n1,2,3\r\n"
	files := []struct {
		name, ctype, data, want, charset, reason string
	}{
		{"list.csv", "text/csv", sjis, wantSJIS, "shift_jis", "allowed by a keep rule; 1 link defanged, 1 spreadsheet formula made text"},
		{"table.tsv", "text/tab-separated-values", u16, wantU16, "utf-16", "allowed by a keep rule; 1 spreadsheet formula made text"},
		{"notes.txt", "text/plain", "=1+1 is text here, http://evil.example is not\r\n", "=1+1 is text here, hxxp://evil[.]example is not\r\n", "us-ascii", "allowed by a keep rule; 1 link defanged"},
		{"plain.csv", "text/csv", plain, plain, "utf-8", "allowed by a keep rule"},
		// Thunderbird shows a text/csv attachment inline, and links the
		// blanks-stripped text of a quoted span.
		{"spans.csv", "text/csv", "No,Link\r\n1,\"h t t p : / / evil.example/login\"\r\n", "No,Link\r\n1,＂h t t p : / / evil.example/login＂\r\n", "utf-8", "allowed by a keep rule; 1 link defanged"},
		// Declared as something else, it is still text to whoever opens it.
		{"data.csv", "image/png", "=cmd|' /C calc'!A0\r\n", "'=cmd|' /C calc'!A0\r\n", "us-ascii", "allowed by a keep rule; 1 spreadsheet formula made text"},
	}
	var atts []attached
	for _, f := range files {
		atts = append(atts, attached{f.name, f.ctype, []byte(f.data)})
	}
	msg := withAttachments(atts...)
	pol := defaultPolicy(t)
	pol.Attachments.Keep = append(pol.Attachments.Keep, config.KeepRule{Extensions: []string{".tsv"}, Types: []string{"text/plain"}})
	var out bytes.Buffer
	in := []byte(msg)
	rep, err := Message(&out, bytes.NewReader(in), int64(len(in)), Options{Policy: pol})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
		t.Fatal(err)
	}
	// The standard library's reader, which leaves text in its charset
	// (go-message's would decode it to UTF-8).
	got := map[string][2]string{} // name → bytes, charset
	m, err := mail.ReadMessage(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	_, mp, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, mp["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() == "" {
			continue
		}
		ctype, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if want := map[string]string{".csv": "text/csv", ".tsv": "text/tab-separated-values", ".txt": "text/plain"}[p.FileName()[strings.LastIndexByte(p.FileName(), '.'):]]; ctype != want {
			t.Errorf("%s delivered as %s, want %s", p.FileName(), ctype, want)
		}
		data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		got[p.FileName()] = [2]string{string(data), params["charset"]}
	}
	for i, f := range files {
		g, ok := got[f.name]
		if !ok {
			t.Errorf("%s not delivered", f.name)
			continue
		}
		if g[0] != f.want {
			t.Errorf("%s: delivered %q\nwant %q", f.name, g[0], f.want)
		}
		if g[1] != f.charset {
			t.Errorf("%s: charset %q, want %q", f.name, g[1], f.charset)
		}
		if rep.Parts[i+1].Reason != f.reason {
			t.Errorf("%s: reason %q, want %q", f.name, rep.Parts[i+1].Reason, f.reason)
		}
	}
	if !hasFinding(rep, "spreadsheet-formula") {
		t.Errorf("no spreadsheet-formula finding: %+v", rep.Findings)
	}
	for _, a := range []string{"attachment-links-defanged", "formulas-neutralised"} {
		if !contains(rep.Actions, a) {
			t.Errorf("action %s missing: %v", a, rep.Actions)
		}
	}
}

// A uuencoded file inside a kept text file is found whatever the text
// file is declared as.
func TestKeptTextUuencodeDeclaredOtherwise(t *testing.T) {
	uu := "begin 644 a.exe\r\nM35J0``,`````!`````__\\``+@`````````0```````````````````````\r\n`\r\nend\r\n"
	msg := withAttachments(attached{"a.txt", "image/png", []byte(uu)})
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	if p := rep.Parts[1]; p.Decision != DecisionStrip || !strings.Contains(p.Reason, "encoded file") {
		t.Errorf("a.txt: %s (%s), want strip for its encoded file", p.Decision, p.Reason)
	}
}

// A kept file that cannot be checked is not delivered: stripped, or the
// message rejected where the policy rejects what it does not keep. A CSV
// that is not text (a control byte) is such a file even when the policy
// keeps every attachment.
func TestKeptTextRefused(t *testing.T) {
	utf7Data := []byte("Hi +ZeVnLIqe- http://evil.example/\r\n")
	binData := []byte("a,\x01b\r\n=cmd|' /C calc'!A0,http://evil.example/\r\n")
	utf7 := withAttachments(attached{"memo.txt", "text/plain; charset=utf-7", utf7Data})
	binCSV := withAttachments(attached{"data.csv", "text/csv", binData})
	// A workbook named .csv, declared as Windows declares a CSV, is a
	// CSV to what opens it by its name: one that is not text.
	book := xlsxFile(t)
	bookCSV := withAttachments(attached{"data.csv", "application/vnd.ms-excel", book})
	// 81 81 is "＝" to Japanese Excel, which reads a CSV as Shift_JIS
	// whatever its label: a character of GBK.
	gbkData := []byte("a,b\r\nx,\x81\x81cmd|' /C calc'!A0\r\n")
	gbkCSV := withAttachments(attached{"data.csv", "text/csv; charset=gbk", gbkData})
	// A control byte past the 4 KiB the type sniffer reads.
	lateData := []byte("a,b\r\n" + strings.Repeat("1,2\r\n", 1000) + "x,\x00=cmd|' /C calc'!A0\r\n")
	lateCSV := withAttachments(attached{"data.csv", "text/csv", lateData})
	for _, tt := range []struct {
		name, msg        string
		data             []byte
		def, verdict     string
		decision, reason string
	}{
		{"utf-7 stripped", utf7, utf7Data, "strip", Rebuilt, DecisionStrip, "text file cannot be checked for links and formulas: the charset cannot be rewritten line by line (utf-7)"},
		{"utf-7 rejected", utf7, utf7Data, "reject", Rejected, DecisionReject, "text file cannot be checked for links and formulas: the charset cannot be rewritten line by line (utf-7)"},
		{"binary csv under keep", binCSV, binData, "keep", Rebuilt, DecisionStrip, "spreadsheet file is not text and cannot be checked for formulas"},
		{"workbook named .csv under keep", bookCSV, book, "keep", Rebuilt, DecisionStrip, "spreadsheet file is not text and cannot be checked for formulas"},
		{"control byte after 4 KiB", lateCSV, lateData, "strip", Rebuilt, DecisionStrip, "text file cannot be checked for links and formulas: a control character where text has none (0x00)"},
		{"GBK label hiding a Shift_JIS sign", gbkCSV, gbkData, "strip", Rebuilt, DecisionStrip, "text file cannot be checked for links and formulas: the file reads differently in the programs that open it (gbk read as shift_jis starts a formula)"},
	} {
		pol := defaultPolicy(t)
		pol.Attachments.Default = tt.def
		var out bytes.Buffer
		rep, err := Message(&out, strings.NewReader(tt.msg), int64(len(tt.msg)), Options{Policy: pol})
		if err != nil {
			t.Fatal(err)
		}
		if p := rep.Parts[1]; rep.Verdict != tt.verdict || p.Decision != tt.decision || p.Reason != tt.reason {
			t.Errorf("%s: verdict %s, part %s (%s)", tt.name, rep.Verdict, p.Decision, p.Reason)
		}
		if tt.verdict == Rebuilt && bytes.Contains(out.Bytes(), []byte(base64.StdEncoding.EncodeToString(tt.data)[:16])) {
			t.Errorf("%s: the file was delivered", tt.name)
		}
		if tt.verdict == Rejected && out.Len() != 0 {
			t.Errorf("%s: rejected, but %d bytes were written", tt.name, out.Len())
		}
	}
}
