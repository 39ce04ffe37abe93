package links

import (
	"strings"
	"testing"
)

func TestBareDomains(t *testing.T) {
	tests := []struct {
		name, in, defang, remove string
		n                        int
	}{
		{"host", "evil.com", "evil[.]com", removed, 1},
		{"with path", "ログインは evil.com/login?x=1 から", "ログインは evil[.]com/login?x=1 から", "ログインは " + removed + " から", 1},
		{"japanese around", "詳しくはexample.co.jpをご覧ください。", "詳しくはexample[.]co[.]jpをご覧ください。", "詳しくは" + removed + "をご覧ください。", 1},
		{"end of sentence", "See Amazon.co.jp.", "See Amazon[.]co[.]jp.", "See " + removed + ".", 1},
		{"upper case", "EVIL.COM", "EVIL[.]COM", removed, 1},
		{"two", "a.io and b.tokyo", "a[.]io and b[.]tokyo", removed + " and " + removed, 2},
		{"new gtld that is also a file type", "data.zip", "data[.]zip", removed, 1},
		{"file names stay", "report.pdf setup.exe photo.JPG 資料.pdf", "report.pdf setup.exe photo.JPG 資料.pdf", "", 0},
		{"versions and numbers stay", "v1.2.3 1.5倍 10.0.19045.3803 256.1.1.1 v1.2.3.4 Fig.1 No.5", "v1.2.3 1.5倍 10.0.19045.3803 256.1.1.1 v1.2.3.4 Fig.1 No.5", "", 0},
		// Linkifiers link these (TestLinkifiersFindNothing).
		{"ipv4 address", "192.168.0.1 と 10.0.0.5:8080/x", "192[.]168[.]0[.]1 と 10[.]0[.]0[.]5:8080/x", removed + " と " + removed + ":8080/x", 2},
		{"japanese file name under a tld", "資料.zip", "資料[.]zip", "資料" + removed, 1},
		{"label in another script", "詳しくは例え.jp/x か 総務課.jpまで、пример.рф", "詳しくは例え[.]jp/x か 総務課[.]jpまで、пример[.]рф", "詳しくは例え" + removed + " か 総務課" + removed + "まで、пример" + removed, 3},
		{"address in another script stays", "info@例え.jp ｔａｒｏ@example.jp 山田@example.jp", "info@例え.jp ｔａｒｏ@example.jp 山田@example.jp", "", 0},
		// linkifyjs links the name after "@" when the local part is a
		// character a host name drops.
		// A name that goes on after the name found, in another script
		// or in ASCII: linkifiers link the rest (рф.xn--p1ai, city.рф,
		// рф.co, 1.ftp.рф), or end a label at a character a host name
		// drops (127evil.рф before a soft hyphen).
		{"name going on", "見て.рф.xn--p1ai 見てрф.city.рф 1ü.рф.co例え ;1.ftp.рф *127evil.рф\u00adwww",
			"見て[.]рф[.]xn--p1ai 見てрф[.]city[.]рф 1ü[.]рф[.]co例え ;1[.]ftp[.]рф *127evil[.]рф\u00adwww",
			"見て" + removed + " 見てрф" + removed + removed + " 1ü" + removed + removed + "例え ;" + removed + " *127evil" + removed + "\u00adwww", 7},
		// A browser drops U+200B (1.news), a linkifier ends the name
		// there; and a run in another script after the dot of an ASCII
		// one (8080.рф).
		{"label with a character a host name drops", "x 1.\u200bnews .//@\u00ad.8080.рф", "x 1[.]\u200bnews .//@\u00ad[.]8080[.]рф", "x 1" + removed + " .//@\u00ad" + removed, 2},
		// After "//" linkify-it links any dotted name, and a browser
		// reads one that ends in a number as an IPv4 address.
		{"scheme-relative IPv4 forms", "//127.1/x //0x7f.1 //0177.0.0.1/x x //①.1/x",
			"//127[.]1/x //0x7f[.]1 //0177[.]0[.]0[.]1/x x //①[.]1/x", removed + " " + removed + " " + removed + " x //①" + removed, 4},
		// No label before the dot: nothing to rewrite, and nothing
		// counted (Defang stays idempotent).
		{"hyphen before the dot", "-.fi・ ~-.fi・x", "", "", 0},
		// After "//" linkify-it links any dotted name; a browser drops
		// the U+200B and opens 93.184.216.34.
		{"scheme-relative name with a dropped character", "see //1572395042.\u200b/x //1.\u00ad", "see //1572395042[.]\u200b/x //1[.]\u00ad", "see //1572395042[.]\u200b/x //1[.]\u00ad", 2},
		// A label of two scripts after "//": bracketing its first dot
		// leaves 0.0.0.8, an IPv4 address, which goes too (FuzzRewrite).
		{"scheme-relative name of two scripts", "//Ά0.0.0.0.8", "//Ά0[.]0[.]0[.]0[.]8", "//Ά0[.]" + removed, 1},
		// A domain has no empty label: linkifyjs links www.рф here.
		{"domain after a dot", "=_ｃｏｍ@.www.рф", "=_ｃｏｍ@.www[.]рф", "=_ｃｏｍ@.www" + removed, 1},
		{"invisible local part", "\u00ad@evil.net \u200b@evil.co \u2060@evil.com", "\u00ad@evil[.]net \u200b@evil[.]co \u2060@evil[.]com",
			"\u00ad@" + removed + " \u200b@" + removed + " \u2060@" + removed, 3},
		{"name before a hyphen or a dot", "evil.com-x evil.co.x", "evil[.]com-x evil[.]co[.]x", removed + " " + removed, 2},
		{"name in another script before a hyphen, a dot or _", "пример.рф-x пример.рф.x 見て.рф_zip evil.рф_x taro_.рф",
			"пример[.]рф-x пример[.]рф.x 見て[.]рф_zip evil[.]рф_x taro_[.]рф",
			"пример" + removed + "-x пример" + removed + ".x 見て" + removed + "_zip evil" + removed + "_x taro_" + removed, 5},
		{"not an address", "evil.com@x evil.com@x.y", "evil[.]com@x evil[.]com@x.y", removed + "@x " + removed + "@x.y", 2},
		// A name in a local part stays only when the linkifiers take the
		// whole word for an address: linkify-it starts one only after a
		// space, "<", ">", "(" or a quote and reads only ASCII in it, and
		// none takes a local part ending in "." or a second "@".
		{"name in what is no local part", "x!evil.com@example.jp 見て1evil.com@example.jp 「evil.com@example.jp 例え.jp@example.jp evil.com.@example.jp x@example.jp@evil.com",
			"x!evil[.]com@example[.]jp 見て1evil[.]com@example[.]jp 「evil[.]com@example[.]jp 例え[.]jp@example[.]jp evil[.]com.@example[.]jp x@example.jp@evil[.]com",
			"x!" + removed + "@" + removed + " 見て" + removed + "@" + removed + " 「" + removed + "@" + removed + " 例え" + removed + "@" + removed + " " + removed + ".@" + removed + " x@example.jp@" + removed, 11},
		{"name in a local part stays", "kikaku.tokyo+ml@example.jp <soumu.city@example.jp> (info.com@example.jp) SRS0=ab=cd=example.com=taro@srs.example.jp",
			"kikaku.tokyo+ml@example.jp <soumu.city@example.jp> (info.com@example.jp) SRS0=ab=cd=example.com=taro@srs.example.jp", "", 0},
		{"abbreviations stay", "e.g. i.e. U.S.A. p.m. etc.", "e.g. i.e. U.S.A. p.m. etc.", "", 0},
		{"unlisted and reserved names stay", "evil.example host.local x.invalid", "evil.example host.local x.invalid", "", 0},
		{"addresses stay", "taro.yamada@mail.example.co.jp", "taro.yamada@mail.example.co.jp", "", 0},
		// A name rewritten inside an address's domain ends the address
		// (FuzzMessage found it): what is left, 0@0.Am before letters of
		// another script, is an address to linkifyjs, and stays.
		{"a rewrite inside an address's domain", "0@0.Amｻe.co", "0@0.Amｻe[.]co", "0@0.Amｻ" + removed, 1},
		{"file in a path", "/pub/x.zip C:\\tmp\\a.zip", "/pub/x[.]zip C:\\tmp\\a[.]zip", "/pub/" + removed + " C:\\tmp\\" + removed, 2},
		{"underscore word", "file_name.py x.com_y", "file_name[.]py x[.]com_y", removed + " " + removed, 2},
		{"japanese label before", "楽天.co.jp/shop", "楽天[.]co[.]jp/shop", "楽天" + removed, 1},
		{"after = or +", "url=evil.com/login x+evil.net", "url=evil[.]com/login x+evil[.]net", "url=" + removed + " x+" + removed, 2},
		{"internationalised top-level domain in ASCII", "evil.xn--p1ai/x", "evil[.]xn--p1ai/x", removed, 1},
		{"an address with + and =", "taro+tag.x=y@example.co.jp", "taro+tag.x=y@example.co.jp", "", 0},
		{"plus address whose local part ends in a tld", "kikaku.tokyo+ml@example.jp", "kikaku.tokyo+ml@example.jp", "", 0},
		// A path, query or fragment is not a local part, whatever "@" it holds.
		{"an @ in the path", "evil.com/login?next=a@b evil.net/@x evil.org#a@b", "evil[.]com/login?next=a@b evil[.]net/@x evil[.]org#a@b", removed + " " + removed + " " + removed + "#a@b", 3},
		{"SRS address", "SRS0=HHH=TT=example.com=taro@lists.example.org", "SRS0=HHH=TT=example.com=taro@lists.example.org", "", 0},
		{"empty label", "a..com .com com.", "a..com .com com.", "", 0},
		{"already defanged", "evil[.]com", "evil[.]com", "", 0},
		{"scheme-relative URL", "Add us <//lists.evil.com/vcard?u=1> （//evil.co.jp）", "Add us <//lists[.]evil[.]com/vcard?u=1> （//evil[.]co[.]jp）", "Add us <" + removed + "> （" + removed + "）", 2},
		// As a browser reads an href: a backslash is a slash, and so is a
		// third one.
		{"scheme-relative URL spelt otherwise", "<///evil.com/a> </\\evil.com/b> \\/evil.com", "<///evil[.]com/a> </\\evil[.]com/b> \\/evil[.]com", "<" + removed + "> <" + removed + "> " + removed, 3},
		{"double slash inside a path", "/pub//x.com a//b.com x[:]//c.com C:\\tmp\\\\x.com", "/pub//x[.]com a//b[.]com x[:]//c[.]com C:\\tmp\\\\x[.]com",
			"/pub//" + removed + " a//" + removed + " x[:]" + removed + " C:\\tmp\\\\" + removed, 4},
		// linkify-it links "//" after any punctuation but "_" and ":"
		// (and after backslashes), and a browser opens a name ending in
		// a number there as an IPv4 address.
		{"number after // and punctuation", "a-//0x7f.1/x a.//1.2 %//0177.1 a@//0x.1 ms-h[:]//0x7f.1 a\\//0x7f.1/x",
			"a-//0x7f[.]1/x a.//1[.]2 %//0177[.]1 a@//0x[.]1 ms-h[:]//0x7f[.]1 a\\//0x7f[.]1/x",
			"a-" + removed + " a." + removed + " %" + removed + " a@" + removed + " ms-h[:]" + removed + " a\\" + removed, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []struct{ mode, want string }{{Defang, tt.defang}, {Remove, tt.remove}} {
				want := m.want
				if tt.n == 0 {
					want = tt.in
				}
				got, n := Rewrite(tt.in, m.mode)
				if got != want || n != tt.n {
					t.Errorf("Rewrite(%q, %s) = %q, %d; want %q, %d", tt.in, m.mode, got, n, want, tt.n)
				}
				if again, n2 := Rewrite(got, m.mode); again != got || n2 != 0 {
					t.Errorf("not idempotent: Rewrite(%q, %s) = %q, %d", got, m.mode, again, n2)
				}
				if out, n := Append([]byte("x"), []byte(tt.in), m.mode); string(out) != "x"+want || n != tt.n {
					t.Errorf("Append(%q, %s) = %q, %d", tt.in, m.mode, out, n)
				}
			}
			// Spreadsheet data keep their host names: no bare pass.
			if out, n := AppendData(nil, []byte(tt.in), Defang); string(out) != tt.in || n != 0 {
				t.Errorf("AppendData(%q) = %q, %d; want it unchanged", tt.in, out, n)
			}
		})
	}
}

// TestBareThenScheme: bracketing a host's dots can make a scheme start a
// word ("A.news:0": news: after "[.]"), and removing it a UNC path; those
// are neutralised too.
func TestBareThenScheme(t *testing.T) {
	for _, tc := range []struct{ in, mode, want string }{
		{"A.news:0", Defang, "A[.]news[:]0"},
		{"A.news:0", Remove, removed + ":0"},
		// Removing the name leaves a UNC path at the start of a word.
		{`x.aaa\\h\s`, Remove, removed + removed},
		{`x.aaa\\h\s`, Defang, `x[.]aaa\\h\s`},
		// The bracketed dot makes "mplTTPS:" a scheme word, whose colon
		// bracketed leaves a name after "[:]//" (FuzzRewrite in CI).
		{"w.bank.mpl2222222222222222222TTPS://b.", Defang, "w[.]bank[.]mpl2222222222222222222TTPS[:]//b[.]"},
		{"w.bank.mpl2222222222222222222TTPS://b.", Remove, removed + "://b."},
	} {
		if got, _ := Rewrite(tc.in, tc.mode); got != tc.want {
			t.Errorf("Rewrite(%q, %s) = %q, want %q", tc.in, tc.mode, got, tc.want)
		}
		if got, _ := Append(nil, []byte(tc.in), tc.mode); string(got) != tc.want {
			t.Errorf("Append(%q, %s) = %q, want %q", tc.in, tc.mode, got, tc.want)
		}
	}
}

// TestBareThenSpan: removing a short bare host with the longer marker can
// make a word long enough to read as a user name ("www.~…"), whose
// removal drops its "<" ">" and brings the outer quotes together into a
// span Thunderbird links; the spans are looked for again.
func TestBareThenSpan(t *testing.T) {
	pad := strings.Repeat("~", 4090-len("a.com"))
	in := `" h t t p : / / e v i l . e x a m p l e <www.~` + pad[:100] + "a.com" + pad[100:] + `> "`
	for _, mode := range []string{Remove, Defang} {
		out, _ := Rewrite(in, mode)
		if hasURL(out) {
			t.Errorf("Rewrite(%s) still has a URL: %.80q…", mode, out)
		}
		if again, n := Rewrite(out, mode); again != out || n != 0 {
			t.Errorf("Rewrite(%s) is not idempotent here (%d more)", mode, n)
		}
		if blk, _ := Append(nil, []byte(in), mode); string(blk) != out {
			t.Errorf("Append(%s) differs from Rewrite", mode)
		}
	}
}

// TestLongLinesSettle: a rewrite lengthens words, and past maxUserinfo
// bytes a "www." word reads as having a user name, so a long line is
// rewritten until a second pass would change nothing.
func TestLongLinesSettle(t *testing.T) {
	for _, tail := range []string{"http://a.b", "news:x", "a.com", `x.aaa\\h`} {
		for pad := maxUserinfo - 30; pad < maxUserinfo+5; pad++ {
			in := "www.~" + strings.Repeat("~", pad) + tail
			for _, mode := range []string{Defang, Remove} {
				out, _ := Rewrite(in, mode)
				if again, n := Rewrite(out, mode); again != out || n != 0 {
					t.Fatalf("%s, tail %q, pad %d: a second pass changes %d more", mode, tail, pad, n)
				}
				if blk, _ := Append([]byte("x"), []byte(in), mode); string(blk) != "x"+out {
					t.Fatalf("%s, tail %q, pad %d: Append differs from Rewrite", mode, tail, pad)
				}
			}
		}
	}
}

// TestUserNameHoldsAName: after "//" an "@" ends a URL's user name, which
// can hold a name found before it (the user name "a.com,x" of
// //a.com,x@g.jp, whose host is g.jp). One pass of bareDomains finds the
// host too: the look back for the "//" does not stop at the name before.
func TestUserNameHoldsAName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"//a.com,x@g.jp", "//a[.]com,x@g[.]jp"},
		{"//a.com.!x@g.jp", "//a[.]com.!x@g[.]jp"},
		{"//w.cy.\u00ade@g.jp", "//w[.]cy.\u00ade@g[.]jp"},
		{"//w.cy.\xade@g.jp", "//w[.]cy.\xade@g[.]jp"}, // FuzzRewriteReference found it
		// No "//": an address after a name, as before.
		{"a.com.!x@g.jp", "a[.]com.!x@g.jp"},
		{"//a.com x@g.jp", "//a[.]com x@g.jp"},
	} {
		if got, _ := bareDomains([]byte(tt.in), 0, Defang); string(got) != tt.want {
			t.Errorf("bareDomains(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestLongLocalPartInBlock: a local part longer than maxLocal makes no
// address, whether the line stands alone (the scan ends at its start)
// or after another in a block (the scan ends at the line feed); its
// domain is neutralised both ways (FuzzRewrite).
func TestLongLocalPartInBlock(t *testing.T) {
	line := strings.Repeat("0", maxLocal+1) + "@0.AC"
	alone, n := Rewrite(line, Defang)
	if want := strings.Repeat("0", maxLocal+1) + "@0[.]AC"; alone != want || n != 1 {
		t.Errorf("alone: %q (%d), want %q", alone, n, want)
	}
	if block, _ := Append(nil, []byte(line+"\n"+line), Defang); string(block) != alone+"\n"+alone {
		t.Errorf("in a block: %q, want each line as alone", block)
	}
	if kept, n := Rewrite(strings.Repeat("0", maxLocal)+"@0.AC", Defang); n != 0 {
		t.Errorf("a local part of maxLocal bytes is an address's: %q", kept)
	}
}
