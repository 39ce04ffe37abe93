package textfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"

	"mugai/sanitize/links"
)

func rewrite(t testing.TB, in []byte, opt Options) ([]byte, Result, error) {
	t.Helper()
	var out bytes.Buffer
	res, err := Rewrite(&out, bytes.NewReader(in), int64(len(in)), opt)
	return out.Bytes(), res, err
}

func TestFormulas(t *testing.T) {
	tests := []struct {
		name, in, want string
		n              int
	}{
		{"hyperlink", `No,Name,URL` + "\r\n" + `1,請求書,=HYPERLINK("http://evil.example/a","開く")` + "\r\n",
			`No,Name,URL` + "\r\n" + `1,請求書,'=HYPERLINK("hxxp://evil[.]example/a","開く")` + "\r\n", 1},
		{"dde", "=cmd|' /C calc'!A0\n", "'=cmd|' /C calc'!A0\n", 1},
		{"at and plus", "@SUM(A1:A9),+A1*2\n", "'@SUM(A1:A9),'+A1*2\n", 2},
		{"numbers stay", "-5,+3.25,-1.5e3,-12%,-,+\n", "-5,+3.25,-1.5e3,-12%,-,+\n", 0},
		{"phone is a formula to Excel", "+81-3-1234-5678\n", "'+81-3-1234-5678\n", 1},
		{"quoted", `"=1+1","a ""=2"" b",x` + "\n", `"'=1+1","a ""=2"" b",x` + "\n", 1},
		{"blanks before", " =1+1,\u3000-A1\n", " '=1+1,\u3000'-A1\n", 2},
		{"blanks then quote", `a, "=1+1"` + "\n", `a, "'=1+1"` + "\n", 1},
		{"semicolon and tab", "a;=1+1\tb\t-A1\n", "a;'=1+1\tb\t'-A1\n", 2},
		{"bare CR", "a,b\r=1+1\n", "a,b\r'=1+1\n", 1},
		{"full width", "＝1+1,＠A1,－500,－５，０００円,＋３．５％\n", "'＝1+1,'＠A1,－500,－５，０００円,＋３．５％\n", 2},
		{"tab before the sign", "a,\t=1+1\n", "a,\t'=1+1\n", 1},
		{"excel sep line, space", "sep= \nx =1+2\n", "sep= \nx '=1+2\n", 1},
		{"stray quotes", `"="x"&HYPERLINK("http://e.example"),""=cmd|' /C calc'!A0` + "\n", `"'="x"&HYPERLINK("hxxp://e[.]example"),""'=cmd|' /C calc'!A0` + "\n", 2},
		{"comma file, semicolon text", "a;\"b,=1+1,c\"\n要確認;-再送,x\n", "a;\"b,'=1+1,c\"\n要確認;-再送,x\n", 1},
		{"another separator inside a string", `3,=" ;"&HYPERLINK("http"&CHAR(58)&"//evil")` + "\n", `3,'=" ;"&HYPERLINK("http"&CHAR(58)&"//evil")` + "\n", 1},
		{"call behind a separator the file does not use", "a,b\r\nx;=cmd|' /C calc'!A0\tc;-1\r\n", "a,b\r\nx;'=cmd|' /C calc'!A0\tc;-1\r\n", 1},
		{"formula call inside a quoted cell", "A-005,\"メモ\n=WEBSERVICE(A1)\n- 確認済み,=1+1\",x\n", "A-005,\"メモ\n'=WEBSERVICE(A1)\n- 確認済み,=1+1\",x\n", 1},
		{"multi-line note", "A-005,\"メモ\n- 確認済み\n=以下同文\",-3\n", "A-005,\"メモ\n- 確認済み\n=以下同文\",-3\n", 0},
		{"semicolon file", "a;b\n1;-1,5+cmd|' /C calc'!A0\n", "a;b\n1;'-1,5+cmd|' /C calc'!A0\n", 1},
		{"excel sep line", "sep=|\na|=1+1\n", "sep=|\na|'=1+1\n", 1},
		{"excel sep line, quoted", "\"SEP=|\"\na|=1+1\n", "\"SEP=|\"\na|'=1+1\n", 1},
		{"money and units", "-￥1,200,-1200円,\"-1,200円\",--,-3F\n", "-￥1,200,-1200円,\"-1,200円\",--,'-3F\n", 1},
		{"byte order mark", "\uFEFF=1+1,a\n", "\uFEFF'=1+1,a\n", 1},
		{"quoted across lines", "\"line one\n=not a field start\",=2+2\n", "\"line one\n=not a field start\",'=2+2\n", 1},
		{"mid-field signs stay", "a=b,c-d,e@f\n", "a=b,c-d,e@f\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, res, err := rewrite(t, []byte(tt.in), Options{Links: links.Defang, Formulas: true})
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("got  %q\nwant %q", out, tt.want)
			}
			if res.Formulas != tt.n {
				t.Errorf("formulas = %d, want %d", res.Formulas, tt.n)
			}
			again, res2, err := rewrite(t, out, Options{Links: links.Defang, Formulas: true})
			if err != nil || !bytes.Equal(again, out) || res2.Changed() {
				t.Errorf("not idempotent: %q → %q (%+v, %v)", out, again, res2, err)
			}
		})
	}
}

func TestLinksInText(t *testing.T) {
	in := "ご案内\r\nhttps://evil.example/login をご覧ください\r\nwww.evil.example\r\n末尾"
	for _, tt := range []struct {
		mode, want string
		n          int
	}{
		{links.Defang, "ご案内\r\nhxxps://evil[.]example/login をご覧ください\r\nwww[.]evil[.]example\r\n末尾", 2},
		{links.Remove, "ご案内\r\n[リンク削除] をご覧ください\r\n[リンク削除]\r\n末尾", 2},
		{links.Keep, in, 0},
	} {
		out, res, err := rewrite(t, []byte(in), Options{Links: tt.mode})
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tt.want || res.Links != tt.n || res.Formulas != 0 {
			t.Errorf("%s: got %q (%+v)\nwant %q", tt.mode, out, res, tt.want)
		}
	}
	// Without Formulas a text file's "=" lines are text.
	out, res, _ := rewrite(t, []byte("=1+1\n"), Options{Links: links.Defang})
	if string(out) != "=1+1\n" || res.Changed() {
		t.Errorf("txt: %q %+v", out, res)
	}
}

// The file stays in its encoding: lines without anything to change keep
// their exact bytes, changed lines are written in the same charset.
func TestOwnEncoding(t *testing.T) {
	enc := func(e encoding.Encoding, s string) []byte {
		b, err := e.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sjis := func(s string) []byte { return enc(japanese.ShiftJIS, s) }
	tests := []struct {
		name    string
		label   string
		in      []byte
		want    []byte
		charset string
	}{
		{"shift_jis", "",
			append(sjis("表示,①,髙橋\r\n"), sjis("ソ,=HYPERLINK(\"https://evil.example\")\r\n")...),
			append(sjis("表示,①,髙橋\r\n"), sjis("ソ,'=HYPERLINK(\"hxxps://evil[.]example\")\r\n")...),
			"shift_jis"},
		{"euc-jp", "euc-jp",
			append(enc(japanese.EUCJP, "市役所,総務課\n"), enc(japanese.EUCJP, "連絡先,@A1\n")...),
			append(enc(japanese.EUCJP, "市役所,総務課\n"), enc(japanese.EUCJP, "連絡先,'@A1\n")...),
			"euc-jp"},
		{"iso-2022-jp", "iso-2022-jp",
			enc(japanese.ISO2022JP, "詳細は https://evil.example/ja へ\n"),
			enc(japanese.ISO2022JP, "詳細は hxxps://evil[.]example/ja へ\n"),
			"iso-2022-jp"},
		{"utf-16le", "",
			enc(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "氏名\t金額\r\n田中\t=1+1\r\n"),
			enc(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "氏名\t金額\r\n田中\t'=1+1\r\n"),
			"utf-16le"},
		{"utf-16be", "",
			enc(unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "=1+1\n"),
			enc(unicode.UTF16(unicode.BigEndian, unicode.UseBOM), "'=1+1\n"),
			"utf-16be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// ISO-2022-JP is text, never spreadsheet data (TestReadings).
			formulas := tt.charset != "iso-2022-jp"
			out, res, err := rewrite(t, tt.in, Options{Charset: tt.label, Links: links.Defang, Formulas: formulas})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, tt.want) {
				t.Errorf("got  %q\nwant %q", out, tt.want)
			}
			if res.Charset != tt.charset || !res.Changed() || res.Replaced != 0 {
				t.Errorf("result %+v, want charset %s", res, tt.charset)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	long := "a," + strings.Repeat("x", 300) + "\n"
	if _, _, err := rewrite(t, []byte(long), Options{Links: links.Defang, MaxLine: 200}); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("long line: %v", err)
	}
	u16 := append([]byte{0xff, 0xfe}, bytes.Repeat([]byte{'x', 0}, 200)...)
	// Lines ending in a bare CR are lines in UTF-16 too.
	u16cr := append([]byte{0xff, 0xfe}, bytes.Repeat([]byte{'=', 0, '1', 0, '\r', 0}, 200)...)
	if out, res, err := rewrite(t, u16cr, Options{Links: links.Defang, Formulas: true, MaxLine: 200}); err != nil || res.Formulas != 200 || len(out) != len(u16cr)+400 {
		t.Errorf("UTF-16 with CR line ends: %v %+v", err, res)
	}
	if _, _, err := rewrite(t, u16, Options{Links: links.Defang, MaxLine: 200}); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("long UTF-16 line: %v", err)
	}
	if _, _, err := rewrite(t, []byte("+AGEAYgBj- http://evil.example\n"), Options{Charset: "utf-7", Links: links.Defang}); !errors.Is(err, ErrCharset) {
		t.Errorf("utf-7: %v", err)
	}
	// Just under the limit is checked.
	ok := "http://evil.example/" + strings.Repeat("x", 150) + "\n"
	out, res, err := rewrite(t, []byte(ok), Options{Links: links.Defang, MaxLine: 200})
	if err != nil || res.Links != 1 || !strings.HasPrefix(string(out), "hxxp://evil[.]example/") {
		t.Errorf("under the limit: %q %+v %v", out, res, err)
	}
}

// A character a changed line cannot be written back in becomes a stand-in
// that cannot join text into a URL ("?" could): here the currency sign.
func TestUnencodable(t *testing.T) {
	in := []byte("Caf\xe9 http://evil.example\n") // windows-1252
	out, res, err := rewrite(t, in, Options{Charset: "iso-8859-1", Links: links.Remove})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Caf\xe9 [\xa4\xa4\xa4\xa4\xa4]\n"; string(out) != want || res.Replaced != 5 {
		t.Errorf("got %q %+v, want %q", out, res, want)
	}
}

// A file whose bytes read differently in the programs that open it is
// refused: ISO-2022-JP kanji are ASCII to a spreadsheet or to a client
// that takes the file for UTF-8.
func TestReadings(t *testing.T) {
	jis := func(s string) []byte {
		b, err := japanese.ISO2022JP.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Bytes that are kanji in ISO-2022-JP and a URL in ASCII.
	hidden := append(append([]byte("see \x1b$B"), "https://evil.example/ab"...), "\x1b(B\n"...)
	for _, tt := range []struct {
		name     string
		in       []byte
		formulas bool
		err      error
	}{
		{"csv in iso-2022-jp", jis("件名,=1+1\n"), true, ErrReadings},
		{"link hidden in kanji", hidden, false, ErrReadings},
		{"ordinary text", jis("ご案内 https://evil.example/ です\n"), false, nil},
	} {
		_, _, err := rewrite(t, tt.in, Options{Charset: "iso-2022-jp", Links: links.Defang, Formulas: tt.formulas})
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
}

// Old Mac files end lines with a bare CR: each is a line of its own, so
// a long file is not one long line.
func TestBareCRLines(t *testing.T) {
	var in, want strings.Builder
	for in.Len() < 300 {
		in.WriteString("a,=1+1\r")
		want.WriteString("a,'=1+1\r")
	}
	out, res, err := rewrite(t, []byte(in.String()), Options{Links: links.Defang, Formulas: true, MaxLine: 100})
	if err != nil || string(out) != want.String() || res.Formulas != strings.Count(in.String(), "\r") {
		t.Errorf("%v %+v\n%q", err, res, out)
	}
}

// Shift_JIS user-defined characters (外字, in residents' names) survive a
// rewritten line, as CP932's private use characters; an invalid byte on a
// changed line is replaced and counted, and on an unchanged line stays.
func TestUndecodableOnChangedLine(t *testing.T) {
	in := []byte("\xf0\x40\xf9\xfc\xf5\x80,=1+1\r\n\x81\x20,=2+2\r\n\xf0\x40\x81\x20,a\r\n")
	out, res, err := rewrite(t, in, Options{Charset: "shift_jis", Links: links.Defang, Formulas: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "\xf0\x40\xf9\xfc\xf5\x80,'=1+1\r\n\x81\xac ,'=2+2\r\n\xf0\x40\x81\x20,a\r\n"; string(out) != want || res.Replaced != 1 {
		t.Errorf("got %q %+v, want %q with 1 replaced", out, res, want)
	}
}

// Separators the apostrophe or a sign would be read as cannot be
// followed: such a file is refused.
func TestUnfollowableSeparator(t *testing.T) {
	for _, in := range []string{"sep='\nx,=1+2\n", "sep=-\n1-2\n", "sep=\"\na\n", "sep=、\na\n"} {
		if _, _, err := rewrite(t, []byte(in), Options{Links: links.Defang, Formulas: true}); !errors.Is(err, ErrReadings) {
			t.Errorf("%q: %v, want ErrReadings", in, err)
		}
	}
}

// Excel reads a file with a UTF-8 byte order mark as UTF-8 whatever its
// label says, and a UTF-16 file as tab-separated.
func TestReadAsExcelDoes(t *testing.T) {
	in := []byte("\xef\xbb\xbf=cmd|' /C calc'!A0,caf\xe9\r\n")
	out, res, err := rewrite(t, in, Options{Charset: "windows-1252", Links: links.Defang, Formulas: true})
	if err != nil || res.Formulas != 1 || !bytes.HasPrefix(out, []byte("\xef\xbb\xbf'=cmd")) {
		t.Errorf("BOM under a windows-1252 label: %q %+v %v", out, res, err)
	}
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String("a,b\r\nfoo\t=cmd|' /C calc'!A0\r\n")
	if err != nil {
		t.Fatal(err)
	}
	_, res, err = rewrite(t, []byte(u16), Options{Links: links.Defang, Formulas: true})
	if err != nil || res.Formulas != 1 {
		t.Errorf("UTF-16 with a comma header: %+v %v, want the tab-separated formula prefixed", res, err)
	}
}

// Invalid UTF-8 on a changed line is counted as replaced, and a byte
// order mark in front of it stays.
func TestInvalidUTF8Counted(t *testing.T) {
	in := []byte("\xef\xbb\xbf\xff\xfe,=1+1\n")
	out, res, err := rewrite(t, in, Options{Charset: "utf-8", Links: links.Defang, Formulas: true})
	if err != nil || res.Replaced != 2 || !bytes.HasPrefix(out, []byte("\xef\xbb\xbf")) || !bytes.Contains(out, []byte(",'=1+1")) {
		t.Errorf("%q %+v %v", out, res, err)
	}
}

// A CSV that ends inside a quoted field, in any reading, is refused: Calc
// then reads the lines after the opening quote afresh, and their formulas
// with them.
func TestUnclosedQuoteRefused(t *testing.T) {
	for _, in := range []string{
		"2,鈴木,\"至急\n3,=HYPERLINK(\"ht\"&\"tp://evil.example/\")\n",
		"id;\"note\n=1+1,x\n",                    // the semicolon reading
		"1, \"x,\",=cmd|' /C calc'!A0\n=1+1,x\n", // Excel: a quote in an unquoted field, then one never closed
		`2,"x"y,",=1+2` + "\n",                   // Excel: text after a closing quote, then one never closed
	} {
		if _, _, err := rewrite(t, []byte(in), Options{Links: links.Defang, Formulas: true}); !errors.Is(err, ErrReadings) {
			t.Errorf("%q: %v, want ErrReadings", in, err)
		}
	}
	// Calc reads the line after odd quotes afresh: its formula is
	// prefixed although Excel reads it inside a quoted cell.
	in := "\"a\"b,\"c\nx,=1+6\n\"end\"\n"
	out, res, err := rewrite(t, []byte(in), Options{Links: links.Defang, Formulas: true})
	if err != nil || string(out) != "\"a\"b,\"c\nx,'=1+6\n\"end\"\n" || res.Formulas != 1 {
		t.Errorf("%q → %q %+v %v", in, out, res, err)
	}
}

// Excel opens a file whose first record is SYLK's "ID" as SYLK, whatever
// its name says (NVISO, "Malicious SYLK Files with MS Excel 4.0 Macros":
// blocking .slk by name is not enough): its C records' E fields are
// formulas (EXEC, CALL, DDE) that no apostrophe reaches, as they do not
// start with a sign. Such a CSV is refused. A header merely starting
// with the letters ("ID,Name") fails Excel's SYLK reading, which then
// offers the file as text (Microsoft KB 323626), and stays as it is.
func TestSYLKRefused(t *testing.T) {
	const sylk = "ID;P\r\nC;Y1;X1;K0;EEXEC(\"calc\")\r\nE\r\n"
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(sylk)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, in string
		formulas bool
		err      error
	}{
		{"sylk", sylk, true, ErrSYLK},
		{"sylk after a byte order mark", "\uFEFF" + sylk, true, ErrSYLK},
		{"sylk in UTF-16", u16, true, ErrSYLK},
		{"an ID record with no fields", "ID\r\nC;Y1;X1;K0;EEXEC(\"calc\")\r\n", true, ErrSYLK},
		{"an ID record and blanks", "ID \nC;Y1;X1;K0;ECALL(\"Kernel32\",\"WinExec\",\"JCJ\",\"calc\",0)\n", true, ErrSYLK},
		{"a header starting with ID", "ID,氏名\r\n1,鈴木\r\n", true, nil},
		{"a one-column list", "IDs\r\n1001\r\n", true, nil},
		{"lower case", "id;p\r\n1\r\n", true, nil},
		{"not a spreadsheet", sylk, false, nil},
	} {
		out, res, err := rewrite(t, []byte(tt.in), Options{Links: links.Defang, Formulas: tt.formulas})
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
		if tt.err == nil && (err != nil || res.Changed() || string(out) != tt.in) {
			t.Errorf("%s: changed to %q (%+v, %v)", tt.name, out, res, err)
		}
	}
}

// Japanese Excel reads a CSV without a byte order mark as Shift_JIS
// (CP932) whatever the mail's label or mugai's detection says: a field
// whose bytes are a full-width sign there ("＝" is 81 81) but something
// else in the charset the file was read in (GBK, Big5, windows-1251, a
// Korean or Chinese first line making the detector choose so) is a
// formula to Excel that no apostrophe was put before. A file read as
// Shift_JIS is read once more as UTF-8 (LibreOffice's choice, and
// Excel's for UTF-8 it recognises): "＝" is EF BC 9D there. Such a file
// is refused; ordinary files in any charset are not.
func TestReadAsExcelInJapanDoes(t *testing.T) {
	enc := func(e encoding.Encoding, s string) string {
		b, err := e.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const dde = "cmd|' /C calc'!A0"
	for _, tt := range []struct {
		name, charset, in string
		err               error
	}{
		{"gbk label, CP932 full-width equals", "gbk", "a,b\r\nx,\x81\x81" + dde + "\r\n", ErrReadings},
		{"gb18030 label, CP932 full-width plus", "gb18030", "a,b\r\nx,\x81\x7b" + dde + "\r\n", ErrReadings},
		{"big5 label, CP932 full-width at", "big5", enc(traditionalchinese.Big5, "姓名,金額,備註\r\n") + "x,\x81\x97" + dde + "\r\n", ErrReadings},
		{"windows-1251 label", "windows-1251", "a,b\r\nx,\x81\x81" + dde + "\r\n", ErrReadings},
		{"gbk label, CP932 ideographic space then a sign", "gbk", "a,b\r\nx,\x81\x40=" + dde + "\r\n", ErrReadings},
		{"detected as GBK", "", enc(simplifiedchinese.GBK, "姓名,金额,备注,中华人民共和国国务院办公厅关于进一步做好工作的通知\r\n") + "x,\x81\x81" + dde + "\r\n", ErrReadings},
		{"detected as EUC-KR", "", enc(korean.EUCKR, "이름,금액,비고,대한민국 행정안전부 공문 안내 사항입니다\r\n") + "x,\x81\x81" + dde + "\r\n", ErrReadings},
		{"shift_jis, UTF-8 full-width equals", "shift_jis", enc(japanese.ShiftJIS, "氏名,備考\r\n") + "x,\xef\xbc\x9d" + dde + "\r\n", ErrReadings},
		{"quoted, on a later line", "gbk", "a,\"b\r\nc\",d\r\nx,\"\x81\x81" + dde + "\"\r\n", ErrReadings},
		// Ordinary files.
		{"Shift_JIS from Excel", "", enc(japanese.ShiftJIS, "氏名,金額,備考\r\n髙橋,－５００,①確認済み\r\n鈴木,-1200,\"複数行の\r\nメモ\"\r\n"), nil},
		{"EUC-JP", "euc-jp", enc(japanese.EUCJP, "氏名,金額\r\n髙橋,－５００\r\n"), nil},
		{"UTF-8", "", "氏名,金額\r\n髙橋,－５００\r\n", nil},
		{"GBK", "gbk", enc(simplifiedchinese.GBK, "姓名,金额\r\n张伟,－５００\r\n"), nil},
		{"windows-1252", "windows-1252", enc(charmap.Windows1252, "Nom,Prénom,Montant\r\nDupont,Éloïse,-1200\r\n"), nil},
	} {
		out, res, err := rewrite(t, []byte(tt.in), Options{Charset: tt.charset, Links: links.Defang, Formulas: true})
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: %v (%s), want %v", tt.name, err, res.Charset, tt.err)
		}
		if tt.err == nil && (res.Changed() || string(out) != tt.in) {
			t.Errorf("%s: changed to %q (%+v)", tt.name, out, res)
		}
	}
	// windows-1252 has no character for 0x81, nor Big5 a lead byte 0x81:
	// a file labelled so that holds nothing else of the label's is read
	// as the Shift_JIS Excel reads, its formula made text.
	for _, label := range []string{"windows-1252", "big5"} {
		in := "a,b\r\nx,\x81\x81" + dde + "\r\n"
		out, res, err := rewrite(t, []byte(in), Options{Charset: label, Links: links.Defang, Formulas: true})
		if want := "a,b\r\nx,'\x81\x81" + dde + "\r\n"; err != nil || res.Charset != "shift_jis" || string(out) != want {
			t.Errorf("%s label, 81 81: %q (%s), %v; want %q (shift_jis)", label, out, res.Charset, err, want)
		}
	}
}

// A file with a control character where text has none is refused
// wherever it stands: the type sniffer reads only the first 4 KiB, and a
// CSV with "x,\x00=cmd|…" on its thousandth line was kept as text with
// the formula check blind to a field that a program dropping the NUL
// (or the vertical tab) reads as a formula. Tabs, form feeds, line ends,
// a DOS end-of-file mark at the very end and ISO-2022-JP's escapes are
// text.
func TestControlCharactersRefused(t *testing.T) {
	clean := "a,b\r\n" + strings.Repeat("1,2\r\n", 1000)
	u16 := func(s string) string {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jis, err := japanese.ISO2022JP.NewEncoder().String("ご案内です。\r\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, in string
		formulas bool
		err      error
	}{
		{"NUL after the first 4 KiB", clean + "x,\x00=cmd|' /C calc'!A0\r\n", true, ErrControl},
		{"vertical tab before a sign", clean + "x,\v=cmd|' /C calc'!A0\r\n", true, ErrControl},
		{"NUL in a text file", strings.Repeat("memo\r\n", 1000) + "www.ev\x00il.example\r\n", false, ErrControl},
		{"DEL", "a,\x7f=1+1\n", true, ErrControl},
		{"escape outside ISO-2022-JP", "a,\x1b[31m=1+1\n", true, ErrControl},
		{"end-of-file mark mid-file", "a\x1ab\nc\n", false, ErrControl},
		{"UTF-16 NUL", u16("a\tb\r\nx\t\x00=cmd|' /C calc'!A0\r\n"), true, ErrControl},
		{"UTF-16 C1 control", u16("a\tb\r\nx\t\u0085=1+1\r\n"), true, ErrControl},
		// Text.
		{"tabs and form feeds", "a\tb\r\n\fpage 2\r\n", false, nil},
		{"end-of-file mark at the end", "a,b\r\n1,2\r\n\x1a", true, nil},
		{"ISO-2022-JP", jis, false, nil},
	} {
		_, _, err := rewrite(t, []byte(tt.in), Options{Links: links.Defang, Formulas: tt.formulas})
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
}

// Thunderbird shows a text attachment of any text/ type inline, a CSV
// (text/csv) or TSV as well as a .txt: libmime renders every text/
// subtype it does not know as text/plain (MimeInlineTextPlain), and
// keeps such a part inline under "Content-Disposition: attachment"
// (mime_create, mimei.cpp). Its plain-text view links the text of a
// "<…>" or "\"…\"" span with the blanks taken out, so a spreadsheet's
// fields get the span rule as a text file's lines do: a span that would
// link has its delimiters made full width. Quoted fields that hold no
// such span keep their quotes.
func TestSpansInSpreadsheets(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"No,Link\r\n1,\"h t t p : / / evil.example/login\"\r\n", "No,Link\r\n1,＂h t t p : / / evil.example/login＂\r\n"},
		{"1,\"<h ttp:/ /evil.example/login>\"\r\n", "1,\"＜h ttp:/ /evil.example/login＞\"\r\n"},
		// The host after "//" is data, as bare host names are in
		// spreadsheets; the span no longer links, "http:" alone no more.
		{"1\t<http: //evil.example/x>\t2\r\n", "1\t＜http: //evil.example/x＞\t2\r\n"},
		// Bare host names stay, as before the span rule.
		{"事業所,サイト\r\n本庁,city.example.lg.jp\r\n", "事業所,サイト\r\n本庁,city.example.lg.jp\r\n"},
		// Ordinary quoted fields, a URL among them.
		{"\"氏名\",\"URL\"\r\n\"鈴木\",\"https://city.example.lg.jp/a\"\r\n", "\"氏名\",\"URL\"\r\n\"鈴木\",\"hxxps://city[.]example[.]lg[.]jp/a\"\r\n"},
	} {
		out, _, err := rewrite(t, []byte(tt.in), Options{Links: links.Defang, Formulas: true})
		if err != nil || string(out) != tt.want {
			t.Errorf("%q:\n got  %q (%v)\n want %q", tt.in, out, err, tt.want)
		}
	}
}
