package gateway

import (
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// minFreeBytes is the disk floor below which /readyz fails: a gateway
// that cannot make a message durable must not be sent mail.
const minFreeBytes = 256 << 20

// AdminHandler serves /metrics, /healthz, /readyz and the control calls
// of the CLI. It is meant for the loopback admin listener only.
func (s *Server) AdminHandler(extra map[string]http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.Metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := s.ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	s.lockdownHandlers(mux)
	s.queueHandlers(mux)
	s.quarantineHandlers(mux)
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	return mux
}

func (s *Server) ready() error {
	if len(s.lns) == 0 || s.closing.Load() {
		return fmt.Errorf("listeners not up")
	}
	dir := s.Config().SpoolDir
	probe := filepath.Join(dir, ".readyz")
	if err := os.WriteFile(probe, []byte("ok"), 0o600); err != nil {
		return fmt.Errorf("spool not writable: %v", err)
	}
	os.Remove(probe)
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err == nil {
		if free := uint64(st.Bavail) * uint64(st.Bsize); free < minFreeBytes {
			return fmt.Errorf("spool disk has %d MiB free, below the %d MiB floor", free>>20, minFreeBytes>>20)
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// ServeAdmin serves h on addr until the listener is closed.
func ServeAdmin(addr string, h http.Handler) (*http.Server, net.Addr, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("admin: listen %s: %w", addr, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(l)
	return hs, l.Addr(), nil
}

// maxControlBody bounds the body of a control call.
const maxControlBody = 64 << 10

// controlGuard protects the control calls (queue, quarantine, lockdown)
// from a browser on the gateway host: the Host must be an IP address or
// localhost (DNS rebinding would let a web page read the queue),
// state changes from another origin are refused (CSRF, by the browser's
// Sec-Fetch-Site and Origin headers), and a body must be JSON (a
// cross-site form cannot send that without a CORS preflight, which is
// never answered).
func controlGuard(next http.HandlerFunc) http.Handler {
	inner := http.NewCrossOriginProtection().Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if !strings.EqualFold(host, "localhost") && net.ParseIP(host) == nil {
			jsonError(w, http.StatusForbidden, "the admin listener answers control calls only to an IP address or localhost")
			return
		}
		if r.ContentLength != 0 && r.Method != http.MethodGet {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				jsonError(w, http.StatusUnsupportedMediaType, "control calls take application/json")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxControlBody)
		}
		inner.ServeHTTP(w, r)
	})
}

// jsonError is the error answer of a control call.
func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
