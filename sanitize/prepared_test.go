package sanitize

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"mugai/config"
)

// TestPreparedSameAsPolicy sanitises every golden input under several
// policies: with the notice's lead encoded line by line with the body
// (the reference), with the policy as it is, normalised for the call, and
// with one Prepared shared by concurrent calls (as the gateway does). The
// messages and reports must be the same.
func TestPreparedSameAsPolicy(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("golden inputs: %d, %v", len(files), err)
	}
	variants := map[string]func(*config.Policy){
		"default": nil,
		"bottom":  func(p *config.Policy) { p.Notice.Position = "bottom" },
		"notice-text": func(p *config.Policy) {
			p.Notice.Text = "お知らせ: https://portal.example.lg.jp/mail を参照。\n二行目 \u202e です"
		},
		"links-remove": func(p *config.Policy) { p.Body.Links = "remove"; p.Notice.Text = "see www.example.jp" },
		"links-keep":   func(p *config.Policy) { p.Body.Links = "keep"; p.Notice.Position = "bottom" },
		"iso-2022-jp":  func(p *config.Policy) { p.OutputCharset = "iso-2022-jp" },
		"keep-pdf":     keepAlso(config.KeepRule{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}, MaxSize: 1 << 20}),
	}
	boundary := regexp.MustCompile(`=_mugai_[0-9a-f]{24}`)
	run := func(in []byte, opt Options) string {
		var out bytes.Buffer
		rep, err := Message(&out, bytes.NewReader(in), int64(len(in)), opt)
		if err != nil {
			return "error: " + err.Error()
		}
		j, _ := json.Marshal(rep)
		return boundary.ReplaceAllString(out.String(), "=_mugai_X") + "\n" + string(j)
	}
	// Mostly ASCII text, so the body is quoted-printable (the golden
	// inputs are short, and the Japanese notice makes them base64).
	inputs := map[string][]byte{
		"ascii-long": []byte(benchHeader("ascii") + "Content-Type: text/plain\r\n\r\n" + plainText(3000)),
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = in
	}
	qp := 0
	for name, mod := range variants {
		pol := defaultPolicy(t)
		if mod != nil {
			mod(&pol)
		}
		prep := Prepare(pol)
		var wg sync.WaitGroup
		for f, in := range inputs {
			for _, id := range []string{"", "q-1"} {
				ref := &Prepared{pol: normalise(pol)}
				ref.pol.noQP = true
				want := run(in, Options{Prepared: ref, PolicyName: name, OriginalID: id, QueueID: "queue-1", Received: goldenReceived})
				if strings.Contains(want, "Transfer-Encoding: quoted-printable") {
					qp++
				}
				if got := run(in, Options{Policy: pol, PolicyName: name, OriginalID: id, QueueID: "queue-1", Received: goldenReceived}); got != want {
					t.Errorf("%s [%s]: output differs from the reference:\n--- reference\n%s\n--- policy\n%s", f, name, want, got)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 2; i++ {
						// Policy is a different one: Prepared wins.
						got := run(in, Options{Prepared: prep, Policy: config.Policy{Body: config.Body{Links: "keep"}}, PolicyName: name, OriginalID: id, QueueID: "queue-1", Received: goldenReceived})
						if got != want {
							t.Errorf("%s [%s]: output with Prepared differs:\n--- policy\n%s\n--- prepared\n%s", f, name, want, got)
							return
						}
					}
				}()
			}
		}
		wg.Wait()
	}
	if qp < len(variants) {
		t.Errorf("only %d quoted-printable bodies: the cached lead is hardly tested", qp)
	}
}
