package gateway

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"time"

	"mugai/config"
	"mugai/gateway/metrics"
)

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
	// A route whose listener keeps failing to accept (the process out
	// of file descriptors, say) takes no mail, though its socket is open
	// and the kernel queues connections for it.
	for name, rs := range s.routes {
		if f := rs.acceptFailing.Load(); f != nil && time.Since(f.at) < acceptFailingFor {
			return fmt.Errorf("route %s cannot accept connections on %s: %s", name, f.addr, f.err)
		}
	}
	// Each of these refuses mail with 451 until it is fixed (the logs
	// after a failed fsync: until a restart); a load balancer should send
	// the mail to another gateway meanwhile.
	if err := s.Spool.Err(); err != nil {
		return fmt.Errorf("spool log failed, restart after fixing the disk: %v", err)
	}
	if s.Quarantine != nil {
		if err := s.Quarantine.Err(); err != nil {
			return fmt.Errorf("quarantine log failed, restart after fixing the disk: %v", err)
		}
	}
	if err := s.Audit.Ready(); err != nil {
		return fmt.Errorf("audit trail cannot be written: %v", err)
	}
	dir := s.Config().SpoolDir
	probe := filepath.Join(dir, ".readyz")
	if err := os.WriteFile(probe, []byte("ok"), 0o600); err != nil {
		return fmt.Errorf("spool not writable: %v", err)
	}
	os.Remove(probe)
	// A gateway that cannot make a message durable must not be sent
	// mail; below the floor MAIL says so too (spoolRoom). The
	// quarantine's disk counts while a route keeps originals there.
	cfg := s.Config()
	if err := spoolRoom(cfg, 0, sanitising(cfg)); err != nil {
		return err
	}
	// The probe above fits where a message does not: a full disk with
	// the floor turned off refuses every message while the probe passes.
	if t := s.lastNoSpace.Load(); t != 0 && time.Since(time.Unix(0, t)) < noSpaceFor {
		return fmt.Errorf("a message was refused %s ago because the disk is full (452 4.3.1; spool_min_free %s)", time.Since(time.Unix(0, t)).Round(time.Second), cfg.SpoolMinFree)
	}
	return nil
}

// noSpaceFor is how long /readyz reports a message refused for a full
// disk: a load balancer polling every few seconds sees it.
const noSpaceFor = 30 * time.Second

// spoolRoom reports whether the spool's file system, and with
// quarantine the quarantine's, has room for a message of size bytes (0:
// size unknown) above spool_min_free: a sanitised message is not
// accepted before its original is kept. A directory whose file system
// cannot be asked (removed, unmounted, no permission) has no room
// either: the message could not be written there (fail closed, before
// the client sends it).
func spoolRoom(cfg *config.Config, size int64, quarantine bool) error {
	if cfg.SpoolMinFree == 0 {
		return nil
	}
	if err := dirRoom("spool", cfg.SpoolDir, cfg.SpoolMinFree, size); err != nil || !quarantine {
		return err
	}
	return dirRoom("quarantine", cfg.Quarantine.Dir, cfg.SpoolMinFree, size)
}

// dirRoom is spoolRoom for the file system of one directory.
func dirRoom(what, dir string, minFree config.Size, size int64) error {
	floor := int64(minFree)
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("%s disk: cannot tell its free space: %w", what, err)
	}
	free := int64(min(st.Bavail*uint64(st.Bsize), 1<<62))
	// free - size, not floor + size: a floor near the largest size
	// written would overflow the sum and let every message in.
	if size > free || free-size < floor {
		return noRoom(what, free, floor, size)
	}
	return nil
}

// noRoom says that the disk of what has free bytes, under floor plus
// the size a client declared (0: none). /readyz, the log and the docs
// quote it, so it says every size in one unit, whole MiB as df -m
// does: free rounded down, the floor and the size up, so that the
// numbers never seem to leave room where there is none.
func noRoom(what string, free, floor, size int64) error {
	up := func(n int64) int64 { return (n + 1<<20 - 1) >> 20 }
	if size > 0 {
		return fmt.Errorf("%s disk has %d MiB free, below the %d MiB floor (spool_min_free) plus the %d MiB declared", what, free>>20, up(floor), up(size))
	}
	return fmt.Errorf("%s disk has %d MiB free, below the %d MiB floor (spool_min_free)", what, free>>20, up(floor))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// Bounds of the admin listener (DESIGN invariant 5). Releasing a 25 MiB
// original sanitises it again before the answer: the write timeout allows
// minutes, as the CLI does.
const (
	adminReadTimeout   = 30 * time.Second
	adminWriteTimeout  = 10 * time.Minute
	adminIdleTimeout   = 30 * time.Second
	adminMaxHeader     = 16 << 10
	adminMaxConns      = 64  // open connections from other hosts, in all
	adminMaxConnsPerIP = 8   // from one other host (an IPv6 /64)
	adminMaxLocalConns = 256 // from the gateway host (a port forwarder's too)
)

// ServeAdmin serves h on addr until the listener is closed. Connections
// are capped, and over the cap closed at once: those from other hosts
// (only a Prometheus has business there) in all and per address, and
// those from the gateway host apart, so that the CLI on the host keeps
// working while other hosts flood, and no one runs the process out of
// file descriptors, which SMTP and the spool need.
func ServeAdmin(addr string, h http.Handler) (*http.Server, net.Addr, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("admin: listen %s: %w", addr, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: adminReadTimeout,
		WriteTimeout: adminWriteTimeout, IdleTimeout: adminIdleTimeout, MaxHeaderBytes: adminMaxHeader}
	go hs.Serve(&capListener{Listener: l, perIP: map[netip.Prefix]int{}})
	return hs, l.Addr(), nil
}

// capListener closes, as soon as they are accepted, connections over its
// caps (see ServeAdmin).
type capListener struct {
	net.Listener
	mu    sync.Mutex
	local int // from the host
	total int // from other hosts
	perIP map[netip.Prefix]int
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, local := connSource(c)
		l.mu.Lock()
		ok := local && l.local < adminMaxLocalConns || !local && l.total < adminMaxConns && l.perIP[key] < adminMaxConnsPerIP
		if ok && local {
			l.local++
		} else if ok {
			l.total++
			l.perIP[key]++
		}
		l.mu.Unlock()
		if !ok {
			c.Close()
			continue
		}
		return &capConn{Conn: c, l: l, key: key, local: local}, nil
	}
}

// connSource is the address block a connection counts against (an IPv4
// address, an IPv6 /64) and whether it comes from the gateway host: over
// loopback, or from the address it was made to, as fromHost reads it.
func connSource(c net.Conn) (netip.Prefix, bool) {
	peer, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Prefix{}, true // not IP: a socket on the host
	}
	ip := peer.Addr().Unmap()
	if self, err := netip.ParseAddrPort(c.LocalAddr().String()); ip.IsLoopback() || err == nil && self.Addr().Unmap() == ip {
		return netip.Prefix{}, true
	}
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p, false
}

type capConn struct {
	net.Conn
	l     *capListener
	key   netip.Prefix
	local bool
	once  sync.Once
}

func (c *capConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		if c.local {
			c.l.local--
		} else {
			c.l.total--
			if c.l.perIP[c.key]--; c.l.perIP[c.key] <= 0 {
				delete(c.l.perIP, c.key)
			}
		}
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// maxControlBody bounds the body of a control call; a release's bound
// grows with the recipients it may name (controlBodyLimit).
const maxControlBody = 64 << 10

// releasePattern is the release call, whose body holds a recipient list.
const releasePattern = "POST /quarantine/{id}/release"

// controlBodyLimit bounds the body of control call r. A release may name
// as many recipients as the route that delivers it takes in one message
// (limits.max_recipients, up to 1,000 addresses of up to 256 bytes):
// 64 KiB would refuse such a release for its length, with a text that
// tells the operator nothing. So its bound is sized from the largest
// max_recipients of the configuration in force, each address at twice
// an RFC 5321 path (room for JSON escapes) with its quotes and comma,
// beside the 64 KiB of the rest: at most 581,536 bytes, still bounded.
func (s *Server) controlBodyLimit(r *http.Request) int64 {
	if r.Pattern != releasePattern {
		return maxControlBody
	}
	return maxControlBody + int64(s.maxRecipients())*(2*maxPathLength+4)
}

// maxRecipients is the largest limits.max_recipients of the routes in force.
func (s *Server) maxRecipients() int {
	n := 0
	for _, r := range s.Config().Routes {
		n = max(n, r.Limits.MaxRecipients)
	}
	return n
}

// controlGuard protects the control calls (queue, quarantine, lockdown).
//
// They are answered only to a client on the gateway host (fromHost),
// whatever admin.listen binds: an operator who opens the listener so that
// a central Prometheus can scrape /metrics must not thereby let the
// network read or release quarantined originals. And only with the
// control token (ControlTokenFile), since a port forwarder or a reverse
// proxy on the host makes any client look local: reading the token takes
// root or the gateway's user (deploy/README.md "Monitoring").
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
		if !s.tokenOK(r) {
			s.refuseControl(w, r, metrics.AdminRefusedToken, http.StatusUnauthorized,
				"control calls need the token in the spool directory's "+ControlTokenFile+" (the mugai CLI reads it: run it as root or as the gateway's user)")
			return
		}
		if r.ContentLength != 0 && r.Method != http.MethodGet {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				s.refuseControl(w, r, metrics.AdminRefusedContentType, http.StatusUnsupportedMediaType, "control calls take application/json")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, s.controlBodyLimit(r))
		}
		inner.ServeHTTP(w, r)
	})
}

// decodeControl decodes the JSON body of a control call into v. A key v
// does not have is refused, not ignored: a script that writes
// "recipients" for "to" would release to the original recipients, and
// one that writes "older" for "older_than" would purge by the retention.
func decodeControl(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// A second value would be ignored: refuse it rather than act on
		// part of what the client sent.
		if _, err = dec.Token(); err == io.EOF {
			return nil
		}
		if err == nil {
			return errors.New("the body holds more than one JSON value: want one object")
		}
	}
	return controlDecodeError(err, v)
}

// controlDecodeError says what is wrong with a control call's body in the
// call's own terms (its JSON keys), not encoding/json's (Go types).
func controlDecodeError(err error, v any) error {
	if e, ok := errors.AsType[*http.MaxBytesError](err); ok {
		// Said as what it is, not as net/http's "request body too large".
		return tooLong{e.Limit}
	}
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if e.Field == "" {
			return fmt.Errorf("the body is a JSON %s: want an object with the keys %s", e.Value, controlKeys(v))
		}
		return fmt.Errorf("%s: want %s, not a JSON %s", e.Field, jsonKind(e.Type), e.Value)
	}
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("the body is not JSON: %s (near byte %d)", strings.TrimPrefix(e.Error(), "json: "), e.Offset)
	}
	if err == io.EOF {
		return fmt.Errorf("the body is empty: want a JSON object with the keys %s", controlKeys(v))
	}
	if err == io.ErrUnexpectedEOF {
		return errors.New("the body ends inside its JSON value")
	}
	// encoding/json has no type for an unknown key: its text is the API.
	if k, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown key %s (allowed: %s)", k, controlKeys(v))
	}
	return err
}

// controlKeys lists the JSON keys of the request struct v points to.
func controlKeys(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return "(none)"
	}
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return strings.Join(keys, ", ")
}

// jsonKind names what a JSON value of Go type t is, in JSON's words.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// tooLong: a control call's body is past its bound (controlBodyLimit).
type tooLong struct{ limit int64 }

func (e tooLong) Error() string {
	return fmt.Sprintf("the request is longer than %d bytes, the most this call takes", e.limit)
}

// tokenOK reports whether r presents the control token.
func (s *Server) tokenOK(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && s.ControlToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.ControlToken)) == 1
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
// the log and the audit trail, naming the route called (never the raw
// path, which the caller writes), at most once a second per client (an
// address, an IPv6 /64: refusalThrottle), so that a scanner can neither
// fill the disk through the trail nor, short of keeping over
// refusalMaxClients clients busy at once, hide another client's
// attempts behind its own. A queue change refused while the audit trail
// cannot be written (auditUp) is an operator's: logged and recorded each
// time.
func (s *Server) refuseControl(w http.ResponseWriter, r *http.Request, reason string, code int, msg string) {
	s.Metrics.AdminRefused.WithLabelValues(reason).Inc()
	// An operator's call refused while the audit trail is down comes
	// with the token: it is not throttled like a stranger's.
	if reason == metrics.AdminRefusedAuditDown ||
		(reason == metrics.AdminRefusedRemote || reason == metrics.AdminRefusedToken) && s.refusals.allow(r.RemoteAddr, time.Now()) {
		why := "control calls are answered only to clients on the gateway host"
		switch reason {
		case metrics.AdminRefusedToken:
			why = "no valid control token"
		case metrics.AdminRefusedAuditDown:
			why = msg
		}
		s.Logger.Warn("control call refused", "client", r.RemoteAddr, "call", r.Pattern, "why", why)
		s.Audit.Write(&AuditRecord{Time: time.Now().UTC(), Event: "control", Client: r.RemoteAddr, Verdict: "refused",
			Reason: r.Pattern + ": " + why})
	}
	jsonError(w, code, msg)
}

// refuseInvalid answers 400 to an operator's purge, lockdown, requeue
// or delete (call, a metrics.Control* value) refused before it acted: a
// body that is not JSON, past 64 KiB or with a key the call does not
// take, or a user, reason or age that does not pass. As a refused
// release (releaseUnread), it is an audit record of the call's event,
// "verdict":"refused", the reason, and what the request named of the
// message (id: the queue id of a requeue or delete), the user and the
// why, kept as recordText keeps them; and it is counted in
// mugai_control_refusals_total{call,reason="invalid"}.
func (s *Server) refuseInvalid(w http.ResponseWriter, call, id, user, why string, err error) {
	rec := &AuditRecord{Time: time.Now().UTC(), Event: call, QueueID: recordText(id, maxRecordedID),
		User: recordText(user, maxOperatorUser), Why: recordText(why, maxOperatorReason),
		Verdict: "refused", Reason: recordText(err.Error(), maxOperatorReason)}
	s.Audit.Write(rec)
	s.Metrics.ControlRefusals.WithLabelValues(call, metrics.ControlInvalid).Inc()
	s.Logger.Warn("control call refused", "call", call, "queue_id", rec.QueueID, "user", rec.User, "err", rec.Reason)
	jsonError(w, http.StatusBadRequest, err.Error())
}

// refusalThrottle lets one refusal a second per client through to the
// log and the audit trail. A client is what the connection limits count
// (clientBlock): an IPv4 address, or an IPv6 /64, from any address of
// which one host may connect; keyed by address, a client could have a
// line a second for each address it takes, and one per connection from a
// fresh one. It remembers at most refusalMaxClients clients; when full
// it forgets those last let through a second ago or more, and lets no
// new one through while none is, so that a sender cycling through more
// clients than that cannot flush the table: at most refusalMaxClients
// records a second get through (the metrics count every refusal).
type refusalThrottle struct {
	mu   sync.Mutex
	last map[netip.Prefix]time.Time
}

const refusalMaxClients = 1024

func (t *refusalThrottle) allow(remote string, now time.Time) bool {
	ap, err := netip.ParseAddrPort(remote)
	ip := ap.Addr().Unmap()
	if err != nil {
		ip = netip.Addr{}
	}
	return t.allowAddr(ip, now)
}

// allowAddr is allow for a client's address.
func (t *refusalThrottle) allowAddr(ip netip.Addr, now time.Time) bool {
	key := clientBlock(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[key]; ok && now.Sub(last) < time.Second {
		return false
	}
	if t.last == nil {
		t.last = map[netip.Prefix]time.Time{}
	}
	if _, ok := t.last[key]; !ok && len(t.last) >= refusalMaxClients {
		for k, last := range t.last {
			if now.Sub(last) >= time.Second {
				delete(t.last, k)
			}
		}
		if len(t.last) >= refusalMaxClients {
			return false
		}
	}
	t.last[key] = now
	return true
}

// jsonError is the error answer of a control call.
func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
