package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"mugai/config"
	"mugai/gateway/metrics"
)

// lockdownFile marks the emergency mode on disk, so that it survives a
// restart: an operator who turned it on must turn it off.
const lockdownFile = "lockdown"

// LockdownPolicy is p with every attachment stripped and every link
// removed: the emergency mode (緊急時対応) of a sanitising route. The dry
// run applies it as the gateway does.
func LockdownPolicy(p config.Policy) config.Policy {
	p.Attachments.Default = "strip"
	p.Attachments.Keep = nil
	p.Body.Links = "remove"
	p.Lockdown = true
	return p
}

// LockdownMark is the file whose presence in the spool directory says
// that the emergency mode is on.
func LockdownMark(spoolDir string) string { return filepath.Join(spoolDir, lockdownFile) }

// LockdownOn reports whether the emergency mode is on for the gateway
// whose spool directory is spoolDir, as that gateway reads it at a start
// (its mark there); the error is the mark's that could not be looked at
// (a user without access to the spool directory: the dry run cannot
// tell then).
func LockdownOn(spoolDir string) (bool, error) {
	_, err := os.Stat(LockdownMark(spoolDir))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, err
}

// loadLockdown restores the emergency mode from the spool directory.
func (s *Server) loadLockdown() {
	if on, _ := LockdownOn(s.cfg.Load().SpoolDir); on {
		s.setLockdown(true)
		s.Logger.Warn("lockdown is on (restored from the spool directory): every attachment stripped, every link removed")
	}
}

// SetLockdown switches the emergency mode, records it durably, and
// writes it to the log and the audit trail.
//
// Turning it on is never refused: an incident is when the spool's disk
// may be full, and a marker that cannot be written must not keep every
// attachment and link crossing. The mode is then on until a restart,
// and SetLockdown returns an error wrapping errLockdownNotKept (the
// record and the log say so too). Turning it off when the marker cannot
// be removed is refused, recorded as an error: it would come back on at
// the next start.
func (s *Server) SetLockdown(on bool, user, why string) error {
	path := LockdownMark(s.cfg.Load().SpoolDir)
	var notKept error
	if on {
		stamp := fmt.Sprintf("on since %s by %s: %s\n", time.Now().UTC().Format(time.RFC3339), user, why)
		if err := os.WriteFile(path, []byte(stamp), 0o600); err != nil {
			s.Metrics.StorageErrors.WithLabelValues(metrics.StoreSpool).Inc()
			notKept = fmt.Errorf("%w: its marker %s could not be written: %v", errLockdownNotKept, path, err)
		}
	} else if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		err = fmt.Errorf("lockdown stays on: its marker %s could not be removed: %w", path, err)
		s.Logger.Error("lockdown not switched off", "user", user, "why", why, "err", err)
		s.Audit.Write(&AuditRecord{Time: time.Now().UTC(), Event: "lockdown", Verdict: "error", User: user, Why: why,
			Reason: recordText(err.Error(), maxDetailBytes)})
		return err
	}
	syncDir(filepath.Dir(path))
	s.setLockdown(on)
	state := map[bool]string{true: "on", false: "off"}[on]
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "lockdown", Verdict: state, User: user, Why: why}
	if notKept != nil {
		rec.Reason = recordText(notKept.Error(), maxDetailBytes)
		s.Logger.Error("lockdown switched on until the next start only", "user", user, "why", why, "err", notKept)
	} else {
		s.Logger.Warn("lockdown switched", "state", state, "user", user, "why", why)
	}
	s.Audit.Write(rec)
	return notKept
}

// errLockdownNotKept: the lockdown is on, but only until the next start.
var errLockdownNotKept = errors.New("lockdown is on until the gateway restarts, not after")

func (s *Server) setLockdown(on bool) {
	s.lockdown.Store(on)
	v := 0.0
	if on {
		v = 1
	}
	s.Metrics.LockdownEnabled.Set(v)
}

// Lockdown reports whether the emergency mode is on.
func (s *Server) Lockdown() bool { return s.lockdown.Load() }

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ControlRequest is the body of the CLI's state-changing admin calls.
type ControlRequest struct {
	On     bool   `json:"on"`
	User   string `json:"user"`
	Reason string `json:"reason"`
}

// LockdownState is the answer of the lockdown calls. Warning says what
// went wrong with a lockdown that is on all the same (it will not
// survive a restart).
type LockdownState struct {
	Lockdown bool   `json:"lockdown"`
	Warning  string `json:"warning,omitempty"`
}

func (s *Server) lockdownHandlers(mux *http.ServeMux) {
	mux.Handle("GET /lockdown", s.controlGuard(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, LockdownState{Lockdown: s.Lockdown()})
	}))
	mux.Handle("POST /lockdown", s.controlGuard(func(w http.ResponseWriter, r *http.Request) {
		var req ControlRequest
		if err := decodeControl(r, &req); err != nil {
			s.refuseInvalid(w, metrics.ControlLockdown, "", "", "", fmt.Errorf("bad request: %w", err))
			return
		}
		user, reason, err := auditedBy("a lockdown", req.User, req.Reason)
		if err != nil {
			s.refuseInvalid(w, metrics.ControlLockdown, "", req.User, req.Reason, err)
			return
		}
		// Turning the emergency mode on is never refused (its record is
		// held until the trail can be written); turning it off loosens
		// what crosses, and is not done without its record.
		if !req.On && !s.auditUp(w, r) {
			return
		}
		if err := s.SetLockdown(req.On, user, reason); errors.Is(err, errLockdownNotKept) {
			// On, as asked: the CLI says what is missing.
			writeJSON(w, LockdownState{Lockdown: s.Lockdown(), Warning: err.Error()})
			return
		} else if err != nil {
			jsonError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, LockdownState{Lockdown: s.Lockdown()})
	}))
}
