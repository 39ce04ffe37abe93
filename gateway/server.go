package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/sys/unix"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
)

// Deps are the parts a Server is wired with; cmd/mugai builds them.
type Deps struct {
	Logger     *slog.Logger
	Metrics    *metrics.Metrics
	Spool      *spool.Spool
	Quarantine *quarantine.Store
	Audit      *Audit
	// TempDir holds messages larger than the in-memory threshold while
	// they are received and sanitised; "" means os.TempDir() (Open
	// gives the spool directory's tmp).
	TempDir string
	// ControlToken is the secret control calls present; "" refuses them
	// all.
	ControlToken string
	// DeliveryIdleTimeout is how long a delivery worker keeps a next-hop
	// connection that carries nothing; 0 means deliver.DefaultIdleTimeout.
	DeliveryIdleTimeout time.Duration
}

// Server runs every route of a configuration.
type Server struct {
	Deps
	cfg      atomic.Pointer[config.Config]
	lockdown atomic.Bool
	// lastNoSpace is when a message was last refused because the disk
	// was full (Unix nanoseconds; 0: never): /readyz reports it.
	lastNoSpace atomic.Int64
	// lockdownMu serialises the lockdown's switches, so that its marker
	// and the mode in memory change together, and guards lockdownStamp:
	// when, by whom and why the lockdown in force went on (zero while
	// it is off, or where its marker did not say).
	lockdownMu    sync.Mutex
	lockdownStamp LockdownStamp

	prepared atomic.Pointer[preparedPolicies]
	// refusals throttles the records of control calls refused to clients
	// off the host.
	refusals refusalThrottle
	// spoolLow throttles the log lines of MAIL refused for want of
	// spool space (session.Mail): a client may send MAIL again and again
	// in one session, onto a disk that is already short.
	spoolLow refusalThrottle
	// mailRefused throttles the log lines of other MAIL refusals
	// (session.refuseMail), for the same reason.
	mailRefused refusalThrottle
	// tlsFailed throttles the log lines of failed STARTTLS handshakes
	// (countedConn.handshakeFailed).
	tlsFailed refusalThrottle
	// releasing holds the quarantine ids being released (id → the
	// releaseInProgress): a second release of one original waits for
	// nothing and is refused, so that two at once cannot both pass the
	// "already released" check.
	releasing sync.Map
	// orphans serialises updateOrphans and holds the routes it set a
	// series of, so that it deletes only those whose originals are gone
	// (a Reset then Set would show a scrape no series in between).
	orphans struct {
		sync.Mutex
		routes map[string]bool
	}

	// runner is the delivery side, once StartDelivery has run: a reload
	// and an operator's retry lift its suspensions of next hops.
	runner atomic.Pointer[Runner]

	mu      sync.Mutex // serialises Reload and Shutdown
	routes  map[string]*routeState
	lns     []*listener
	wg      sync.WaitGroup // accept loops, and dispatches until their sessions end
	closing atomic.Bool
}

// routeState holds the current settings of one route; sessions take a
// snapshot at connect, so a reload changes new sessions only.
type routeState struct {
	p       atomic.Pointer[routeSnap]
	mu      sync.Mutex
	current *dispatch // the go-smtp server new connections go to
	// conns counts the connections of every listener of the route.
	conns connCounts
	// acceptFailing is the last of a run of failed accepts on one of
	// the route's listeners (nil once one succeeds): /readyz reports it.
	acceptFailing atomic.Pointer[acceptFailure]
}

// acceptFailure is an accept(2) error that repeats on a listener.
type acceptFailure struct {
	at   time.Time
	addr string
	err  string
}

// acceptFailingFor is how long after its last failed accept a listener
// still counts as failing. The accept loop tries again at most a second
// after a failure, so a listener that keeps failing renews it; one that
// recovered while no client came (blocked in accept, nothing to clear
// the mark) is ready again after it.
const acceptFailingFor = 3 * time.Second

func (rs *routeState) load() *routeSnap { return rs.p.Load() }

type routeSnap struct {
	srv      *Server
	cfg      *config.Config
	route    *config.Route
	clients  []netip.Prefix
	rcptList map[string]bool // recipients.file, lower-cased
	tls      *tls.Config
	verifier *verifier
}

func (s *routeSnap) clientAllowed(ip netip.Addr) bool {
	for _, p := range s.clients {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// New prepares a server for cfg; Start opens its listeners.
func New(cfg *config.Config, deps Deps) (*Server, error) {
	if deps.TempDir == "" {
		deps.TempDir = os.TempDir()
	}
	s := &Server{Deps: deps, routes: map[string]*routeState{}}
	snaps, err := s.snapshots(cfg)
	if err != nil {
		return nil, err
	}
	s.cfg.Store(cfg)
	s.loadLockdown()
	for name, snap := range snaps {
		rs := &routeState{}
		rs.p.Store(snap)
		s.routes[name] = rs
		s.initRouteMetrics(cfg, snap.route)
	}
	s.exportFloor(cfg)
	return s, nil
}

// initRouteMetrics creates a route's series at zero, with the verdicts
// of every policy a rule may pick for it, not only the route's own.
func (s *Server) initRouteMetrics(cfg *config.Config, route *config.Route) {
	policies := cfg.PoliciesOf(route)
	s.Metrics.InitRoute(route.Name, policies[0])
	for _, p := range policies[1:] {
		s.Metrics.InitVerdicts(route.Name, p)
	}
	if route.Bounces != nil {
		s.Metrics.NextHopSuspended.WithLabelValues(route.Name, metrics.HopBounces)
		s.Metrics.DeliverySuspended.WithLabelValues(route.Name, metrics.HopBounces)
	}
}

// exportFloor sets disk_min_free_bytes from cfg, so that an alert can
// compare the free space with the floor in force (spoolRoom) rather than
// with a number of its own: the quarantine's only while a route
// sanitises, as only those keep an original before their 250.
func (s *Server) exportFloor(cfg *config.Config) {
	s.Metrics.SetFloor(float64(cfg.SpoolMinFree), sanitising(cfg))
}

// sanitising reports whether a route of cfg sanitises, and so keeps
// originals in the quarantine before its 250: without one, the
// quarantine's disk holds nothing back (MAIL, /readyz, the floor's
// metric).
func sanitising(cfg *config.Config) bool {
	return slices.ContainsFunc(cfg.Routes, func(r config.Route) bool { return r.Policy != config.PolicyNone })
}

// snapshots builds the per-route settings of cfg, reading the files it
// names (TLS, recipient lists).
func (s *Server) snapshots(cfg *config.Config) (map[string]*routeSnap, error) {
	out := map[string]*routeSnap{}
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		snap := &routeSnap{srv: s, cfg: cfg, route: r}
		for _, p := range r.Clients {
			snap.clients = append(snap.clients, p.Prefix)
		}
		if r.TLS != nil {
			cert, err := tls.LoadX509KeyPair(r.TLS.Cert, r.TLS.Key)
			if err != nil {
				return nil, fmt.Errorf("route %s: tls: %w", r.Name, err)
			}
			snap.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
				GetConfigForClient: handshakeBegun}
		}
		if r.Recipients.File != "" {
			list, bad, err := ReadRecipients(r.Recipients.File)
			if err != nil {
				return nil, fmt.Errorf("route %s: %w", r.Name, err)
			}
			for _, b := range bad {
				// Taken as the address it is not, it would refuse a
				// mailbox someone meant to list: said at every load.
				s.Logger.Warn("recipients file: a line that is not an address is ignored", "route", r.Name, "file", r.Recipients.File, "line", b.Line, "text", clipText(b.Text, maxPathLength), "why", b.Why)
			}
			snap.rcptList = list
		}
		if r.Recipients.Verify == "next-hop" {
			route := r.Name
			hop := r.Deliver.To
			snap.verifier = newVerifier(r.Deliver, r.Hostname, s.Logger.With("route", route), func(result string) {
				s.Metrics.RecipientVerify.WithLabelValues(route, result).Inc()
			}, func(why string) {
				// Counted with the deliveries that fell back: the same
				// broken TLS on the LGWAN server, and the same alert.
				s.Metrics.DeliveryTLSFallbacks.WithLabelValues(route).Inc()
				s.Logger.Warn("next hop offered STARTTLS but TLS failed: recipient verification in plaintext (tls: opportunistic)",
					"route", route, "next_hop", hop, "why", why)
			})
		}
		out[r.Name] = snap
	}
	return out, nil
}

// RecipientLine is a line of a recipients file that lists no one.
type RecipientLine struct {
	Line int
	Text string
	// Why: "not an address", or what RCPT says of the address.
	Why string
}

// ReadRecipients reads a route's recipients.file: one address a line,
// blank lines and lines starting with # left out, compared without
// case. A UTF-8 byte order mark (Windows Notepad writes one) is not part
// of the first address: kept, that address was never matched, and its
// mailbox got 550 5.1.1. A line that is not an address (a comment after
// it, two addresses on one line) is returned in bad, not listed.
func ReadRecipients(path string) (list map[string]bool, bad []RecipientLine, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("recipients file: %w", err)
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	list = map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		local, domain, err := splitAddr(line)
		if err != nil || strings.ContainsAny(local, "%!") || strings.HasPrefix(domain, "[") {
			// What RCPT would never take: no recipient can be it.
			why := "not an address"
			if err == errNonASCIIRcpt {
				why = "a non-ASCII (internationalised) address, which RCPT refuses with 553 5.6.7"
			}
			bad = append(bad, RecipientLine{Line: i + 1, Text: line, Why: why})
			continue
		}
		// As RCPT keeps an address (parseRcpt), which is what is
		// looked up: a trailing dot or a quoted local part written here
		// still names the mailbox.
		list[strings.ToLower(local+"@"+domain)] = true
	}
	return list, bad, nil
}

// Config returns the configuration in force.
func (s *Server) Config() *config.Config { return s.cfg.Load() }

// Start opens every route's listeners. On error nothing is left open.
func (s *Server) Start() error {
	cfg := s.cfg.Load()
	var opened []net.Listener
	for i := range cfg.Routes {
		r := &cfg.Routes[i]
		rs := s.routes[r.Name]
		for j, addr := range r.Listen {
			l, err := listen(r.Interface, addr)
			if err != nil {
				for _, o := range opened {
					o.Close()
				}
				return fmt.Errorf("%s: route %s: %w", cfg.At(fmt.Sprintf("routes[%d].listen[%d]", i, j)), r.Name, err)
			}
			opened = append(opened, l)
			if host, _, _ := net.SplitHostPort(addr); r.Interface == "" && !isLoopbackOrAny(host) {
				s.Logger.Warn("route listens on a specific address without interface:, so Linux also accepts connections to it arriving on other interfaces (weak host model); set interface: to keep the segments apart",
					"route", r.Name, "listen", addr)
			}
			s.lns = append(s.lns, newListener(l, rs))
		}
	}
	for name, rs := range s.routes {
		rs.current = s.newDispatch(rs.load())
		s.Logger.Info("route ready", "route", name, "listen", rs.load().route.Listen, "policy", rs.load().route.Policy)
	}
	for _, l := range s.lns {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.acceptLoop(l)
		}()
	}
	return nil
}

// Addrs returns the addresses the server listens on, by route (useful
// when the configuration asked for port 0).
func (s *Server) Addrs() map[string][]net.Addr {
	out := map[string][]net.Addr{}
	for _, l := range s.lns {
		name := l.route.load().route.Name
		out[name] = append(out[name], l.Addr())
	}
	return out
}

// acceptLoop serves l until it is closed. Any other error of accept(2)
// passes (the process out of file descriptors for a while, EMFILE; a
// connection reset before it was accepted, ECONNABORTED): the loop waits,
// as net/http's does, and accepts again. Ended there, the route would
// take no mail until a restart, while its socket stayed open and the
// kernel queued connections nobody answered. A run of failures is
// logged once, and its end.
func (s *Server) acceptLoop(l *listener) {
	var wait time.Duration
	failed := 0
	for {
		c, err := l.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			if failed == 0 {
				s.Logger.Error("accept failed; accepting again", "addr", l.Addr().String(), "err", err)
			}
			failed++
			if failed >= 2 {
				// Not one reset connection (ECONNABORTED), which
				// passes: a run, such as the process out of file
				// descriptors, during which the route takes no mail.
				l.route.acceptFailing.Store(&acceptFailure{at: time.Now(), addr: l.Addr().String(), err: err.Error()})
			}
			wait = min(max(2*wait, 5*time.Millisecond), time.Second)
			time.Sleep(wait)
			continue
		}
		if failed > 0 {
			s.Logger.Warn("accepting connections again", "addr", l.Addr().String(), "failed_accepts", failed)
			failed, wait = 0, 0
			l.route.acceptFailing.Store(nil)
		}
		s.dispatch(l.route, c)
	}
}

// dispatch hands c to the route's current go-smtp server. One that a
// reload stopped meanwhile refuses it; the one that replaced it takes
// it (Reload swaps before it stops), so a connection arriving during a
// reload is served, not closed unanswered. After Shutdown none does.
func (s *Server) dispatch(rs *routeState, c net.Conn) {
	for {
		rs.mu.Lock()
		d := rs.current
		rs.mu.Unlock()
		if d.deliver(c) {
			return
		}
		if s.closing.Load() {
			c.Close()
			return
		}
	}
}

// dispatch is one go-smtp server with settings from one snapshot,
// serving connections handed to it through a channel. A reload starts a
// new dispatch for new connections while sessions in progress finish on
// the old one.
type dispatch struct {
	srv   *smtp.Server
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (s *Server) newDispatch(snap *routeSnap) *dispatch {
	r := snap.route
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		// go-smtp takes any EHLO argument; ours goes into the Received
		// field and every accept record, so it is a domain or address
		// literal's length at most (RFC 5321 4.5.3.1.2). The client may
		// greet again.
		if n := len(c.Hostname()); n > maxHeloLength {
			s.Metrics.SMTPRejects.WithLabelValues(r.Name, metrics.StageHelo, strconv.Itoa(errLongHelo.Code)).Inc()
			s.Logger.Info("EHLO refused: argument too long", "route", r.Name, "client", remoteIP(c.Conn()).String(), "length", n)
			return nil, errLongHelo
		}
		return newSession(snap, c), nil
	})
	srv := smtp.NewServer(be)
	srv.Domain = r.Hostname
	srv.MaxLineLength = maxLineLength
	srv.ReadTimeout = r.Limits.CommandTimeout.D()
	srv.WriteTimeout = r.Limits.CommandTimeout.D()
	// go-smtp advertises SIZE and LIMITS RCPTMAX from the very numbers
	// it enforces itself, before our session sees the command, so what
	// EHLO says cannot be ours alone. Its DATA reader refuses a message
	// of exactly MaxMessageBytes (it must see the final dot within the
	// limit): EHLO says SIZE max_message_size+1, and the size is ours to
	// refuse, counted and audited (data), also a declared SIZE of
	// exactly that one octet more (Mail); a larger declared SIZE, or a
	// BDAT chunk going past it, go-smtp refuses itself (552 5.3.4),
	// unseen by us. Recipients are ours alone: with RCPTMAX advertised,
	// go-smtp would refuse the one past it before Rcpt, uncounted and
	// unaudited, so there is no LIMITS in EHLO and Rcpt keeps go-smtp's
	// list to the distinct recipients accepted (duplicates are answered
	// 250 without joining it), which max_recipients bounds.
	srv.MaxMessageBytes = int64(r.Limits.MaxMessageSize) + 1
	srv.MaxRecipients = 0
	srv.TLSConfig = snap.tls
	// A sanitising route rebuilds every header as 7-bit encoded words,
	// so it can take raw UTF-8 headers (Postfix marks such mail SMTPUTF8
	// and will not send it otherwise). A pass-through route relays the
	// bytes as they are and must not promise what its next hop may not
	// keep. Non-ASCII addresses are refused either way, with 553 5.6.7
	// (splitAddr): SMTPUTF8 is offered for header fields, not for them.
	srv.EnableSMTPUTF8 = r.Policy != config.PolicyNone
	srv.ErrorLog = log.New(slogWriter{s.Logger.With("route", r.Name)}, "", 0)
	d := &dispatch{srv: srv, conns: make(chan net.Conn), done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		srv.Serve(chanListener{d})
		// Stopped (by a reload or Shutdown): wait here until its last
		// session ends. Nothing else refers to a stopped dispatch, so
		// then its server, and the snapshot and configuration it was
		// built from, are garbage: a reload a day for months must not
		// keep every configuration, recipient list and verifier cache.
		srv.Shutdown(context.Background())
	}()
	return d
}

func (d *dispatch) deliver(c net.Conn) bool {
	select {
	case d.conns <- c:
		return true
	case <-d.done:
		return false
	}
}

func (d *dispatch) stop() { d.once.Do(func() { close(d.done) }) }

// chanListener is the net.Listener a dispatch's go-smtp server reads.
type chanListener struct{ d *dispatch }

func (l chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.d.conns:
		return c, nil
	case <-l.d.done:
		return nil, net.ErrClosed
	}
}
func (l chanListener) Close() error   { l.d.stop(); return nil }
func (l chanListener) Addr() net.Addr { return dummyAddr{} }

type dummyAddr struct{}

func (dummyAddr) Network() string { return "tcp" }
func (dummyAddr) String() string  { return "dispatch" }

// Reload swaps in cfg for new sessions. Listener addresses cannot change
// without a restart; such a configuration is refused whole, and the old
// one stays in force.
func (s *Server) Reload(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return errors.New("reload: shutting down")
	}
	old := s.cfg.Load()
	if err := sameListeners(old, cfg); err != nil {
		return err
	}
	snaps, err := s.snapshots(cfg)
	if err != nil {
		return err
	}
	s.cfg.Store(cfg)
	for name, snap := range snaps {
		rs := s.routes[name]
		rs.p.Store(snap)
		d := s.newDispatch(snap)
		rs.mu.Lock()
		old := rs.current
		rs.current = d
		rs.mu.Unlock()
		old.stop() // its sessions in progress go on until they end
		s.initRouteMetrics(cfg, snap.route)
	}
	s.exportFloor(cfg)
	s.updateOrphans(true)
	if r := s.runner.Load(); r != nil {
		r.reloaded(cfg)
	}
	return nil
}

// RecordReload writes a reload's record to the audit trail: the
// configuration decides what crosses (a route's policy, whether it
// sanitises at all, what attachments are kept), and the trail held the
// lockdown's switches but not these, so an auditor could not tell from
// it under which configuration a message was accepted. file is the path
// reloaded; cfg is what was read from it (nil when it could not be
// read), err why the reload was refused (nil: it is in force now).
func (s *Server) RecordReload(file string, cfg *config.Config, err error) {
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "reload", Verdict: "success", Config: file}
	if cfg != nil {
		rec.ConfigSHA256 = cfg.SHA256
	}
	if err != nil {
		rec.Verdict = "failure"
		// A configuration's errors are one a line.
		rec.Reason = recordText("the running configuration stays in force: "+strings.ReplaceAll(err.Error(), "\n", "; "), maxDetailBytes)
	}
	s.Audit.Write(rec)
}

func sameListeners(a, b *config.Config) error {
	if keys := restartKeys(a, b); len(keys) > 0 {
		return fmt.Errorf("reload: %s changed, which takes effect only at a start; restart mugai to apply", strings.Join(keys, ", "))
	}
	if len(a.Routes) != len(b.Routes) {
		return errors.New("reload: routes were added or removed; restart mugai to apply")
	}
	for i := range a.Routes {
		ra := &a.Routes[i]
		rb := b.Route(ra.Name)
		switch {
		case rb == nil:
			// Its listeners, workers and queue go by its name.
			return fmt.Errorf("reload: route %s is not in the new configuration (renamed, or removed as another was added); restart mugai to apply", ra.Name)
		case !slices.Equal(ra.Listen, rb.Listen) || ra.Interface != rb.Interface:
			return fmt.Errorf("reload: route %s: listen addresses changed; restart mugai to apply", ra.Name)
		case ra.Deliver.Connections != rb.Deliver.Connections:
			// The route's delivery workers are started with the
			// gateway, one per connection: taken with the rest, the
			// reload would say "reloaded" and deliver with as many as
			// before.
			return fmt.Errorf("reload: route %s: deliver.connections changed (%d to %d), which takes effect only at a start; restart mugai to apply", ra.Name, ra.Deliver.Connections, rb.Deliver.Connections)
		}
	}
	return nil
}

// restartKeys names the keys that differ between a and b and are read
// only when mugai starts: the admin listener, the stores, the audit trail
// and the logger. Taking the rest of b with them changed would run on a
// mixture, and say "reloaded".
func restartKeys(a, b *config.Config) []string {
	var keys []string
	for _, k := range []struct {
		key     string
		changed bool
	}{
		{"admin.listen", a.Admin.Listen != b.Admin.Listen},
		{"spool_dir", a.SpoolDir != b.SpoolDir},
		{"quarantine.dir", a.Quarantine.Dir != b.Quarantine.Dir},
		{"quarantine.max_bytes", a.Quarantine.MaxBytes != b.Quarantine.MaxBytes},
		{"quarantine.min_age", a.Quarantine.MinAge != b.Quarantine.MinAge},
		{"quarantine.encryption_key_file", a.Quarantine.EncryptionKeyFile != b.Quarantine.EncryptionKeyFile},
		{"log.audit", a.Log.Audit != b.Log.Audit},
		{"log.level", a.Log.Level != b.Log.Level},
		{"log.format", a.Log.Format != b.Log.Format},
	} {
		if k.changed {
			keys = append(keys, k.key)
		}
	}
	return keys
}

// Shutdown stops accepting, lets sessions finish until ctx ends, then
// closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for _, l := range s.lns {
		l.Close()
	}
	// Stopped dispatches serve no new connection; each waits for its
	// sessions (s.wg).
	for _, rs := range s.routes {
		rs.mu.Lock()
		if rs.current != nil {
			rs.current.stop()
		}
		rs.mu.Unlock()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	// The grace period is over: cut the sessions left, and give them a
	// moment to notice and end (a session in the sanitiser notices only
	// when it answers).
	for _, l := range s.lns {
		l.cut()
	}
	select {
	case <-done:
	case <-time.After(cutWait):
		s.Logger.Warn("sessions still running after their connections were closed")
	}
	return ctx.Err()
}

// cutWait bounds how long Shutdown waits for sessions to end after it
// closed their connections.
const cutWait = 5 * time.Second

// slogWriter routes go-smtp's error log into slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn("smtp: " + strings.TrimSpace(string(p)))
	return len(p), nil
}

// listen opens a route's listener, bound to iface when one is given.
func listen(iface, addr string) (net.Listener, error) {
	lc := net.ListenConfig{}
	if iface != "" {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, iface)
			})
			if err != nil {
				return err
			}
			if serr != nil {
				return fmt.Errorf("bind to interface %s: %w", iface, serr)
			}
			return nil
		}
	}
	return lc.Listen(context.Background(), "tcp", addr)
}

func isLoopbackOrAny(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || host == "localhost" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}
