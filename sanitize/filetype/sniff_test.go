package filetype

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/japanese"
)

func TestSniff(t *testing.T) {
	pad := func(b string, n int) []byte { return append([]byte(b), make([]byte, n)...) }
	at := func(off int, magic string, n int) []byte {
		b := make([]byte, n)
		copy(b[off:], magic)
		return b
	}
	iso2022, _ := japanese.ISO2022JP.NewEncoder().String("お知らせ：①会議は㈱本社で\n")
	sj, _ := japanese.ShiftJIS.NewEncoder().String("髙橋様、ご確認ください。ｶﾀｶﾅ\r\n")
	euc, _ := japanese.EUCJP.NewEncoder().String("日本語のテキスト\n")
	u16 := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune("名前\t数量\r\n")) {
		u16 = append(u16, byte(u), byte(u>>8))
	}
	ustar := tarFile(t, map[string][]byte{"a": []byte("a")}, "a")

	cases := []struct {
		name  string
		head  []byte
		mime  string
		class Class
	}{
		{"pe", peFile(), "application/x-msdownload", ClassExecutable},
		{"elf", elfFile(), "application/x-executable", ClassExecutable},
		{"mach-o 32", machOFile("\xfe\xed\xfa\xce"), "application/x-mach-binary", ClassExecutable},
		{"mach-o 64", machOFile("\xfe\xed\xfa\xcf"), "application/x-mach-binary", ClassExecutable},
		{"mach-o 32 le", machOFile("\xce\xfa\xed\xfe"), "application/x-mach-binary", ClassExecutable},
		{"mach-o 64 le", machOFile("\xcf\xfa\xed\xfe"), "application/x-mach-binary", ClassExecutable},
		{"mach-o fat", []byte("\xca\xfe\xba\xbe\x00\x00\x00\x02\x01\x00\x00\x07"), "application/x-mach-binary", ClassExecutable},
		{"mach-o fat64", []byte("\xca\xfe\xba\xbf\x00\x00\x00\x02"), "application/x-mach-binary", ClassExecutable},
		{"java class", javaClass(), "application/java-vm", ClassExecutable},
		{"shebang", []byte("#!/usr/bin/env python3\nimport os\n"), "text/x-shellscript", ClassExecutable},
		{"lnk", lnkFile(), "application/x-ms-shortcut", ClassExecutable},
		{"dex", []byte("dex\n035\x00"), "application/vnd.android.dex", ClassExecutable},
		{"chm", []byte("ITSF\x03\x00\x00\x00\x60\x00"), "application/vnd.ms-htmlhelp", ClassExecutable},
		{"internet shortcut", []byte("\xef\xbb\xbf[InternetShortcut]\r\nURL=file://evil/share/a.exe\r\n"), "application/x-mswinurl", ClassExecutable},
		{"registry", []byte("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\x]\r\n"), "application/x-mswinurl", ClassExecutable},
		{"hta", []byte("<html><head><HTA:APPLICATION ID=x></head></html>"), "application/hta", ClassExecutable},
		{"msi", oleFile(clsidMSI), "application/x-msi", ClassExecutable},
		{"ole doc", oleFile(clsidWord, oleEnt{"WordDocument", 2}), "application/msword", ClassOffice},
		{"ole xls", oleFile(make([]byte, 16), oleEnt{"Workbook", 2}), "application/vnd.ms-excel", ClassOffice},
		{"ole ppt", oleFile(make([]byte, 16), oleEnt{"PowerPoint Document", 2}), "application/vnd.ms-powerpoint", ClassOffice},
		{"ole msg", oleFile(clsidMsg), "application/vnd.ms-outlook", ClassOther},
		{"ole header only", []byte(oleMagic), "application/x-ole-storage", ClassOffice},
		{"zip", zipFile(t, deflate("a.txt", []byte("a"))), "application/zip", ClassArchive},
		{"empty zip", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), "application/zip", ClassArchive},
		{"docx head", docx(t), mimeDocx, ClassOffice},
		{"odt head", zipFile(t, stored("mimetype", []byte("application/vnd.oasis.opendocument.text")), deflate("content.xml", []byte("<x/>"))),
			"application/vnd.oasis.opendocument.text", ClassOffice},
		{"pdf", pdfFile(""), "application/pdf", ClassPDF},
		{"pdf within 1024", append(bytes.Repeat([]byte("junk "), 150), pdfFile("")...), "application/pdf", ClassPDF},
		{"pdf after 1024 is not", append(bytes.Repeat([]byte("junk "), 300), pdfFile("")...), "text/plain", ClassText},
		{"png polyglot with pdf", append(pngImage(t), pdfFile("")...), "application/pdf", ClassPDF},
		{"rar4", []byte("Rar!\x1a\x07\x00\xcf\x90\x73\x00"), "application/vnd.rar", ClassArchive},
		{"rar5", []byte("Rar!\x1a\x07\x01\x00\x33\x92"), "application/vnd.rar", ClassArchive},
		{"7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04"), "application/x-7z-compressed", ClassArchive},
		{"gzip", gzipOf(t, "a", []byte("a")), "application/gzip", ClassArchive},
		{"bzip2", []byte("BZh91AY&SY"), "application/x-bzip2", ClassArchive},
		{"xz", []byte("\xfd7zXZ\x00\x00\x04"), "application/x-xz", ClassArchive},
		{"zstd", []byte("\x28\xb5\x2f\xfd\x24\x00"), "application/zstd", ClassArchive},
		{"tar ustar", ustar, "application/x-tar", ClassArchive},
		{"tar v7", v7Tar(ustar), "application/x-tar", ClassArchive},
		{"cab", []byte("MSCF\x00\x00\x00\x00\x10\x00"), "application/vnd.ms-cab-compressed", ClassArchive},
		{"lzh", []byte("\x24\x5a-lh5-\x10\x00\x00\x00"), "application/x-lzh-compressed", ClassArchive},
		{"iso 9660", isoImage(), "application/x-iso9660-image", ClassArchive},
		{"iso at 0x9001", at(0x9001, "CD001", 0x9800), "application/x-iso9660-image", ClassArchive},
		{"udf", at(0x8001, "BEA01", 0x8800), "application/x-udf-image", ClassArchive},
		{"vhdx", pad("vhdxfile", 64), "application/x-vhd", ClassArchive},
		{"rtf", []byte(`{\rtf1\ansi\deff0 {\fonttbl}}`), "application/rtf", ClassOffice},
		{"rtf as word reads it", []byte(`{\rtxyz hello}`), "application/rtf", ClassOffice},
		{"onenote", pad("\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3", 16), "application/onenote", ClassOffice},
		{"tnef", []byte("\x78\x9f\x3e\x22\x01\x00"), "application/ms-tnef", ClassOther},
		{"png", pngImage(t), "image/png", ClassImage},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg", ClassImage},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "image/gif", ClassImage},
		{"bmp", append([]byte("BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"), make([]byte, 40)...), "image/bmp", ClassImage},
		{"BM text is not bmp", []byte("BMW dealers list\n"), "text/plain", ClassText},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp", ClassImage},
		{"tiff le", []byte("II*\x00\x08\x00\x00\x00"), "image/tiff", ClassImage},
		{"tiff be", []byte("MM\x00*\x00\x00\x00\x08"), "image/tiff", ClassImage},
		{"ico", append([]byte("\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00\x16\x00\x00\x00"), make([]byte, 40)...), "image/vnd.microsoft.icon", ClassImage},
		{"html doctype", []byte("\r\n  <!DOCTYPE html>\n<html><body>x</body></html>"), "text/html", ClassOther},
		{"html fragment", []byte("<p>Hello</p><script>alert(1)</script>"), "text/html", ClassOther},
		{"html after comment", []byte("<!-- saved from url -->\n<HTML><BODY>x"), "text/html", ClassOther},
		{"svg", []byte(`<?xml version="1.0"?>` + "\n" + `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "image/svg+xml", ClassOther},
		{"xml", []byte(`<?xml version="1.0"?><root/>`), "text/xml", ClassOther},
		{"utf-8 text", []byte("会議のお知らせ\n日時：4月1日\n"), "text/plain", ClassText},
		{"utf-8 text cut mid-rune", []byte("会議のお知らせ")[:20], "text/plain", ClassText},
		{"iso-2022-jp text", []byte(iso2022), "text/plain", ClassText},
		{"shift_jis text", []byte(sj), "text/plain", ClassText},
		{"euc-jp text", []byte(euc), "text/plain", ClassText},
		{"utf-16 text", u16, "text/plain", ClassText},
		// Markup in UTF-16 is markup: a browser or an HTML application
		// reads the byte order mark.
		{"utf-16le html", bomUTF16(binary.LittleEndian, "\r\n<html><script>alert(1)</script>"), "text/html", ClassOther},
		{"utf-16be html", bomUTF16(binary.BigEndian, "<!DOCTYPE html><p>x"), "text/html", ClassOther},
		{"utf-16le svg", bomUTF16(binary.LittleEndian, `<?xml version="1.0"?><svg onload="alert(1)"/>`), "image/svg+xml", ClassOther},
		{"utf-16le shortcut", bomUTF16(binary.LittleEndian, "[InternetShortcut]\r\nURL=file://evil.example/x\r\n"), "application/x-mswinurl", ClassExecutable},
		{"utf-16le hta", bomUTF16(binary.LittleEndian, "<hta:application id=x>"), "application/hta", ClassExecutable},
		{"utf-16le text with <", bomUTF16(binary.LittleEndian, "a < b\r\n"), "text/plain", ClassText},
		{"empty", nil, "text/plain", ClassText},
		{"binary", []byte{0x00, 0x01, 0x02, 0x03, 0xfe, 0x10, 0x80, 0x81}, "application/octet-stream", ClassOther},
		{"latin-1 text", []byte("Caf\xe9 cr\xe8me, na\xefve r\xe9sum\xe9\n"), "text/plain", ClassText},
		{"high bytes without controls", bytes.Repeat([]byte{0x80, 0xfd, 0xff, 0xfe}, 64), "application/octet-stream", ClassOther},
		{"control bytes", []byte("text\x01with\x02controls"), "application/octet-stream", ClassOther},
		{"mp3 via net/http", []byte("ID3\x03\x00\x00\x00\x00\x00\x00"), "audio/mpeg", ClassOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mt, c := Sniff(tc.head)
			if mt != tc.mime || c != tc.class {
				t.Errorf("Sniff = %q, %q; want %q, %q", mt, c, tc.mime, tc.class)
			}
		})
	}
}

// v7Tar turns a ustar header into a pre-POSIX one (no magic, valid sum).
func v7Tar(ustar []byte) []byte {
	b := append([]byte(nil), ustar...)
	for i := 257; i < 265; i++ {
		b[i] = 0
	}
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:], []byte(strings.Repeat("0", 6-len(itoa8(sum)))+itoa8(sum)+"\x00 "))
	return b
}

func itoa8(n int) string {
	if n == 0 {
		return "0"
	}
	var s []byte
	for ; n > 0; n /= 8 {
		s = append([]byte{byte('0' + n%8)}, s...)
	}
	return string(s)
}

func TestParseFileName(t *testing.T) {
	cases := []struct {
		name   string
		exts   []string
		bidi   rune
		double string
	}{
		{"report.PDF", []string{"pdf"}, 0, ""},
		{"invoice.pdf.exe", []string{"exe"}, 0, "pdf"},
		{"run.bat. . .", []string{"bat"}, 0, ""},
		{`C:\tmp\a.Scr`, []string{"scr"}, 0, ""},
		{"../../etc/evil.sh", []string{"sh"}, 0, ""},
		{"a.exe::$DATA", []string{"exe::$data", "exe"}, 0, ""},
		{"a.txt:hidden.exe", []string{"exe", "txt"}, 0, ""},
		{"a.exe\x00.pdf", []string{"pdf", "exe"}, 0, ""},
		{"photo\u202Egpj.exe", []string{"exe"}, 0x202e, ""},
		{"noext", nil, 0, ""},
		{".bashrc", []string{"bashrc"}, 0, ""},
		{"議事録（最終版）.docx", []string{"docx"}, 0, ""},
		{"invoice.pdf\u200b.exe", []string{"exe"}, 0, "pdf"},
	}
	for _, tc := range cases {
		fn := parseFileName(tc.name)
		if strings.Join(fn.exts, ",") != strings.Join(tc.exts, ",") || fn.bidi != tc.bidi || fn.double != tc.double {
			t.Errorf("parseFileName(%q) = %+v, want exts %q bidi %U double %q", tc.name, fn, tc.exts, tc.bidi, tc.double)
		}
	}
}

func TestDisplayName(t *testing.T) {
	cases := map[string]string{
		"議事録.pdf":                "議事録.pdf",
		"a\u202Efdp.exe":         `a\u202Efdp.exe`,
		"tab\there":              `tab\u0009here`,
		"bad\xffbyte":            `bad\xffbyte`,
		strings.Repeat("あ", 200): strings.Repeat("あ", 120) + "…",
	}
	for in, want := range cases {
		if got := displayName(in); got != want {
			t.Errorf("displayName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVisible(t *testing.T) {
	long := strings.Repeat("あ", 200)
	cases := []struct{ in, want string }{
		{"議事録.pdf", "議事録.pdf"},
		{"👨\u200d👩 emoji", `👨\u200D👩 emoji`},
		{`a\u202Efdp.exe`, `a\u202Efdp.exe`}, // text that is an escape stays
		{"a\u202Efdp.exe", `a\u202Efdp.exe`},
		{"\u2066x\u2069 \u061c \u200e", `\u2066x\u2069 \u061C \u200E`},
		{"bom\ufeff soft\u00adhyphen zw\u200bsp", `bom\uFEFF soft\u00ADhyphen zw\u200Bsp`},
		{"line\u2028para\u2029", `line\u2028para\u2029`},
		{"cr\r\n\x00\x7f\u0085", `cr\u000D\u000A\u0000\u007F\u0085`},
		{"bad\xffbyte", `bad\xffbyte`},
		{long, long}, // no limit
	}
	for _, tc := range cases {
		if got := Visible(tc.in); got != tc.want {
			t.Errorf("Visible(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if plainVisible(tc.in) != (tc.in == tc.want) {
			t.Errorf("plainVisible(%q) = %v", tc.in, plainVisible(tc.in))
		}
	}
}

func TestClassesAreClosed(t *testing.T) {
	want := []Class{"executable", "encrypted-archive", "archive", "office", "pdf", "other", "image", "text"}
	got := AllClasses()
	if len(got) != len(want) {
		t.Fatalf("AllClasses = %q", got)
	}
	for i := range want {
		if got[i] != want[i] || !got[i].Valid() {
			t.Errorf("AllClasses[%d] = %q, want %q", i, got[i], want[i])
		}
		if i > 0 && !Stricter(got[i-1], got[i]) {
			t.Errorf("%q is not stricter than %q", got[i-1], got[i])
		}
	}
	if Class("").Valid() || Class("Executable").Valid() {
		t.Error("invalid classes reported valid")
	}
}

func TestSniffFile(t *testing.T) {
	zip := "PK\x03\x04\x14\x00\x01\x00\x08\x00" + strings.Repeat("\x00\xff\x13", 40)
	for _, tc := range []struct {
		name, head string
		class      Class
	}{
		{"zip", zip, ClassArchive},
		{"pe", "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", ClassExecutable},
		{"zip after some text", "see: " + zip, ""},
		{"pdf with a binary stream", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Length 9>>stream\n\x78\x9c\x00\x01\x00\x00\x00\x02endstream", ClassPDF},
		{"pdf that reads as text", "%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\n", ""},
		{"a mention of a pdf header, a vertical tab", "資料は %PDF-1.7 の形式です。\v改行\r\n", ""},
		{"shebang with colour escapes", "#!/bin/sh\n\x1b[31mred\x1b[0m\n", ""},
		{"MZ and a stray NUL", "MZ社の件\x00でご連絡します。", ""},
		{"shebang text", "#!/bin/sh\necho hello\n", ""},
		{"MZ as a word", "MZ社の件でご連絡します。\r\n", ""},
		{"plain", "いつもお世話になっております。\r\n", ""},
		{"binary without magic", "\x00\x01\x02\x03", ""},
	} {
		if _, c := SniffFile([]byte(tc.head)); c != tc.class {
			t.Errorf("%s: class %q, want %q", tc.name, c, tc.class)
		}
	}
}

// bomUTF16 is s in UTF-16 of the given byte order, after its byte order
// mark.
func bomUTF16(order binary.AppendByteOrder, s string) []byte {
	b := order.AppendUint16(nil, 0xfeff)
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}
