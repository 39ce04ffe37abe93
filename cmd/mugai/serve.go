package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"mugai/config"
	"mugai/gateway"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
)

// shutdownGrace bounds how long sessions in DATA may take to finish
// after SIGTERM.
const shutdownGrace = 30 * time.Second

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "", stderr)
	path := fs.String("config", "", "configuration file (default: the embedded default)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logger := newLogger(cfg, stderr)
	if err := serve(cfg, *path, logger, nil); err != nil {
		logger.Error("mugai stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the gateway until SIGTERM or SIGINT (or until stop is
// closed, for tests), reloading on SIGHUP.
func serve(cfg *config.Config, path string, logger *slog.Logger, stop <-chan struct{}) error {
	m := metrics.New(version)
	for _, dir := range []string{cfg.SpoolDir, cfg.Quarantine.Dir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	sp, err := spool.Open(cfg.SpoolDir, spool.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer sp.Close()
	// The store reports its own max_bytes purges to the server, which
	// exists only later; no Put happens before srv is set.
	var srv *gateway.Server
	qopts := quarantine.Options{MaxBytes: int64(cfg.Quarantine.MaxBytes), MinAge: cfg.Quarantine.MinAge.D(), Logger: logger,
		OnMaxBytesPurge: func(p []quarantine.Meta) { srv.MaxBytesPurged(p) }}
	if f := cfg.Quarantine.EncryptionKeyFile; f != "" {
		if qopts.Key, err = os.ReadFile(f); err != nil {
			return fmt.Errorf("quarantine key: %w", err)
		}
	}
	q, err := quarantine.Open(cfg.Quarantine.Dir, qopts)
	if err != nil {
		return err
	}
	defer q.Close()
	audit, err := gateway.OpenAudit(cfg.Log.Audit, func(err error) { logger.Error("audit write failed", "err", err) })
	if err != nil {
		return err
	}
	defer audit.Close()

	srv, err = gateway.New(cfg, gateway.Deps{Logger: logger, Metrics: m, Spool: sp, Quarantine: q, Audit: audit})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	m.DiskFree.Set(metrics.DiskSpool, metrics.FreeBytes(cfg.SpoolDir))
	m.DiskFree.Set(metrics.DiskQuarantine, metrics.FreeBytes(cfg.Quarantine.Dir))
	m.ConfigLastReloadSuccess.SetToCurrentTime()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runner := srv.StartDelivery(ctx)
	srv.StartQuarantinePurge(ctx)

	admin, adminAddr, err := gateway.ServeAdmin(cfg.Admin.Listen, srv.AdminHandler(nil))
	if err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	for route, addrs := range srv.Addrs() {
		logger.Info("listening", "route", route, "addrs", fmt.Sprint(addrs))
	}
	logger.Info("mugai serving", "version", version, "config", cfg.File, "admin", adminAddr.String())

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				if err := audit.Reopen(); err != nil {
					logger.Error("audit trail not reopened", "err", err)
				}
				reload(srv, path, logger, m)
				continue
			}
			logger.Info("shutting down", "signal", sig.String())
		case <-stop:
			logger.Info("shutting down")
		}
		break
	}
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	admin.Shutdown(sctx)
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("sessions still open at the end of the grace period were closed", "err", err)
	}
	cancel()
	runner.Wait()
	logger.Info("stopped")
	return nil
}

func reload(srv *gateway.Server, path string, logger *slog.Logger, m *metrics.Metrics) {
	if path == "" {
		logger.Info("reload: running on the embedded default; nothing to reload")
		return
	}
	cfg, err := config.Load(path)
	if err == nil {
		err = srv.Reload(cfg)
	}
	if err != nil {
		m.ConfigReloads.WithLabelValues(metrics.ReloadFailure).Inc()
		logger.Error("reload refused; the running configuration stays in force", "err", err.Error())
		return
	}
	m.ConfigReloads.WithLabelValues(metrics.ReloadSuccess).Inc()
	m.ConfigLastReloadSuccess.SetToCurrentTime()
	logger.Info("configuration reloaded", "config", path)
}
