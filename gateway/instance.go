package gateway

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
)

// Instance is a whole gateway wired as `mugai serve` runs it: spool,
// quarantine, audit trail, every route's listeners, delivery, the hourly
// quarantine purge and the admin listener. Tests start the same thing.
type Instance struct {
	Server     *Server
	Spool      *spool.Spool
	Quarantine *quarantine.Store
	Audit      *Audit
	Metrics    *metrics.Metrics
	Runner     *Runner      // nil with InstanceOptions.NoDelivery
	AdminAddr  net.Addr     // where the admin listener listens
	Admin      *http.Server // the admin listener
	cancel     context.CancelFunc
}

// InstanceOptions adjust an Instance; the zero value is `mugai serve`.
type InstanceOptions struct {
	Logger  *slog.Logger // nil: discard
	Version string
	// TempDir is where large messages spill while received and
	// sanitised; "" is a directory tmp in the spool directory.
	TempDir string
	// Now is the quarantine's clock (tests move it); nil: time.Now.
	Now func() time.Time
	// NoDelivery leaves messages in the spool (no runner).
	NoDelivery bool
	// DeliveryIdleTimeout: see Deps.
	DeliveryIdleTimeout time.Duration
}

// Open starts an Instance for cfg. On error whatever was opened is
// closed again.
func Open(cfg *config.Config, opt InstanceOptions) (inst *Instance, err error) {
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	in := &Instance{Metrics: metrics.New(opt.Version)}
	defer func() {
		if err != nil {
			in.closeStores()
		}
	}()
	tempDir := opt.TempDir
	if tempDir == "" {
		// Not $TMPDIR: /tmp is often a tmpfs (Debian's default since 13,
		// and PrivateTmp= gives the unit one of its own on it), where a
		// spilled 25 MiB message is 25 MiB of memory, out of the reach
		// of spool_min_free. On the spool's disk it is on disk, and the
		// floor that MAIL checks leaves room for it.
		tempDir = filepath.Join(cfg.SpoolDir, "tmp")
	}
	// An error names the key behind it where the file has it (FILE:LINE:
	// key), as a configuration error does: the operator reading "mugai
	// stopped" learns which setting to look at.
	for _, d := range []struct{ key, dir string }{{"spool_dir", cfg.SpoolDir}, {"quarantine.dir", cfg.Quarantine.Dir}, {"spool_dir", tempDir}} {
		if err := os.MkdirAll(d.dir, 0o700); err != nil {
			return nil, fmt.Errorf("%s: cannot create %s: %w", cfg.At(d.key), d.dir, unwrapPath(err))
		}
	}
	if in.Spool, err = spool.Open(cfg.SpoolDir, spool.Options{Logger: logger}); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.At("spool_dir"), err)
	}
	if opt.TempDir == "" {
		// A spill file is unlinked as soon as it is made; one that a
		// crash caught in between is removed here, where the spool's
		// lock says no other gateway uses the directory.
		clearSpills(tempDir, logger)
	}
	// The store reports its own max_bytes purges to the server, which
	// exists only later; no Put happens before Server is set.
	qopts := quarantine.Options{MaxBytes: int64(cfg.Quarantine.MaxBytes), MinAge: cfg.Quarantine.MinAge.D(), Logger: logger, Now: opt.Now,
		OnMaxBytesPurge: func(p []quarantine.Meta) { in.Server.MaxBytesPurged(p) }}
	if f := cfg.Quarantine.EncryptionKeyFile; f != "" {
		if qopts.Key, err = os.ReadFile(f); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.At("quarantine.encryption_key_file"), err)
		}
	}
	if in.Quarantine, err = quarantine.Open(cfg.Quarantine.Dir, qopts); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.At("quarantine.dir"), err)
	}
	if in.Audit, err = OpenAudit(cfg.Log.Audit, func(err error) {
		in.Metrics.StorageErrors.WithLabelValues(metrics.StoreAudit).Inc()
		logger.Error("audit write failed", "err", err)
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.At("log.audit"), err)
	}
	if a := cfg.Log.Audit; a != "" && a != "stdout" {
		// An anchor out of the trail's reach: a trail that does not
		// continue from this hash was cut or changed while the gateway
		// was stopped (mugai audit verify prints both ends).
		logger.Info("audit trail opened", "file", a, "continues_from", in.Audit.Head())
	}
	if in.Audit.Cut > 0 {
		logger.Warn("audit trail: a partial last line was cut off (the last write before the gateway stopped did not complete); the trail says so in an audit record",
			"file", cfg.Log.Audit, "bytes", in.Audit.Cut)
	}
	tok, err := writeControlToken(cfg.SpoolDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.At("spool_dir"), err)
	}
	in.Server, err = New(cfg, Deps{Logger: logger, Metrics: in.Metrics, Spool: in.Spool, Quarantine: in.Quarantine, Audit: in.Audit,
		TempDir: tempDir, ControlToken: tok, DeliveryIdleTimeout: opt.DeliveryIdleTimeout})
	if err != nil {
		return nil, err
	}
	if err := in.Server.Start(); err != nil {
		return nil, err
	}
	in.Metrics.DiskFree.Set(metrics.DiskSpool, metrics.FreeBytes(cfg.SpoolDir))
	in.Metrics.DiskFree.Set(metrics.DiskQuarantine, metrics.FreeBytes(cfg.Quarantine.Dir))
	in.Metrics.DiskFree.Set(metrics.DiskTemp, metrics.FreeBytes(in.Server.TempDir))
	if a := cfg.Log.Audit; a != "" && a != "stdout" {
		in.Metrics.DiskFree.Set(metrics.DiskAudit, metrics.FreeBytes(filepath.Dir(a)))
	}
	in.Metrics.ConfigLastReloadSuccess.SetToCurrentTime()
	in.Server.updateOrphans(true)
	in.Server.recoverReleases()
	if err := spoolRoom(cfg, 0, sanitising(cfg)); err != nil {
		// Said at the start, not only at the first MAIL refused: a
		// gateway started on a small disk (the embedded default on a
		// laptop) takes no mail at all.
		logger.Warn("disk below spool_min_free: MAIL is refused with 452 4.3.1 until there is room (spool_min_free: 0 turns the floor off)",
			"spool", cfg.SpoolDir, "quarantine", cfg.Quarantine.Dir, "reason", err.Error())
	}

	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	if !opt.NoDelivery {
		in.Runner = in.Server.StartDelivery(ctx)
	}
	in.Server.StartQuarantinePurge(ctx)
	if in.Admin, in.AdminAddr, err = ServeAdmin(cfg.Admin.Listen, in.Server.AdminHandler(nil)); err != nil {
		cancel()
		in.Server.Shutdown(context.Background())
		return nil, fmt.Errorf("%s: %w", cfg.At("admin.listen"), err)
	}
	if ap, err := netip.ParseAddrPort(in.AdminAddr.String()); err == nil && !ap.Addr().Unmap().IsLoopback() {
		in.Server.Logger.Warn("admin listener is reachable off the host: /metrics, /healthz and /readyz answer anyone who can connect; control calls still answer only clients on the gateway host",
			"listen", in.AdminAddr.String())
	}
	return in, nil
}

// Close stops accepting, lets sessions finish until ctx ends, stops
// delivery and closes the stores. It returns the error of a shutdown
// that had to cut sessions short.
func (in *Instance) Close(ctx context.Context) error {
	// Side by side: a stuck admin client must not hold the SMTP
	// listeners open, and is cut when the grace is over.
	adminDone := make(chan struct{})
	go func() {
		defer close(adminDone)
		if in.Admin.Shutdown(ctx) != nil {
			in.Admin.Close()
		}
	}()
	err := in.Server.Shutdown(ctx)
	<-adminDone
	in.cancel()
	if in.Runner != nil {
		in.Runner.Wait()
	}
	in.closeStores()
	if a := in.Server.Config().Log.Audit; a != "" && a != "stdout" {
		// The other anchor (see Open): the trail must end with this.
		in.Server.Logger.Info("audit trail closed", "file", a, "last", in.Audit.Head())
	}
	return err
}

func (in *Instance) closeStores() {
	if in.Spool != nil {
		in.Spool.Close()
	}
	if in.Quarantine != nil {
		in.Quarantine.Close()
	}
	if in.Audit != nil {
		in.Audit.Close()
	}
}

// unwrapPath is a *fs.PathError's own error: the message that wraps it
// names the path already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// clearSpills removes what a stopped gateway left in its own spill
// directory.
func clearSpills(dir string, logger *slog.Logger) {
	// Not filepath.Glob: a spool path with "[" or "\\" in it would be
	// read as a pattern.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "mugai-spill-") || !e.Type().IsRegular() {
			continue
		}
		f := filepath.Join(dir, e.Name())
		if err := os.Remove(f); err != nil {
			logger.Warn("cannot remove a spill file left by an earlier run", "file", f, "err", err)
		}
	}
}
