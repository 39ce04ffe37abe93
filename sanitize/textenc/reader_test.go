package textenc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

func mustEncode(e encoding.Encoding, s string) string {
	out, err := e.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return out
}

func sjis(s string) string { return mustEncode(japanese.ShiftJIS, s) }
func euc(s string) string  { return mustEncode(japanese.EUCJP, s) }
func jis(s string) string  { return mustEncode(japanese.ISO2022JP, s) }

// Texts for the label tests: a business mail with NEC/IBM extension
// characters, and a short Subject-sized one.
const (
	jaBody  = "山田様\r\nいつもお世話になっております。㈱サンプルの髙橋です。\r\n①会議は令和６年４月１日（月）に行います。\r\nよろしくお願いいたします。\r\n"
	jaShort = "会議のお知らせ"

	zhText   = "您好！我们公司可以为您提供各类发票，这是我们的服务说明。"
	zhTWText = "您好！我們公司可以為您提供各類發票，這是我們的服務說明。"
	koText   = "안녕하세요. 회의 일정을 알려 드립니다. 감사합니다."
)

func readAll(t *testing.T, r *Reader) string {
	t.Helper()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !utf8.Valid(got) {
		t.Fatalf("invalid UTF-8 output %q", got)
	}
	return string(got)
}

func TestReaderLabels(t *testing.T) {
	type want struct {
		text, charset string
		findings      []Finding
	}
	tests := []struct {
		name, label, in string
		want            want
	}{
		// Right labels: no findings.
		{"shift_jis", "Shift_JIS", sjis(jaBody), want{jaBody, "shift_jis", nil}},
		{"cp932", "cp932", sjis(jaBody), want{jaBody, "shift_jis", nil}},
		{"euc-jp", "EUC-JP", euc(jaBody), want{jaBody, "euc-jp", nil}},
		{"iso-2022-jp", "ISO-2022-JP", jis(jaBody), want{jaBody, "iso-2022-jp", nil}},
		{"utf-8", "utf-8", jaBody, want{jaBody, "utf-8", nil}},
		{"us-ascii", "us-ascii", "plain text\r\n", want{"plain text\r\n", "us-ascii", nil}},
		{"no label, ASCII", "", "plain text\r\n", want{"plain text\r\n", "us-ascii", nil}},
		{"iso-8859-1 Latin text", "iso-8859-1", "caf\xe9 cr\xe8me", want{"café crème", "iso-8859-1", nil}},
		{"windows-1252", "windows-1252", "\x93quoted\x94", want{"“quoted”", "windows-1252", nil}},
		{"utf-16 with BOM", "utf-16", "\xfe\xff\x65\xe5\x67\x2c", want{"日本", "utf-16", nil}},
		{"utf-16le with line ends", "utf-16le", "\xe5\x65\x2c\x67\r\x00\n\x00", want{"日本\r\n", "utf-16le", nil}},
		// Without a byte order mark "utf-16" is big-endian, but
		// Windows writes little-endian: NULs after the ASCII decide.
		{"utf-16 without BOM, little-endian", "utf-16", "\xe5\x65\x2c\x67\r\x00\n\x00H\x00i\x00",
			want{"日本\r\nHi", "utf-16le", []Finding{{KindMislabeled, "declared utf-16, decoded as utf-16le"}}}},
		{"utf-16 without BOM, big-endian", "utf-16", "\x65\xe5\x67\x2c\x00\r\x00\n\x00H\x00i", want{"日本\r\nHi", "utf-16", nil}},
		{"utf-16 without BOM, no NUL", "utf-16", "\x65\xe5\x67\x2c", want{"日本", "utf-16", nil}},
		// Big-endian U+3000 and 一 have their NUL at an odd offset, as
		// little-endian ASCII has: the line ends decide.
		{"utf-16 without BOM, big-endian ideographic spaces", "utf-16", "\x4e\x00\x30\x00\x4e\x8c\x30\x00\x4e\x09", want{"一　二　三", "utf-16", nil}},
		{"utf-16 without BOM, big-endian lines of ideographic spaces", "utf-16", "\x30\x00\x67\x71\x00\r\x00\n\x30\x00\x4e\x00\x00\r\x00\n", want{"　東\r\n　一\r\n", "utf-16", nil}},
		{"utf-16 with little-endian BOM", "utf-16", "\xff\xfe\xe5\x65\x2c\x67\r\x00\n\x00", want{"日本\r\n", "utf-16", nil}},

		// (a) ISO-2022-JP, us-ascii or no label on 8-bit text.
		{"iso-2022-jp label, Shift_JIS bytes", "iso-2022-jp", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindMislabeled, "declared iso-2022-jp, decoded as shift_jis"}}}},
		{"iso-2022-jp label, UTF-8 bytes", "iso-2022-jp", jaBody,
			want{jaBody, "utf-8", []Finding{{KindMislabeled, "declared iso-2022-jp, decoded as utf-8"}}}},
		{"iso-2022-jp label, EUC-JP bytes", "iso-2022-jp", euc(jaBody),
			want{jaBody, "euc-jp", []Finding{{KindMislabeled, "declared iso-2022-jp, decoded as euc-jp"}}}},
		{"iso-2022-jp label, short Shift_JIS", "iso-2022-jp", sjis(jaShort),
			want{jaShort, "shift_jis", []Finding{{KindMislabeled, "declared iso-2022-jp, decoded as shift_jis"}}}},
		{"us-ascii label, Shift_JIS bytes", "us-ascii", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindMislabeled, "declared us-ascii, decoded as shift_jis"}}}},
		{"us-ascii label, UTF-8 bytes", "US-ASCII", jaShort,
			want{jaShort, "utf-8", []Finding{{KindMislabeled, "declared us-ascii, decoded as utf-8"}}}},
		{"no label, Shift_JIS", "", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindMissing, "no charset declared, decoded as shift_jis"}}}},
		{"no label, EUC-JP", "", euc(jaShort),
			want{jaShort, "euc-jp", []Finding{{KindMissing, "no charset declared, decoded as euc-jp"}}}},
		{"no label, UTF-8", "", jaShort,
			want{jaShort, "utf-8", []Finding{{KindMissing, "no charset declared, decoded as utf-8"}}}},
		{"no label, an EUC-JP name that is half-width katakana in Shift_JIS", "", euc("山田"),
			want{"山田", "euc-jp", []Finding{{KindMissing, "no charset declared, decoded as euc-jp"}}}},
		{"iso-2022-jp label, EUC-JP words that are half-width katakana in Shift_JIS", "iso-2022-jp", euc("渡辺 確認"),
			want{"渡辺 確認", "euc-jp", []Finding{{KindMislabeled, "declared iso-2022-jp, decoded as euc-jp"}}}},
		{"no label, Shift_JIS katakana that is kanji in EUC-JP", "", sjis("ｾﾝﾀｰ"),
			want{"ｾﾝﾀｰ", "shift_jis", []Finding{{KindMissing, "no charset declared, decoded as shift_jis"}}}},
		{"no label, Latin-1", "", "caf\xe9 d\xe9j\xe0 vu",
			want{"café déjà vu", "windows-1252", []Finding{{KindMissing, "no charset declared, decoded as windows-1252"}}}},
		{"no label, Latin-1 that is valid Shift_JIS", "", "Forma\xe7\xe3o: Campanha Final Ver\xe3o",
			want{"Formação: Campanha Final Verão", "windows-1252", []Finding{{KindMissing, "no charset declared, decoded as windows-1252"}}}},
		{"no label, Shift_JIS katakana that is valid windows-1252", "", sjis("テスト メール"),
			want{"テスト メール", "shift_jis", []Finding{{KindMissing, "no charset declared, decoded as shift_jis"}}}},
		{"no label, UTF-16 BOM", "", "\xff\xfe\xe5\x65\x2c\x67",
			want{"日本", "utf-16", []Finding{{KindMissing, "no charset declared, decoded as utf-16"}}}},

		// A UTF-16 label on text with a CR LF and no NUL byte, which no
		// UTF-16 line end is: it made CJK and private-use mojibake.
		{"unicode label, Shift_JIS bytes", "unicode", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindMislabeled, "declared unicode, decoded as shift_jis"}}}},
		{"utf-16le label, UTF-8 bytes", "utf-16le", jaBody,
			want{jaBody, "utf-8", []Finding{{KindMislabeled, "declared utf-16le, decoded as utf-8"}}}},
		{"utf-16 label, ASCII", "UTF-16", "Hello world\r\n",
			want{"Hello world\r\n", "us-ascii", []Finding{{KindMislabeled, "declared utf-16, decoded as us-ascii"}}}},

		// (b) Shift_JIS label on UTF-8.
		{"shift_jis label, UTF-8 bytes", "shift_jis", jaBody,
			want{jaBody, "utf-8", []Finding{{KindMislabeled, "declared shift_jis, decoded as utf-8"}}}},
		{"cp932 label, short UTF-8", "cp932", jaShort,
			want{jaShort, "utf-8", []Finding{{KindMislabeled, "declared cp932, decoded as utf-8"}}}},
		// One kanji in UTF-8 is valid Shift_JIS too: "譌･", "谿ｿ".
		{"shift_jis label, one UTF-8 kanji", "shift_jis", "日",
			want{"日", "utf-8", []Finding{{KindMislabeled, "declared shift_jis, decoded as utf-8"}}}},
		{"cp932 label, a UTF-8 file name of one kanji", "cp932", "殿.txt",
			want{"殿.txt", "utf-8", []Finding{{KindMislabeled, "declared cp932, decoded as utf-8"}}}},
		{"shift_jis label, UTF-8 with BOM", "shift_jis", "\xef\xbb\xbf" + jaShort,
			want{jaShort, "utf-8", []Finding{{KindMislabeled, "declared shift_jis, decoded as utf-8"}}}},

		// (c) ISO-2022-JP escapes without a label, or under another one.
		{"no label, ISO-2022-JP", "", jis(jaBody),
			want{jaBody, "iso-2022-jp", []Finding{{KindMissing, "no charset declared, decoded as iso-2022-jp"}}}},
		{"us-ascii label, ISO-2022-JP", "us-ascii", jis(jaShort),
			want{jaShort, "iso-2022-jp", []Finding{{KindMislabeled, "declared us-ascii, decoded as iso-2022-jp"}}}},
		{"utf-8 label, ISO-2022-JP", "utf-8", jis(jaShort),
			want{jaShort, "iso-2022-jp", []Finding{{KindMislabeled, "declared utf-8, decoded as iso-2022-jp"}}}},
		{"iso-8859-1 label, ISO-2022-JP", "iso-8859-1", jis(jaShort),
			want{jaShort, "iso-2022-jp", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as iso-2022-jp"}}}},

		// (d) Unknown labels.
		{"unknown label, Shift_JIS", "x-mac-japanese", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindUnknown, `unknown charset "x-mac-japanese", decoded as shift_jis`}}}},
		{"unknown label, ASCII", "fakescii", "hello",
			want{"hello", "us-ascii", []Finding{{KindUnknown, `unknown charset "fakescii", decoded as us-ascii`}}}},
		{"unknown label, ISO-2022-JP", "us-askey", jis(jaShort),
			want{jaShort, "iso-2022-jp", []Finding{{KindUnknown, `unknown charset "us-askey", decoded as iso-2022-jp`}}}},

		// Other mislabels between the Japanese encodings.
		{"euc-jp label, Shift_JIS bytes", "euc-jp", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindMislabeled, "declared euc-jp, decoded as shift_jis"}}}},
		{"shift_jis label, EUC-JP bytes", "shift_jis", euc(jaBody),
			want{jaBody, "euc-jp", []Finding{{KindMislabeled, "declared shift_jis, decoded as euc-jp"}}}},
		{"utf-8 label, Shift_JIS bytes", "utf-8", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindMislabeled, "declared utf-8, decoded as shift_jis"}}}},
		{"iso-8859-1 label, UTF-8 bytes", "iso-8859-1", "café crème",
			want{"café crème", "utf-8", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as utf-8"}}}},
		{"iso-8859-1 label, Shift_JIS bytes", "iso-8859-1", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as shift_jis"}}}},
		// A Latin-1 label on a short Japanese text: its C1 bytes
		// (0x80-0x9F, Shift_JIS lead bytes) were control characters the
		// text sink dropped ("テスト" showed as "eXg"), its EUC-JP bytes
		// Latin-1 symbols ("はい" as "¤Ï¤¤"), with no finding.
		{"iso-8859-1 label, short Shift_JIS", "ISO-8859-1", sjis("テスト"),
			want{"テスト", "shift_jis", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as shift_jis"}}}},
		{"iso-8859-1 label, a Shift_JIS name", "iso-8859-1", sjis("山田"),
			want{"山田", "shift_jis", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as shift_jis"}}}},
		{"iso-8859-1 label, Shift_JIS ① alone", "iso-8859-1", sjis("①"),
			want{"①", "shift_jis", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as shift_jis"}}}},
		{"windows-1252 label, short Shift_JIS", "windows-1252", sjis("会議"),
			want{"会議", "shift_jis", []Finding{{KindMislabeled, "declared windows-1252, decoded as shift_jis"}}}},
		// Katakana with ASCII trail bytes: "ƒeƒXƒg" to windows-1252.
		{"windows-1252 label, Shift_JIS katakana", "windows-1252", sjis("テスト"),
			want{"テスト", "shift_jis", []Finding{{KindMislabeled, "declared windows-1252, decoded as shift_jis"}}}},
		{"windows-1252 label, Shift_JIS loanword", "windows-1252", sjis("ポイント"),
			want{"ポイント", "shift_jis", []Finding{{KindMislabeled, "declared windows-1252, decoded as shift_jis"}}}},
		{"iso-8859-1 label, short EUC-JP", "iso-8859-1", euc("はい"),
			want{"はい", "euc-jp", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as euc-jp"}}}},
		{"iso-8859-1 label, EUC-JP kanji", "iso-8859-1", euc("会議"),
			want{"会議", "euc-jp", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as euc-jp"}}}},
		// windows-1252's quotes and dashes under ISO-8859-1, as mail
		// clients read them; they were C1 controls, dropped unseen.
		{"iso-8859-1 label, windows-1252 punctuation", "iso-8859-1", mustEncode(charmap.Windows1252, "“Hello,” she said – “it’s fine…”"),
			want{"“Hello,” she said – “it’s fine…”", "windows-1252", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as windows-1252"}}}},
		{"iso-8859-1 label, an apostrophe", "iso-8859-1", "don\x92t", want{"don’t", "windows-1252", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as windows-1252"}}}},
		{"iso-8859-1 label, euro", "iso-8859-1", "Price: \x805", want{"Price: €5", "windows-1252", []Finding{{KindMislabeled, "declared iso-8859-1, decoded as windows-1252"}}}},
		// Western words stay as labelled.
		{"windows-1252 label, French", "windows-1252", mustEncode(charmap.Windows1252, "Œuvres complètes, façade, déjà vu"), want{"Œuvres complètes, façade, déjà vu", "windows-1252", nil}},
		{"iso-8859-1 label, German", "iso-8859-1", "\xc4rger \xfcber \xd6l, Gr\xf6\xdfe", want{"Ärger über Öl, Größe", "iso-8859-1", nil}},
		{"iso-8859-1 label, capitals", "iso-8859-1", "\xc4\xd6\xdc \xc0 BIENT\xd4T", want{"ÄÖÜ À BIENTÔT", "iso-8859-1", nil}},
		{"iso-8859-1 label, symbols", "iso-8859-1", "\xa9 2024, 10 \xb0C, \xa35, \xbd", want{"© 2024, 10 °C, £5, ½", "iso-8859-1", nil}},
		// A short text (a name, a word) under a Japanese or UTF-8 label
		// its bytes are invalid in at every other character or more,
		// where another reading has no error: it showed as U+FFFD.
		{"utf-8 label, Shift_JIS name with an IBM extension", "utf-8", sjis("髙橋"),
			want{"髙橋", "shift_jis", []Finding{{KindMislabeled, "declared utf-8, decoded as shift_jis"}}}},
		{"utf-8 label, short Shift_JIS", "UTF-8", sjis("会議"),
			want{"会議", "shift_jis", []Finding{{KindMislabeled, "declared utf-8, decoded as shift_jis"}}}},
		{"utf-8 label, Shift_JIS half-width kana", "utf-8", sjis("ｱｲｳ"),
			want{"ｱｲｳ", "shift_jis", []Finding{{KindMislabeled, "declared utf-8, decoded as shift_jis"}}}},
		{"euc-jp label, short Shift_JIS", "euc-jp", sjis("了解"),
			want{"了解", "shift_jis", []Finding{{KindMislabeled, "declared euc-jp, decoded as shift_jis"}}}},
		{"shift_jis label, short EUC-JP", "shift_jis", euc("会議"),
			want{"会議", "euc-jp", []Finding{{KindMislabeled, "declared shift_jis, decoded as euc-jp"}}}},
		{"utf-8 label, short EUC-JP", "utf-8", euc("了解"),
			want{"了解", "euc-jp", []Finding{{KindMislabeled, "declared utf-8, decoded as euc-jp"}}}},
		// Latin-1 under UTF-8: accented letters in words stay U+FFFD
		// (they read as half-width katakana too).
		{"utf-8 label, Latin-1 word", "utf-8", "\xc4rger \xfcber \xd6l",
			want{"\uFFFDrger \uFFFDber \uFFFDl", "utf-8", []Finding{{KindInvalid, "3 invalid sequences in utf-8"}}}},
		{"shift_jis label, half-width kana kept", "shift_jis", sjis("ﾃｽﾄ ﾒｰﾙ ｶﾞｯｺｳ"),
			want{"ﾃｽﾄ ﾒｰﾙ ｶﾞｯｺｳ", "shift_jis", nil}},
		{"euc-jp label, half-width kana kept", "euc-jp", euc("ﾃｽﾄ ﾒｰﾙ"),
			want{"ﾃｽﾄ ﾒｰﾙ", "euc-jp", nil}},

		// Undecodable bytes: U+FFFD and a count, never silent.
		{"Shift_JIS with a stray byte", "shift_jis", sjis("テスト") + "\xff" + sjis("です"),
			want{"テスト\uFFFDです", "shift_jis", []Finding{{KindInvalid, "1 invalid sequence in shift_jis"}}}},
		// 0x80 has no character in Shift_JIS or CP932; x/text makes it
		// the C1 control U+0080, which the text sink drops: the byte
		// vanished with no finding.
		{"Shift_JIS with a stray 0x80", "shift_jis", sjis("テスト") + "A\x80B",
			want{"テストA\uFFFDB", "shift_jis", []Finding{{KindInvalid, "1 invalid sequence in shift_jis"}}}},
		{"Shift_JIS carrier emoji (user-defined area)", "shift_jis", sjis("題名") + "\xf8\xd7",
			want{"題名\uFFFD", "shift_jis", []Finding{{KindInvalid, "1 invalid sequence in shift_jis"}}}},
		{"UTF-8 with stray bytes", "utf-8", jaBody + "\xff\xfe" + jaBody,
			want{jaBody + "\uFFFD\uFFFD" + jaBody, "utf-8", []Finding{{KindInvalid, "2 invalid sequences in utf-8"}}}},
		{"UTF-8 with a U+FFFD of its own", "utf-8", "a\uFFFDb",
			want{"a\uFFFDb", "utf-8", nil}},
		{"ISO-2022-JP with unassigned cells", "iso-2022-jp", "\x1b$B\x24\x22\x2f\x21\x2f\x22\x1b(B",
			want{"あ\uFFFD\uFFFD", "iso-2022-jp", []Finding{{KindInvalid, "2 invalid sequences in iso-2022-jp"}}}},
		{"us-ascii label, binary junk", "us-ascii", "a\x80\x80\x80\x80b",
			want{"a\uFFFD\uFFFD\uFFFD\uFFFDb", "utf-8", []Finding{{KindMislabeled, "declared us-ascii, decoded as utf-8"}, {KindInvalid, "4 invalid sequences in utf-8"}}}},
		{"Shift_JIS label, one carrier emoji stays Shift_JIS", "Shift_JIS", "\xf9\xb1\r\n",
			want{"\uFFFD\r\n", "shift_jis", []Finding{{KindInvalid, "1 invalid sequence in shift_jis"}}}},

		// Chinese and Korean without a label are not taken for Japanese.
		{"no label, GBK Chinese", "", mustEncode(simplifiedchinese.GBK, zhText),
			want{zhText, "gbk", []Finding{{KindMissing, "no charset declared, decoded as gbk"}}}},
		{"no label, Big5 Chinese", "", mustEncode(traditionalchinese.Big5, zhTWText),
			want{zhTWText, "big5", []Finding{{KindMissing, "no charset declared, decoded as big5"}}}},
		{"us-ascii label, EUC-KR Korean", "us-ascii", mustEncode(korean.EUCKR, koText),
			want{koText, "euc-kr", []Finding{{KindMislabeled, "declared us-ascii, decoded as euc-kr"}}}},
		{"UTF-7", "utf-7", "Hi Mom -+Jjo--!", want{"Hi Mom -☺-!", "utf-7", nil}},
		// A Chinese or Korean label on Japanese text read as labelled
		// without an error: "お坤厦" for お世話, "偼偄" for はい.
		{"gb2312 label, Shift_JIS", "gb2312", sjis(jaBody),
			want{jaBody, "shift_jis", []Finding{{KindMislabeled, "declared gb2312, decoded as shift_jis"}}}},
		{"gb2312 label, EUC-JP", "GB2312", euc(jaBody),
			want{jaBody, "euc-jp", []Finding{{KindMislabeled, "declared gb2312, decoded as euc-jp"}}}},
		{"gb18030 label, a short EUC-JP name", "gb18030", euc("山田太郎"),
			want{"山田太郎", "euc-jp", []Finding{{KindMislabeled, "declared gb18030, decoded as euc-jp"}}}},
		{"big5 label, short EUC-JP katakana", "big5", euc("テスト"),
			want{"テスト", "euc-jp", []Finding{{KindMislabeled, "declared big5, decoded as euc-jp"}}}},
		{"ks_c_5601-1987 label, short Shift_JIS", "ks_c_5601-1987", sjis("はい"),
			want{"はい", "shift_jis", []Finding{{KindMislabeled, "declared ks_c_5601-1987, decoded as shift_jis"}}}},
		{"euc-kr label, EUC-JP", "euc-kr", euc(jaBody),
			want{jaBody, "euc-jp", []Finding{{KindMislabeled, "declared euc-kr, decoded as euc-jp"}}}},
		// Chinese and Korean under their labels stay, short or long, and
		// so does Japanese that reads as well as Chinese ("東京都").
		{"gb2312 label, Chinese", "gb2312", mustEncode(simplifiedchinese.GBK, zhText), want{zhText, "gbk", nil}},
		{"gb2312 label, a Chinese address", "gb2312", mustEncode(simplifiedchinese.GBK, "日本东京都千代田区"), want{"日本东京都千代田区", "gbk", nil}},
		{"gb2312 label, two hanzi", "gb2312", mustEncode(simplifiedchinese.GBK, "发票"), want{"发票", "gbk", nil}},
		{"big5 label, Chinese", "big5", mustEncode(traditionalchinese.Big5, zhTWText), want{zhTWText, "big5", nil}},
		{"big5 label, short Chinese", "big5", mustEncode(traditionalchinese.Big5, "東京都"), want{"東京都", "big5", nil}},
		{"euc-kr label, Korean", "euc-kr", mustEncode(korean.EUCKR, koText), want{koText, "euc-kr", nil}},
		{"euc-kr label, hanja", "euc-kr", mustEncode(korean.EUCKR, "大韓民國"), want{"大韓民國", "euc-kr", nil}},
		{"gb2312 label, short Shift_JIS that reads as hanzi", "gb2312", sjis("了解"), want{"椆夝", "gbk", nil}},
		// Japanese written in GBK (a Chinese-locale mail client): its
		// kana are where EUC-JP has them, and only the kanji tell the
		// two readings apart; they read as Chinese.
		{"gbk label, Japanese in GBK", "gbk", mustEncode(simplifiedchinese.GBK, "了解しました。明日伺います。"), want{"了解しました。明日伺います。", "gbk", nil}},
		{"gb2312 label, a short Japanese reply in GBK", "gb2312", mustEncode(simplifiedchinese.GBK, "はい、分かりました。"), want{"はい、分かりました。", "gbk", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.label, strings.NewReader(tt.in))
			got := readAll(t, r)
			if got != tt.want.text {
				t.Errorf("text = %q, want %q", got, tt.want.text)
			}
			if r.Charset() != tt.want.charset {
				t.Errorf("Charset() = %q, want %q", r.Charset(), tt.want.charset)
			}
			if fs := r.Findings(); !equalFindings(fs, tt.want.findings) {
				t.Errorf("Findings() = %v, want %v", fs, tt.want.findings)
			}
			// decodeBytes (used for headers) agrees with the Reader.
			text, d, n := decodeBytes(tt.label, []byte(tt.in))
			if text != got || d.codec.name != r.Charset() || (n > 0) != hasKind(r.Findings(), KindInvalid) {
				t.Errorf("decodeBytes = %q, %s, %d invalid; Reader gave %q, %s", text, d.codec.name, n, got, r.Charset())
			}
		})
	}
}

func equalFindings(a, b []Finding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasKind(fs []Finding, kind string) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

// TestReaderLateBytes: 8-bit text or ISO-2022-JP that begins after the
// first 64 KiB of ASCII is still detected.
func TestReaderLateBytes(t *testing.T) {
	pad := strings.Repeat("ascii line of text for padding.\r\n", 3000) // ~100 KiB
	tests := []struct {
		name, label, tail, charset string
		finding                    Finding
	}{
		{"Shift_JIS", "", sjis(jaBody), "shift_jis", Finding{KindMissing, "no charset declared, decoded as shift_jis"}},
		{"UTF-8", "", jaBody, "utf-8", Finding{KindMissing, "no charset declared, decoded as utf-8"}},
		{"ISO-2022-JP", "", jis(jaBody), "iso-2022-jp", Finding{KindMissing, "no charset declared, decoded as iso-2022-jp"}},
		{"EUC-JP under us-ascii", "us-ascii", euc(jaBody), "euc-jp", Finding{KindMislabeled, "declared us-ascii, decoded as euc-jp"}},
		{"Shift_JIS under iso-2022-jp", "iso-2022-jp", sjis(jaBody), "shift_jis", Finding{KindMislabeled, "declared iso-2022-jp, decoded as shift_jis"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.label, strings.NewReader(pad+"\x1b[0m"+tt.tail))
			got := readAll(t, r)
			if got != pad+"\x1b[0m"+jaBody {
				t.Errorf("text differs; tail %q", clip(got[len(pad):], 200))
			}
			if r.Charset() != tt.charset || !equalFindings(r.Findings(), []Finding{tt.finding}) {
				t.Errorf("Charset %q findings %v; want %q %v", r.Charset(), r.Findings(), tt.charset, tt.finding)
			}
		})
	}
}

// TestReaderStreaming: reading one byte at a time, from a source that
// returns one byte at a time, gives the same text.
func TestReaderStreaming(t *testing.T) {
	big := strings.Repeat(jaBody, 2000) // ~300 KiB of UTF-8
	inputs := []struct{ label, in, want string }{
		{"shift_jis", sjis(big), big},
		{"iso-2022-jp", jis(big), big},
		{"euc-jp", euc(big), big},
		{"utf-8", "\xef\xbb\xbf" + big, big},
		{"utf-7", "+ZeVnLIqe- +ZeVnLIqe-", "日本語 日本語"},
		{"iso-2022-jp", "a\x1b$B\x24\x22\x1b(Bb\x0e\x31\x0fc", "aあbｱc"},
	}
	for _, in := range inputs {
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"plain":    func(r io.Reader) io.Reader { return r },
			"one byte": iotest.OneByteReader,
			"half":     iotest.HalfReader,
		} {
			r := NewReader(in.label, wrap(strings.NewReader(in.in)))
			var out bytes.Buffer
			p := make([]byte, 1)
			for {
				n, err := r.Read(p)
				out.Write(p[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s/%s: %v", in.label, name, err)
				}
				if name == "plain" {
					p = make([]byte, 1+out.Len()%7) // vary the size
				}
			}
			if out.String() != in.want {
				t.Errorf("%s/%s: got %q…, want %q…", in.label, name, clip(out.String(), 60), clip(in.want, 60))
			}
			if len(r.Findings()) != 0 {
				t.Errorf("%s/%s: findings %v", in.label, name, r.Findings())
			}
		}
	}
	if err := iotest.TestReader(NewReader("shift_jis", strings.NewReader(sjis(big))), []byte(big)); err != nil {
		t.Error(err)
	}
}

func TestReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := NewReader("shift_jis", io.MultiReader(strings.NewReader(sjis(jaShort)), iotest.ErrReader(boom)))
	_, err := io.ReadAll(r)
	if !errors.Is(err, boom) {
		t.Errorf("error = %v, want %v wrapped", err, boom)
	}
	r = NewReader("", iotest.ErrReader(boom))
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, boom) {
		t.Errorf("first read error = %v, want %v wrapped", err, boom)
	}
}

// TestReaderMatchesXText compares NewReader with a right label to x/text's decoders
// on every byte pair, so our counting wrappers change nothing but
// Shift_JIS's lone 0x80, which x/text (like CP932) makes the C1 control
// U+0080 and we make U+FFFD.
func TestReaderMatchesXText(t *testing.T) {
	var all []byte
	for hi := 0x80; hi < 0x100; hi++ {
		for lo := 0x20; lo < 0x100; lo += 3 {
			all = append(all, byte(hi), byte(lo), ' ')
		}
	}
	for label, enc := range map[string]encoding.Encoding{
		"shift_jis": japanese.ShiftJIS, "euc-jp": japanese.EUCJP, "windows-1252": charmap.Windows1252,
		"utf-16le": unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	} {
		want, err := enc.NewDecoder().Bytes(all)
		if err != nil {
			t.Fatal(err)
		}
		if label == "shift_jis" {
			want = bytes.ReplaceAll(want, []byte("\u0080"), []byte("\uFFFD"))
		}
		c, _ := lookup(label)
		n := 0
		got := runDecoder(c.newDecoder(&n), all)
		if got != string(want) {
			t.Errorf("%s: our decoder differs from x/text", label)
		}
		if n != bytes.Count(want, []byte("\uFFFD")) {
			t.Errorf("%s: counted %d invalid, x/text made %d U+FFFD", label, n, bytes.Count(want, []byte("\uFFFD")))
		}
	}
}

// TestDetectShortTexts: Subject-sized texts without a label (or under the
// common wrong label iso-2022-jp) are read in the right charset. A few
// inputs are ambiguous by nature; for those the test asserts only that the
// guess is reported.
func TestDetectShortTexts(t *testing.T) {
	phrases := []string{"テスト", "会議のお知らせ", "こんにちは、山田です。", "①②③ ㈱ ㍻ 髙橋 ⅱ", "Re: 見積書の件",
		"東京都千代田区", "漢字", "日本語", "株式会社", "申請書", "【重要】", "ﾃｽﾄ ﾒｰﾙ", "ｱｲｳｴｵ", "ｶﾞｯｺｳ",
		// Names and words whose EUC-JP bytes are all half-width
		// katakana in Shift_JIS (山田 was ｻｳﾅﾄ), and katakana words of
		// such bytes that must stay katakana.
		"山田", "渡辺", "小林", "山田太郎", "確認", "重要", "ｾﾝﾀｰ", "ﾀｶﾊｼ", "ﾃｽﾄﾒｰﾙ", "ｼｽﾃﾑ"}
	// Known ambiguities: half-width katakana in EUC-JP (0x8E pairs are
	// also valid Shift_JIS kanji), even-length half-width katakana in
	// Shift_JIS that is valid UTF-8.
	ambiguous := map[string]bool{
		"euc-jp/ﾃｽﾄ ﾒｰﾙ": true, "euc-jp/ｱｲｳｴｵ": true, "euc-jp/ｶﾞｯｺｳ": true,
		"euc-jp/ｾﾝﾀｰ": true, "euc-jp/ﾀｶﾊｼ": true, "euc-jp/ﾃｽﾄﾒｰﾙ": true, "euc-jp/ｼｽﾃﾑ": true,
	}
	encs := []struct {
		name string
		enc  func(string) string
	}{
		{"shift_jis", sjis}, {"euc-jp", euc}, {"utf-8", func(s string) string { return s }},
	}
	for _, p := range phrases {
		for _, e := range encs {
			for _, label := range []string{"", "iso-2022-jp"} {
				key := e.name + "/" + p
				r := NewReader(label, strings.NewReader(e.enc(p)))
				got := readAll(t, r)
				switch {
				case ambiguous[key]:
					if got != p && len(r.Findings()) == 0 {
						t.Errorf("%s label %q: wrong guess %s without a finding", key, label, r.Charset())
					}
				case got != p:
					t.Errorf("%s label %q: got %q as %s %v", key, label, got, r.Charset(), r.Findings())
				}
			}
		}
	}
}

// TestReaderStray80Streaming: Shift_JIS's lone 0x80 becomes U+FFFD however
// small the reads, the decoder's widening of it fitting every buffer.
func TestReaderStray80Streaming(t *testing.T) {
	text := strings.Repeat("ｱ"+jaShort+"\x80", 300)
	in := strings.ReplaceAll(sjis(strings.ReplaceAll(text, "\x80", "|")), "|", "\x80")
	want := strings.ReplaceAll(text, "\x80", "\uFFFD")
	for size := 1; size <= 9; size++ {
		r := NewReader("shift_jis", iotest.OneByteReader(strings.NewReader(in)))
		var out bytes.Buffer
		p := make([]byte, size)
		for {
			n, err := r.Read(p)
			out.Write(p[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if out.String() != want || !equalFindings(r.Findings(), []Finding{{KindInvalid, "300 invalid sequences in shift_jis"}}) {
			t.Errorf("reads of %d: %q…, %v", size, clip(out.String(), 60), r.Findings())
		}
	}
}

// TestKanjiOnly: the rows GB2312 and EUC-JP share are left out a
// character at a time, so that a kanji's second byte (0xA4 in 0xB0 0xA4)
// is not taken for the first byte of a kana.
func TestKanjiOnly(t *testing.T) {
	// a 日 あ 本 い b 阿 (B0 A4) あ
	got := kanjiOnly([]byte("a\xc6\xfc\xa4\xa2\xcb\xdc\xa4\xa4b\xb0\xa4\xa4\xa2"))
	if want := "a\xc6\xfc\xcb\xdcb\xb0\xa4"; string(got) != want {
		t.Errorf("kanjiOnly = %q, want %q", got, want)
	}
}
