package main

import (
	"net/http"
	"strconv"
	"testing"

	"mugai/gateway"
)

// TestShowHeadersSaysCut: the gateway hands out at most 1 MiB of an
// original's header section and says so (X-Mugai-Truncated); show
// -headers now tells the operator, on stderr, that what it printed is
// cut and how to get it whole. Before, the cut section was printed as if
// it were all there was.
func TestShowHeadersSaysCut(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quarantine/{id}/headers", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "CUT" {
			w.Header().Set("X-Mugai-Truncated", strconv.Itoa(gateway.MaxHeaderSection))
		}
		w.Write([]byte("Subject: one\r\nX-Pad: aaaa"))
	})
	_, cli := fakeAdmin(t, mux)
	const note = "mugai quarantine: the header section goes on past 1048576 bytes and is cut there; show -original -o FILE writes the original whole\n"
	code, out, errOut := runCmd("quarantine", "-config", cli, "show", "-headers", "-reason", "ticket 7", "CUT")
	if code != 0 || out != "Subject: one\nX-Pad: aaaa\n" || errOut != note {
		t.Errorf("cut: exit %d\nstdout: %q\nstderr: %q", code, out, errOut)
	}
	code, out, errOut = runCmd("quarantine", "-config", cli, "show", "-headers", "-reason", "ticket 7", "WHOLE")
	if code != 0 || out != "Subject: one\nX-Pad: aaaa\n" || errOut != "" {
		t.Errorf("whole: exit %d\nstdout: %q\nstderr: %q", code, out, errOut)
	}
}
