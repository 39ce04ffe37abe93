package links

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// modes are the modes the differential tests run: the three of the policy
// and an unknown one, which Rewrite reads as Defang.
var modes = []string{Defang, Keep, Remove, "bogus"}

// checkReference fails t unless Rewrite and Append give exactly what the
// frozen reference implementation gives for in in every mode.
func checkReference(t *testing.T, in string) {
	t.Helper()
	for _, mode := range modes {
		want, wantN := refPass(in, mode)
		// Rewrite settles a long line or one with an "@" (settleLong):
		// so does the reference, pass by pass.
		for i := 0; i < 3 && wantN > 0 && (len(want) > maxUserinfo || strings.Contains(want, "@")); i++ {
			again, k := refPass(want, mode)
			if k == 0 {
				break
			}
			want, wantN = again, wantN+k
		}
		if got, n := Rewrite(in, mode); got != want || n != wantN {
			t.Fatalf("Rewrite(%q, %s) = %q, %d; reference %q, %d", in, mode, got, n, want, wantN)
		}
		// Append to a non-empty dst with spare room, which must be kept.
		const prefix = "前置き:"
		dst := append(make([]byte, 0, 64), prefix...)
		line := []byte(in)
		out, n := Append(dst, line, mode)
		if string(out) != prefix+want || n != wantN {
			t.Fatalf("Append(%q, %q, %s) = %q, %d; reference %q, %d", prefix, in, mode, out, n, prefix+want, wantN)
		}
		if string(line) != in {
			t.Fatalf("Append(%q, %s) modified its input: %q", in, mode, line)
		}
		if out, n := Append(nil, line, mode); string(out) != want || n != wantN {
			t.Fatalf("Append(nil, %q, %s) = %q, %d; reference %q, %d", in, mode, out, n, want, wantN)
		}
	}
}

// refPass is one pass of the reference: refRewrite, then the bare host
// names, a pass of their own tested in TestBareDomains.
func refPass(in, mode string) (string, int) {
	want, n := refRewrite(in, mode)
	if mode == Keep {
		return want, n
	}
	b, k := bareDomainsAgain([]byte(want), 0, mode)
	return string(b), n + k
}

// referenceSeeds are lines from the unit tests, the fuzz seeds and the
// benchmarks, and corners of the candidate search: schemes and "www." at
// both ends of the line, glued to each other, split by invalid UTF-8 and
// by letters that strings.EqualFold folds to ASCII (ſ to s, K to k).
var referenceSeeds = []string{
	"",
	"https://evil.example/a",
	"see http://evil.example now",
	"Line 7 of the report. Details at https://example.com/r/7 and nothing else here.",
	"市民の皆様へ。イベントのご案内です。詳しくは https://example.jp/event をご覧ください。",
	"詳しくはwww.city.example.lg.jp/kurashi/をご覧ください。",
	"evil.com/login taro.yamada@example.co.jp report.pdf data.zip /pub/x.zip Amazon.co.jp.",
	"<https://example.jp/a> (https://en.example.org/wiki/Foo_(bar)).",
	"http://www.bank.example@evil.example/?u=HTTPS://b.example/x",
	"https://r.example/?u=http://evil.example/x&v=www.evil.example",
	"hthttp://tp://",
	"http://a.www.http://x www.HTTPS:/0",
	"0 www.HTTPS:/0",
	"hxxps://evil[.]example/a mailto:user@www.example.jp hXXp://x.example",
	"https://例え.テスト/パス https://example.jpです http://bücher.example/",
	`http:\\evil.example\share ftp://u:p@[::1]:21/ sftp://h.example`,
	"HTTPS://Evil.Example/A HtTp://b.example FTP://C.EXAMPLE WWW.EXAMPLE.COM",
	"http:evil http:// x http:/ https:\\ ftp:/x",
	"awww.example.jp taro@www.example.jp the www. is .www.x _www.x -www.x",
	"www.www.www.x",
	"http:\u200b192.0.2.1/x https:\u00ad1.2 http:①9 www.\u00adx ftp.\u200bx www.ⓔx www.%65x www.%6 www.%zz www.。 www.「x」 http:「x」 www.％x www.\u180ex HTTP:㎏.jp",
	`<\\ファイルサーバ\総務課> \\例え.jp\s \\ｅｖｉｌ.x \\?\UNC\h\s \\.\UNC\h \\?x \\. a\\例 C:\\例 http:\\例え.jp hxxp:\\例`,
	"ftp.evil.example/x.exe FTP.x ftp.www.x www.ftp.x ftp.ftp:x sftp.x xftp.y taro@ftp.x ftp. ftp.。 <ftp.a b@c>",
	"http://a.www.<",
	"http://a.www.。x",
	"http://a.example.https://b.example.",
	"http://a.examplehttp://b.example",
	"「https://example.jp/a」をご覧ください。",
	"https://a.example/, http://b.example. (https://c.example/x)) [https://d.example/]]",
	"httpſ://a.example httpſ:/a ftK:// ſtp://x Kww.x",
	"http\xff://a.example ww\xffw.x https:\xff//x www.\xff",
	"www.a",
	"www.",
	"w",
	"http:/",
	"https:/",
	"ftp:/",
	":::://",
	"....www.a",
	"http://example.jpｸﾘｯｸ https://pаypal.com/ https://xn--r8jz45g.xn--zckzah/",
	"http://[2001:db8::1]:443/ http://192.168.10.1/login",
	"メールが正しく表示されない場合はこちら <https://www.city.midori.example.lg.jp/mail/42.html>",
	"電話 0120-000-000　メール <bousai@city.midori.example.lg.jp>",
	`file://attacker.example/share/x.lnk FILE:\\10.0.0.5\c$ file:///C:/x file: file:/ profile://x`,
	`\\attacker.example\share\doc.docx <\\srv\s> a\\b \\\c :\\d \\ \\- \\.x [\\]e[.]x`,
	`https://r.example/?u=\\evil.example\s&v=file://x.example/ www.a\\b\\c`,
	`\\a.example\\b.example\ \\a.example.\\b`,
	`保存先:\\fileserver\総務課 :\\x a:\\y 1:\\z ::\\w`,
	"http:evil.example/login https:x FILE:C:/x ftp:a Profile:Taro a.http:b x+http:c -https:d _http:e 1ftp:f http:の",
	"<ht tps://evil.example/login> \"h t t p://x.example\" <URL:ht tp://y.example> \"a\" ht tps://z \"b\" <a: b>",
	`Path:\\srv\s location:\\evil.example\x D:\\x xhttp:\\y hxxp:\\z FXLE:\\w ab:\\c 1:\\d`,
	"https:!@evil.example/login http:・@evil.example ftp:%zz www.@x www.!@evil.example WWW.・@e www.:@x http:。 www., www.。",
	"webcal://evil.example/x.ics news:comp.lang search-ms:q=x MS-MSDT:/id onenote:https://x mailto:a@b TEL:03 a://b 1news:x www.webcal://x 10:30",
}

// pieces build random lines that are dense in URL starts and in the
// characters that end them.
var pieces = []string{
	"http", "https", "HTTP", "hTtPs", "ftp", "FTP", "ht", "tp", "s", "h", "f",
	"www.", "WWW.", "ww", "w", "W", ".", ":", "://", ":/", `:\\`, "/", `\`,
	"example", "jp", "a", "0", "-", "_", "@", "[", "]", "(", ")", "<", ">",
	"?", "#", "%", "!", "'", "*", ",", ";", "=", "~", `"`, " ", "\t",
	"です", "例え", "。", "「", "」", "ü", "ſ", "K", "ｸ", "\xff", "\xe3\x81",
	"hxxp", "[.]", "[リンク削除]", "file", "FiLe", "fi", "le", `\\`, `\\\`, "[\\]", "C:",
	"\x1a", "\x0e", "\x00", // ':', '.' and nothing with the 0x20 bit set
	"+", "Profile", "x.", "webcal", "news", "ms-", "search-ms", "mailto", "tel", "//", "1",
	"com", "まで", "ー", // Japanese right after a top-level domain
}

func randomLine(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(24) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func TestRewriteReference(t *testing.T) {
	for _, in := range referenceSeeds {
		checkReference(t, in)
	}
	r := rand.New(rand.NewPCG(1, 2))
	n := 200000
	if testing.Short() {
		n = 20000
	}
	for range n {
		checkReference(t, randomLine(r))
	}
}

// FuzzRewriteReference checks that Rewrite and Append give exactly the
// output and count of the reference implementation for any line and mode.
func FuzzRewriteReference(f *testing.F) {
	for _, s := range referenceSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkReference(t, in)
	})
}

// TestAllocs checks that Rewrite does not allocate for a line without a URL
// or in Keep mode, allocates a buffer and its result string otherwise, and
// that Append does not allocate when dst has room.
func TestAllocs(t *testing.T) {
	noURL := "いつもお世話になっております。情報政策課の鈴木です。時刻は 10:30 です。"
	withURL := "Line 7 of the report. Details at https://example.com/r/7 and www.example.jp/x here."
	// Symbols after "http:" and "www." that mapsToHost reads, mapped or not.
	mapped := "手順 http:】 と http:①、www.ⓔvil、www.】 と ftp.㎏ です。"
	for _, tc := range []struct {
		line, mode string
		want       float64
	}{
		{noURL, Defang, 0},
		{noURL, Remove, 0},
		{withURL, Keep, 0},
		{withURL, Defang, 2},
		{withURL, Remove, 2},
		{mapped, Defang, 2},
		{mapped, Remove, 3}, // four markers outgrow the buffer once, as with "http:ｅ"
	} {
		if got := testing.AllocsPerRun(100, func() { Rewrite(tc.line, tc.mode) }); got != tc.want {
			t.Errorf("Rewrite(%q, %s): %v allocations, want %v", tc.line, tc.mode, got, tc.want)
		}
		line := []byte(tc.line)
		dst := make([]byte, 0, 4*len(line))
		if got := testing.AllocsPerRun(100, func() { Append(dst, line, tc.mode) }); got != 0 {
			t.Errorf("Append(%q, %s): %v allocations, want 0", tc.line, tc.mode, got)
		}
	}
	if out, _ := Rewrite(noURL, Defang); out != noURL {
		t.Errorf("Rewrite changed a line without a URL")
	}
}
