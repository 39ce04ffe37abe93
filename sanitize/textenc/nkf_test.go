package textenc

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNkfPeer: text that nkf, the converter Japanese Unix systems and
// their mailers use, writes in each Japanese charset is decoded to what
// it was, under its own label, under none and under the common wrong
// label iso-2022-jp. The names and words are the short ones a guess gets
// wrong most easily (an EUC-JP name is half-width katakana in Shift_JIS;
// a katakana word is kanji in EUC-JP).
func TestNkfPeer(t *testing.T) {
	nkf, err := exec.LookPath("nkf")
	if err != nil {
		if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
			t.Fatal("nkf not found (apt-get install nkf)")
		}
		t.Skip("nkf not found")
	}
	texts := []string{
		"山田太郎", "渡辺", "小林", "確認", "重要", "申請書", "会議室",
		"ｾﾝﾀｰ", "ﾀｶﾊｼ", "ﾃｽﾄ ﾒｰﾙ", "はい", "了解です。", "テスト",
		"①㈱髙ⅱ", "髙橋様", jaBody,
	}
	charsets := []struct{ oc, label string }{
		// -x keeps half-width katakana (nkf widens them by default).
		{"CP932", "shift_jis"}, {"CP51932", "euc-jp"}, {"EUC-JP", "euc-jp"}, {"CP50221", "iso-2022-jp"},
	}
	for _, text := range texts {
		for _, cs := range charsets {
			cmd := exec.Command(nkf, "-W", "-x", "--oc="+cs.oc)
			cmd.Stdin = strings.NewReader(text)
			enc, err := cmd.Output()
			if err != nil {
				t.Fatalf("nkf --oc=%s: %v", cs.oc, err)
			}
			for _, label := range []string{cs.label, "", "iso-2022-jp"} {
				r := NewReader(label, bytes.NewReader(enc))
				got := readAll(t, r)
				// Half-width katakana alone in EUC-JP (8E A1-DF pairs) are
				// Shift_JIS kanji too (ｾﾝﾀｰ 疾爵実鴫), and nkf --guess
				// says Shift_JIS as well: the guess must be reported.
				if label != cs.label && cs.label == "euc-jp" && halfKanaOnly(text) {
					if got != text && len(r.Findings()) == 0 {
						t.Errorf("%q from nkf --oc=%s, label %q: wrong guess %s without a finding", text, cs.oc, label, r.Charset())
					}
					continue
				}
				if got != text {
					t.Errorf("%q from nkf --oc=%s, label %q: got %q as %s %v", clip(text, 20), cs.oc, label, clip(got, 40), r.Charset(), r.Findings())
				}
			}
		}
	}
}

// halfKanaOnly reports text whose characters beyond ASCII are all
// half-width katakana.
func halfKanaOnly(s string) bool {
	for _, r := range s {
		if r >= 0x80 && (r < 0xff61 || r > 0xff9f) {
			return false
		}
	}
	return true
}
