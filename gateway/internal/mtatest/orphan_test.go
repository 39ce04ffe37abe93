package mtatest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envOrphanHelper makes TestOrphanHelper start servers and wait to be
// killed.
const envOrphanHelper = "MTATEST_ORPHAN_HELPER"

// TestOrphanHelper is not a test of its own: TestServersDieWithTestBinary
// runs the test binary with it, and SIGKILLs it so that no cleanup runs.
func TestOrphanHelper(t *testing.T) {
	if os.Getenv(envOrphanHelper) != "1" {
		t.Skip("helper process for TestServersDieWithTestBinary")
	}
	s := StartSink(t, SinkOptions{})
	p := StartPostfix(t, PostfixOptions{RelayHost: s.Addr()})
	fmt.Printf("MARKERS %s %s\n", s.DumpDir(), p.ConfigDir())
	time.Sleep(time.Minute)
}

// TestServersDieWithTestBinary checks what t.Cleanup cannot: when the test
// binary dies without running cleanups (SIGKILL, or go test's -timeout
// panic), smtp-sink and every Postfix process die with it.
func TestServersDieWithTestBinary(t *testing.T) {
	Require(t, "smtp-sink", "postfix", "master", "postconf", "sendmail", "postqueue")
	requireRoot(t, "a private Postfix instance")
	cmd := exec.Command(os.Args[0], "-test.run=^TestOrphanHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envOrphanHelper+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var markers []string
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		// The helper's temporary directories: it had no chance to remove
		// them.
		for _, m := range markers {
			base := filepath.Dir(m)
			if strings.HasPrefix(filepath.Base(base), "mugai-mtatest-") {
				_ = os.RemoveAll(base)
			}
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
	for markers == nil {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("helper ended without starting its servers")
			}
			if rest, found := strings.CutPrefix(line, "MARKERS "); found {
				markers = strings.Fields(rest)
			}
		case <-timeout:
			t.Fatal("helper did not start its servers within 60 s")
		}
	}
	for _, m := range markers {
		if len(findProcs(m)) == 0 {
			t.Fatalf("no process found for %s while the helper runs", m)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines { // drain, so the pipe never blocks the helper
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for _, m := range markers {
		for len(findProcs(m)) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if left := findProcs(m); len(left) > 0 {
			for _, p := range left {
				_ = exec.Command("kill", "-9", fmt.Sprint(p.PID)).Run()
			}
			t.Errorf("processes of %s outlived the killed test binary: %+v", m, left)
		}
	}
}
