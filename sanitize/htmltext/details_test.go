package htmltext

import "testing"

// TestClosedDetails checks that a <details> without the open attribute
// shows its first <summary> child alone, as Chromium lays it out (its
// innerText, which follows rendering): the rest waits for a click that a
// plain-text reader cannot give. Without a summary the browser draws
// "Details", its own label, which is no text of the document.
func TestClosedDetails(t *testing.T) {
	checkConvert(t, []convertCase{
		{"summary only", `<details><summary>要約</summary>本文</details><p>後</p>`, "要約\n\n後\n"},
		{"no summary", `<details>本文</details><p>後</p>`, "後\n"},
		{"open", `<details open><summary>要約</summary>本文</details>`, "要約\n本文\n"},
		{"open, whatever its value", `<details open=false><summary>要約</summary>本文</details>`, "要約\n本文\n"},
		{"the first summary child, wherever it stands", `<details><p>前</p><summary>要約</summary>本文<summary>二つ目</summary></details>`, "要約\n"},
		{"a summary in a child is none", `<details><div><summary>入れ子</summary></div>本文</details><p>後</p>`, "後\n"},
		{"a summary in a formatting element is none", `<details><b>x<summary>要約</summary>y</b>z</details>`, ""},
		{"a hidden summary is still the summary", `<details><summary style="display:none">要約</summary>本文</details>`, ""},
		{"a summary with the hidden attribute", `<details><summary hidden>要約</summary>本文</details>`, ""},
		{"style does not open it", `<style>details > *{display:block !important}</style><details style="display:inline"><summary>要約</summary><p>本文</p></details>`, "要約\n"},
		{"open details in a closed one", `<details><summary>要約</summary><details open><summary>内</summary>奥</details></details>`, "要約\n"},
		{"closed details in a summary", `<details><summary>a<details><summary>b</summary>c</details>d</summary>e</details>`, "a\nb\nd\n"},
		{"a table in it", `<details><summary>要約</summary><table><tr><td>セル</td></tr></table></details>`, "要約\n"},
		{"text moved out of a table in it", `<details><summary>要約</summary><table>隠れる<tr><td>セル</td></tr></table></details>`, "要約\n"},
		{"moved out of a table", `<table><details><summary>要約</summary>隠れる</details><tr><td>セル</td></tr></table>`, "要約\nセル\n"},
		{"in a paragraph", `<p>a<details><summary>s</summary>b</details>c</p>`, "a\n\ns\nc\n"},
		{"an image and a line break in it", `<details><summary>s</summary>a<br><img alt=画像の説明>b</details>`, "s\n"},
		{"a link in it", `<details><summary>s</summary><a href="https://example.jp/">リンク</a></details>`, "s\n"},
		{"a style sheet in it still applies", `<details><summary>s</summary><style>.x{display:none}</style></details><p class=x>秘密</p>`, "s\n"},
	})
	if _, st := convertString(t, `<details><summary>s</summary>a<b>b</b><img alt=c></details>`, Options{}); st.Hidden != 3 {
		t.Errorf("Hidden = %d, want 3: the text, the <b> and the <img>", st.Hidden)
	}
}
