package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"mugai/config"
	"mugai/gateway"
	"mugai/gateway/metrics"
)

// shutdownGrace bounds how long sessions in DATA may take to finish
// after SIGTERM.
const shutdownGrace = 30 * time.Second

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "", stderr)
	path := configFlag(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(fs, stderr) {
		return 1
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
		// Durations as the text format writes them ("6ms"), not as
		// integer nanoseconds.
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				a.Value = slog.StringValue(a.Value.Duration().String())
			}
			return a
		}
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the gateway until SIGTERM or SIGINT (or until stop is
// closed, for tests), reloading on SIGHUP.
func serve(cfg *config.Config, path string, logger *slog.Logger, stop <-chan struct{}) error {
	inst, err := gateway.Open(cfg, gateway.InstanceOptions{Logger: logger, Version: version})
	if err != nil {
		return err
	}
	for route, addrs := range inst.Server.Addrs() {
		logger.Info("listening", "route", route, "addrs", fmt.Sprint(addrs))
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	logger.Info("mugai serving", append([]any{"version", version, "admin", inst.AdminAddr.String()}, configAttrs(cfg)...)...)
	// After signal.Notify: a reload asked for once the start is said
	// is taken, not the end of the process (SIGHUP's default).
	logWarnings(logger, cfg)
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				switch head, rotated, err := inst.Audit.Reopen(); {
				case err != nil:
					logger.Error("audit trail not reopened", "err", err)
				case rotated:
					// The journal holds both ends of every file, as at
					// start and stop: the moved file must end, and the
					// new one begins, at this hash.
					logger.Info("audit trail rotated", "file", cfg.Log.Audit, "continues_from", head)
				}
				reload(inst.Server, path, logger, inst.Metrics)
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
	if err := inst.Close(sctx); err != nil {
		logger.Warn("sessions still open at the end of the grace period were closed", "err", err)
	}
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
	srv.RecordReload(path, cfg, err)
	if err != nil {
		m.ConfigReloads.WithLabelValues(metrics.ReloadFailure).Inc()
		m.ConfigLastReloadOK.Set(0) // MugaiConfigReloadFailed
		logger.Error("reload refused; the running configuration stays in force", "err", err.Error())
		return
	}
	m.ConfigReloads.WithLabelValues(metrics.ReloadSuccess).Inc()
	m.ConfigLastReloadOK.Set(1)
	m.ConfigLastReloadSuccess.SetToCurrentTime()
	logger.Info("configuration reloaded", configAttrs(cfg)...)
	logWarnings(logger, cfg)
}

// logWarnings logs what mugai check warns of in cfg, at a start and
// after a reload: a file reloaded without check run on it first still
// has its weakened promises said, in the journal.
func logWarnings(logger *slog.Logger, cfg *config.Config) {
	for _, w := range warnings(cfg, true) {
		logger.Warn("configuration warning (mugai check lists them)", "config", cfg.File, "warning", w)
	}
}

// configAttrs says which configuration is in force: the file, the start
// of its SHA-256 (sha256sum shows the same), and what it holds.
func configAttrs(cfg *config.Config) []any {
	rules := make([]string, len(cfg.Rules))
	for i, r := range cfg.Rules {
		rules[i] = r.Name + "→" + r.Policy
	}
	return []any{"config", cfg.File, "sha256", cfg.SHA256[:12], "routes", len(cfg.Routes), "policies", len(cfg.Policies), "rules", strings.Join(rules, " ")}
}
