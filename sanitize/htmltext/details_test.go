package htmltext

import "testing"

// TestDetails: a <details> is printed whole, open or closed, its summary
// first where the source has it first. A browser shows a closed one's
// summary alone, but its reader opens it with a click; plain text has
// no click to give, so what the reader could open is printed (the
// browser tests open every <details> before reading the page). A
// <details> hides nothing of its own: its children's style still does.
func TestDetails(t *testing.T) {
	checkConvert(t, []convertCase{
		{"closed", `<details><summary>要約</summary>本文</details><p>後</p>`, "要約\n本文\n\n後\n"},
		{"no summary", `<details>本文</details><p>後</p>`, "本文\n\n後\n"},
		{"open", `<details open><summary>要約</summary>本文</details>`, "要約\n本文\n"},
		{"a hidden child stays hidden", `<details><summary>要約</summary><p style="display:none">隠れ</p>本文</details>`, "要約\n本文\n"},
		{"a table in it", `<details><summary>要約</summary><table><tr><td>セル</td></tr></table></details>`, "要約\n\nセル\n"},
		{"a link in it", `<details><summary>s</summary><a href="https://example.jp/">リンク</a></details>`, "s\nリンク <https://example.jp/>\n"},
		{"a style sheet in it applies", `<details><summary>s</summary><style>.x{display:none}</style></details><p class=x>秘密</p>`, "s\n"},
	})
}
