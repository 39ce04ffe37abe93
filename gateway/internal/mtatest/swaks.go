package mtatest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// SwaksTimeout bounds one Swaks run.
const SwaksTimeout = 60 * time.Second

// Swaks runs swaks with args (skipping or failing t as Require does when
// it is not installed) and returns its stdout: the whole SMTP transcript,
// "<-" for replies, "<**" for error replies, " ->" for commands. A
// non-zero exit is returned as an error carrying stderr; swaks exits 0
// only when the whole transaction succeeded (e.g. 24 when a RCPT was
// refused, 25 for DATA, 21 for a failed connection: see "man swaks",
// EXIT CODES), so a test expecting a refusal checks the error and the
// transcript. The run is killed after SwaksTimeout.
func Swaks(t testing.TB, args ...string) (string, error) {
	t.Helper()
	Require(t, "swaks")
	ctx, cancel := context.WithTimeout(context.Background(), SwaksTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, lookTool("swaks"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("mtatest: swaks %s: timed out after %v: %w", strings.Join(args, " "), SwaksTimeout, ctx.Err())
	} else if err != nil {
		err = fmt.Errorf("mtatest: swaks %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), err
}
