package htmltext

import (
	"fmt"
	"strings"
	"testing"
)

func TestStyleSheets(t *testing.T) {
	tests := []struct {
		name, in, want string
		hidden         int
	}{
		{"class hides", `<style>.sp{display:none}</style><div class=pc>PC版の本文</div><div class=sp>スマホ版の本文</div>`, "PC版の本文\n", 1},
		{"phone rules in @media are not applied", `<style>.sp{display:none}
			@media only screen and (max-width:640px){.pc{display:none!important}.sp{display:block!important}}</style>
			<div class=pc>PC版</div><div class=sp>スマホ版</div>`, "PC版\n", 1},
		{"desktop rules in @media are", `<style>@media screen and (min-width:641px){.sp{display:none}}
			@media print{.pc{display:none}} @media (prefers-color-scheme:dark){.pc{display:none}}</style>
			<div class=pc>PC版</div><div class=sp>スマホ版</div>`, "PC版\n", 1},
		{"preheader", `<style type="text/css">div.preheader{display:none !important}</style><div class=preheader>プレヘッダー</div><p>本文</p>`, "本文\n", 1},
		{"id, visibility, opacity", `<style>#a{visibility:hidden} .b{opacity:0} .c{position:absolute;left:-9999px}</style>x<span id=a>1</span><span class=b>2</span><span class=c>3</span>y`, "xy\n", 3},
		{"font size zero", `<style>.s{font-size:0}</style>pay<span class=s>xq</span>pal`, "paypal\n", 1},
		{"white text", `<style>.w{color:#ffffff}</style>a<span class=w>secret</span>b`, "ab\n", 1},
		{"white text on a painted cell is read", `<style>.w{color:#fff}.dark{background:#333}</style><table><tr><td class=dark><span class=w>見出し</span></td></tr></table>`, "見出し\n", 0},

		// The cascade.
		{"own style wins", `<style>.x{display:none}</style><span class=x style="display:inline">shown</span>`, "shown\n", 0},
		{"important wins over own style", `<style>.x{display:none !important}</style>a<span class=x style="display:inline">hidden</span>`, "a\n", 1},
		{"own important wins over important", `<style>.x{display:none !important}</style><span class=x style="display:inline !important">shown</span>`, "shown\n", 0},
		{"later rule wins", `<style>.x{display:none} .x{display:block}</style><span class=x>shown</span>`, "shown\n", 0},
		{"later rule wins, the other way", `<style>.x{display:block} .x{display:none}</style>a<span class=x>hidden</span>`, "a\n", 1},
		{"more specific wins", `<style>div .x{display:block} .x{display:none}</style><div><span class=x>shown</span></div>`, "shown\n", 0},
		{"id wins over order", `<style>#y{display:none} .x{display:block}</style>a<span id=y class=x>hidden</span>`, "a\n", 1},
		{"invalid value dropped", `<style>.x{display:none;display:nonee}</style>a<span class=x>hidden</span>`, "a\n", 1},
		{"a sheet given again", `<style>.x{display:none}.y{display:inline}</style><style>.y{display:none}</style><style>.x{display:none}.y{display:inline}</style>a<span class=x>1</span><span class=y>2</span>`, "a2\n", 1},
		{"two sheets", `<style>.x{display:none}</style><style>.x{display:inline}</style><span class=x>shown</span>`, "shown\n", 0},

		// Selectors.
		{"descendant", `<style>.box .x{display:none}</style><div class=box><p><span class=x>hidden</span></p></div><span class=x>shown</span>`, "shown\n", 1},
		{"child", `<style>td > .x{display:none}</style><table><tr><td><span class=x>hidden</span><b><span class=x>shown</span></b></td></tr></table>`, "shown\n", 1},
		{"child after descendant backtracks", `<style>.a > .b .x{display:none}</style><div class=a><div class=b><div class=b><span class=x>hidden</span></div></div></div>`, "", 1},
		{"body class", `<style>body.pc .sp{display:none}</style><body class=pc><p class=sp>hidden</p><p>shown</p>`, "shown\n", 1},
		{"compound", `<style>p.note.sp{display:none}</style><p class="sp note">hidden</p><p class=sp>shown</p><div class="note sp">shown too</div>`, "shown\n\nshown too\n", 1},
		{"class case", `<style>.SP{display:none}</style>a<p class=sp>hidden</p>`, "a\n", 1},
		{"universal", `<style>.box *{display:none}</style><div class=box>x<b>hidden</b>y</div>`, "xy\n", 1},
		{"selector list", `<style>.a, .b:hover, .c{display:none}</style><i class=a>1</i><i class=b>2</i><i class=c>3</i>`, "2\n", 2},
		{"what is not read is dropped", `<style>.a:hover{display:none} [class=b]{display:none} u + .c{display:none} .d\:e{display:none} .1f{display:none} .g::after{display:none}</style>` +
			`<i class=a>1</i><i class=b>2</i><u></u><i class=c>3</i><i class="d:e">4</i><i class=1f>5</i><i class=g>6</i>`, "123456\n", 0},

		// Sheets.
		{"outlook's comment wrapper", `<style><!--
/* Font Definitions */
@font-face {font-family:"Yu Gothic"; panose-1:2 11 4 0 0 0 0 0 0 0;}
@page WordSection1 {size:612.0pt 792.0pt;}
@list l0:level1 {mso-level-text:"%1\)";}
p.MsoNormal {margin:0mm; font-size:10.5pt;}
span.x {display:none}
--></style><p class=MsoNormal>本文<span class=x>隠し</span></p>`, "本文\n", 1},
		{"strings and nested blocks", `<style>@import url("x.css"); .a{content:"}"; display:none} @supports (display:grid){.b{display:none}} @supports (display:foo){.c{display:none}} .d{display:none}</style><i class=a>1</i><i class=b>2</i><i class=c>3</i><i class=d>4</i>`, "3\n", 3},
		{"media attribute", `<style media="print">.a{display:none}</style><style media="screen">.b{display:none}</style><i class=a>1</i><i class=b>2</i>`, "1\n", 1},
		{"other style languages", `<style type="text/less">.a{display:none}</style><i class=a>1</i>`, "1\n", 0},
		{"a sheet applies to the whole document", `<i class=a>1</i><style>.a{display:none}</style><i class=a>2</i>`, "", 2},
		{"unclosed sheet", `<style>.a{display:none`, "", 0},
		{"style sheet text is not printed", `<style>.a{color:red} SECRET</style>text`, "text\n", 0},

		// visibility is inherited, and a child may set it back.
		{"visible inside hidden, sheet", `<style>.x{visibility:hidden}</style><div class=x>h<p style="visibility:visible">Visible</p></div>`, "Visible\n", 1},
		{"visible inside hidden, inline", `<div style="visibility:hidden">h<p style="visibility:visible">Visible<span>, too</span></p>h</div>`, "Visible, too\n", 1},
		{"under hidden, links and images are hidden", `<div style="visibility:hidden"><a href="https://x.example/">link</a><img alt=img><table><tr><td>a<td>b</table></div>after`, "after\n", 3},
		{"a hidden line break still breaks", `a<br style="visibility:hidden">b<hr style="visibility:hidden">c<br style="display:none">d`, "a\nb\ncd\n", 1},
		// Visibility on <html> and <body>, which are not on the stack,
		// is inherited all the same.
		{"hidden body", `<body style="visibility:hidden">a<p>b</p><span style="visibility:visible">c</span></body>`, "c\n", 1},
		{"hidden body by a sheet", `<style>body.x{visibility:hidden} .v{visibility:visible}</style><body class=x>x<a href="https://a.example/">link</a><p class=v>shown</p>`, "shown\n", 2},
		{"hidden html", `<html style="visibility:hidden"><body>x<p style="visibility:visible">y</p>`, "y\n", 1},
		{"visibility initial is visible", `<div style="visibility:hidden">a<p style="visibility:initial">b</p><p style="visibility:unset">c</p><p style="visibility:inherit">d</p></div>`, "b\n", 1},
		{"body shown again", `<style>html{visibility:hidden}</style><body style="visibility:visible">shown`, "shown\n", 0},
		{"a list item shown again", `<ul style="visibility:hidden"><li>x<li style="visibility:visible">y</ul>`, "- y\n", 1},

		// A height of 0 that clips hides a block, not what has no
		// height of its own.
		{"zero height clips a block", `a<div style="height:0;overflow:hidden">1</div><span style="display:block;max-height:0;overflow:hidden">2</span><span style="display:inline-block;height:0;overflow:hidden">3</span>`, "a\n", 3},
		{"zero height on an inline", `<span style="height:0;overflow:hidden">見える</span><a href="https://a.example/" style="max-height:0;overflow:hidden">リンク</a>`, "見えるリンク <https://a.example/>\n", 0},
		{"zero height on a table cell", `<table><tr><td style="height:0;overflow:hidden">日時</td><td style="max-height:0;overflow:hidden">4月1日</td></tr></table>`, "日時 | 4月1日\n", 0},
		{"zero height from a class on an inline", `<style>.c{height:0;overflow:hidden}</style><span class=c>見える</span><div class=c>x</div>`, "見える\n", 1},

		// Paragraphs without margins are lines.
		{"paragraphs without margins", `<p style="margin:0">一行目</p><p style="margin:0px auto">二行目</p><p style="margin-top:0;margin-bottom:0">三行目</p><p>段落</p>`,
			"一行目\n二行目\n三行目\n\n段落\n", 0},
		{"paragraphs with a margin below", `<p style="margin:0 0 1em">一</p><p style="margin:0;margin-bottom:8px">二</p><p style="margin-top:0">三</p>`,
			"一\n\n二\n\n三\n", 0},
		{"word's paragraph spacing", `<p class=MsoNormal>一<o:p></o:p></p><p class=MsoNormal style='margin-bottom:12.0pt'>二</p><p class=MsoNormal>三</p><p class=MsoNormal style='margin-bottom:.0001pt'>四</p><p class=MsoNormal>五</p>`,
			"一\n二\n\n三\n四\n五\n", 0},
		{"word's spacing from the sheet", `<style>p.MsoNormal{margin:0mm;margin-bottom:.0001pt} p.Spaced{margin-top:6.0pt}</style><p class=MsoNormal>一</p><p class="MsoNormal Spaced">二</p>`,
			"一\n\n二\n", 0},
		{"auto and negative margins", `<p style="margin:auto">一</p><p style="margin:-4px 0">二</p><p>三</p>`, "一\n二\n\n三\n", 0},
		{"ruby has no height of its own", `<span style="display:ruby;height:0;overflow:hidden">見える</span>`, "見える\n", 0},
		{"logical margins", `<p style="margin-block:0">一</p><p style="margin-block-start:0;margin-block-end:0">二</p><p>三</p>`, "一\n二\n\n三\n", 0},
		{"logical margin moves off the page", `a<span style="margin-inline-start:-9999px">seo</span>b<span style="margin-inline:-9999px 0">seo</span>`, "ab\n", 2},
		{"margins from the sheet", `<style>.l{margin:0}</style><p class=l>一</p><p class=l>二</p>`, "一\n二\n", 0},
		{"margin shorthand moves off the page", `a<span style="margin:-9999px 0 0">seo</span>b`, "ab\n", 1},

		// A table Word styles with a grid, drawn without one.
		{"own border wins", `<style>table.MsoTableGrid{border:solid windowtext 1.0pt}</style><table class=MsoTableGrid style="border:none"><tr><td>a</td><td>b<br>c</td></tr></table>`,
			"a | b\n    c\n", 0},
		{"border from the sheet", `<style>td.g{border:solid windowtext 1.0pt}</style><table><tr><td class=g>a</td><td class=g>b<br>c</td></tr></table>`,
			"a | b / c\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := convertString(t, tt.in, Options{})
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if st.Hidden != tt.hidden {
				t.Errorf("Hidden = %d, want %d", st.Hidden, tt.hidden)
			}
			if st.StyleLimit {
				t.Error("StyleLimit set")
			}
		})
	}
}

// Inline styles follow the cascade too: the last declaration wins.
func TestStyleLastWins(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a<span style="display:none;display:inline">b</span>`, "ab\n"},
		{`a<span style="display:inline;display:none">b</span>`, "a\n"},
		{`a<span style="display:none !important;display:inline">b</span>`, "a\n"},
		{`a<span style="display:none;display:bogus">b</span>`, "a\n"},
		{`a<span style="visibility:hidden;visibility:visible">b</span>`, "ab\n"},
		{`a<span style="opacity:0;opacity:1">b</span>`, "ab\n"},
		{`a<span style="height:0;overflow:hidden;height:auto">b</span>`, "ab\n"},
		{`a<span style="text-decoration:line-through;text-decoration:none">b</span>`, "ab\n"},
		{`a<s style="text-decoration:none">b</s>`, "a~~b~~\n"},
	}
	for _, tt := range tests {
		if got, _ := convertString(t, tt.in, Options{}); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct{ in, want string }{
		{"p", "p /0,0,1"},
		{"  DIV.Preheader ", "div.Preheader /0,1,1"},
		{"#a.b.c", "#a.b.c /1,2,0"},
		{"*", "* /0,0,0"},
		{".a .b > td.c", ".a .b > td.c /0,3,1"},
		{".a>.b", ".a > .b /0,2,0"},
		{"body   table\t.x", "body table .x /0,1,2"},
		{"-x", "-x /0,0,1"},
	}
	for _, tt := range tests {
		parts, spec, ok := parseSelector(tt.in)
		if !ok {
			t.Errorf("%q: not read", tt.in)
			continue
		}
		r := sheetRule{sel: parts, spec: spec}
		if got := r.String(); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{"", " ", ">", "a >", "a > > b", "> a", "a:hover", "a::before", "[x]", "a + b", "a ~ b",
		".1a", "#-1", ".a\\:b", "a|b", ".", "#", "a.b c.d.e f g h i j k l", "div*", ".a*", "a .b:not(.c)"} {
		if parts, _, ok := parseSelector(in); ok {
			t.Errorf("%q: read as %v", in, parts)
		}
	}
}

func TestMediaMatches(t *testing.T) {
	for q, want := range map[string]bool{
		"":                             true,
		"all":                          true,
		"screen":                       true,
		"only screen":                  true,
		"SCREEN AND (MIN-WIDTH:600PX)": true,
		"screen and (max-width:600px)": false,
		"only screen and (max-width: 480px), screen and (min-width: 700px)": true,
		"(max-width:50em)": true,
		"(max-width:40em)": false,
		"screen and (min-width:601px) and (max-width:1024px)": true,
		"screen and (max-device-width:640px)":                 false,
		"print":                                               false,
		"not print":                                           true,
		"not screen":                                          false,
		"not screen and (max-width:600px)":                    true,
		"not (min-width:1px)":                                 false,
		"not screen and (foo:1)":                              false,
		"(width >= 600px)":                                    true,
		"(width>=600px) and (width<1024px)":                   true,
		"(width < 600px)":                                     false,
		"(400px <= width <= 700px)":                           false,
		"(601px<=width<=1200px)":                              true,
		"(width => 600px)":                                    false,
		"(orientation:landscape)":                             true,
		"(prefers-color-scheme:light)":                        true,
		"screen and (prefers-color-scheme:dark)":              false,
		"screen and (-webkit-min-device-pixel-ratio:2)":       false,
		"screen and":                                          false,
		"screen (min-width:1px)":                              false,
		"(min-width:1px) and":                                 false,
		"(min-width:1vw)":                                     false,
	} {
		if got := mediaMatches(q); got != want {
			t.Errorf("mediaMatches(%q) = %v, want %v", q, got, want)
		}
	}
}

// A sheet built to cost as much as possible to match stops at its budget,
// and the conversion reports it.
func TestStyleSheetLimits(t *testing.T) {
	// No .c: every way of placing the six .a among the ancestors is
	// tried before the rule fails.
	sheetText := manyRules(".c%d .a .a .a .a .a .a .b{display:none}\n")
	in := sheetText + strings.Repeat("<div class=a>", 200) + strings.Repeat("<i class=b>x</i>", 50)
	out, st := convertString(t, in, Options{})
	if !st.StyleLimit {
		t.Error("StyleLimit not set")
	}
	// Matching stopped at the budget, and what it could not decide is
	// shown.
	if !strings.Contains(out, "x") {
		t.Errorf("got %q", out)
	}

	var s sheet
	s.add(strings.TrimSuffix(strings.TrimPrefix(sheetText, "<style>"), "</style>"))
	s.add(".late{display:none}")
	if len(s.rules) != maxRules || !s.truncated {
		t.Errorf("%d rules read, truncated %v; want %d, true", len(s.rules), s.truncated, maxRules)
	}

	big := "<style>" + strings.Repeat("/* padding */", maxSheetBytes/13) + ".x{display:none}</style><i class=x>x</i>"
	out, st = convertString(t, big, Options{})
	if out != "x\n" || !st.StyleLimit {
		t.Errorf("sheet past maxSheetBytes: got %q, StyleLimit %v", out, st.StyleLimit)
	}
}

// FuzzStyleSheet reads any style sheet text: the reader stays within its
// limits, and each selector it keeps prints back as a selector that
// reads the same.
func FuzzStyleSheet(f *testing.F) {
	for _, s := range []string{
		"",
		".sp{display:none} @media only screen and (max-width:600px){.pc{display:none!important}.sp{display:block!important}}",
		"<!-- p.MsoNormal, li.MsoNormal {margin:0mm; font-size:10.5pt;} @font-face{font-family:\"a}\"} @page WordSection1{size:1pt} -->",
		"div.a#b > .c .d, *, body   td{color:#fff;border:solid windowtext 1pt}",
		"@import url(\"x.css\"); a:hover{display:none} [x]{opacity:0} .1a{x:y} .a{content:'}'; font-size:0}",
		"@media screen{@media (min-width:1px){@media all{@media screen{.deep{display:none}}}}}",
		".a{display:none",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, css string) {
		var s sheet
		s.add(css)
		if len(s.rules) > maxRules || s.read > maxSheetBytes {
			t.Fatalf("%d rules, %d bytes read", len(s.rules), s.read)
		}
		for i := range s.rules {
			r := &s.rules[i]
			if len(r.sel) == 0 || len(r.sel) > maxSelectorParts || len(r.decls) == 0 {
				t.Fatalf("rule %v: %d compounds, %d declarations", r, len(r.sel), len(r.decls))
			}
			printed := r.String()
			sel := printed[:strings.LastIndex(printed, " /")]
			again := &sheetRule{}
			var ok bool
			if r.slotted != nil {
				var in compound
				again.sel, in, again.spec, ok = parseSlotted(sel)
				again.slotted = &in
			} else {
				again.sel, again.spec, ok = parseSelector(sel)
			}
			if !ok {
				t.Fatalf("%q printed as %q, which does not read", css, sel)
			}
			if again := again.String(); again != printed {
				t.Fatalf("%q read as %q, printed and read again as %q", css, printed, again)
			}
		}
	})
}

// manyRules is a <style> of maxRules rules, each format with its number.
func manyRules(format string) string {
	var b strings.Builder
	b.WriteString("<style>")
	for i := range maxRules {
		fmt.Fprintf(&b, format, i)
	}
	b.WriteString("</style>")
	return b.String()
}

// TestParseSlottedOffsets: "::slotted(" is found by its offset in the
// selector as written, whatever precedes it: strings.ToLower changes the
// length of invalid UTF-8 and of some letters, and an offset in it cut
// the selector wrongly ("\x9b::slotted(){...}" panicked, FuzzStyleSheet
// found it).
func TestParseSlottedOffsets(t *testing.T) {
	for _, tt := range []struct {
		sel      string
		ok       bool
		slot, in string // their tags
	}{
		{"slot::slotted(i)", true, "slot", "i"},
		{"slot::SLOTTED(i)", true, "slot", "i"},
		{"sectİon ::slotted(p)", true, "sectİon", "p"},           // İ lowers to three bytes
		{"\u212aelvin ::slotted(em)", true, "\u212aelvin", "em"}, // K (Kelvin) lowers to one
		{"\x9b::slotted()", false, "", ""},
		{"\x9b::slotted(b)", true, "\x9b", "b"}, // the byte is a name character, read as U+FFFD
	} {
		slot, in, _, ok := parseSlotted(tt.sel)
		if ok != tt.ok || ok && (slot[len(slot)-1].tag != strings.ToLower(tt.slot) || in.tag != tt.in) {
			t.Errorf("parseSlotted(%q) = %+v, %+v, %v; want slot %q, in %q, %v", tt.sel, slot, in, ok, tt.slot, tt.in, tt.ok)
		}
	}
}
