package gateway

import (
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"mugai/gateway/metrics"
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

// controlGuard protects the control calls (queue, quarantine, lockdown).
//
// They are answered only to a client on the gateway host (fromHost),
// whatever admin.listen binds: an operator who opens the listener so that a central Prometheus
// can scrape /metrics must not thereby let the network read or release
// quarantined originals. The listener does not authenticate, so the
// gateway host's shell is the boundary (deploy/README.md "Monitoring").
//
// On loopback, a browser on the gateway host is kept out too: the Host
// must be an IP address or localhost (DNS rebinding would let a web page
// read the queue), state changes from another origin are refused (CSRF,
// by the browser's Sec-Fetch-Site and Origin headers), and a body must be
// JSON (a cross-site form cannot send that without a CORS preflight,
// which is never answered).
//
// Every refusal is counted in mugai_admin_refused_total{reason}; one
// from off the host is also logged and written to the audit trail.
func (s *Server) controlGuard(next http.HandlerFunc) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refuseControl(w, r, metrics.AdminRefusedCrossOrigin, http.StatusForbidden, "cross-origin control calls are refused")
	}))
	inner := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fromHost(r) {
			s.refuseControl(w, r, metrics.AdminRefusedRemote, http.StatusForbidden,
				"control calls are answered only to clients on the gateway host")
			return
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if !strings.EqualFold(host, "localhost") && net.ParseIP(host) == nil {
			s.refuseControl(w, r, metrics.AdminRefusedHost, http.StatusForbidden,
				"the admin listener answers control calls only to an IP address or localhost")
			return
		}
		if r.ContentLength != 0 && r.Method != http.MethodGet {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				s.refuseControl(w, r, metrics.AdminRefusedContentType, http.StatusUnsupportedMediaType, "control calls take application/json")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxControlBody)
		}
		inner.ServeHTTP(w, r)
	})
}

// fromHost reports whether r comes from the gateway host itself: over
// loopback, or from the very address it was sent to (what a local client
// gets when admin.listen names one of the host's addresses, since Linux
// then picks that address as the source). A peer on the network cannot
// complete a TCP handshake with the gateway's own address as its source.
func fromHost(r *http.Request) bool {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := peer.Addr().Unmap()
	if ip.IsLoopback() {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	self, err := netip.ParseAddrPort(local.String())
	return err == nil && self.Addr().Unmap() == ip
}

// refuseControl answers a refused control call. One from off the host is
// an attempt on the quarantine or the queue from the network: it goes to
// the log and the audit trail, at most one record a second, so that a
// scanner cannot fill the disk through the trail.
func (s *Server) refuseControl(w http.ResponseWriter, r *http.Request, reason string, code int, msg string) {
	s.Metrics.AdminRefused.WithLabelValues(reason).Inc()
	if reason == metrics.AdminRefusedRemote {
		now := time.Now()
		if last := s.lastRemoteRefusal.Load(); now.UnixNano()-last >= int64(time.Second) && s.lastRemoteRefusal.CompareAndSwap(last, now.UnixNano()) {
			call := r.Method + " " + r.URL.Path
			s.Logger.Warn("control call from off the gateway host refused", "client", r.RemoteAddr, "call", call)
			s.Audit.Write(&AuditRecord{Time: now.UTC(), Event: "control", Client: r.RemoteAddr, Verdict: "refused",
				Reason: call + ": control calls are answered only to clients on the gateway host"})
		}
	}
	jsonError(w, code, msg)
}

// jsonError is the error answer of a control call.
func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
