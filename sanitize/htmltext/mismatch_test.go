package htmltext

import (
	"strings"
	"testing"
)

// TestLinkMismatch: a link whose text is a web address on another site
// than its target is marked after the target; one on the same site (the
// sender's tracking host, www. or not, a fullwidth spelling), or whose
// text is no address, is not.
func TestLinkMismatch(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		n              int
	}{
		{"phish", `<a href="https://microsoftonIine.example.ru/login">https://login.microsoftonline.com/</a>`,
			"https://login.microsoftonline.com/ <https://microsoftonIine.example.ru/login> " + MismatchMark + "\n", 1},
		{"www text", `<p>確認: <a href="http://203.0.113.9/a">www.city.example.lg.jp</a>。</p>`,
			"確認: www.city.example.lg.jp <http://203.0.113.9/a> " + MismatchMark + "。\n", 1},
		{"userinfo", `<a href="https://evil.example.net/">https://www.bank.example.jp@evil.example.net/</a>`,
			"https://www.bank.example.jp@evil.example.net/ <https://evil.example.net/> " + MismatchMark + "\n", 1},
		{"split by tags", `<a href="https://evil.example.net/">https://www.<b>bank</b>.example.jp/</a>`,
			"https://www.bank.example.jp/ <https://evil.example.net/> " + MismatchMark + "\n", 1},
		{"same site", `<a href="https://click.news.example.co.jp/t?u=1">https://www.example.co.jp/event</a>`,
			"https://www.example.co.jp/event <https://click.news.example.co.jp/t?u=1>\n", 0},
		{"www and none", `<a href="https://example.jp/a">www.example.jp</a>`, "www.example.jp <https://example.jp/a>\n", 0},
		{"fullwidth", `<a href="https://example.jp/a">ｗｗｗ．example.jp</a>`, "ｗｗｗ．example.jp <https://example.jp/a>\n", 0},
		{"words", `<a href="https://evil.example.net/">ログインはこちら</a>`, "ログインはこちら <https://evil.example.net/>\n", 0},
		// The first address in the text, wherever it stands.
		{"text and address", `<a href="https://evil.example.net/">詳細 https://www.example.jp/</a>`, "詳細 https://www.example.jp/ <https://evil.example.net/> " + MismatchMark + "\n", 1},
		{"in a sentence", `<a href="https://evil.example.net/">詳しくはhttps://www.example.jp/をご覧ください</a>`, "詳しくはhttps://www.example.jp/をご覧ください <https://evil.example.net/> " + MismatchMark + "\n", 1},
		{"bracketed", `<a href="https://evil.example.net/">「https://www.example.jp/」</a>`, "「https://www.example.jp/」 <https://evil.example.net/> " + MismatchMark + "\n", 1},
		{"bare host", `<a href="https://evil.example.net/">login.microsoftonline.com</a>`, "login.microsoftonline.com <https://evil.example.net/> " + MismatchMark + "\n", 1},
		{"fullwidth scheme", `<a href="https://evil.example.net/">ｈｔｔｐｓ：／／ｗｗｗ．ｅｘａｍｐｌｅ．ｊｐ／</a>`, "ｈｔｔｐｓ：／／ｗｗｗ．ｅｘａｍｐｌｅ．ｊｐ／ <https://evil.example.net/> " + MismatchMark + "\n", 1},
		{"broken over lines", `<a href="https://www.example.jp/a">https://www.<br>example.jp/a</a>`, "https://www.\nexample.jp/a <https://www.example.jp/a>\n", 0},
		{"a file name", `<a href="https://files.example.net/x">資料.zip</a>`, "資料.zip <https://files.example.net/x>\n", 0},
		// File names and words under a top-level domain are no hosts.
		{"README.md", `<a href="https://r.example.net/c">README.md</a>`, "", 0},
		{"setup.py", `<a href="https://r.example.net/c">setup.py</a>`, "", 0},
		{"ASP.NET", `<a href="https://r.example.net/c">ASP.NET</a>`, "", 0},
		{"www alone", `<a href="https://r.example.net/c">www.</a>`, "", 0},
		{"under co.jp", `<a href="https://r.example.net/c">shop.example.co.jp</a>`, "", 1},
		// Letters whose lower case is longer (Ⱥ) before the address.
		{"growing letters", `<a href="https://evil.example.net/">` + strings.Repeat("Ⱥ", 24) + `www.example.jp</a>`, "", 1},
		{"invalid UTF-8", "<a href=\"https://evil.example.net/\">\xff\xfe\xc3www.example.jp</a>", "", 1},
		// The target as a browser reads it.
		{"backslashes", `<a href="https:\\evil.example.net\x">https://www.example.jp/</a>`, "", 1},
		{"one slash", `<a href="https:/evil.example.net/x">https://www.example.jp/</a>`, "", 1},
		{"userinfo in the target", `<a href="https://evil.example.net\@www.example.jp/">https://www.example.jp/</a>`, "", 1},
		// Exchange Online's Safe Links stand for the address they wrap.
		{"safe links", `<a href="https://apc01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.example.jp%2Fa&amp;data=05">https://www.example.jp/a</a>`, "", 0},
		{"safe links to elsewhere", `<a href="https://apc01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example.net%2Fa&amp;data=05">https://www.example.jp/a</a>`, "", 1},
		{"equal", `<a href="https://www.example.jp/">https://www.example.jp/</a>`, "<https://www.example.jp/>\n", 0},
		{"mailto", `<a href="mailto:x@evil.example.net">https://www.example.jp/</a>`, "https://www.example.jp/ <x@evil.example.net>\n", 0},
		{"punctuation", `<a href="https://www.example.jp/x">www.example.jp、</a>`, "www.example.jp、 <https://www.example.jp/x>\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, st := convertString(t, c.in, Options{})
			if c.want != "" && got != c.want || st.Mismatched != c.n {
				t.Errorf("got %q (%d marked)\nwant %q (%d)", got, st.Mismatched, c.want, c.n)
			}
		})
	}
}
