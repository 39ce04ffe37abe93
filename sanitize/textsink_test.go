package sanitize

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// runSink writes data to a fresh textSink in pieces of the given sizes
// (cycled) and returns everything it produced.
func runSink(data []byte, mode string, valid, lines bool, sizes []byte) (string, textStats, []block, error) {
	var out bytes.Buffer
	s := newTextSink(&out, mode)
	s.validUTF8 = valid
	s.noBlocks = !lines
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(sizes) > 0 {
			n = min(n, int(sizes[i%len(sizes)])+1)
		}
		s.Write(data[:n])
		data = data[n:]
	}
	err := s.Close()
	return out.String(), s.st, s.blocks, err
}

// FuzzTextSinkLines holds the sink's whole-lines path (writeLines) to the
// line by line one: the same text, statistics and cut-out blocks for any
// input written in any pieces, in every links mode.
func FuzzTextSinkLines(f *testing.F) {
	for _, s := range []string{
		plainText(1600),
		japaneseText(3000),
		"see www.example.com\nand https://a.example/x\r\nftp://b.example\n",
		"a\nhttps://x.example/\n\nwww.y.example\n",
		"x\r\ny\rz\n\r\n",
		"line\nbegin 644 f.bin\nM86)C\n`\nend\nafter https://e.example\n",
		"begin 644 f.bin\n\nM86)CXXXX\njunk\n\nM86)C\n`\nend\nafter\n",
		"begin-base64 644 f.bin\n \nYWJj\nジャンク\nYWJj\n====\nbegin 644 was it\nno\n",
		"begin 644 f.bin\nM86)C\n" + strings.Repeat("x y\n", 20) + "M86)C\n",
		"=ybegin line=128 size=3 name=a.bin\nabc\n=yend size=3\n",
		"(This file must be converted with BinHex 4.0)\n:abc:\n",
		"a\x00b\x1b[31mc\u202Ed\xffe\r\nnext\rlast",
		"\u3000\u3000\n \t\n",
		"http://example.com/a\nb\n" + strings.Repeat("w", 20000) + "\nhttps://z.example\n",
		"<https://evil.example/>\n(www.evil.example)\n「https://例え.jp/パス」\n",
		"https://a.example/path.\nwww.b.example,\n",
	} {
		f.Add([]byte(s), byte(0), []byte{255})
		f.Add([]byte(s), byte(1), []byte{7, 200, 0, 63})
		f.Add([]byte(s), byte(2), []byte{3})
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte, sizes []byte) {
		m := []string{"defang", "remove", "keep"}[int(mode)%3]
		for _, valid := range []bool{false, true} {
			if valid && !utf8.Valid(data) {
				continue
			}
			o1, st1, b1, e1 := runSink(data, m, valid, false, sizes)
			o2, st2, b2, e2 := runSink(data, m, valid, true, sizes)
			if o1 != o2 {
				t.Fatalf("mode %s valid %v: text differs\nline by line: %q\nwhole lines:  %q", m, valid, o1, o2)
			}
			if st1 != st2 || !reflect.DeepEqual(b1, b2) || (e1 == nil) != (e2 == nil) {
				t.Fatalf("mode %s valid %v: stats %+v vs %+v, blocks %+v vs %+v, err %v vs %v", m, valid, st1, st2, b1, b2, e1, e2)
			}
		}
	})
}

// An executable's first 54 bytes, uuencoded (the data lines of a block).
const (
	uuExe1 = "M35J0``,````$````__\\``'1H:7,@<')O9W)A;2!C86YN;W0@8F4@<G5N(&EN"
	uuExe2 = ")($1/4R!M;V1E"
	// GNU sharutils' classic encoding of 64 bytes, a space for a zero.
	uuTool1 = "M35J0   ! @,$!08'\" D*\"PP-#@\\0$1(3%!46%Q@9&AL<'1X?(\"$B(R0E)B<H"
	uuTool2 = "3*2HK+\"TN+S Q,C,T-38W.#DZ.P  "
	b64Exe  = "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
)

// uuLower writes the signs and digits of uuencode data as the lower case
// letters 64 above them: decoders take every character modulo 64.
func uuLower(l string) string {
	b := []byte(l)
	for i := 1; i < len(b); i++ {
		if '!' <= b[i] && b[i] <= ':' {
			b[i] += 64
		}
	}
	return string(b)
}

// uuLines joins lines with LF line ends.
func uuLines(l ...string) string { return strings.Join(l, "\n") + "\n" }

// Decoders are lenient about uuencode (Mozilla's skips blank lines, pads
// short lines, ignores what follows the data on a line and decodes up to
// "end"), so the sink is: each of these texts carries the file, which is
// cut out with everything from its "begin" line to its "end" line, and
// reported; the text around it stays. A "begin" line followed by prose
// stays text, a space before it so that no decoder starts there.
func TestTextSinkUuencodeLenient(t *testing.T) {
	prose := make([]string, 20)
	for i := range prose {
		prose[i] = "以上、よろしくお願いいたします。" + strings.Repeat("。", i)
	}
	type blk struct {
		kind, name string
		size       int64
	}
	exe := []blk{{"uuencode", "invoice.exe", 54}}
	for _, tt := range []struct {
		name   string
		in     string
		out    string // the text delivered
		blocks []blk
		class  string // of the first block
	}{
		{"blank line after begin",
			uuLines("請求書を添付します。", "", "begin 644 invoice.exe", "", uuExe1, uuExe2, "`", "end", "以上"),
			uuLines("請求書を添付します。", "", "以上"), exe, "executable"},
		// Begin lines as decoders read them: a tab, any digits, a sign.
		{"begin line variants",
			uuLines("a", "begin 644\tinvoice.exe", uuExe1, uuExe2, "`", "end", "begin 6448 invoice.exe", uuExe1, uuExe2, "`", "end",
				"begin +644 invoice.exe", uuExe1, uuExe2, "`", "end", "begin 1234567 invoice.exe", uuExe1, uuExe2, "`", "end", "b"),
			uuLines("a", "b"), slices.Repeat(exe, 4), "executable"},
		{"blank and white space lines after begin",
			uuLines("a", "begin 644 invoice.exe", "", " \t", "", uuExe1, uuExe2, "`", "end", "b"),
			uuLines("a", "b"), exe, "executable"},
		{"junk after the first data line",
			uuLines("請求書です。", "begin 644 invoice.exe", uuExe1+"XXXXXXXX", uuExe2, "`", "end"),
			uuLines("請求書です。"), exe, "executable"},
		{"junk lines before the data",
			uuLines("a", "begin 644 invoice.exe", "this line is junk", "", "ジャンク", uuExe1, uuExe2, "`", "end", "b"),
			uuLines("a", "b"), exe, "executable"},
		{"junk line in the middle of the data",
			uuLines("a", "begin 644 invoice.exe", uuExe1, "some junk in between", "", uuExe2, "`", "end", "b"),
			uuLines("a", "b"), exe, "executable"},
		{"data line stripped of its trailing zeros in the middle",
			uuLines("a", "begin 644 invoice.exe", uuExe1, "M", uuExe2, "`", "end", "b"),
			uuLines("a", "b"), []blk{{"uuencode", "invoice.exe", 54}}, "executable"},
		{"lower case data",
			uuLines("a", "begin 644 invoice.exe", uuLower(uuExe1), uuLower(uuExe2), "`", "end", "b"),
			uuLines("a", "b"), exe, "executable"},
		{"lower case classic encoding",
			uuLines("a", "begin 100644 tool.exe", uuLower(uuTool1), uuLower(uuTool2), "`", "end", "b"),
			uuLines("a", "b"), []blk{{"uuencode", "tool.exe", 64}}, "executable"},
		{"missing end, junk inside, short text after",
			uuLines(append([]string{"a", "begin 644 invoice.exe", uuExe1, "junk", uuExe2, "`"}, prose[:3]...)...),
			uuLines(append([]string{"a"}, prose[:3]...)...), exe, "executable"},
		{"missing end, long text after",
			uuLines(append([]string{"a", "begin 644 invoice.exe", uuExe1, "", uuExe2}, prose...)...),
			uuLines(append([]string{"a"}, prose...)...), exe, "executable"},
		{"missing end at the end of the text",
			"begin 644 invoice.exe\n\n" + uuExe1 + "\n" + uuExe2,
			"", exe, "executable"},
		{"another begin inside a block",
			uuLines("begin 644 a.exe", uuExe1, "junk", "begin 644 b.exe", "", uuExe1, uuExe2, "end", "c"),
			uuLines("junk", "c"), []blk{{"uuencode", "a.exe", 45}, {"uuencode", "b.exe", 54}}, "executable"},
		{"begin-base64 after a blank line",
			uuLines("a", "begin-base64 644 invoice.exe", "", b64Exe, "====", "b"),
			uuLines("a", "b"), []blk{{"uuencode", "invoice.exe", 48}}, "executable"},
		{"begin-base64 with a junk line inside",
			uuLines("a", "begin-base64 644 invoice.exe", b64Exe, "ジャンク", b64Exe, "====", "b"),
			uuLines("a", "b"), []blk{{"uuencode", "invoice.exe", 96}}, "executable"},

		// False positives: these stay text, byte for byte but for a space
		// before the "begin" line, which no decoder then takes for one.
		{"english begin line then prose",
			uuLines("begin 644 was the mode we agreed on.", "Thanks."),
			uuLines(" begin 644 was the mode we agreed on.", "Thanks."), nil, ""},
		{"japanese begin line then prose",
			uuLines("begin 644 号室で会議を始めます。", "資料は当日配布します。", "", "よろしくお願いします。", "田中", "総務課", "内線1234"),
			uuLines(" begin 644 号室で会議を始めます。", "資料は当日配布します。", "", "よろしくお願いします。", "田中", "総務課", "内線1234"), nil, ""},
		{"begin line, blank line, long english prose",
			uuLines("begin 755 scripts", "", "Please check the permissions of the deploy directory before Monday.", "Mary had a little lamb, its fleece was white as snow, and everywhere", "end"),
			uuLines(" begin 755 scripts", "", "Please check the permissions of the deploy directory before Monday.", "Mary had a little lamb, its fleece was white as snow, and everywhere", "end"), nil, ""},
		{"begin line then a heading",
			uuLines("begin 600 tasks", "THE MEETING IS CANCELLED", "See you."),
			uuLines(" begin 600 tasks", "THE MEETING IS CANCELLED", "See you."), nil, ""},
		{"begin line at the end",
			"text\nbegin 644 x\n\n",
			"text\n begin 644 x\n\n", nil, ""},
		// Sentences that no mail client takes for a "begin" line: the
		// mode is one or two digits (Thunderbird wants three or four
		// octal digits, Outlook Express three), or not octal. They stay
		// as written.
		{"begin, a number of minutes, end",
			uuLines("begin 10 minutes before the meeting", "end"),
			uuLines("begin 10 minutes before the meeting", "end"), nil, ""},
		{"begin, a number of days, prose",
			uuLines("Please", "begin 2 days before the deadline and", "send it to the office.", "", "Thanks."),
			uuLines("Please", "begin 2 days before the deadline and", "send it to the office.", "", "Thanks."), nil, ""},
		{"begin, a year with a 9",
			uuLines("begin 2019 with a plan", "end of story"),
			uuLines("begin 2019 with a plan", "end of story"), nil, ""},
		{"begin, a number with 8 or 9 in it",
			uuLines("begin 180 seconds after the alarm", "end"),
			uuLines("begin 180 seconds after the alarm", "end"), nil, ""},
		// Followed by data, a short or odd mode is a file all the same:
		// the decoders that take it (uudecode, Python's) are lenient.
		{"begin with a one-digit mode, then data",
			uuLines("a", "begin 7 invoice.exe", uuExe1, uuExe2, "`", "end", "b"),
			uuLines("a", "b"), exe, "executable"},
		{"begin with a mode that is no octal number, then data",
			uuLines("a", "begin 99 invoice.exe", uuExe1, uuExe2, "`", "end", "b"),
			uuLines("a", "b"), exe, "executable"},
		// Three or more octal digits: Thunderbird would start a file
		// there, so prose after it gets its space still.
		{"begin, a three-digit octal number, prose",
			uuLines("begin 100 meters from the station", "end"),
			uuLines(" begin 100 meters from the station", "end"), nil, ""},
		{"begin, a four-digit mode, prose",
			uuLines("begin 0644 is what we use", "end"),
			uuLines(" begin 0644 is what we use", "end"), nil, ""},
		// A mode of ten digits or more is read as any other (red team:
		// such a line was text, at the start of its line, and the file
		// after it passed).
		{"begin with a ten-digit mode, then data",
			uuLines("a", "begin 0000000644 invoice.exe", uuExe1, uuExe2, "`", "end", "b"),
			uuLines("a", "b"), exe, "executable"},
		{"begin, a ten-digit octal number, prose",
			uuLines("begin 0000000000", "end"),
			uuLines(" begin 0000000000", "end"), nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, sizes := range [][]byte{nil, {0}, {6, 30, 2}} {
				for _, lines := range []bool{false, true} {
					in := tt.in
					if sizes != nil {
						in = strings.ReplaceAll(in, "\n", "\r\n")
					}
					out, _, blocks, err := runSink([]byte(in), "keep", false, lines, sizes)
					if err != nil {
						t.Fatal(err)
					}
					if out != tt.out {
						t.Fatalf("sizes %v: text\n%q\nwant\n%q", sizes, out, tt.out)
					}
					var got []blk
					for _, b := range blocks {
						got = append(got, blk{b.kind, b.name, b.size})
					}
					if !reflect.DeepEqual(got, tt.blocks) {
						t.Fatalf("sizes %v: blocks %+v, want %+v", sizes, got, tt.blocks)
					}
					if len(blocks) > 0 && blocks[0].class != tt.class {
						t.Errorf("class %q, want %q", blocks[0].class, tt.class)
					}
				}
			}
		})
	}
}

// The same leniency through Message: the file is reported, nothing of it
// is delivered; a text file that carries it is not kept; a "begin" line
// of prose stays text, a space before it.
func TestUuencodeLenientMessage(t *testing.T) {
	body := func(text string) string {
		return "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			strings.ReplaceAll(text, "\n", "\r\n")
	}
	memo := "memo\r\nbegin 644 invoice.exe\r\n\r\n" + uuExe1 + "\r\n" + uuExe2 + "\r\n`\r\nend\r\n"
	for _, tt := range []struct {
		name    string
		msg     string
		removed bool     // uuencode-removed in the actions
		strip   string   // a part stripped, by its file name
		absent  []string // not in the text delivered
		present []string // in the text delivered
	}{
		{"blank line", body(uuLines("請求書を添付します。", "", "begin 644 invoice.exe", "", uuExe1, uuExe2, "`", "end")),
			true, "", []string{"begin 644", uuExe1, uuExe2}, []string{"請求書を添付します。"}},
		{"long first line", body(uuLines("請求書です。", "begin 644 invoice.exe", uuExe1+"XXXXXXXX", uuExe2, "`", "end")),
			true, "", []string{"begin 644", uuExe1, uuExe2}, []string{"請求書です。"}},
		{"junk in the middle", body(uuLines("a", "begin 644 invoice.exe", uuExe1, "junk", uuExe2, "`", "end", "b")),
			true, "", []string{"begin 644", uuExe1, uuExe2, "junk"}, []string{"a\n", "b\n"}},
		{"kept text file", withAttachments(attached{"memo.txt", "text/plain; charset=us-ascii", []byte(memo)}),
			false, "memo.txt", nil, nil},
		// Delivered as it is, a kept file cannot have a space put before
		// the line: a "begin" line of prose makes it an encoded file.
		{"kept text file, a begin line of prose", withAttachments(attached{"notes.txt", "text/plain; charset=us-ascii", []byte("begin 644 was the mode we agreed on.\r\nThanks.\r\n")}),
			false, "notes.txt", nil, nil},
		{"prose", body(uuLines("begin 644 号室で会議を始めます。", "資料は当日配布します。")),
			false, "", nil, []string{" begin 644 号室で会議を始めます。\n資料は当日配布します。\n"}},
		// No client takes these for a "begin" line: delivered as written,
		// and a kept file with them is kept.
		{"prose, a begin line with minutes", body(uuLines("begin 10 minutes before the meeting", "end")),
			false, "", nil, []string{"\nbegin 10 minutes before the meeting\nend\n"}},
		{"kept text file, a begin line with minutes", withAttachments(attached{"agenda.txt", "text/plain; charset=us-ascii", []byte("begin 10 minutes before the meeting\r\nend\r\n")}),
			false, "", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			rep, err := Message(&out, strings.NewReader(tt.msg), int64(len(tt.msg)), Options{Policy: defaultPolicy(t)})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v %+v", err, rep)
			}
			if got := contains(rep.Actions, "uuencode-removed"); got != tt.removed {
				t.Errorf("uuencode-removed %v, want %v: %v", got, tt.removed, rep.Actions)
			}
			if tt.removed {
				found := false
				for _, p := range rep.Parts {
					if p.Path == "1#uuencode-1" && p.Filename == "invoice.exe" && p.Decision == DecisionStrip && p.Class == "executable" {
						found = true
					}
				}
				if !found {
					t.Errorf("no stripped block invoice.exe in %+v", rep.Parts)
				}
			}
			for _, p := range rep.Parts {
				if !tt.removed && tt.strip == "" && p.Filename != "" && p.Decision != DecisionKeep {
					t.Errorf("%s: %s (%s), want keep", p.Filename, p.Decision, p.Reason)
				}
			}
			if tt.strip != "" {
				for _, p := range rep.Parts {
					if p.Filename == tt.strip && p.Decision != DecisionStrip {
						t.Errorf("%s: %s (%s), want strip", p.Filename, p.Decision, p.Reason)
					}
				}
				if bytes.Contains(out.Bytes(), []byte(base64.StdEncoding.EncodeToString([]byte(memo))[:40])) {
					t.Errorf("%s delivered", tt.strip)
				}
			}
			text := decodedText(t, out.Bytes())
			for _, s := range tt.absent {
				if strings.Contains(text, s) {
					t.Errorf("delivered text has %q:\n%s", s, text)
				}
			}
			for _, s := range tt.present {
				if !strings.Contains(text, s) {
					t.Errorf("delivered text lacks %q:\n%s", s, text)
				}
			}
		})
	}
}

// TestHasVisible: text a reader sees nothing of is not visible, so that a
// text/plain alternative made of it does not win over the HTML one (an
// empty-looking mail, the trick an empty plain part plays).
func TestHasVisible(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{" \t", false},
		{"\u00a0\u3000", false},
		{"\u200b", false},                   // zero-width space
		{"\u2060\ufeff", false},             // word joiner, zero-width no-break space
		{"\u00ad", false},                   // soft hyphen
		{"\u200c\u200d\u200e\u202e", false}, // joiners, bidi marks and controls
		{"\ufe0f", false},                   // variation selector
		{"\U000e0041", false},               // tag character
		{"\u3164\uffa0\u115f", false},       // Hangul fillers
		{"\u2800", false},                   // braille blank
		{"a", true},
		{"\u200bx", true},
		{"あ", true},
		{"\u2801", true},
		{"\u00ad-", true},
	} {
		if got := hasVisible([]byte(c.in)); got != c.want {
			t.Errorf("hasVisible(%+q) = %v, want %v", c.in, got, c.want)
		}
	}
}
