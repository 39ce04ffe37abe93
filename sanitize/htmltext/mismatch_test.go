package htmltext

import "testing"

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
		{"text and address", `<a href="https://evil.example.net/">詳細 https://www.example.jp/</a>`, "詳細 https://www.example.jp/ <https://evil.example.net/>\n", 0},
		{"equal", `<a href="https://www.example.jp/">https://www.example.jp/</a>`, "<https://www.example.jp/>\n", 0},
		{"mailto", `<a href="mailto:x@evil.example.net">https://www.example.jp/</a>`, "https://www.example.jp/ <x@evil.example.net>\n", 0},
		{"punctuation", `<a href="https://www.example.jp/x">www.example.jp、</a>`, "www.example.jp、 <https://www.example.jp/x>\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, st := convertString(t, c.in, Options{})
			if got != c.want || st.Mismatched != c.n {
				t.Errorf("got %q (%d marked)\nwant %q (%d)", got, st.Mismatched, c.want, c.n)
			}
		})
	}
}
