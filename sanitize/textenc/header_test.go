package textenc

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodeHeader(t *testing.T) {
	nichi := "\xe6\x97\xa5" // 日 in UTF-8
	tests := []struct {
		name, in, want string
		findings       []Finding
	}{
		{"plain ASCII", "Meeting tomorrow", "Meeting tomorrow", nil},
		{"empty", "", "", nil},
		{"B UTF-8", "=?UTF-8?B?5pel5pys6Kqe?=", "日本語", nil},
		{"lowercase b and charset", "=?utf-8?b?5pel5pys6Kqe?=", "日本語", nil},
		{"Q Latin-1", "=?ISO-8859-1?Q?caf=E9_au_lait?=", "café au lait", nil},
		{"Q lowercase hex", "=?utf-8?q?=e3=81=82?=", "あ", nil},
		{"B ISO-2022-JP", "=?ISO-2022-JP?B?" + b64(jis("テスト")) + "?=", "テスト", nil},
		{"ISO-2022-JP with NEC/IBM extensions", "=?iso-2022-jp?B?" + b64("\x1b$B\x2d\x21\x2d\x6a\x7c\x62\x1b(I\x31\x1b(B") + "?=", "①㈱髙ｱ", nil},
		{"B Shift_JIS", "=?shift_jis?B?" + b64(sjis("見積書")) + "?=", "見積書", nil},
		{"B CP932 label", "=?CP932?B?" + b64(sjis("①②")) + "?=", "①②", nil},
		{"B EUC-JP", "=?EUC-JP?B?" + b64(euc("日本語")) + "?=", "日本語", nil},
		{"RFC 2231 language in word", "=?UTF-8*ja?B?5pel5pys6Kqe?=", "日本語", nil},
		{"adjacent words joined", "=?UTF-8?B?5pel?= =?UTF-8?B?5pys?=", "日本", nil},
		{"adjacent words, several spaces and tabs", "=?UTF-8?B?5pel?= \t =?UTF-8?Q?=E6=9C=AC?=", "日本", nil},
		{"words of different charsets joined", "=?UTF-8?B?5pel?= =?ISO-2022-JP?B?" + b64(jis("本")) + "?=", "日本", nil},
		{"text between words kept", "=?UTF-8?B?5pel?= and =?UTF-8?B?5pys?=", "日 and 本", nil},
		{"folded", "=?UTF-8?B?5pel?=\r\n =?UTF-8?B?5pys?=\r\n\t=?UTF-8?B?6Kqe?=", "日本語", nil},
		{"folded plain text", "Re: a long\r\n subject", "Re: a long subject", nil},
		{"character split across words", "=?UTF-8?B?" + b64(nichi[:2]) + "?= =?UTF-8?B?" + b64(nichi[2:]+"本") + "?=", "日本", nil},
		{"Q character split across words", "=?UTF-8?Q?=E6=97?= =?UTF-8?Q?=A5?=", "日", nil},
		{"Shift_JIS character split across words", "=?SHIFT_JIS?B?" + b64(sjis("テ")[:1]) + "?= =?shift_jis?B?" + b64(sjis("テ")[1:]+sjis("スト")) + "?=", "テスト", nil},
		{"ISO-2022-JP shift state across words",
			"=?ISO-2022-JP?B?" + b64("\x1b$B\x24\x22") + "?= =?ISO-2022-JP?B?" + b64("\x24\x24\x1b(B") + "?=", "あい", nil},
		{"base64 split inside a quantum", "=?UTF-8?B?5pel5p?= =?UTF-8?B?ys6Kqe?=", "日本語", nil},
		{"glued to text", "Re:=?UTF-8?B?5pel5pys6Kqe?=", "Re:日本語", nil},
		{"glued on both sides", "[ML]=?UTF-8?B?5pel?=(1)", "[ML]日(1)", nil},
		{"inside a quoted string", `"=?UTF-8?B?5bGx55Sw?=" <yamada@example.jp>`, `"山田" <yamada@example.jp>`, nil},
		{"missing padding", "=?UTF-8?B?5pel5pys6Kqe5paH?=", "日本語文", nil},
		{"broken by folding inside the word", "=?ISO-2022-JP?B?GyRCJUYlOSVI\r\n JWEhPCVrGyhC?=", "テストメール",
			[]Finding{{KindEncodedWordInvalid, "encoded word broken by folding, joined"}}},
		{"junk in base64", "=?UTF-8?B?5pel*5pys?=", "日本",
			[]Finding{{KindEncodedWordInvalid, "invalid base64 in encoded word, repaired"}}},
		{"unknown charset", "=?x-unknown?B?" + b64(sjis("テスト")) + "?=", "テスト",
			[]Finding{{KindUnknown, `unknown charset "x-unknown", decoded as shift_jis`}}},
		{"mislabeled word", "=?ISO-2022-JP?B?" + b64(sjis("お知らせ")) + "?=", "お知らせ",
			[]Finding{{KindMislabeled, "declared iso-2022-jp, decoded as shift_jis"}}},
		{"Shift_JIS name labelled iso-8859-1", "=?ISO-8859-1?B?" + b64(sjis("山田太郎")) + "?=", "山田太郎",
			[]Finding{{KindMislabeled, "declared iso-8859-1, decoded as shift_jis"}}},
		{"Shift_JIS name labelled UTF-8", "=?UTF-8?B?" + b64(sjis("髙橋")) + "?=", "髙橋",
			[]Finding{{KindMislabeled, "declared utf-8, decoded as shift_jis"}}},
		{"one UTF-8 kanji labelled Shift_JIS", "=?Shift_JIS?B?" + b64("日") + "?=", "日",
			[]Finding{{KindMislabeled, "declared shift_jis, decoded as utf-8"}}},
		{"UTF-8 labelled us-ascii", "=?us-ascii?Q?=E6=97=A5?=", "日",
			[]Finding{{KindMislabeled, "declared us-ascii, decoded as utf-8"}}},
		{"invalid bytes", "=?UTF-8?B?" + b64("a\xffb") + "?=", "a\uFFFDb",
			[]Finding{{KindInvalid, "1 invalid sequence in utf-8"}}},
		{"raw UTF-8 (RFC 6532)", "日本語のテスト", "日本語のテスト", nil},
		{"raw Shift_JIS", sjis("①②③ 会議"), "①②③ 会議",
			[]Finding{{KindMissing, "unencoded header text, decoded as shift_jis"}}},
		{"raw EUC-JP name", euc("山田太郎") + " <yamada@example.jp>", "山田太郎 <yamada@example.jp>",
			[]Finding{{KindMissing, "unencoded header text, decoded as euc-jp"}}},
		{"raw EUC-JP folded", euc("テスト") + "\r\n " + euc("テスト"), "テスト テスト",
			[]Finding{{KindMissing, "unencoded header text, decoded as euc-jp"}}},
		{"raw Latin-1 (mikel-mail invalid_subject_characters)", "Forma\xe7\xe3o FrenetikPolis: Mega Campanha Final Ver\xe3o", "Formação FrenetikPolis: Mega Campanha Final Verão",
			[]Finding{{KindMissing, "unencoded header text, decoded as windows-1252"}}},
		{"raw ISO-2022-JP", jis("テスト"), "テスト",
			[]Finding{{KindMissing, "unencoded header text, decoded as iso-2022-jp"}}},
		{"raw Shift_JIS beside an encoded word", "Re: " + sjis("会議") + " =?UTF-8?B?5pel?=", "Re: 会議 日",
			[]Finding{{KindMissing, "unencoded header text, decoded as shift_jis"}}},
		{"not an encoding", "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=", nil},
		{"Q with a space is not a word", "=?UTF-8?Q?a b?=", "=?UTF-8?Q?a b?=", nil},
		{"unterminated word", "=?UTF-8?B?5pel", "=?UTF-8?B?5pel", nil},
		{"stray =?", "a =? b ?= c", "a =? b ?= c", nil},
		{"empty word", "a =?UTF-8?B??= b", "a  b", nil},
		{"NUL becomes a space", "te\x00st", "te st", nil},
		{"encoded CR LF cannot break the header", "=?UTF-8?Q?a=0D=0ABcc:_x@example.com?=", "a  Bcc: x@example.com", nil},
		{"C1 control", "=?UTF-8?B?" + b64("a\u0085b") + "?=", "a b", nil},
		{"only NUL", "\x00", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, fs := DecodeHeader(tt.in)
			if got != tt.want {
				t.Errorf("DecodeHeader(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !equalFindings(fs, tt.findings) {
				t.Errorf("findings = %v, want %v", fs, tt.findings)
			}
			if !utf8.ValidString(got) {
				t.Errorf("invalid UTF-8: %q", got)
			}
		})
	}
}

// TestDecodeHeaderLinear: a long header of many words decodes in one pass.
func TestDecodeHeaderLong(t *testing.T) {
	in := strings.Repeat("=?UTF-8?B?5pel?= ", 20000) + strings.Repeat("=?", 20000)
	got, _ := DecodeHeader(in)
	if !strings.HasPrefix(got, strings.Repeat("日", 20000)) {
		t.Errorf("got %q…", clip(got, 40))
	}
}
