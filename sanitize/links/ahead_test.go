package links

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestUserinfoAheadMemo checks that what userinfoAhead remembers of a
// word never changes its answer: the same questions, asked in the order
// the scanners ask them (mostly forward, sometimes back) with one memo,
// get the answers they get without one. The words run past maxUserinfo,
// so the bound is crossed with and without a remembered stretch.
func TestUserinfoAheadMemo(t *testing.T) {
	pieces := []string{"a", "】", "http:", "www.", "@", " ", "<", "\x01", strings.Repeat("x", 1000), strings.Repeat("】", 700)}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		var b strings.Builder
		for b.Len() < 1+rng.IntN(12000) {
			p := pieces[rng.IntN(len(pieces))]
			if p == "@" || p == " " || p == "<" || p == "\x01" {
				if rng.IntN(4) != 0 {
					continue // keep words long
				}
			}
			b.WriteString(p)
		}
		s := b.String()
		var a ahead
		j := 0
		for range 200 {
			switch rng.IntN(10) {
			case 0:
				j = rng.IntN(len(s)) // anywhere, back too
			default:
				j = min(len(s)-1, j+rng.IntN(64))
			}
			if got, want := userinfoAhead(s, j, &a), userinfoAhead(s, j, nil); got != want {
				t.Fatalf("string %d (%d bytes), at %d: %v with the memo, %v without (memo %+v)", n, len(s), j, got, want, a)
			}
		}
	}
}

// TestUserinfoAheadBound pins the answers at maxUserinfo: a word of
// exactly maxUserinfo bytes that ends the text has no user name, one byte
// more has.
func TestUserinfoAheadBound(t *testing.T) {
	word := strings.Repeat("x", maxUserinfo)
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{word, false},
		{word + "x", true},
		{word + " ", true},
		{word[1:] + "@", true},
		{word[1:] + " @", false},
	} {
		for _, a := range []*ahead{nil, {}} {
			if got := userinfoAhead(tc.s, 0, a); got != tc.want {
				t.Errorf("%d bytes ending %q (memo %v): %v, want %v", len(tc.s), tc.s[len(tc.s)-2:], a != nil, got, tc.want)
			}
		}
	}
}

// TestHasLongLine: settleLong takes a second pass over a block of lines
// only where one line, not the block, is longer than maxUserinfo.
func TestHasLongLine(t *testing.T) {
	short := strings.Repeat("x", maxUserinfo-1) + "\n"
	exact := strings.Repeat("x", maxUserinfo)
	tests := []struct {
		name string
		b    string
		want bool
	}{
		{"empty", "", false},
		{"one line at the limit", exact, false},
		{"one line at the limit, ended", exact + "\n", false},
		{"one line past it", exact + "x", true},
		{"one line past it, ended", exact + "x\n", true},
		{"short lines longer together", short + short + short, false},
		{"a long line after short ones", short + short + exact + "x", true},
		{"a long line before short ones", exact + "x\n" + short, true},
	}
	for _, tt := range tests {
		if got := hasLongLine([]byte(tt.b)); got != tt.want {
			t.Errorf("%s: hasLongLine = %v, want %v", tt.name, got, tt.want)
		}
	}
}
