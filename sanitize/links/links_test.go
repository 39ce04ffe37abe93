package links

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestRewriteDefang(t *testing.T) {
	tests := []struct {
		name, in, want string
		n              int
	}{
		{"no url", "こんにちは、世界。", "こんにちは、世界。", 0},
		{"https", "https://evil.example/a", "hxxps://evil[.]example/a", 1},
		{"http", "see http://evil.example now", "see hxxp://evil[.]example now", 1},
		{"ftp", "ftp://files.example.jp/pub/x.zip", "fxp://files[.]example[.]jp/pub/x[.]zip", 2}, // .zip is a top-level domain
		{"scheme case", "HTTPS://Evil.Example/A HtTp://b.example", "hxxps://Evil[.]Example/A hxxp://b[.]example", 2},
		{"path dots unchanged", "https://a.example/x.y/z.html?q=1.2#f.g", "hxxps://a[.]example/x.y/z.html?q=1.2#f.g", 1},
		{"port", "http://a.example:8080/", "hxxp://a[.]example:8080/", 1},
		{"ip literal", "http://192.168.10.1/login", "hxxp://192[.]168[.]10[.]1/login", 1},
		{"ipv6 literal", "http://[2001:db8::1]:443/", "hxxp://[2001:db8::1]:443/", 1},
		{"userinfo trick", "http://www.bank.example@evil.example/", "hxxp://www[.]bank[.]example@evil[.]example/", 1},
		{"userinfo password", "ftp://user:pw@ftp.example.jp/", "fxp://user:pw@ftp[.]example[.]jp/", 1},
		{"punycode", "https://xn--r8jz45g.xn--zckzah/", "hxxps://xn--r8jz45g[.]xn--zckzah/", 1},
		{"idn japanese", "https://例え.テスト/パス", "hxxps://例え[.]テスト/パス", 1},
		{"idn latin", "http://bücher.example/", "hxxp://bücher[.]example/", 1},
		{"idn cyrillic homograph", "https://pаypal.com/", "hxxps://pаypal[.]com/", 1},
		{"www", "www.example.jp", "www[.]example[.]jp", 1},
		{"www with path", "詳しくはwww.city.example.lg.jp/kurashi/をご覧ください", "詳しくはwww[.]city[.]example[.]lg[.]jp/kurashi/をご覧ください", 1},
		{"www upper", "WWW.EXAMPLE.COM", "WWW[.]EXAMPLE[.]COM", 1},
		// Not a www. host, but a host name under .jp all the same.
		{"www inside word", "awww.example.jp", "awww[.]example[.]jp", 1},
		{"www in email", "taro@www.example.jp", "taro@www.example.jp", 0},
		{"www alone", "the www. is", "the www. is", 0},
		{"in angle brackets", "text <https://example.jp/a>", "text <hxxps://example[.]jp/a>", 1},
		{"trailing period", "Visit https://example.jp/a.", "Visit hxxps://example[.]jp/a.", 1},
		{"trailing host period", "Visit https://example.jp.", "Visit hxxps://example[.]jp.", 1},
		{"trailing comma", "https://a.example/, https://b.example/", "hxxps://a[.]example/, hxxps://b[.]example/", 2},
		{"parenthesised", "(https://example.jp/a)", "(hxxps://example[.]jp/a)", 1},
		{"balanced parens kept", "https://en.example.org/wiki/Foo_(bar)", "hxxps://en[.]example[.]org/wiki/Foo_(bar)", 1},
		{"japanese brackets", "「https://example.jp/a」", "「hxxps://example[.]jp/a」", 1},
		{"japanese period", "https://example.jp/a。次へ", "hxxps://example[.]jp/a。次へ", 1},
		{"japanese right after host", "https://example.jpです", "hxxps://example[.]jpです", 1},
		{"japanese right after path", "https://example.jp/aをご覧ください", "hxxps://example[.]jp/aをご覧ください", 1},
		{"halfwidth kana after host", "http://example.jpｸﾘｯｸ", "hxxp://example[.]jpｸﾘｯｸ", 1},
		{"quotes", `"https://example.jp/a"`, `"hxxps://example[.]jp/a"`, 1},
		{"backslashes", `http:\\evil.example\share http:/\\x.example`, `hxxp:[\\]evil[.]example\share hxxp:[/\\]x[.]example`, 2},
		{"one slash", "https:/evil.example/", "hxxps:/evil[.]example/", 1},
		{"no slash", "http:evil.example/login", "hxxp:evil[.]example/login", 1},
		{"no slash https", "<https:evil.example/x>", "<hxxps:evil[.]example/x>", 1},
		{"no slash file drive", "file:C:/Windows/System32/calc.exe", "fxle:C:/Windows/System32/calc.exe", 1},
		{"no slash after a letter is inside a word, after - or + it is a scheme", "Profile:Taro xhttp:evil x-ftp:y x+file:z", "Profile:Taro xhttp:evil x-fxp:y x+fxle:z", 2},
		{"no slash after a dot", "a.http:b www.HTTP:0", "a.hxxp:b www[.]hxxp:0", 3},
		{"no slash and no host", "http: and https: 。", "http: and https: 。", 0},
		{"no slash, odd hosts", "http:@evil.example/a https:ｅｖｉｌ.example http:例え.jp https:[::1]/ http:%65vil.example", "hxxp:@evil[.]example/a hxxps:ｅｖｉｌ[.]example hxxp:例え[.]jp hxxps:[::1]/ hxxp:%65vil[.]example", 5},
		{"no slash, user names", "https:!@evil.example/login http:・@evil.example ftp:%zz", "hxxps:!@evil[.]example/login hxxp:・@evil.example fxp:%zz", 3},
		{"www and a user name", "www.@evil.example/x www.!@evil.example WWW.・@evil.example", "www[.]@evil[.]example/x www[.]!@evil[.]example WWW[.]・@evil.example", 3},
		{"www alone stays", "see www. and www., www.。", "see www. and www., www.。", 0},
		// Thunderbird completes a word starting with "ftp." as it does
		// "www." (CompleteAbbreviatedURL): ftp://ftp.evil.example/x.exe,
		// whatever the top-level domain.
		{"ftp. host", "ftp.evil.example/x.exe FTP.fileserver/pub (ftp.10.0.0.5)", "ftp[.]evil[.]example/x.exe FTP[.]fileserver/pub (ftp[.]10[.]0[.]0[.]5)", 3},
		{"ftp. alone or inside a word stays", "see ftp. and ftp.exe's sftp.x xftp.y taro@ftp.example.jp ftp.。", "see ftp. and ftp[.]exe's sftp.x xftp.y taro@ftp.example.jp ftp.。", 1},
		{"ftp. and a user name", "ftp.!@evil.example", "ftp[.]!@evil[.]example", 1},
		// Gecko deletes or maps these in a host (UTS #46), after
		// percent-decoding it: links to 192.0.2.1 and www.evil.example.
		// The scheme or "www." broken is enough; the host is scanned as
		// before, so its dots after such a character stay.
		{"invisible or mapped host start", "http:\u200b192.0.2.1/login https:\u00ad192.0.2.1 http:①92.0.2.1 www.\u00adevil.example ftp.\u200bevil.example www.ⓔvil.example www.%65vil.example",
			// The addresses after the schemes are bare IPv4 hosts too.
			"hxxp:\u200b192[.]0[.]2[.]1/login hxxps:\u00ad192[.]0[.]2[.]1 hxxp:①92[.]0[.]2[.]1 www[.]\u00adevil.example ftp[.]\u200bevil.example www[.]ⓔvil.example www[.]%65vil[.]example", 10},
		{"symbols that make no host stay", "www.。 www.「x」 http:「x」 www.％x", "www.。 www.「x」 http:「x」 www.％x", 0},
		{"www and full-width", "www.ｅｖｉｌ.example/login www.。", "www[.]ｅｖｉｌ[.]example/login www.。", 1},
		{"redirect chain", "https://r.example/?u=http://evil.example/x", "hxxps://r[.]example/?u=hxxp://evil[.]example/x", 2},
		{"www in path", "https://r.example/go?www.evil.example", "hxxps://r[.]example/go?www[.]evil[.]example", 2},
		{"url glued to url", "http://a.examplehttp://b.example", "hxxp://a[.]examplehxxp://b[.]example", 2},
		{"scheme inside word", "xhttps://a.example", "xhxxps://a[.]example", 1},
		{"sftp", "sftp://host.example/", "sfxp://host[.]example/", 1},
		{"empty host", "http:// x", "hxxp:// x", 1},
		{"mailto untouched", "mailto:user@example.jp", "mailto:user@example.jp", 0},
		{"email untouched", "連絡先 bousai@city.example.lg.jp まで", "連絡先 bousai@city.example.lg.jp まで", 0},
		// linkifyjs reads the address up to the Japanese (a mailto
		// link); the name in it is no web link to neutralise.
		{"email then japanese", "連絡先 bousai@city.example.lg.jpまで、info@example.co.jpです xxxx@example.comへ", "連絡先 bousai@city.example.lg.jpまで、info@example.co.jpです xxxx@example.comへ", 0},
		{"name then japanese", "see example.comへ and x@evil.comへevil.com", "see example[.]comへ and x@evil.comへevil[.]com", 2},
		{"name before such an address", "連絡先 evil.com@x.jpまで", "連絡先 evil[.]com@x[.]jpまで", 2},
		{"already defanged", "hxxps://evil[.]example/a", "hxxps://evil[.]example/a", 0},
		{"already defanged hXXp", "hXXp://evil.example/", "hXXp://evil.example/", 0},
		{"half defanged host", "http://evil[.]example/", "hxxp://evil[.]example/", 1},
		{"two urls", "a http://x.example b https://y.example c", "a hxxp://x[.]example b hxxps://y[.]example c", 2},
		{"file", "file://attacker.example/share/x.lnk", "fxle://attacker[.]example/share/x.lnk", 1},
		{"file local", "file:///C:/Windows/x.exe をご覧ください", "fxle:///C:/Windows/x.exe をご覧ください", 1},
		{"file backslashes", `FILE:\\10.0.0.5\c$\x`, `fxle:[\\]10[.]0[.]0[.]5\c$\x`, 1},
		{"file no slash", "file:x mobile://a", "fxle:x mobile[:]//a", 2},
		{"file inside word", "profile://x", "profxle://x", 1},
		{"unc", `\\attacker.example\share\doc.docx`, `[\\]attacker[.]example\share\doc.docx`, 1},
		{"unc no dots", `共有は \\fileserver01\総務課\名簿.xlsx です`, `共有は [\\]fileserver01\総務課\名簿.xlsx です`, 1},
		{"unc in angle brackets", `here <\\10.0.0.5\c$>`, `here <[\\]10[.]0[.]0[.]5\c$>`, 1},
		// Outlook links all of "<\\...>", Japanese and spaces too.
		{"unc with a japanese host", `<\\ファイルサーバ\総務課\新しい フォルダ> 共有は \\例え.jp\s`, `<[\\]ファイルサーバ\総務課\新しい フォルダ> 共有は [\\]例え[.]jp\s`, 2},
		{"unc with a full-width or latin host", `\\ｅｖｉｌ.example\s (\\ëvil.example\s)`, `[\\]ｅｖｉｌ[.]example\s ([\\]ëvil[.]example\s)`, 2},
		{"win32 unc paths", `<\\?\UNC\evil.example\share> \\.\UNC\srv\s`, `<[\\]?\UNC\evil[.]example\share> [\\].\UNC\srv\s`, 2},
		{"win32 unc host dots", `\\?\unc\192.0.2.1\s \\.\UNC\evil.com\s \\.\PhysicalDrive0 \\?\C:\x.exe`, `[\\]?\unc\192[.]0[.]2[.]1\s [\\].\UNC\evil[.]com\s [\\].\PhysicalDrive0 [\\]?\C:\x.exe`, 4},
		{"a unc path right after a win32 prefix", `\\.\\00 \\?\\evil.example\s`, `[\\].[\\]00 [\\]?[\\]evil[.]example\s`, 4},
		{"not a unc host", `\\・x \\?x \\. \\　x`, `\\・x \\?x \\. \\　x`, 0},
		{"unc sentence end", `see \\srv.example\s.`, `see [\\]srv[.]example\s.`, 1},
		{"unc after a defanged scheme", `hxxp:\\evil[.]example\share hxxp:[\\]x`, `hxxp:[\\]evil[.]example\share hxxp:[\\]x`, 1},
		{"unc after japanese and a colon", `保存先:\\fileserver\総務課`, `保存先:[\\]fileserver\総務課`, 1},
		{"unc after a line-initial colon", `:\\srv\s`, `:[\\]srv\s`, 1},
		{"colon after a drive or our scheme", `D:\\x xhttp:\\y hxxp:\\z FXLE:\\w`, `D:\\x xhxxp:[\\]y hxxp:[\\]z FXLE:[\\]w`, 3},
		{"unc after another word and a colon", `Path:\\srv\s location:\\evil.example\x`, `Path:[\\]srv\s location:[\\]evil[.]example\x`, 2},
		{"unc inside word", `a\\server\share C:\\Users`, `a\\server\share C:\\Users`, 0},
		{"three backslashes", `\\\server`, `\\\server`, 0},
		{"unc in path", `https://r.example/?u=\\evil.example\s`, `hxxps://r[.]example/?u=[\\]evil[.]example\s`, 2},
		{"already defanged unc", `[\\]attacker[.]example\share`, `[\\]attacker[.]example\share`, 0},
		// Thunderbird takes the white space out of "<...>" and "\"...\"".
		{"span with a space in the scheme", "<htt p://evil.example/login>", "＜htt p://evil.example/login＞", 1},
		{"quoted span with a tab", "\"http\ts://evil.example/\"", "＂http\ts://evil.example/＂", 1},
		{"rfc 1738 span", "<URL:h t t p://evil.example/x.exe>", "＜URL:h t t p://evil.example/x.exe＞", 1},
		{"span from a closing quote", `"a" http s://x.example "b"`, `"a＂ http s://x.example ＂b"`, 1},
		{"span read from an @", "<w ww.evil.example/ taro@jp.> <Taro Yamada taro@example.jp>", "＜w ww.evil.example/ taro@jp.＞ <Taro Yamada taro@example.jp>", 1},
		{"span replaced, then a user name", `"http: http:"@evil.example`, `＂http: hxxp:＂@evil.example`, 2},
		{"span not starting with a url", `"see http s://x.example"`, `"see http s://x.example"`, 0},
		{"span of a scheme word left", "<ht tps://evil.example/login>", "<ht tps[:]//evil[.]example/login>", 2},
		{"span with a space in the host", "<https://evil .example/x>", "<hxxps://evil .example/x>", 1},
		{"readable span stays", `see "https://www.example.org/maybe today"`, `see "hxxps://www[.]example[.]org/maybe today"`, 1},
		{"span without a url stays", "<a b: c> \"x: y\"", "<a b: c> \"x: y\"", 0},
		{"unmatched delimiters", "<htt p://x.example\" and \"htt p://y.example>", "<htt p://x.example\" and \"htt p://y.example>", 0},
		{"spans end at a line end", "<htt\np://x.example>", "<htt\np://x.example>", 0},
		// Other schemes: the colon is bracketed.
		{"other scheme with //", "webcal://evil.example/cal.ics NOTES://srv/db", "webcal[:]//evil[.]example/cal.ics NOTES[:]//srv/db", 3},
		{"opaque schemes", "news:comp.lang.go search-ms:query=x ms-msdt:/id", "news[:]comp.lang.go search-ms[:]query=x ms-msdt[:]/id", 3},
		// Programs' schemes, linked where the program is installed.
		{"program schemes", "msteams:/l/meetup-join/x zoommtg:join?confno=1 SMB:evil.example/share hcp:services/x steam:run/1 ldap:evil.example/cn=x",
			"msteams[:]/l/meetup-join/x zoommtg[:]join?confno=1 SMB[:]evil.example/share hcp[:]services/x steam[:]run/1 ldap[:]evil.example/cn=x", 6},
		{"telnet's siblings", "rlogin:root@evil.example TN3270:evil.example", "rlogin[:]root@evil.example TN3270[:]evil.example", 2},
		{"media, meeting and session schemes", "rtsp:evil.example/stream ws:192.0.2.1:80 ftps:user@evil.example receiver:evil.example. webex:[2001:db8::1]",
			"rtsp[:]evil.example/stream ws[:]192[.]0[.]2[.]1:80 ftps[:]user@evil.example receiver[:]evil.example. webex[:][2001:db8::1]", 6},
		// Before no host these are words of business text.
		{"media and session words before no host", "WS:13:00～15:00 MMS:1件 Citrix Receiver:ver4.9 webex:会議ID123 mms:有効",
			"WS:13:00～15:00 MMS:1件 Citrix Receiver:ver4.9 webex:会議ID123 mms:有効", 0},
		{"prose is not a scheme", "TEL:03-1234-5678 FAX:03-1234-5679 Re:予定 10:30 備考:なし", "TEL:03-1234-5678 FAX:03-1234-5679 Re:予定 10:30 備考:なし", 0},
		{"opaque scheme before a url", "onenote:https://x.example/a", "onenote[:]hxxps://x[.]example/a", 2},
		// U+FFFD (what an undecodable byte became, written so to the
		// reader) is a character like any other after the colon: it hid
		// search-ms:…&crumb=location:%5C%5Chost%5Cshare (red team).
		{"replacement character after the colon", "search-ms:\uFFFDquery=x&crumb=location:%5C%5C192.0.2.1%5Cs ms-msdt:\uFFFD/id",
			"search-ms[:]\uFFFDquery=x&crumb=location:%5C%5C192.0.2.1%5Cs ms-msdt[:]\uFFFD/id", 2},
		{"readable schemes stay", "mailto:a@example.jp TEL:03-1234-5678 callto:x sip:y", "mailto:a@example.jp TEL:03-1234-5678 callto:x sip:y", 0},
		{"words before a colon stay", "Note:x News: today a://b 10:30", "Note:x News: today a://b 10:30", 0},
		// A mailto that attaches a local file (Evolution, KMail, older Thunderbird).
		{"mailto attaching a file", "mailto:x@example.jp?attach=/etc/passwd&body=hi", "mailto[:]x@example.jp?attach=/etc/passwd&body=hi", 1},
		{"mailto attachment param, encoded", "<MAILTO:x@example.jp?subject=a&%41ttachment=~/.ssh/id_rsa>", "<MAILTO[:]x@example.jp?subject=a&%41ttachment=~/.ssh/id_rsa>", 1},
		{"mailto attaching a file after Japanese", "mailto:soumu@example.jp?subject=資料送付&attach=/etc/passwd", "mailto[:]soumu@example.jp?subject=資料送付&attach=/etc/passwd", 1},
		{"mailto with other params stays", "mailto:x@example.jp?subject=attach&body=attach", "mailto:x@example.jp?subject=attach&body=attach", 0},
		{"other scheme after a bracketed dot", "www.webcal://x", "www[.]webcal[:]//x", 2},
		// After "[:]", two backslashes would start a UNC path.
		{"other scheme with backslashes", `ms-h:\\127 ms-h:\\host\x webcal:/\\a`, `ms-h[:][\\]127 ms-h[:][\\]host\x webcal[:][/\\]a`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := Rewrite(tt.in, Defang)
			if got != tt.want || n != tt.n {
				t.Errorf("Rewrite(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.n)
			}
			again, n2 := Rewrite(got, Defang)
			if again != got || n2 != 0 {
				t.Errorf("not idempotent: Rewrite(%q) = %q, %d", got, again, n2)
			}
		})
	}
}

func TestRewriteRemove(t *testing.T) {
	tests := []struct {
		name, in, want string
		n              int
	}{
		{"bare", "see https://evil.example/a now", "see [リンク削除] now", 1},
		{"brackets go too", "詳細 <https://example.jp/a>", "詳細 [リンク削除]", 1},
		{"only left bracket", "<https://example.jp/a", "<[リンク削除]", 1},
		{"www", "www.example.jp/aへ", "[リンク削除]へ", 1},
		{"ftp.", "ftp.evil.example/x.exeへ", "[リンク削除]へ", 1},
		{"japanese kept", "「https://example.jp/a」をご覧ください。", "「[リンク削除]」をご覧ください。", 1},
		{"trailing punctuation kept", "https://a.example/, http://b.example.", "[リンク削除], [リンク削除].", 2},
		{"mailto kept", "mailto:user@example.jp", "mailto:user@example.jp", 0},
		{"media and session words kept", "WS:13:00～15:00 MMS:1件 Citrix Receiver:ver4.9 rtsp:evil.example/s", "WS:13:00～15:00 MMS:1件 Citrix Receiver:ver4.9 [リンク削除]", 1},
		{"mailto attaching a file goes", "mailto:user@example.jp?attach=C:/x", "[リンク削除]", 1},
		{"no url", "本文", "本文", 0},
		{"file and unc", `file://a.example/x and <\\srv\share>`, `[リンク削除] and [リンク削除]`, 2},
		{"span with a space in the scheme", "詳細 <htt p://evil.example/login>", "詳細 ＜htt p://evil.example/login＞", 1},
		{"other schemes", "webcal://evil.example/cal.ics, search-ms:query=x.", "[リンク削除], [リンク削除].", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := Rewrite(tt.in, Remove)
			if got != tt.want || n != tt.n {
				t.Errorf("Rewrite(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.n)
			}
		})
	}
}

func TestRewriteKeep(t *testing.T) {
	in := "https://example.jp/a www.example.jp"
	if got, n := Rewrite(in, Keep); got != in || n != 0 {
		t.Errorf("Rewrite(keep) = %q, %d", got, n)
	}
}

func TestRewriteUnknownModeDefangs(t *testing.T) {
	if got, n := Rewrite("https://evil.example/", "bogus"); got != "hxxps://evil[.]example/" || n != 1 {
		t.Errorf("Rewrite(bogus mode) = %q, %d; want the defanged URL", got, n)
	}
}

// TestRewriteHTMLTextOutput runs Rewrite over lines as sanitize/htmltext
// prints them.
func TestRewriteHTMLTextOutput(t *testing.T) {
	in := strings.Join([]string{
		"メールが正しく表示されない場合はこちら <https://www.city.midori.example.lg.jp/mail/42.html>",
		"電話 0120-000-000　メール <bousai@city.midori.example.lg.jp>",
		"Click here: https://www.bank.example/login <https://evil.example/login?session=1>",
	}, "\n")
	want := strings.Join([]string{
		"メールが正しく表示されない場合はこちら <hxxps://www[.]city[.]midori[.]example[.]lg[.]jp/mail/42.html>",
		"電話 0120-000-000　メール <bousai@city.midori.example.lg.jp>",
		"Click here: hxxps://www[.]bank[.]example/login <hxxps://evil[.]example/login?session=1>",
	}, "\n")
	got, n := Rewrite(in, Defang)
	if got != want || n != 3 {
		t.Errorf("got %d:\n%s\nwant 3:\n%s", n, got, want)
	}
}

func TestRewriteIdempotentCorners(t *testing.T) {
	for _, in := range []string{
		"0 www.HTTPS:/0",
		"http://a.www.http://x",
		"http://a.www.<",
		"http://a.www.。x",
		"www.www.www.x",
		"http://a.example.https://b.example.",
	} {
		once, _ := Rewrite(in, Defang)
		if twice, n := Rewrite(once, Defang); twice != once || n != 0 {
			t.Errorf("%q → %q → %q (%d)", in, once, twice, n)
		}
	}
}

// TestHandledWord holds the last-letter dispatch of handledWord to the
// plain reading of handledWords: any word that ends in one, in any case.
func TestHandledWord(t *testing.T) {
	ref := func(w string) bool {
		for _, s := range handledWords {
			if len(w) >= len(s) && strings.EqualFold(w[len(w)-len(s):], s) {
				return true
			}
		}
		return false
	}
	words := []string{"", "p", "s", "e", "tp", "xp", "ttp", "ps", "le"}
	for _, s := range handledWords {
		words = append(words, s, strings.ToUpper(s), s[1:], "x"+s, "1"+strings.ToUpper(s[:1])+s[1:], s+"x", s[:len(s)-1]+"P", s[:len(s)-1]+"\x10")
	}
	for _, w := range words {
		if got, want := handledWord(w), ref(w); got != want {
			t.Errorf("handledWord(%q) = %v, want %v", w, got, want)
		}
		if got, want := handledWord([]byte(w)), ref(w); got != want {
			t.Errorf("handledWord([]byte(%q)) = %v, want %v", w, got, want)
		}
	}
}

// TestMapsToHostAllRunes runs mapsToHost over every rune past ASCII: it
// must not panic, must agree with the plain reading of its rule (the first
// rune of the NFKC form, which nfkcFirst takes without normalising), and
// must not allocate.
func TestMapsToHostAllRunes(t *testing.T) {
	ref := func(r rune) bool {
		switch {
		case r == 0xAD, 0x180B <= r && r <= 0x180F, 0x200B <= r && r <= 0x200D, r == 0x2060, r == 0x2064, r == 0xFEFF, 0x1BCA0 <= r && r <= 0x1BCA3:
			return true
		case r < 0xA0 || unicode.IsSpace(r):
			return false
		}
		m, _ := utf8.DecodeRuneInString(norm.NFKC.String(string(r)))
		return m < utf8.RuneSelf && label(byte(m)) && m != '_' || m >= utf8.RuneSelf && unicode.In(m, unicode.L, unicode.M, unicode.Nd)
	}
	bad := 0
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if got, want := mapsToHost(r), ref(r); got != want {
			if bad++; bad <= 10 {
				t.Errorf("mapsToHost(%U) = %v, want %v (NFKC %+q)", r, got, want, norm.NFKC.String(string(r)))
			}
		}
	}
	for _, r := range []rune{'①', 'ⓔ', '㎏', '】', 0xAD, 0x200B, 'ｅ', 0x1D400, 0xFFFD, 0x10FFFF} {
		if n := testing.AllocsPerRun(10, func() { mapsToHost(r) }); n != 0 {
			t.Errorf("mapsToHost(%U): %v allocations, want 0", r, n)
		}
	}
}

func TestInLocalPart(t *testing.T) {
	for _, c := range []struct {
		spec string
		want bool
	}{
		{"taro@example.jp", false},
		{"kikaku.tokyo+ml@example.jp", false},
		{"SRS0=ab=cd=example.com=taro@srs.example.jp", false},
		{`"a b"@example.jp`, false},
		{"www.admin@city.example.lg.jp", false},
		{"FTP.admin@example.jp", false},
		{"x!evil.com@example.jp", true},
		{"evil.com/login@example.jp", true},
		{"www.x!evil.com@example.jp", true},
		{`"see https://evil.example/"@example.jp`, true},
		{`"<https://evil.example/a>"@example.jp`, true},
	} {
		for _, mode := range []string{Defang, Remove} {
			if got := InLocalPart(c.spec, mode); got != c.want {
				t.Errorf("%s: InLocalPart(%q) = %v, want %v", mode, c.spec, got, c.want)
			}
		}
		if InLocalPart(c.spec, Keep) {
			t.Errorf("keep: InLocalPart(%q) = true", c.spec)
		}
	}
}
