package htmltext

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// openString and openBytes give a document to Convert, once per pass.
func openString(s string) func() io.Reader {
	return func() io.Reader { return strings.NewReader(s) }
}

func openBytes(b []byte) func() io.Reader {
	return func() io.Reader { return bytes.NewReader(b) }
}

func convertString(t *testing.T, in string, opt Options) (string, Stats) {
	t.Helper()
	var b strings.Builder
	st, err := Convert(&b, openString(in), opt)
	if err != nil {
		t.Fatalf("Convert(%q): %v", in, err)
	}
	return b.String(), st
}

func TestConvertSnippets(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"only whitespace", " \n\t ", ""},
		{"plain text", "hello   world", "hello world\n"},
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo\n"},
		{"unclosed paragraphs", "<p>one<p>two<p>three", "one\n\ntwo\n\nthree\n"},
		{"br", "a<br>b<br/>c", "a\nb\nc\n"},
		{"double br is a blank line", "a<br><br>b", "a\n\nb\n"},
		{"many br collapse to one blank line", "a<br><br><br><br><br>b", "a\n\nb\n"},
		{"end tag br", "a</br>b", "a\nb\n"},
		{"gmail blank line", "<div>a</div><div><br></div><div>b</div>", "a\n\nb\n"},
		{"outlook lines", `<p class=MsoNormal>a<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>b</p><p class=MsoNormal>c</p>`, "a\n\nb\nc\n"},
		{"trailing br", "<p>a<br></p><p>b</p>", "a\n\nb\n"},
		{"leading breaks dropped", "<br><br><p></p><div>a</div>", "a\n"},
		{"entities", "a &amp; b &lt;c&gt; &quot;d&quot; &#x3042;&#12354; &copy;", "a & b <c> \"d\" ああ ©\n"},
		{"nbsp collapses", "a&nbsp;&nbsp; b", "a b\n"},
		{"inline elements", "a<b>b</b><i> c</i> <span>d</span>", "ab c d\n"},
		{"ordered list types", `<ol type=A><li>a<li>b</ol><ol type="i" start=3><li>c<li value=9>d</ol><ol type=a start=27><li>e</ol><ol type=I start=0><li>f</ol><ol type=x><li>g</ol>`,
			"A. a\nB. b\n\niii. c\nix. d\n\naa. e\n\n0. f\n\n1. g\n"},
		{"heading", "text<h1>Title</h1>more", "text\n\n■ Title\n\nmore\n"},
		{"a title marked already", "<h2>■ 目次</h2><h3>◆お知らせ</h3><h2>【募集】</h2><h1>概要</h1>", "■ 目次\n\n◆お知らせ\n\n■ 【募集】\n\n■ 概要\n"},
		{"headings marked to h3, once", "<h2>A<h3>B</h3></h2><h2>G <span><h3>H</h3></span></h2><h3><b>C</b> d</h3><h4>E</h4><h1><img src=x.png width=1 height=1></h1>F", "■ A\n\n■ B\n\n■ G\n\nH\n\n■ C d\n\nE\n\nF\n"},
		{"hr", "a<hr>b", "a\n----\nb\n"},
		{"ideographic space kept", "<p>\u3000本日は晴天なり\u3000</p>", "\u3000本日は晴天なり\n"},
		{"cjk source line break", "<p>これは\n  テストです。\nABC\ndef</p>", "これはテストです。 ABC def\n"},
		{"zero width and bidi dropped", "pay\u200bpal \u202eevil\u202c ok\u200d", "paypal evil ok\u200d\n"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb\n"},
		{"pre keeps spacing", "<pre>\n  a  b\n\n\n\tc   \n</pre>after", "  a  b\n\n\tc\n\nafter\n"},
		{"pre entity", "<pre>x &lt; y</pre>", "x < y\n"},
		{"xmp is literal", "<xmp><b>x</b></xmp>", "<b>x</b>\n"},
		{"list", "<ul><li>one<li>two</ul>", "- one\n- two\n"},
		{"ordered list", "<ol><li>one</li><li>two</li></ol>", "1. one\n2. two\n"},
		{"ordered list start and value", `<ol start="3"><li>c<li value="10">j<li>k</ol>`, "3. c\n10. j\n11. k\n"},
		{"nested list", "<ul><li>a<ul><li>b<ol><li>c</ol></ul><li>d</ul>", "- a\n  - b\n    1. c\n- d\n"},
		{"list item continuation", "<ul><li>a<br>more</li></ul>", "- a\n  more\n"},
		{"list after paragraph", "<p>intro</p><ul><li>x</ul><p>outro</p>", "intro\n\n- x\n\noutro\n"},
		{"definition list", "<dl><dt>term<dd>meaning</dl>", "term\n  meaning\n"},
		{"blockquote", "<p>reply</p><blockquote><p>quoted<br>text</p></blockquote>", "reply\n\n> quoted\n> text\n"},
		{"table", "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>", "a | b\n1 | 2\n"},
		{"table sloppy", "<table><tr><td>a<td>b<tr><td>c<td>d</table>after", "a | b\nc | d\n\nafter\n"},
		{"table empty cells", "<table><tr><td></td><td>a</td><td>&nbsp;</td><td>b</td></tr></table>", "a | b\n"},
		{"data table keeps empty cells", "<table><tr><th>日付</th><th>午前</th><th>午後</th></tr>" +
			"<tr><td>4/1</td><td></td><td>会議</td></tr><tr><td>4/2</td><td>&nbsp;</td><td></td><td>研修</td></tr>" +
			"<tr><td>4/3</td><td>点検</td><td></td></tr><tr><td></td><td>x</td></tr></table>",
			"日付 | 午前 | 午後\n4/1 |  | 会議\n4/2 |  |  | 研修\n4/3 | 点検\nx\n"},
		// A cell spanning rows holds its column in the rows below: a
		// data table writes 〃 (同上) there, as Japanese tables do, so
		// the cells after it stay in their columns.
		{"rowspan in a data table", "<table border=1><tr><th>日時</th><th>会場</th><th>定員</th></tr>" +
			"<tr><td rowspan=2>3月10日</td><td>本庁舎</td><td>30名</td></tr><tr><td>第2庁舎</td><td>20名</td></tr>" +
			"<tr><td>3月11日</td><td>公民館</td><td>10名</td></tr></table>",
			"日時 | 会場 | 定員\n3月10日 | 本庁舎 | 30名\n〃 | 第2庁舎 | 20名\n3月11日 | 公民館 | 10名\n"},
		{"rowspan in the middle, with colspan", "<table><tr><th>a</th><th>b</th><th>c</th><th>d</th></tr>" +
			"<tr><td>1</td><td colspan=2 rowspan=3>x</td><td>2</td></tr><tr><td>3</td><td>4</td></tr><tr><td>5</td></tr></table>",
			"a | b | c | d\n1 | x | 2\n3 | 〃 | 4\n5 | 〃\n"},
		{"two spanning cells side by side", "<table border=1><tr><td colspan=2 rowspan=2>x</td><td colspan=2 rowspan=2>y</td><td>1</td></tr><tr><td>2</td></tr></table>",
			"x | y | 1\n〃 | 〃 | 2\n"},
		{"rowspan as HTML reads it", "<table><tr><th>a</th><th>b</th></tr><tr><td rowspan=' 2px'>1</td><td>2</td></tr><tr><td>3</td></tr>" +
			"<tr><td rowspan=x>4</td><td>5</td></tr><tr><td>6</td></tr></table>",
			"a | b\n1 | 2\n〃 | 3\n4 | 5\n6\n"},
		{"rowspan=0 spans its row group", "<table border=1><tbody><tr><td rowspan=0>A</td><td>1</td></tr><tr><td>2</td></tr><tr><td>3</td></tr></tbody>" +
			"<tbody><tr><td>B</td><td>4</td></tr></tbody></table>",
			"A | 1\n〃 | 2\n〃 | 3\nB | 4\n"},
		{"rowspan in a layout table", "<table><tr><td rowspan=2>ロゴ</td><td>本文</td></tr><tr><td>続き</td></tr></table>",
			"ロゴ | 本文\n続き\n"},
		// A hidden row is a row all the same: the cell above that spans
		// into it ends there, and the row after it is not held.
		{"rowspan over a hidden row", "<table border=1><tr><th>a</th><th>b</th></tr><tr><td rowspan=2>1</td><td>2</td></tr>" +
			"<tr hidden><td>3</td></tr><tr><td>4</td><td>5</td></tr></table>",
			"a | b\n1 | 2\n4 | 5\n"},
		// A row with no cell of its own says nothing new: no line of
		// ditto marks.
		{"row only of spanned columns", "<table border=1><tr><td rowspan=3>1</td><td rowspan=3>2</td></tr><tr></tr><tr><td>3</td></tr></table>",
			"1 | 2\n〃 | 〃 | 3\n"},
		// A row is one line: a cell's own line breaks would make its
		// second line read as a row of its own ("午後2時 | 公民館").
		{"data table cell with lines", "<table><tr><th>講座</th><th>日時</th><th>場所</th></tr>" +
			"<tr><td>料理教室</td><td>10月1日<br>午後2時</td><td>公民館</td></tr>" +
			"<tr><td><br>書道</td><td><p>10月8日</p></td><td><p>市民会館</p><p>和室</p><br></td></tr></table>後",
			"講座 | 日時 | 場所\n料理教室 | 10月1日 / 午後2時 | 公民館\n書道 | 10月8日 | 市民会館 / 和室\n\n後\n"},
		{"row header cell with lines", "<table><tr><th>日時</th><td>10月1日（水）<br>午後2時から</td></tr><tr><th>場所</th><td>市民会館<ul><li>3階</li><li>大会議室</li></ul></td></tr></table>",
			"日時 | 10月1日（水） / 午後2時から\n場所 | 市民会館 / 3階 / 大会議室\n"},
		// A break at the end of a cell's text ends no line: Outlook
		// writes each cell as a <p class=MsoNormal>, Thunderbird ends
		// it with a <br>; the row stays one line.
		{"outlook table", "<table class=MsoTableGrid border=1><tr><td><p class=MsoNormal>日付<o:p></o:p></p></td><td><p class=MsoNormal>内容</p></td></tr>" +
			"<tr><td><p class=MsoNormal>4/1</p></td><td><p class=MsoNormal>説明会</p><p class=MsoNormal>（要予約）</p></td></tr></table>",
			"日付 | 内容\n4/1 | 説明会 / （要予約）\n"},
		{"thunderbird table", `<table border="1"><tbody><tr><td valign="top">日付<br></td><td valign="top">内容<br></td></tr>` +
			`<tr><td valign="top">4/1<br></td><td valign="top">説明会<br></td></tr></tbody></table>`,
			"日付 | 内容\n4/1 | 説明会\n"},
		{"header cells of paragraphs", "<table><tr><th><p>日付</p></th><th><p>内容</p><p></p></th></tr><tr><td><div>4/1</div><div>4/2</div></td><td><div>説明会</div></td></tr></table>",
			"日付 | 内容\n4/1\n4/2 | 説明会\n"},
		// Excel's range pasted into Outlook: border=0, the grid drawn by
		// each cell's style in windowtext. It holds data: its empty
		// cell keeps its column. Other cell borders are a template's.
		{"excel range in outlook", "<table class=MsoNormalTable border=0 style='border-collapse:collapse'>" +
			"<tr><td style='border:solid windowtext 1.0pt'><p class=MsoNormal>日付</p></td><td style='border:solid windowtext 1.0pt;border-left:none'><p class=MsoNormal>午前</p></td>" +
			"<td style='border:solid windowtext 1.0pt;border-left:none'><p class=MsoNormal>午後</p></td></tr>" +
			"<tr><td style='border:solid windowtext 1.0pt;border-top:none'><p class=MsoNormal>4/1</p></td>" +
			"<td style='border-top:none;border-left:none;border-bottom:.5pt solid windowtext'><p class=MsoNormal><o:p>&nbsp;</o:p></p></td>" +
			"<td style='border-top:none;border-left:none;border-bottom:solid windowtext 1.0pt'><p class=MsoNormal>会議<br>（第1）</p></td></tr></table>",
			"日付 | 午前 | 午後\n4/1 |  | 会議 / （第1）\n"},
		// Word's "Table Grid" with its borders taken off (the usual
		// way a notice's 日時/場所 table is written in Outlook) is still
		// the table the writer inserted: data, its empty cell kept.
		{"word table grid without borders", "<table class=MsoTableGrid border=0 cellspacing=0 cellpadding=0 style='border-collapse:collapse;border:none;mso-border-insideh:none;mso-border-insidev:none'>" +
			"<tr><td style='border:none'><p class=MsoNormal>日付</p></td><td style='border:none'><p class=MsoNormal>午前</p></td><td style='border:none'><p class=MsoNormal>午後</p></td></tr>" +
			"<tr><td style='border:none'><p class=MsoNormal>4月1日（月）</p></td><td style='border:none'><p class=MsoNormal><o:p>&nbsp;</o:p></p></td>" +
			"<td style='border:none'><p class=MsoNormal>健康相談</p><p class=MsoNormal>（予約制）</p></td></tr></table>",
			"日付 | 午前 | 午後\n4月1日（月） |  | 健康相談 / （予約制）\n"},
		{"word grid table style", "<table class=MsoGridTable4Accent1 border=1><tr><td><p class=MsoNormal>a</p></td><td><p class=MsoNormal>b</p><p class=MsoNormal>c</p></td></tr></table>" +
			"<table class='x MsoTableGridLight'><tr><td>a</td><td>b<br>c</td></tr></table>",
			"a | b / c\n\na | b\n    c\n"},
		// One row of a Word-styled table is as often an Outlook
		// signature beside a logo: its lines stay lines.
		{"outlook signature in a table grid", "<table class=MsoTableGrid border=0 style='border-collapse:collapse;border:none'><tr>" +
			"<td style='border:none'><p class=MsoNormal><img src=logo.png width=120 height=40></p></td>" +
			"<td style='border:none'><p class=MsoNormal>ひかり市 総務部 総務課</p><p class=MsoNormal>山田 太郎</p><p class=MsoNormal>電話：0120-111-222</p></td></tr></table>",
			"[画像] | ひかり市 総務部 総務課\n         山田 太郎\n         電話：0120-111-222\n"},
		// Word's grid in a colour other than windowtext: mso-border-alt
		// and the inside lines are Word's alone.
		{"word grid in grey", "<table class=MsoNormalTable border=0 style='border-collapse:collapse;mso-border-insideh:.5pt solid #7F7F7F;mso-border-insidev:.5pt solid #7F7F7F'>" +
			"<tr><td><p class=MsoNormal>a</p></td><td><p class=MsoNormal>b</p></td><td><p class=MsoNormal>c</p></td></tr>" +
			"<tr><td><p class=MsoNormal>d</p></td><td></td><td><p class=MsoNormal>e</p></td></tr></table>" +
			"<table class=MsoNormalTable border=0><tr><td style='border:solid #BFBFBF 1.0pt;mso-border-alt:solid #BFBFBF .5pt'><p class=MsoNormal>f</p></td>" +
			"<td style='mso-border-alt:none'><p class=MsoNormal>g</p><p class=MsoNormal>h</p></td></tr></table>",
			"a | b | c\nd |  | e\n\nf | g / h\n"},
		// Cells drawn with borders in CSS, two or more to a row: a grid.
		{"css grid", "<table style='border-collapse:collapse'><tr><th style='border:1px solid #000'>講座</th><td style='border:1px solid #000'>日時</td></tr>" +
			"<tr><td style='border:1px solid #000'>料理教室</td><td style='border:1px solid black;border-top:none'>10月1日<br>午後2時</td><td>x</td></tr></table>" +
			"<table><tr><td style='border-bottom:1px solid #ddd'>品名</td><td style='border-bottom:1px solid #ddd'>数量</td><td style='border-bottom:1px solid #ddd'>備考</td></tr>" +
			"<tr><td>封筒</td><td></td><td>A4<br>白</td></tr></table>",
			"講座 | 日時\n料理教室 | 10月1日 / 午後2時 | x\n\n品名 | 数量 | 備考\n封筒 |  | A4 / 白\n"},
		// A bordered box or button, a column's dividing line, a border
		// on the table alone (a frame, no rules between cells; Mailchimp
		// writes border-collapse on every table) and borders no one can
		// see are a template's layout.
		{"css borders of a layout", "<table style='border:1px solid #ccc;border-collapse:collapse'><tr><td><table><tr><td>ロゴ</td><td>見出し<br>副題</td></tr></table></td></tr></table>" +
			"<table><tr><td>参加費無料<br>先着20名</td><td style='border:1px solid #2a7ab0;border-radius:4px'>申し込む</td></tr></table>" +
			"<table><tr><td style='border-right:1px solid #eee'>左</td><td>右<br>続き</td></tr></table>" +
			"<table><tr><td style='border:1px solid #fff'>a</td><td style='border:1px solid transparent'>b<br>c</td><td style='border:none'>d</td></tr></table>",
			"ロゴ | 見出し\n       副題\n\n参加費無料\n先着20名 | 申し込む\n\n左 | 右\n     続き\n\na | b\n    c | d\n"},
		{"cell borders not office's", "<table><tr><td style='border:1px solid #ccc'>a</td><td style='border:0 solid windowtext'>b<br>c</td><td>d</td></tr></table>",
			"a | b\n    c | d\n"},
		// The first cell keeps its lines: it may be a box's only one.
		{"data table box", "<table><tr><th>お知らせ</th></tr><tr><td><p>一段落目</p><p>二段落目</p></td></tr>" +
			"<tr><td>料理<br>教室</td><td>10月1日</td></tr></table>",
			"お知らせ\n一段落目\n\n二段落目\n\n料理\n教室 | 10月1日\n"},
		{"data table box with a blank line", "<table><tr><th>お知らせ</th></tr><tr><td>一段落目<br><br>二段落目</td></tr></table>",
			"お知らせ\n一段落目\n\n二段落目\n"},
		// A table drawn with rules (border) holds data as one with header
		// cells does; border=0, in whatever form, draws none.
		{"ruled table cell with lines", "<table border=1><tr><td>講座</td><td>日時</td><td>場所</td></tr>" +
			"<tr><td>料理教室</td><td>10月1日<br>午後2時</td><td>公民館</td></tr></table>",
			"講座 | 日時 | 場所\n料理教室 | 10月1日 / 午後2時 | 公民館\n"},
		{"ruled by an empty border", "<table border><tr><td>a</td><td>b<br>c</td></tr></table>", "a | b / c\n"},
		{"ruled by border=yes", "<table border=yes><tr><td>a</td><td>b<br>c</td></tr></table>", "a | b / c\n"},
		{"border=0px draws none", "<table border=0px><tr><td>a</td><td>b<br>c</td></tr></table>", "a | b\n    c\n"},
		{"border=+0 draws none", "<table border=+0><tr><td>a</td><td>b<br>c</td></tr></table>", "a | b\n    c\n"},
		{"border=+1 draws rules", "<table border=+1><tr><td>a</td><td>b<br>c</td></tr></table>", "a | b / c\n"},
		{"border=00 draws none", "<table border=' 00'><tr><td>a</td><td>b<br>c</td></tr></table>", "a | b\n    c\n"},
		{"ruled box keeps its paragraphs", "<table border=1><tr><td><p>一段落目</p><p>二段落目<br><br>三段落目</p></td></tr></table>",
			"一段落目\n\n二段落目\n\n三段落目\n"},
		// A layout table in a data cell is part of the cell's text: its
		// cells are cells of the row.
		{"layout table in a data cell", "<table border=1><tr><td>日時</td><td><table><tr><td>10月1日</td><td>午後</td></tr><tr><td>10月2日</td></tr></table></td></tr></table>",
			"日時 | 10月1日 | 午後 | 10月2日\n"},
		// A layout table (no header cells) is the page's: its cells are
		// blocks of text.
		{"layout table cell with lines", "<table><tr><td>お知らせ<br>本文</td><td>右</td></tr></table>", "お知らせ\n本文 | 右\n"},
		// A layout table's cell after the row's first continues its
		// lines under its own start, as a browser shows them beside
		// the first: the event notice's second line stays with 日時
		// and does not read as a row of its own.
		{"layout table label and value lines", "<table><tr><td>日時</td><td>4月1日（月）<br>午後2時～4時</td></tr>" +
			"<tr><td>場所</td><td>市役所 第2庁舎</td></tr></table>",
			"日時 | 4月1日（月）\n       午後2時～4時\n場所 | 市役所 第2庁舎\n"},
		{"layout table value of paragraphs and a list", "<blockquote><table><tr><td><b>申込</b></td><td><p>電話で</p><p>受付：平日</p><ul><li>9時から</li></ul></td></tr>" +
			"<tr><td>対象</td><td>市内在住の方 <a href=\"https://example.jp/t\">詳細</a><br>（在勤も可）</td><td>先着順<br>20名</td></tr></table></blockquote>",
			"> 申込 | 電話で\n>\n>        受付：平日\n>\n>        - 9時から\n>\n> 対象 | 市内在住の方 詳細 <https://example.jp/t>\n>        （在勤も可） | 先着順\n>                       20名\n"},
		{"layout table in a layout cell", "<table><tr><td>日時</td><td><table><tr><td>4月1日</td><td>午前<br>午後</td></tr></table>第2回は5月</td></tr></table>",
			"日時 | 4月1日 | 午前\n                午後\n\n       第2回は5月\n"},
		// A short first cell and the next stay on one line when each
		// is a paragraph, as Outlook writes a borderless table's cells.
		{"layout table of paragraphs", "<table class=MsoNormalTable border=0><tr><td><p class=MsoNormal>日時</p></td>" +
			"<td><p class=MsoNormal>4月1日（月）</p><p class=MsoNormal>午後2時</p></td></tr>" +
			"<tr><td><p class=MsoNormal>場所</p></td><td><p class=MsoNormal>市役所</p></td></tr></table>",
			"日時 | 4月1日（月）\n       午後2時\n場所 | 市役所\n"},
		{"layout table of long columns", "<table><tr><td><p>左の記事の第一段落です。</p><p>左の記事の第二段落は長い文章です。</p></td><td><p>右の記事</p><p>本文</p></td></tr></table>",
			"左の記事の第一段落です。\n\n左の記事の第二段落は長い文章です。\n\n右の記事\n\n本文\n"},
		// Past maxCellIndent columns the cell's lines start the line:
		// indented that far they would read as a new paragraph anyway.
		{"layout table long first cell", "<table><tr><td>お問い合わせ・お申込み先（担当課）</td><td>市民課<br>電話 0120-000-000</td></tr></table>",
			"お問い合わせ・お申込み先（担当課） | 市民課\n電話 0120-000-000\n"},
		// Struck-through text is marked: a date or price changed is not two.
		{"struck through", `<p>開催日：<del>4月1日</del> <ins>4月8日</ins>、<span style="text-decoration:line-through">午前</span>午後</p>` +
			`<p>価格：<s>1,000円 </s>800円<strike><s>x</s> y</strike></p>`,
			"開催日：~~4月1日~~ 4月8日、~~午前~~午後\n\n価格：~~1,000円~~ 800円~~x y~~\n"},
		{"struck through, nothing seen", `a<s></s>b<s> </s>c<del style="display:none">x</del><s><span style="font-size:0">y</span></s>d`, "ab cd\n"},
		// A superscript is raised with "^", the plain-text way; one
		// after a space or with no text has nothing to mark.
		{"superscript", `x<sup>2</sup>+y<sup>2</sup>、面積 100m<sup>2</sup> <sup>※1</sup>注 a<sup></sup>b<s>c<sup>3</sup></s>`,
			"x^2+y^2、面積 100m^2 ※1注 ab~~c^3~~\n"},
		{"quote in a layout cell starts its lines", "<table><tr><td>4月号</td><td>市長あいさつ<blockquote>引用文です<br>二行目</blockquote>本文</td></tr></table>" +
			"<blockquote><table><tr><td>日時</td><td>4月1日<br>午後</td></tr></table></blockquote>",
			"4月号 | 市長あいさつ\n\n> 引用文です\n> 二行目\n\n        本文\n\n> 日時 | 4月1日\n>        午後\n"},
		{"layout cell after a symbol of ambiguous width", "<table><tr><td>①</td><td>一行目<br>二行目</td></tr><tr><td>※</td><td>a<br>b</td></tr></table>",
			"① | 一行目\n     二行目\n※ | a\n     b\n"},
		{"link whose text is its URL inside marks", `<q><a href="https://b.example/">https://b.example/</a></q> <s><a href="https://c.example/">https://c.example/</a></s> x<sup><a href="https://d.example/">https://d.example/</a></sup>`,
			"“<https://b.example/>” ~~<https://c.example/>~~ x^<https://d.example/>\n"},
		{"superscript that reads as it is", `April 1<sup>st</sup>, the 22<sup>nd</sup>; Windows<sup>®</sup> Office<sup>TM</sup> x<sup>n</sup> 料金<sup>1</sup>`,
			"April 1st, the 22nd; Windows® OfficeTM x^n 料金^1\n"},
		// <q> is quoted as the text around it is: 「」 in Japanese (a
		// Latin word in a Japanese sentence too), “” for English, and
		// 『』 or ‘’ inside another quote.
		{"inline quote", `<p>市長は<q>安全第一</q>と述べ、<q>Safety first</q>とも。<q>外<q>内</q></q></p>` +
			`<p><q>3つの約束</q> <q>Hello, <q>world</q></q> she said. <q></q>x <q><span style="font-size:0">y</span></q>z</p>`,
			"市長は「安全第一」と述べ、「Safety first」とも。「外『内』」\n\n「3つの約束」 “Hello, ‘world’” she said. x z\n"},
		{"ruby", "<ruby>漢字<rt>かんじ</rt></ruby>の読み", "漢字(かんじ)の読み\n"},
		{"ruby with rp", "<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>です", "漢字(かんじ)です\n"},
		{"ruby per character", "<ruby>漢<rt>かん</rt>字<rt>じ</rt></ruby>", "漢(かん)字(じ)\n"},
		{"ruby with unclosed rt", "<ruby>漢字<rt>かん<rt>じ</ruby>", "漢字(かん)(じ)\n"},
		{"link", `see <a href="https://example.jp/a">the page</a>.`, "see the page <https://example.jp/a>.\n"},
		{"link text is url", `<a href="https://example.jp/a">https://example.jp/a</a>`, "<https://example.jp/a>\n"},
		// A link whose text ends in a line break: its target goes with
		// its text, not at the start of the next line, glued to it.
		{"link text ending in a break", `<a href="https://example.jp/u">Click here<i><br></i></a><i>(Do Not Reply)</i>`,
			"Click here <https://example.jp/u>\n(Do Not Reply)\n"},
		{"link text ending in a paragraph", `<a href="https://example.jp/u"><p>申込み</p></a>次へ`,
			"申込み <https://example.jp/u>\n\n次へ\n"},
		{"link text is url with spaces", `x <a href="https://example.jp/a"> https://example.jp/a </a> y`, "x <https://example.jp/a> y\n"},
		{"link mailto", `<a href="mailto:taro@example.jp">Taro</a>`, "Taro <taro@example.jp>\n"},
		{"link mailto same text", `<a href="mailto:taro@example.jp?subject=hi">taro@example.jp</a>`, "<taro@example.jp>\n"},
		{"link mailto full text", `<a href="mailto:taro@example.jp">mailto:taro@example.jp</a>`, "<taro@example.jp>\n"},
		{"link javascript dropped", `<a href=" java&#x09;script:alert(1)">click</a>`, "click\n"},
		{"link data dropped", `<a href="DATA:text/html,x">click</a>`, "click\n"},
		{"link vbscript dropped", `<a href="vbscript:x">click</a>`, "click\n"},
		{"link fragment dropped", `<a href="#top">top</a>`, "top\n"},
		{"link no href", `<a name="x">anchor</a>`, "anchor\n"},
		{"link empty text", `<a href="https://example.jp/"></a>`, "<https://example.jp/>\n"},
		{"link image", `<a href="https://example.jp/"><img alt="Logo"></a>`, "[画像: Logo] <https://example.jp/>\n"},
		{"link differs from text", `<a href="https://evil.example/">https://bank.example/</a>`, "https://bank.example/ <https://evil.example/> " + MismatchMark + "\n"},
		{"link url escaped", "<a href=\"https://example.jp/a b<c>\u202e\">x</a>", "x <https://example.jp/a%20b%3Cc%3E%E2%80%AE>\n"},
		{"link already in brackets", `Aiko &lt;<a href="mailto:aiko@example.org">aiko@example.org</a>&gt; wrote:`, "Aiko <aiko@example.org> wrote:\n"},
		{"link url already in brackets", `&lt;<a href="https://example.jp/">https://example.jp/</a>&gt;`, "<https://example.jp/>\n"},
		{"link spans lines", `<a href="https://example.jp/">one<br>two</a>`, "one\ntwo <https://example.jp/>\n"},
		// A link that starts a paragraph, a list item or a quote's line
		// is no less its own text (rspamd's schemeless address).
		{"link equal to its text after a break", `<p>x</p><a href="https://a.example/">https://a.example/</a><div>y</div><p><a href="user.name@example.com">user.name@example.com</a></p>` +
			`<ul><li><a href="mailto:u@example.jp">u@example.jp</a></li></ul><blockquote><p>q</p><p><a href="https://b.example/">https://b.example/</a></p></blockquote>`,
			"x\n\n<https://a.example/>\ny\n\n<user.name@example.com>\n\n- <u@example.jp>\n\n> q\n>\n> <https://b.example/>\n"},
		{"link spans lines after a break", `<p>x</p><a href="https://a.example/">https://a.<br>example/</a>`, "x\n\nhttps://a.\nexample/ <https://a.example/>\n"},
		{"link unclosed", `<a href="https://example.jp/">text`, "text <https://example.jp/>\n"},
		{"link nested a", `<a href="https://a.example/">a<a href="https://b.example/">b</a>`, "a <https://a.example/> b <https://b.example/>\n"},
		{"link then a word", `<a href="https://a.example/x"><img alt="" src=p.jpg style="float:left"></a>Respected ` +
			`<a href="https://a.example/">https://a.example/</a>2018 <a href="https://b.example/">B</a>Ａ`, "<https://a.example/x> Respected <https://a.example/> 2018 B <https://b.example/>Ａ\n"},
		{"link then punctuation or Japanese", `<a href="https://a.example/">A</a>, <a href="https://b.example/">B</a>」<a href="https://c.example/">こちら</a>から`,
			"A <https://a.example/>, B <https://b.example/>」こちら <https://c.example/>から\n"},
		// An image link with no alt text beside a text link to the same
		// page (a thumbnail and its title, a banner and "詳しくはこちら")
		// prints its target once, after the text, in either order.
		{"image link beside a text link", `<p><a href="https://example.jp/a"><img src="btn.png" alt=""></a> <a href="https://example.jp/a">詳しくはこちら</a></p>` +
			`<p>申込は<a href="https://example.jp/b"><img src="arrow.png"></a><a href="https://example.jp/b">こちら</a> <a href="https://example.jp/b"><img src="icon.png"></a>。</p>` +
			`<ul><li><a href="https://example.jp/c"><img src="new.gif"></a> <b><a href="https://example.jp/c">お知らせ</a></b></li></ul>`,
			"詳しくはこちら <https://example.jp/a>\n\n申込はこちら <https://example.jp/b>。\n\n- お知らせ <https://example.jp/c>\n"},
		{"thumbnail cell beside a title cell", `<table><tr><td><a href="https://example.jp/p/1"><img src="p1.jpg" width="80"></a></td>` +
			`<td><a href="https://example.jp/p/1">防災ラジオ</a><br>販売価格 2,000円</td></tr>` +
			`<tr><td><a href="https://example.jp/p/2"><img src="p2.jpg"></a></td><td><a href="https://example.jp/p/3">非常食セット</a></td></tr></table>`,
			"防災ラジオ <https://example.jp/p/1>\n販売価格 2,000円\n[画像] <https://example.jp/p/2> | 非常食セット <https://example.jp/p/3>\n"},
		// Alone, or beside other links, it is the link: "[画像] <target>".
		{"image link alone", `<a href="https://example.jp/buy"><img src="buy.gif"></a> <a href="https://example.jp/x"><img src="x.gif"></a>` +
			`<br><a href="https://example.jp/y"><img src="y.gif"></a><br><a href="https://example.jp/y" style="font-size:0"><img src="y.gif"></a>` +
			`<p><a href="https://example.jp/z"></a>z</p>`,
			"[画像] <https://example.jp/buy> [画像] <https://example.jp/x>\n[画像] <https://example.jp/y>\n[画像] <https://example.jp/y>\n\n<https://example.jp/z> z\n"},
		// A link whose text cannot be seen takes nothing with it: an
		// image link before it to the same target still prints it,
		// and so does an image in it that can be seen (alt="", or a
		// spacer by its file's name alone, which the sender names and
		// draws in any size).
		{"image link beside a hidden link to it", `<p>ログイン：<a href="https://evil.example/x"><img src="banner.png"></a><a href="https://evil.example/x"><span style="font-size:0">x</span></a></p>` +
			`<table><tr><td><a href="https://example.jp/p"><img src="p.jpg"></a><td><a href="https://example.jp/p" style="color:#fff">title</a>価格</table>` +
			`<a href="https://example.jp/q"><img src="q.jpg"></a><a href="https://example.jp/q"></a>`,
			"ログイン： [画像] <https://evil.example/x>\n\n[画像] <https://example.jp/p> | 価格\n\n[画像] <https://example.jp/q>\n"},
		{"image in a link with hidden text", `<p><a href="https://evil.example/a"><img src="https://evil.example/spacer.gif" width="600" height="200"><span style="font-size:0">x</span></a></p>` +
			`<p><a href="https://evil.example/b"><img src="banner.png" alt=""><span style="font-size:0">x</span></a></p>` +
			`<p><a href="https://evil.example/c"><img src="line.png" width="600" height="2"><span style="font-size:0">x</span></a>本文</p>`,
			"<https://evil.example/a>\n\n<https://evil.example/b>\n\n本文\n"},
		// A link waiting for the next word prints where it was: outside
		// the strike, the quote or the superscript that follows it,
		// inside the strike around it, with the space after it.
		{"image link before a mark", `<p>日程 <a href="https://example.jp/a"><img src="a.png"></a><s>4月1日</s> 4月8日</p>` +
			`<p>市長は<a href="https://example.jp/b"><img src="b.png"></a><q>安全第一</q>と述べた</p>` +
			`<p>面積<a href="https://example.jp/c"><img src="c.png"></a><sup>2</sup></p>` +
			`<p><s><a href="https://example.jp/d"><img src="d.png"></a></s>中止</p>` +
			`<p><a href="https://example.jp/e"><img src="e.png"></a> 本文&#x3000;<a href="https://example.jp/f"></a>&#x3000;続き</p>`,
			"日程 [画像] <https://example.jp/a> ~~4月1日~~ 4月8日\n\n市長は [画像] <https://example.jp/b>「安全第一」と述べた\n\n" +
				"面積 [画像] <https://example.jp/c> 2\n\n~~[画像] <https://example.jp/d>~~中止\n\n[画像] <https://example.jp/e> 本文\u3000<https://example.jp/f>\u3000続き\n"},
		// In a link with text, an image with no alt text is an icon:
		// the text says what the link is.
		{"icon in a text link", `<a href="https://example.jp/f.pdf"><img src="pdf.png">申込書（PDF）</a> <a href="https://example.jp/"><img alt="ロゴ">トップ</a>`,
			"申込書（PDF） <https://example.jp/f.pdf> [画像: ロゴ] トップ <https://example.jp/>\n"},
		{"link in list", `<ul><li><a href="https://example.jp/">https://example.jp/</a></ul>`, "- <https://example.jp/>\n"},
		{"image alt", `<img src="x.png" alt=" A  logo ">`, "[画像: A logo]\n"},
		{"image no alt", `text<img src="x.png">text`, "text [画像] text\n"},
		{"decorative image", `装飾<img src="line.png" alt="">の後 <img alt=" ">x`, "装飾の後 x\n"},
		{"tracking pixel dropped", `a<img src="t.gif" width="1" height="1"><img src="t2" style="width:0px;height:0px">b`, "ab\n"},
		// Spacers and rules drawn as images: 2 pixels thin or fewer, or
		// a file named as spacers are, stretched to any size.
		{"spacer images dropped", `a<img src="/img/spacer.gif" width="20" height="20"><img src="https://t.example/images/1x1.GIF?u=3">` +
			`<img src="line.png" width="600" height="2"><img src="divider.png" style="width:100%;height:2px"><img src="Trans.png#x">b` +
			`<img src="spacer_photo.jpg"><img src="dot.png" width="3" height="3"><img src="/spacer.gif/photo.jpg"><img width="2em">c`,
			"ab [画像] [画像] [画像] [画像] c\n"},
		{"spacer by name with alt text", `<img src="spacer.gif" alt="お知らせ" width="600" height="80"><img src="spacer.gif" alt="" width="600"><img src="1x1.gif" alt="x" width="1">`,
			"[画像: お知らせ]\n"},
		{"script dropped", "a<script>document.write('x')</script>b", "ab\n"},
		{"script self-closing still raw", "a<script/>var x='<p>leak</p>';</script>b", "ab\n"},
		{"style dropped", "<style>p{color:red}</style>a", "a\n"},
		{"head dropped", "<html><head><title>T</title><meta charset=utf-8></head><body>a</body></html>", "a\n"},
		{"head ended by body content", "<head><title>T</title><div>a</div>", "a\n"},
		{"head ended by text", "<head><title>T</title>visible", "visible\n"},
		{"template dropped", "<template><p>x</p></template>a", "a\n"},
		{"noscript dropped", "<noscript>enable js</noscript>a", "a\n"},
		{"iframe object embed dropped", `<iframe src=x>f</iframe><object data=x>o<param name=a></object><embed src=x>a`, "a\n"},
		{"form controls dropped", `<form><label>Name</label><input value="v"><select><option>o1<option>o2</select><textarea>t</textarea><button>Go</button></form>after`, "Name\nafter\n"},
		// A <select> left open ends at the next form control, as the
		// parser ends it; the rest of the message is not lost with it.
		{"select ended by a control", `<select><option>o<p>gone</p>x<input>after input<p>shown</p>`, "after input\n\nshown\n"},
		{"select ended by a textarea", `<p>a<select><option>o<textarea>t</textarea>b</p>`, "ab\n"},
		{"select ended by a select", `<select><option>o<select><option>p</select>after`, "pafter\n"}, // the second is ignored, and so is its end tag: "after" is in the open <option>
		{"select left open", `<p>a</p><select><option>o</option><p>never shown</p>`, "a\n"},
		{"svg dropped", `<svg><title>t</title><text>s</text><path/></svg>a`, "a\n"},
		{"svg unclosed ends at html", `<svg><circle/>x<p>visible</p>`, "visible\n"},
		{"comment dropped", "a<!-- hidden -->b<!--[if mso]>mso<![endif]-->c", "abc\n"},
		{"hidden attribute", "a<div hidden>secret</div>b", "ab\n"},
		// The attribute is the browser's display:none: the page's own
		// display overrides it, inline or from a sheet; one a browser
		// drops does not.
		{"hidden attribute overridden", `a<div hidden style="display:block">shown</div>b<div hidden style="display:revert">too</div>`, "a\nshown\nb\ntoo\n"},
		{"hidden attribute overridden by a sheet", `<style>.x{display:inline}</style>a<span class=x hidden>shown</span>b`, "ashownb\n"},
		{"hidden attribute kept", `a<div hidden style="display:blockk">x</div>b<div hidden style="visibility:visible">y</div>`, "ab\n"},
		{"display none", `a<span style="display: none !important">secret</span>b`, "ab\n"},
		{"display none comment trick", `a<span style="display:/**/none">secret</span>b`, "ab\n"},
		{"visibility hidden", `a<span style="VISIBILITY:hidden">secret</span>b`, "ab\n"},
		{"font-size zero", `a<span style="font-size:0px">secret</span><font style="font-size:0">s2</font><span style="font-size:0pt">s3</span>b`, "ab\n"},
		{"font-size nonzero", `a<span style="font-size:10px">shown</span>b`, "ashownb\n"},
		{"font-size too small to read", `Pay<span style="font-size:1px">xq</span>Pal <span style="font-size:0.5pt">s2</span>a<span style="font-size:.1em">s3</span>b` +
			`<span style="font: 0/0 a">s4</span>c<span style="FONT:bold 1px Arial">s5</span>d`, "PayPal abcd\n"},
		{"font-size small but readable", `a<span style="font-size:2px">x</span><span style="font-size:-1px">y</span><span style="font:700 12px/1.5 Arial">z</span>b`, "axyzb\n"},
		{"font-size zero around sized text", `<div style="font-size:0px;display:inline-block"><table><tr><td><div style="font-size:13px">本文です</div>` +
			`</td></tr></table></div><div style="font-size:0"> <span style="font-size:1rem">A</span> <span style="font-size:small">B</span> </div>`, "本文です\n\nAB\n"},
		{"font-size zero around an image", `<td style="font-size:0;line-height:0"><img src="logo.png" alt="みどり市"></td>`, "[画像: みどり市]\n"},
		{"font-size relative to zero", `<span style="font-size:0">a<b style="font-size:1.5em">b</b><i style="font-size:100%">c</i></span>d`, "d\n"},
		{"link too small to see", `<a href="https://evil.example/" style="font-size:0">x</a>本文<a href="https://a.example/" style="font-size:0"><img alt=ロゴ></a>`, "本文 [画像: ロゴ] <https://a.example/>\n"},
		{"preheader", `<div style="max-height:0;overflow:hidden">preheader</div>a`, "a\n"},
		{"aria-hidden is shown", `<span aria-hidden="true">shown</span>`, "shown\n"},
		{"moved off the page", `<div style="position:absolute;top:-1000px;left:-1000px;height:0px;width:0px">spam <a href="http://x.example/">x</a></div>本文`, "本文\n"},
		{"text indented off the page", `<span style="text-indent:-9999px">seo</span>ok <span style="margin-left:-20px">kept</span>`, "ok kept\n"},
		{"white text on the page", `<font color="#FFFFFF">9bbf38a5</font>shown <span style="color: rgb(255, 255, 255)">x</span>`, "shown\n"},
		{"white text on a background", `<table bgcolor="#003366"><tr><td><font color="white">防災情報</font></td></tr></table><p style="color:#fff;background:#036">見出し</p>`, "防災情報\n\n見出し\n"},
		{"white text on a white background", `<td style="background-color:#ffffff"><font color=white>x</font></td>y`, "y\n"},
		// The nearest background counts: a white box in a dark one, or
		// one painted in a colour with no alpha, leaves white text unseen.
		{"white text on a white box in a dark one", `<body bgcolor="#003366"><table bgcolor="#000"><tr><td><div style="background:#fff"><font color=white>b1</font></div>` +
			`<p style="background:#fff;color:#fff">b2</p><p style="background:rgb(0 0 0) no-repeat"><font color=white>a</font></p><font color=white>b</font></td></tr></table></body>`, "a\n\nb\n"},
		{"white text on a background with no alpha", `<div style="background:rgba(0,0,0,0)"><span style="color:#fff">b1</span></div><div style="background:#00000000 url(x.png)"><span style="color:#fff">a</span></div>`, "a\n"},
		{"white text on the body's background", `<body bgcolor="navy"><font color=white>夜</font></body>`, "夜\n"},
		// A colour is the text's, inherited until a descendant sets its
		// own, as in a browser: a cell in white around paragraphs in grey.
		{"white around dark text", `<table><tr><td style="color:#ffffff"><p style="color:#333">申込期限は10月31日です</p>x</td></tr></table><font color=white>y<font color=black>z</font></font>`, "申込期限は10月31日です\n\nz\n"},
		{"white around an image", `<div style="color:#fff"><img src="logo.png" alt="みどり市"></div>`, "[画像: みどり市]\n"},
		{"white around a background", `<td style="color:#fff"><div style="background:#036">見出し</div></td>`, "見出し\n"},
		// In quirks mode a table resets the font size and colour around
		// it (not visibility); with a standards doctype it inherits them.
		{"quirks table resets size and colour", `<div style="font-size:0"><table><tr><td>x</td></tr></table></div><font color=white><table><tr><td>y</td></tr></table></font>` +
			`<div style="visibility:hidden"><table><tr><td>z</td></tr></table></div>`, "x\n\ny\n"},
		// Unless the table asks for them: inherit, unset, currentcolor, a
		// size relative to its parent's (revert is the quirks sheet's).
		{"quirks table inherits when asked", `<div style="font-size:0"><table style="font-size:inherit"><tr><td>a</td></tr></table></div>` +
			`<div style="font-size:1px"><table style="font-size:1em"><tr><td>b</td></tr></table></div>` +
			`<font color=white><table style="color:inherit"><tr><td>c</td></tr></table></font>` +
			`<div style="color:#fff"><table style="color:currentcolor"><tr><td>d</td></tr></table></div>` +
			`<div style="color:#fff"><table style="color:revert"><tr><td>e</td></tr></table></div>`, "e\n"},
		{"quirks table inherits, from a later sheet", `<font><table class=t><tr><td>a</td></tr></table></font><style>font{color:white} .t{color:inherit}</style>`, ""},
		// An element right in a table is moved before it, out of the
		// table's style; the cells keep it.
		{"row outside a table", `<tr>行<div>k<tr>l</tr>m</div><p><tbody>段落</p><thead>x</thead>`, "行\nklm\n\n段落\n\nx\n"},
		{"element moved out of a hidden table", `<table style="display:none"> <a href="https://example.jp/">リンク</a> <span>x</span><b>y</b>z<tr><td>セル</td></tr></table>` +
			`<table hidden><div>塊</div><tbody><p>段落</p><tr><td>セル</td></tr></table><table><tr hidden><span>行の外</span><td>セル</td></tr></table>`,
			"リンク <https://example.jp/> xyz\n塊\n\n段落\n\n行の外\n"},
		{"element moved out of a table in a hidden one", `<div style="display:none"><table><span>x</span><tr><td>c</td></tr></table></div>`, ""},
		{"element moved out of a table", `<table style="font-size:0;color:white"><span>x</span><tr><td>y</td></tr></table>`, "x\n"},
		{"standards table inherits size and colour", `<!DOCTYPE html><div style="font-size:0"><table><tr><td>x</td></tr></table></div><font color=white><table><tr><td>y</td></tr></table></font>`, ""},
		// A link has the browser's link colour, not its parent's; its own
		// colour, one inside it or <body link> decide instead.
		{"link in white text", `<p style="color:white">Go <a href="https://example.jp/a">here</a> now</p><font color=#FFFFFF><a href="https://example.jp/b"><b>b</b></a></font>`,
			"here <https://example.jp/a>\n\nb <https://example.jp/b>\n"},
		{"white link", `<p><a href="https://example.jp/a" style="color:#fff">x</a><a href="https://example.jp/b"><font color=white>y</font></a><a style="color:white">z</a>shown</p>`, "shown\n"},
		{"white anchor that is no link", `<p style="color:white">x <a name="top">y</a></p>`, ""},
		{"white links of the body", `<body link="#ffffff"><p style="color:white">x <a href="https://example.jp/a">y</a></p></body>`, ""},
		{"style colour over the attribute", `<font color="white" style="color:#000">a</font><font color="#000" style="color:white">b</font><span style="color:#fff;color:#000">c</span>`, "ac\n"},
		{"important over a later declaration", `a<span style="color:#fff !important;color:#333">bait</span><span style="font-size:0 ! important; font-size:14px">b2</span>` +
			`<span style="color:#333 !IMPORTANT;color:#fff">c</span><span style="font-size:14px!important;font:0/0 a">d</span>b`, "acdb\n"},
		// A value a browser does not accept is dropped with its
		// declaration: the text keeps its parent's white or tiny size.
		{"invalid colour keeps the parent's", `<div style="color:#fff">b0<span style="color:nocolor">b1</span><span style="color:#33">b2</span><span style="color:333">b3</span>` +
			`<span style="color:rgb(1,2)">b4</span><span style="color:#333;color:bogus">c</span></div><font color="ffffff">b5</font><span style="color:rgb(255 255 255)">b6</span>d`, "c\nd\n"},
		{"invalid font size keeps the parent's", `<div style="font-size:0">b0<span style="font-size:14foo">b1</span><span style="font-size:14 px">b2</span><span style="font-size:14">b3</span>` +
			`<span style="font-size:13px;font-size:-1px">c</span></div><span style="font-size:0.05vw">b4</span><span style="font-size:1vw">d</span>`, "c\nd\n"},
		// CSS numbers have exponents: 1e-5px is no 1 in a unit "e-5px".
		{"numbers with an exponent", `a<span style="font-size:1e-5px">b1</span><span style="opacity:5e-2">b2</span><span style="color:rgba(0,0,0,5e-2)">b3</span>` +
			`<span style="position:absolute;left:-1e4px">b4</span><span style="font:bold 1e-3px a">b5</span><span style="font-size:1.4E1px">c</span>d`, "acd\n"},
		{"faint text", `a<span style="opacity:0.01">bait</span><span style="opacity:5%">b2</span><span style="opacity:.5">c</span><span style="opacity:1">d</span>`, "acd\n"},
		{"colour with no alpha to speak of", `a<span style="color:rgba(0,0,0,0)">b1</span><span style="color:rgb(0 0 0 / 5%)">b2</span><span style="color:#0000">b3</span>` +
			`<span style="color:#33333300">b4</span><span style="color:hsla(0, 0%, 20%, 0.02)">b5</span><span style="color:rgba(0,0,0,.5)">c</span><span style="color:#333">d</span>` +
			`<span style="color:rgb(0,0,0)">e</span><span style="color:#333f">f</span>g`, "acdefg\n"},
		// -webkit-text-fill-color paints the text over its colour, and
		// is inherited on its own: a child's color does not undo it.
		{"text fill colour", `<p style="-webkit-text-fill-color:transparent">b1</p><div style="-webkit-text-fill-color:#fff"><span style="color:#333">b2</span></div>` +
			`<div style="-webkit-text-fill-color:transparent"><span style="color:#333;-webkit-text-fill-color:currentcolor">a</span></div><span style="color:#fff;-webkit-text-fill-color:#333">c</span>`, "a\nc\n"},
		{"transparent text", `a<span style="color:transparent">bait</span><div style="background:#000;color:transparent">bait2</div>b`, "a\nb\n"},
		{"link holding only unseen text", `<a href="https://evil.example/"><span style="font-size:0">x</span></a>本文<a href="https://a.example/"><font color=white>y</font>見出し</a>`, "本文見出し <https://a.example/>\n"},
		{"link in white text, the link's colour", `<span style="color:#fff"><a href="https://evil.example/">x</a></span>本文`, "x <https://evil.example/>本文\n"},
		{"first of duplicate attributes", `<span style="display:none" style="color:red">a</span>b<span style="color:red" style="display:none">c</span>`, "bc\n"},
		{"hidden void", `a<img alt=x hidden><br style="display:none">b`, "ab\n"},
		{"hidden ends at implied close", `<p style="display:none">secret<p>visible`, "visible\n"},
		{"hidden li ends at next li", `<ul><li hidden>secret<li>visible</ul>`, "- visible\n"},
		{"hidden td ends at next td", `<table><tr><td style="display:none">secret<td>visible</table>`, "visible\n"},
		{"hidden span outlives stray end tags", `<span style="display:none">a</div></p></td>b</span>c`, "c\n"},
		{"hidden span not closed inside div", `<span style="display:none"><div>a</span>b</div>c`, ""},
		{"hidden div closed through inline", `<div style="display:none"><b><i>a</div>b`, "b\n"},
		// An <a> in an <a>, past a block: the block stays open, so the
		// end tags after close what they closed in a browser.
		{"nested link past a block, hidden", `<div style=display:none><a href=1><div><a href=2>x</a></div></a>SECRET<a href="https://evil.example/">l</a></div>after`, "after\n"},
		{"nested link past a block", `<a href="https://1.example/">A<div>B<a href="https://2.example/">C</a></div>D</a>E`, "A\nB <https://1.example/> C <https://2.example/>\nDE\n"},
		{"hidden with void children", `<div hidden><br><img alt=x><hr><input></div>b`, "b\n"},
		{"stray end tags ignored", `</div></span>a</li></td></table>b`, "ab\n"},
		{"empty p end tag", `a</p>b`, "a\n\nb\n"},
		{"text after body", `<body>a</body>b</html>c`, "abc\n"},
		{"plaintext", `a<plaintext><b>x</b>`, "a\n\n<b>x</b>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := convertString(t, tt.in, Options{})
			checkText(t, []byte(got))
			if got != tt.want {
				t.Errorf("Convert(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// checkText asserts the output format promised to callers: valid UTF-8,
// \n line ends, no trailing white space, at most one blank line in a row,
// and a single final newline.
func checkText(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) {
		t.Errorf("output is not valid UTF-8")
	}
	if len(b) == 0 {
		return
	}
	if b[len(b)-1] != '\n' || bytes.HasSuffix(b, []byte("\n\n")) {
		t.Errorf("output does not end in exactly one newline: %q", tail(b))
	}
	if bytes.HasPrefix(b, []byte("\n")) {
		t.Errorf("output starts with a blank line")
	}
	if bytes.Contains(b, []byte("\r")) {
		t.Errorf("output contains CR")
	}
	if bytes.Contains(b, []byte("\n\n\n")) {
		t.Errorf("output has a run of blank lines")
	}
	for i, line := range strings.Split(string(b), "\n") {
		if strings.TrimRightFunc(line, unicode.IsSpace) != line {
			t.Errorf("line %d has trailing white space: %q", i+1, line)
		}
	}
}

func tail(b []byte) []byte {
	if len(b) > 40 {
		return b[len(b)-40:]
	}
	return b
}

func TestConvertStats(t *testing.T) {
	in := `<a href="https://a.example/">a</a><a href="javascript:x">j</a><a href="mailto:x@example.jp">x</a>` +
		`<img alt=one><img src=x><img width=1 height=1 src=pixel>` +
		`<div hidden>h</div><span style="display:none">h</span><script>s</script><aside aria-hidden=true>shown</aside>`
	_, st := convertString(t, in, Options{})
	want := Stats{Links: 2, Images: 2, Hidden: 3}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

// TestConvertStatsTinyText: tiny text is counted once per element that
// makes it so, and not at all where it is only white space (the columns
// of a responsive template).
func TestConvertStatsTinyText(t *testing.T) {
	in := `<div style="font-size:0"> <div style="font-size:14px">a</div> </div><div style="font-size:0"> <div style="font-size:14px">b</div> </div>` +
		`<span style="font-size:1px">x<b>y</b>z</span><span style="font-size:0">w</span>`
	_, st := convertString(t, in, Options{})
	if want := (Stats{Hidden: 2}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

// TestConvertStatsUnseenColour: text unseen for its colour is counted as
// the tiny text is: once per element that makes it so, not for a white
// cell whose text sets its own colour.
func TestConvertStatsUnseenColour(t *testing.T) {
	in := `<td style="color:#fff"> <p style="color:#333">a</p> </td><span style="color:white">x<b>y</b></span><i style="color:transparent">z</i>` +
		`<span style="color:#fff"><a href="https://evil.example/">w</a></span>`
	_, st := convertString(t, in, Options{})
	// The white span's link is seen, in the link colour.
	if want := (Stats{Links: 1, Hidden: 2}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

func TestConvertImageLabel(t *testing.T) {
	got, _ := convertString(t, `<img alt="logo"> <img>`, Options{ImageLabel: "image"})
	if want := "[image: logo] [image]\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestConvertSpansBounded: the ditto marks of cells spanning rows stay
// within the output bound FuzzConvert holds every input to (24 times the
// input): one cell with a large colspan and rowspan=0 holds 256 columns in
// every row below it, and each of 100000 "<tr>" (or "<tr><td>") wrote
// them all, 100 MB of text for 400 KB of HTML.
func TestConvertSpansBounded(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"rows with no cells", "<table border=1><tr><td colspan=1000 rowspan=0>x" + strings.Repeat("<tr>", 100000)},
		{"a cell after the held columns", "<table border=1><tr>" + strings.Repeat("<td rowspan=0>x", 300) + strings.Repeat("<tr><td>y", 100000)},
		{"closed rows", "<table border=1><tr><th colspan=1000 rowspan=0>x</th></tr>" + strings.Repeat("<tr><td>y</td></tr>", 50000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := Convert(&out, openString(tc.in), Options{}); err != nil {
				t.Fatal(err)
			}
			if out.Len() > 24*len(tc.in)+64 {
				t.Errorf("%d bytes of text for %d bytes of HTML, over 24 times", out.Len(), len(tc.in))
			}
			checkText(t, out.Bytes())
		})
	}
}

func TestConvertDepth(t *testing.T) {
	tests := []struct {
		name, in string
		maxDepth int
		want     string
		exceeded bool
	}{
		{"within limit", "<div><div><b>x</b></div></div>y", 4, "x\ny\n", false},
		{"flattened past limit", "<div><div><div><div><div><b>x</b></div></div></div></div></div>y", 4, "x\ny\n", true},
		{"script past limit still dropped", "<div><div><div><script>leak()</script><style>.leak{}</style>x", 2, "x\n", true},
		{"deep nesting keeps text", strings.Repeat("<div>", 5000) + "deep" + strings.Repeat("</div>", 5000) + "after", 0, "deep\nafter\n", true},
		{"deep unclosed inline", strings.Repeat("<span>", 100000) + "deep", 0, "deep\n", true},
		{"deep lists are indented at most maxIndent", strings.Repeat("<ul><li>", 50) + "x", 0, strings.Repeat(" ", maxIndent) + "- x\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := convertString(t, tt.in, Options{MaxDepth: tt.maxDepth})
			checkText(t, []byte(got))
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if st.DepthExceeded != tt.exceeded {
				t.Errorf("DepthExceeded = %v, want %v", st.DepthExceeded, tt.exceeded)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestConvertErrors(t *testing.T) {
	t.Run("write error", func(t *testing.T) {
		_, err := Convert(failWriter{}, openString(strings.Repeat("<p>text</p>", 10000)), Options{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("err = %v, want the write error", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		r := func() io.Reader {
			return io.MultiReader(strings.NewReader("<p>ok"), iotest.ErrReader(errors.New("connection reset")))
		}
		_, err := Convert(io.Discard, r, Options{})
		if err == nil || !strings.Contains(err.Error(), "connection reset") {
			t.Errorf("err = %v, want the read error", err)
		}
	})
	t.Run("oversized token", func(t *testing.T) {
		in := "<p>" + strings.Repeat("a", maxToken+1)
		_, err := Convert(io.Discard, openString(in), Options{})
		if !errors.Is(err, html.ErrBufferExceeded) {
			t.Errorf("err = %v, want html.ErrBufferExceeded", err)
		}
	})
	// An oversized token before the last <style> stops the sheets'
	// pass: the document is then converted in one pass, which writes
	// what it wrote before sheets were read first (the text it has
	// flushed when it meets the token).
	t.Run("oversized token before a sheet", func(t *testing.T) {
		in := strings.Repeat("<p>before</p>", 2000) + "<p title='" + strings.Repeat("a", maxToken+1) + "'>x</p><style>p{display:none}</style>"
		var got, want strings.Builder
		_, err := Convert(&got, openString(in), Options{})
		_, errStream := ConvertStream(&want, strings.NewReader(in), Options{})
		if !errors.Is(err, html.ErrBufferExceeded) || got.String() != want.String() || !strings.HasPrefix(got.String(), "before\n") {
			t.Errorf("Convert wrote %d bytes (%v), ConvertStream %d (%v); want the same text, starting with the paragraphs", got.Len(), err, want.Len(), errStream)
		}
	})
}

// TestConvertStreams checks that text comes out while the HTML is still
// coming in: nothing is held back beyond the current token and line, so a
// body that never ends cannot make ConvertStream buffer it.
func TestConvertStreams(t *testing.T) {
	pr, pw := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := ConvertStream(outW, pr, Options{})
		outW.CloseWithError(err)
		done <- err
	}()
	para := `<p>段落です。<a href="https://example.jp/x">link</a> <img alt=a> text</p>` + "\n"
	go func() {
		// Write 100 KiB of paragraphs but do not close: Convert must already
		// have written most of the text.
		for range 1000 {
			if _, err := io.WriteString(pw, para); err != nil {
				return
			}
		}
	}()
	read := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(outR, make([]byte, 32<<10))
		read <- err
	}()
	select {
	case err := <-read:
		if err != nil {
			t.Fatalf("reading output before the input ended: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no output while the input is still open: Convert buffers its input")
	}
	pw.Close()
	go io.Copy(io.Discard, outR)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// visibility:hidden on <html> or <body> holds without a <body> tag (the
// browser makes the body all the same), and a second <html> or <body>
// adds only the attributes the first did not have, as in a browser: its
// style does not replace the first's (each read in Chromium).
func TestRootVisibilityImpliedAndMerged(t *testing.T) {
	checkConvert(t, []convertCase{
		{"html hidden, no body tag", `<html style="visibility:hidden">a<p style="visibility:visible">b</p>`, "b\n"},
		{"sheet's body hidden, no body tag", `<style>body{visibility:hidden}</style>a<p style="visibility:visible">b`, "b\n"},
		{"html hidden, head first", `<html style="visibility:hidden"><head><title>t</title></head>a<p style="visibility:visible">b`, "b\n"},
		{"second body's style", `<body style="visibility:hidden">a<body style="visibility:visible">b`, ""},
		{"second html's style", `<html style="visibility:hidden"><html style="visibility:visible"><body>a<p style="visibility:visible">b`, "b\n"},
		{"body visible under html hidden", `<html style="visibility:hidden"><body style="visibility:visible">a`, "a\n"},
	})
}
