package htmltext

import (
	"strings"
	"testing"
)

// Inputs that would make matching cost far more than the document is
// long stop at the match budget, and say so, whatever the cost of one
// selector test.
func TestStyleSheetBudgetCharged(t *testing.T) {
	// Distinct blocks, so that the rules are not read as one given again.
	rules := manyRules(".a{display:block;z-index:%d}\n")
	tests := []struct{ name, in string }{
		// Each word of the class gathered all 2048 rules of "a" again,
		// and sorted them, at no cost: 100 such elements took seconds.
		{"class given many times", rules + strings.Repeat(`<i class="`+strings.Repeat("a ", 1000)+`">x</i>`, 20)},
		// Each test of .zz against the ancestor read its 200 KB class
		// list for one step: 20000 elements took seconds.
		{"long class list of an ancestor", `<style>.zz .b{display:none}</style><div class="` + strings.Repeat("q ", 100000) + `">` +
			strings.Repeat("<i class=b>x</i>", 2000) + "</div>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, st := convertString(t, tt.in, Options{}); !st.StyleLimit {
				t.Error("StyleLimit not set")
			}
		})
	}
}

// Sheets and declarations that a browser does not apply hide nothing
// here either: each of these showed nothing where the reader sees
// "Visible".
func TestStyleSheetNotApplied(t *testing.T) {
	checkConvert(t, []convertCase{
		{"a stray ';' after a rule drops the next", `<style>.a{color:red}; .x{display:none}</style><p class=x>Visible</p>`, "Visible\n"},
		{"text before a rule is part of its selector", `<style>junk; .x{display:none}</style><p class=x>Visible</p>`, "Visible\n"},
		{"an invalid selector drops the list", `<style>.x, .1col{display:none}</style><p class=x>Visible</p>`, "Visible\n"},
		{"an empty selector drops the list", `<style>.x, {display:none} .x,,.y{display:none}</style><p class=x>Visible</p>`, "Visible\n"},
		{"a nested rule's declarations", `<style>.w{ .none{ color:red; display:none; } }</style><div class=w>Visible</div>`, "Visible\n"},
		{"a ';' in a string", `<style>.w{ font-family:"a;display:none;" }</style><div class=w>Visible</div>`, "Visible\n"},
		{"a ';' in a string, inline", `<div style="font-family:'a;display:none;'">Visible</div>`, "Visible\n"},
		{"a '/*' in a string", `<style>.x{display:none} .a{font-family:"/*"} .x{display:block} .b{font-family:"*/"}</style><p class=x>Visible</p>`, "Visible\n"},
		{"<!-- inside @media", `<style>@media screen{<!-- .x{display:none}}</style><p class=x>Visible</p>`, "Visible\n"},
		{"a template's sheet", `<template><style>.x{display:none}</style></template><p class=x>Visible</p>`, "Visible\n"},
		{"class case with a doctype", `<!DOCTYPE html><style>.X{display:none} #Y{display:none}</style><p class=x>Visible</p><p id=y>too</p>`, "Visible\n\ntoo\n"},
		// Shorthands reset their longhands.
		{"margin after margin-left", `<p style="margin-left:-9999px;margin:0">Visible</p>`, "Visible\n"},
		{"own margin over the sheet's margin-left", `<style>.x{margin-left:-9999px}</style><p class=x style="margin:0">Visible</p>`, "Visible\n"},
		{"overflow after overflow-y", `<style>.x{height:0;overflow-y:hidden}</style><p class=x style="overflow:visible">Visible</p>`, "Visible\n"},
		{"margin with four values", `<p style="margin-left:-9999px;margin:0 0 0 1px">Visible</p>`, "Visible\n"},
		// A value a browser does not take is dropped, and the earlier
		// stands; the number at its start is not read alone.
		{"opacity with junk", `<p style="opacity:1;opacity:0 foo">Visible</p>`, "Visible\n"},
		{"unknown unit", `<p style="margin-left:-9999pxx">Visible</p>`, "Visible\n"},
		{"margin with an unknown unit", `<p style="margin:0 0 0 -9999pxx">Visible</p>`, "Visible\n"},
		// left and top move only a positioned box.
		{"left on a static box", `<style>.x{position:absolute;left:-9999px}</style><p class=x style="position:static">Visible</p>`, "Visible\n"},
		{"left without position", `<p style="left:-9999px;top:-9999px">Visible</p>`, "Visible\n"},
		// Media queries a browser reads true at 800px.
		{"@media not print", `<style>.x{display:none} @media not print{.x{display:block}}</style><p class=x>Visible</p>`, "Visible\n"},
		{"@media range", `<style>.x{display:none} @media (width >= 600px){.x{display:block}}</style><p class=x>Visible</p>`, "Visible\n"},
		// A selector no browser knows drops its list.
		{"unknown pseudo-class in a list", `<style>.x, p:no-such-class{display:none}</style><p class=x>Visible</p>`, "Visible\n"},
		{"another engine's pseudo-element in a list", `<style>.x, ::-moz-selection{display:none}</style><p class=x>Visible</p>`, "Visible\n"},
		{"class case with XHTML's doctype", `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><style>.X{display:none}</style><p class=x>Visible</p>`, "Visible\n"},
	})
}

// What a browser does apply still hides.
func TestStyleSheetStillApplied(t *testing.T) {
	checkConvert(t, []convertCase{
		{"@import before a rule", `<style>@import url("a;b.css"); .x{display:none}</style>a<p class=x>hidden</p>`, "a\n"},
		{"a data URL in a block", `<style>.x{background:url(data:image/png;base64,AAAA);display:none}</style>a<p class=x>hidden</p>`, "a\n"},
		{"a rule after a nested one", `<style>.w{.n{color:red}} .x{display:none}</style>a<p class=x>hidden</p>`, "a\n"},
		{"a comment after a string", `<style>.a{font-family:"x"} /* "; */ .x{display:none}</style>a<p class=x>hidden</p>`, "a\n"},
		{"class case in quirks mode", `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN"><style>.X{display:none}</style>a<p class=x>hidden</p>`, "a\n"},
		{"a doctype after content does not count", `<p>a</p><!DOCTYPE html><style>.X{display:none}</style><p class=x>hidden</p>`, "a\n"},
		{"margin hides", `<p style="margin:0 0 0 -9999px">hidden</p><p style="margin:-9999px 0">hidden</p>a`, "a\n"},
		{"overflow hides", `<p style="height:0;overflow:auto hidden">hidden</p>a`, "a\n"},
		{"unitless offset, as quirks mode reads it", `<p style="position:absolute;left:-9999">hidden</p><p style="text-indent:-9999">hidden</p>a`, "a\n"},
		{"relative box moved", `<p style="position:relative;top:-5000px">hidden</p>a`, "a\n"},
		{"a known pseudo-class in a list", `<style>.x, a:hover, p::before{display:none}</style>a<p class=x>hidden</p>`, "a\n"},
		{"a hidden element's sheet", `<div hidden><style>.x{display:none}</style></div>a<p class=x>hidden</p>`, "a\n"},
	})
}

// An inline style's declarations as the cascade reads them: a value a
// browser drops leaves the earlier one standing, and a box of no height
// that clips or scrolls shows nothing of its text.
func TestInlineStyleDroppedValues(t *testing.T) {
	checkConvert(t, []convertCase{
		// A position a browser does not know is dropped: the box stays
		// absolute, and is moved off the page.
		{"unknown position", `<p style="position:absolute;position:absolutee;left:-9999px">hidden</p>a`, "a\n"},
		{"position junk", `<p style="position:relative;position:relative x;top:-9999px">hidden</p>a`, "a\n"},
		// A sticky box stays where the flow puts it: a negative top or
		// left only lets it scroll further before it sticks.
		{"sticky box", `<p style="position:sticky;top:-9999px;left:-9999px">Visible</p>`, "Visible\n"},
		{"static after absolute", `<p style="position:absolute;left:-9999px;position:static">Visible</p>`, "Visible\n"},
		// Every overflow but visible clips a box of no height.
		{"overflow clip", `<p style="height:0;overflow:hidden;overflow:clip">hidden</p>a`, "a\n"},
		{"overflow scroll", `<p style="max-height:0;overflow:hidden;overflow:scroll">hidden</p>a`, "a\n"},
		{"overflow-y auto", `<p style="height:0;overflow-y:auto">hidden</p>a`, "a\n"},
		{"overflow-x scroll makes y auto", `<p style="height:0;overflow-x:scroll">hidden</p>a`, "a\n"},
		{"unknown overflow", `<p style="max-height:0;overflow-y:hidden;overflow-y:hiddenx">hidden</p>a`, "a\n"},
		{"overflow-x clip leaves y visible", `<p style="height:0;overflow-x:clip">Visible</p>`, "Visible\n"},
		{"overflow visible", `<p style="height:0;overflow:hidden;overflow:visible">Visible</p>`, "Visible\n"},
		// none and contents stand alone; a keyword given twice is no
		// display either.
		{"none with another keyword", `<p style="display:none;display:none block">hidden</p>a`, "a\n"},
		{"a keyword twice", `<p style="display:none;display:block block">hidden</p>a`, "a\n"},
		{"inline-block with another keyword", `<p style="display:none;display:inline-block flow">hidden</p>a`, "a\n"},
		{"two keywords", `<p style="display:none;display:inline flow-root">Visible</p>`, "Visible\n"},
		// A height with junk after its number, or below zero, is
		// dropped.
		{"height with junk", `<p style="height:0x;overflow:hidden">Visible</p>`, "Visible\n"},
		{"max-height with junk", `<p style="max-height:0pxx;overflow-x:hidden">Visible</p>`, "Visible\n"},
		{"height after junk", `<p style="height:0;height:1pxx;overflow:hidden">hidden</p>a`, "a\n"},
		{"negative height", `<p style="height:0;height:-5px;overflow:hidden">hidden</p>a`, "a\n"},
		// Every viewport unit is a length.
		{"small viewport inline unit", `<p style="margin-left:-9999px;margin-left:0svi">Visible</p>`, "Visible\n"},
		{"dynamic viewport block unit", `<p style="height:0;height:50dvb;overflow:hidden">Visible</p>`, "Visible\n"},
		{"height keyword", `<p style="height:0;height:-webkit-fill-available;overflow:hidden">Visible</p>`, "Visible\n"},
	})
}

// background-image and background-color are two properties: an image of
// none leaves the colour painted, and an image is painted over a colour.
func TestInlineBackgroundLayers(t *testing.T) {
	checkConvert(t, []convertCase{
		{"image none after a dark colour", `<div style="background-color:#000;background-image:none;color:#fff">Visible</div>`, "Visible\n"},
		{"image none after the shorthand", `<div style="background:#000;background-image:none;color:#fff">Visible</div>`, "Visible\n"},
		{"white colour under an image", `<div style="background:url(x.png);background-color:#fff;color:#fff">Visible</div>`, "Visible\n"},
		{"shorthand resets the image", `<div style="background-image:url(x.png);background:#fff;color:#fff">hidden</div>a`, "a\n"},
		{"white after a dark colour", `<div style="background-color:#000;background-image:none;background-color:#fff;color:#fff">hidden</div>a`, "a\n"},
		{"important colour", `<div style="background-color:#000 !important;background:#fff;color:#fff">Visible</div>`, "Visible\n"},
	})
}

// Furigana that cannot be seen leaves no parentheses, and an <rt>'s
// "(" is no text of a link: a link whose reading is all it holds, under
// visibility:hidden or in transparent text, printed "() <target>".
func TestRubyParenUnseen(t *testing.T) {
	checkConvert(t, []convertCase{
		{"hidden rt", `<p>a</p><ruby>漢字<rt style="visibility:hidden">かんじ</rt></ruby><p>b</p>`, "a\n\n漢字\n\nb\n"},
		{"transparent rt", `<ruby>漢字<rt style="color:transparent">かんじ</rt></ruby>`, "漢字\n"},
		{"hidden ruby", `<p>a</p><div style="visibility:hidden"><ruby>漢字<rt>かんじ</rt></ruby></div><p>b</p>`, "a\n\nb\n"},
		{"link in a hidden div", `<p>a</p><div style="visibility:hidden"><a href="https://example.jp/x"><ruby>漢<rt>か</rt></ruby></a></div><p>b</p>`, "a\n\nb\n"},
		{"transparent link", `<p>a</p><a href="https://example.jp/x" style="color:transparent"><ruby>漢<rt>か</rt></ruby></a><p>b</p>`, "a\n\nb\n"},
		{"visible reading in a hidden rt", `<ruby>漢字<rt style="visibility:hidden"><span style="visibility:visible">かんじ</span></rt></ruby>`, "漢字(かんじ)\n"},
		{"shown", `<ruby>漢字<rt>かんじ</rt></ruby>です`, "漢字(かんじ)です\n"},
		{"in a link", `<a href="https://example.jp/x"><ruby>漢字<rt>かんじ</rt></ruby></a>`, "漢字(かんじ) <https://example.jp/x>\n"},
		{"empty rt", `<ruby>漢字<rt></rt></ruby>です`, "漢字です\n"},
		{"quoted reading", `<ruby>漢字<rt><q>かんじ</q></rt></ruby>`, "漢字(「かんじ」)\n"},
		{"rt in a quote", `<q><ruby>漢字<rt>かんじ</rt></ruby></q>`, "「漢字(かんじ)」\n"},
	})
}

// A list item with nothing to see leaves no marker: its marker waited
// for a word and went on the next line with text, which became an item
// of the list ("- 後"). Under visibility:hidden, inherited since
// ce0de64, the item's marker is hidden with it.
func TestListMarkerUnseen(t *testing.T) {
	checkConvert(t, []convertCase{
		{"hidden list", `<p>前</p><ul style="visibility:hidden"><li>秘密</li></ul><p>後</p>`, "前\n\n後\n"},
		{"hidden list in a div", `<p>前</p><div style="visibility:hidden"><ol><li>a</li><li>b</li></ol></div><p>後</p>`, "前\n\n後\n"},
		{"hidden item", `<ul><li style="visibility:hidden">秘密</li><li>見える</li></ul>`, "- 見える\n"},
		{"hidden item counts", `<ol><li style="visibility:hidden">秘密</li><li>見える</li></ol>`, "2. 見える\n"},
		{"transparent item", `<p>前</p><ul><li style="color:transparent">秘密</li></ul><p>後</p>`, "前\n\n後\n"},
		{"empty item", `<p>前</p><ul><li></li></ul><p>後</p>`, "前\n\n後\n"},
		{"hidden item in a cell", `<table><tr><td><ul><li style="visibility:hidden">秘密</li></ul></td><td>見える</td></tr></table>`, "見える\n"},
		{"hidden cell with a list", `<table><tr><td style="visibility:hidden"><ul><li>秘密</li></ul></td><td>見える</td></tr></table>`, "見える\n"},
		{"visible text in a hidden item", `<ul><li style="visibility:hidden"><span style="visibility:visible">見える</span></li></ul>`, "  見える\n"},
		{"image link item", `<ul><li><a href="https://example.jp/"><img src="a.png"></a></li></ul>`, "- [画像] <https://example.jp/>\n"},
		{"items", `<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>`, "- a\n- b\n  - c\n"},
	})
}

// A table that showed nothing gives the cell around it no text: the next
// cell took back the blank line before the row, as it does after a
// cell's own text, and the row ran into the paragraph above ("前 | 見える").
// A cell under visibility:hidden (inherited since ce0de64) is such a cell.
func TestEmptyNestedTable(t *testing.T) {
	checkConvert(t, []convertCase{
		{"hidden cell", `<p>前</p><table><tr><td style="visibility:hidden"><table><tr><td>秘密</td><td>秘密</td></tr></table></td><td>見える</td></tr></table><p>後</p>`, "前\n\n見える\n\n後\n"},
		{"transparent text", `<p>前</p><table><tr><td><table><tr><td style="color:transparent">秘密</td></tr></table></td><td>見える</td></tr></table>`, "前\n\n見える\n"},
		{"empty cells", `<p>前</p><table><tr><td><table><tr><td></td><td></td></tr></table></td><td>見える</td></tr></table>`, "前\n\n見える\n"},
		{"text before the table", `<p>前</p><table><tr><td>日時<table><tr><td></td></tr></table></td><td>4月1日</td></tr></table>`, "前\n\n日時 | 4月1日\n"},
		{"text in the table", `<p>前</p><table><tr><td><table><tr><td>日時</td></tr></table></td><td>4月1日</td></tr></table>`, "前\n\n日時 | 4月1日\n"},
	})
}

// A <q>'s quotation marks are its ::before and ::after, which inherit
// visibility: a hidden quote's text that shows itself again
// (visibility:visible, since ce0de64) shows without them.
func TestHiddenQuoteMarks(t *testing.T) {
	checkConvert(t, []convertCase{
		{"hidden quote, visible text", `市長は<q style="visibility:hidden"><span style="visibility:visible">安全</span></q>と`, "市長は安全と\n"},
		{"in a hidden div", `<div style="visibility:hidden"><q><span style="visibility:visible">安全</span></q></div>`, "安全\n"},
		{"visible quote in a hidden div", `<div style="visibility:hidden"><q style="visibility:visible">安全</q></div>`, "「安全」\n"},
		{"quote", `市長は<q>安全</q>と`, "市長は「安全」と\n"},
	})
}

// A link that holds only a hidden image shows nothing, as one that holds
// only hidden text: its target is no content of the mail. Since ce0de64
// an image under a visibility:hidden element is hidden too, and the link
// around it printed "<https://...>".
func TestLinkOfHiddenImage(t *testing.T) {
	checkConvert(t, []convertCase{
		{"image in a hidden span", `<p>a</p><a href="https://example.jp/x"><span style="visibility:hidden"><img src="a.png"></span></a>後`, "a\n\n後\n"},
		{"hidden image", `<p>a</p><a href="https://example.jp/x"><img src="a.png" style="visibility:hidden"></a>後`, "a\n\n後\n"},
		{"hidden image with alt", `<p>a</p><a href="https://example.jp/x"><img src="a.png" alt="ALT" style="visibility:hidden"></a>後`, "a\n\n後\n"},
		{"image not displayed", `<p>a</p><a href="https://example.jp/x"><img src="a.png" style="display:none"></a>後`, "a\n\n後\n"},
		{"hidden text", `<p>a</p><a href="https://example.jp/x"><span style="visibility:hidden">秘密</span></a>後`, "a\n\n後\n"},
		{"and a shown one", `<a href="https://example.jp/x"><img src="m.png" style="display:none"><img src="a.png"></a>`, "[画像] <https://example.jp/x>\n"},
		{"and text", `<a href="https://example.jp/x"><img src="m.png" style="display:none">詳細</a>`, "詳細 <https://example.jp/x>\n"},
		{"shown image", `<a href="https://example.jp/x"><img src="a.png"></a>`, "[画像] <https://example.jp/x>\n"},
		{"visible image in a hidden link", `<a href="https://example.jp/x" style="visibility:hidden"><img src="a.png" style="visibility:visible"></a>`, "[画像] <https://example.jp/x>\n"},
	})
}

// A margin whose size is not a fixed length (a share of the page's
// width, of the window, calc()) is a gap when it is more than nothing,
// as a template's margin:0 0 5% is: it was read as none, and the
// paragraphs lost the blank line between them.
func TestMarginOfUnknownSize(t *testing.T) {
	checkConvert(t, []convertCase{
		{"percent", `<p style="margin:0 0 5%">a</p><p style="margin:0">b</p>`, "a\n\nb\n"},
		{"window height", `<p style="margin:0 0 2vh">a</p><p style="margin:0">b</p>`, "a\n\nb\n"},
		{"calc", `<p style="margin:0 0 calc(1em + 2px)">a</p><p style="margin:0">b</p>`, "a\n\nb\n"},
		{"characters", `<p style="margin:0 0 1ch">a</p><p style="margin:0">b</p>`, "a\n\nb\n"},
		{"zero percent", `<p style="margin:0 0 0%">a</p><p style="margin:0">b</p>`, "a\nb\n"},
		{"negative", `<p style="margin:0 0 -5%">a</p><p style="margin:0">b</p>`, "a\nb\n"},
		{"Outlook's", `<p class=MsoNormal style="margin-bottom:.0001pt">a</p><p class=MsoNormal>b</p>`, "a\nb\n"},
	})
}

// A height of 0 that clips hides a box that is a block: a float, an
// absolutely positioned box and a flex or grid item are made blocks
// whatever their display, and <caption>, <legend>, <marquee> and the
// like are blocks of their own. Since 2d3858b these showed their text.
func TestZeroHeightBlockified(t *testing.T) {
	checkConvert(t, []convertCase{
		{"absolute span", `a<span style="position:absolute;height:0;overflow:hidden">秘密</span>b`, "ab\n"},
		{"fixed span", `a<span style="position:fixed;max-height:0;overflow:hidden">秘密</span>b`, "ab\n"},
		{"floating span", `a<span style="float:left;height:0;overflow:hidden">秘密</span>b`, "ab\n"},
		{"floating inline div", `<div style="display:inline;float:right;height:0;overflow:hidden">秘密</div>b`, "b\n"},
		{"flex item", `<div style="display:flex"><span style="height:0;overflow:hidden">秘密</span>b</div>`, "b\n"},
		{"grid item link", `<div style="display:grid"><a href="https://example.jp/x" style="max-height:0;overflow:hidden">秘密</a>b</div>`, "b\n"},
		{"inline flex item", `<div style="display:inline-flex"><span style="display:inline;height:0;overflow:hidden">秘密</span>b</div>`, "b\n"},
		{"caption", `<table><caption style="height:0;overflow:hidden">秘密</caption><tr><td>b</td></tr></table>`, "b\n"},
		{"legend", `<fieldset><legend style="height:0;overflow:hidden">秘密</legend>b</fieldset>`, "b\n"},
		{"marquee", `a<marquee style="height:0;overflow:hidden">秘密</marquee>b`, "ab\n"},
		{"hgroup", `<hgroup style="height:0;overflow:hidden">秘密</hgroup>b`, "b\n"},
		{"listing", `<listing style="height:0;overflow:hidden">秘密</listing>b`, "b\n"},
		// Still shown.
		{"span", `a<span style="height:0;overflow:hidden">見える</span>b`, "a見えるb\n"},
		{"static span", `a<span style="position:relative;height:0;overflow:hidden">見える</span>b`, "a見えるb\n"},
		{"no float", `a<span style="float:none;height:0;overflow:hidden">見える</span>b`, "a見えるb\n"},
		{"grandchild of a flex box", `<div style="display:flex"><div><span style="height:0;overflow:hidden">見える</span></div></div>`, "見える\n"},
		{"cell", `<table><tr><td style="height:0;overflow:hidden">見える</td><td>b</td></tr></table>`, "見える | b\n"},
		{"flex box's contents child", `<div style="display:flex"><span style="display:contents;height:0;overflow:hidden">見える</span></div>`, "見える\n"},
	})
}

// convertCase is an HTML snippet and the text it converts to.
type convertCase struct{ name, in, want string }

func checkConvert(t *testing.T, tests []convertCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := convertString(t, tt.in, Options{}); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
