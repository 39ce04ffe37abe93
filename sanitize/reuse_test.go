package sanitize

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"mugai/config"
)

// TestScratchReuse: the pooled working memory (readers, buffers, the
// sanitizer itself) carries nothing from one message to the next. Every
// golden input, and the corpus when MUGAI_CORPUS is set, is sanitised
// under two policies once in order, then again in a shuffled order by
// four goroutines sharing the pool: each message and report must come out
// the same whatever was sanitised before it.
func TestScratchReuse(t *testing.T) {
	var inputs [][]byte
	var names []string
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	if dir := os.Getenv("MUGAI_CORPUS"); dir != "" {
		for _, name := range corpusFiles(t, dir) {
			files = append(files, filepath.Join(dir, name))
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs, names = append(inputs, b), append(names, f)
	}
	for _, m := range benchMessages()[:3] {
		inputs, names = append(inputs, m.data), append(names, m.name)
	}
	if len(inputs) < 30 {
		t.Fatalf("only %d inputs", len(inputs))
	}
	pols := []config.Policy{benchPolicy(t), defaultPolicy(t)}
	pols[1].OutputCharset = "iso-2022-jp"
	pols[1].Notice.Position = "bottom"
	prep := []*Prepared{Prepare(pols[0]), Prepare(pols[1])}
	boundary := regexp.MustCompile(`=_mugai_[0-9a-f]{24}`)
	run := func(i, p int) string {
		var out bytes.Buffer
		rep, err := Message(&out, bytes.NewReader(inputs[i]), int64(len(inputs[i])), Options{Prepared: prep[p], OriginalID: "q-1", TempDir: t.TempDir(), Received: goldenReceived})
		if err != nil {
			return "error: " + err.Error()
		}
		j, _ := json.Marshal(rep)
		return boundary.ReplaceAllString(out.String(), "=_mugai_X") + "\n" + string(j)
	}
	type job struct{ i, p int }
	var jobs []job
	want := map[job]string{}
	for i := range inputs {
		for p := range prep {
			want[job{i, p}] = run(i, p)
			jobs = append(jobs, job{i, p})
		}
	}
	rand.New(rand.NewSource(1)).Shuffle(len(jobs), func(a, b int) { jobs[a], jobs[b] = jobs[b], jobs[a] })
	ch := make(chan job)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if got := run(j.i, j.p); got != want[j] {
					t.Errorf("%s (policy %d) comes out differently after other messages:\n--- in order\n%.2000s\n--- shuffled\n%.2000s", names[j.i], j.p, want[j], got)
				}
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
}
