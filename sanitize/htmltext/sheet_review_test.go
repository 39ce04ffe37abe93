package htmltext

import (
	"fmt"
	"strings"
	"testing"
)

// Inputs that would make matching cost far more than the document is
// long stop at the match budget, and say so, whatever the cost of one
// selector test.
func TestStyleSheetBudgetCharged(t *testing.T) {
	var rules strings.Builder
	rules.WriteString("<style>")
	for i := 0; i < maxRules; i++ {
		// Distinct blocks, so that the rules are not read as one given
		// again.
		fmt.Fprintf(&rules, ".a{display:block;z-index:%d}\n", i)
	}
	rules.WriteString("</style>")
	tests := []struct{ name, in string }{
		// Each word of the class gathered all 2048 rules of "a" again,
		// and sorted them, at no cost: 100 such elements took seconds.
		{"class given many times", rules.String() + strings.Repeat(`<i class="`+strings.Repeat("a ", 1000)+`">x</i>`, 20)},
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
