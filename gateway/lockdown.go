package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// LockdownStamp is what the lockdown's marker records: when the
// lockdown went on, who turned it on and why. It is zero where the
// marker does not say (one made by hand, or cut short by a crash while
// it was written): the lockdown is on all the same.
type LockdownStamp struct {
	Since  time.Time `json:"since,omitzero"`
	User   string    `json:"user,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// unknownStamp is how a stamp the marker does not give is written and
// quoted; it does not parse back, so it stays unknown across a restart.
const unknownStamp = "since an unknown time, by an unknown user, for an unknown reason (its marker did not say)"

// String is the stamp as the marker holds it after "on " and as the
// audit trail quotes it: "since 2026-11-28T07:25:06Z by root: incident 1".
// A user holding ':' (a login name cannot, /etc/passwd separates its
// fields with it; a script's user may) or starting with a quote is
// written quoted, so that the marker reads back the same.
func (st LockdownStamp) String() string {
	if st.Since.IsZero() {
		return unknownStamp
	}
	user := st.User
	if strings.Contains(user, ":") || strings.HasPrefix(user, `"`) {
		user = strconv.Quote(user)
	}
	return "since " + st.Since.UTC().Format(time.RFC3339) + " by " + user + ": " + st.Reason
}

// maxMarkerBytes bounds what is read of a marker: a user (256 bytes)
// and a reason (2048), quoted, fit well within.
const maxMarkerBytes = 16 << 10

// ReadLockdown reads the marker in spoolDir as the gateway does at a
// start: whether the lockdown is on, and its stamp; the CLI reads it so
// while no gateway answers. A marker whose stamp cannot be read is on
// all the same, with a warning; the error is the marker's that could
// not be looked at.
func ReadLockdown(spoolDir string) (LockdownState, error) {
	on, err := LockdownOn(spoolDir)
	if err != nil || !on {
		return LockdownState{Lockdown: on}, err
	}
	st := LockdownState{Lockdown: true}
	f, err := os.Open(LockdownMark(spoolDir))
	if err == nil {
		var b []byte
		b, err = io.ReadAll(io.LimitReader(f, maxMarkerBytes))
		f.Close()
		st.LockdownStamp = parseLockdownStamp(string(b))
	}
	if err != nil {
		st.Warning = fmt.Sprintf("since when, by whom and why cannot be read: %v", err)
	}
	return st, nil
}

// parseLockdownStamp reads the line SetLockdown writes (String after
// "on "); anything else is a zero stamp.
func parseLockdownStamp(text string) LockdownStamp {
	line, _, _ := strings.Cut(text, "\n")
	rest, ok := strings.CutPrefix(line, "on since ")
	if !ok {
		return LockdownStamp{}
	}
	// RFC 3339 has no space: the time ends at the first one.
	ts, rest, ok := strings.Cut(rest, " by ")
	since, err := time.Parse(time.RFC3339, ts)
	if !ok || err != nil {
		return LockdownStamp{}
	}
	var user string
	if strings.HasPrefix(rest, `"`) {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return LockdownStamp{}
		}
		user, _ = strconv.Unquote(q)
		rest = rest[len(q):]
		if rest, ok = strings.CutPrefix(rest, ": "); !ok {
			return LockdownStamp{}
		}
	} else if user, rest, ok = strings.Cut(rest, ": "); !ok {
		return LockdownStamp{}
	}
	return LockdownStamp{Since: since, User: user, Reason: rest}
}

// loadLockdown restores the emergency mode from the spool directory,
// with the stamp its marker holds.
func (s *Server) loadLockdown() {
	st, _ := ReadLockdown(s.cfg.Load().SpoolDir)
	if !st.Lockdown {
		return
	}
	s.lockdownStamp = st.LockdownStamp
	s.setLockdown(true)
	attrs := []any{"since", st.Since, "user", st.User, "why", st.Reason}
	if st.Since.IsZero() {
		attrs = []any{"stamp", unknownStamp}
	}
	if st.Warning != "" {
		attrs = append(attrs, "warning", st.Warning)
	}
	s.Logger.Warn("lockdown is on (restored from the spool directory): every attachment stripped, every link removed", attrs...)
}

// writeLockdownMark writes the marker holding stamp; the error wraps
// errLockdownNotKept, and is counted as a spool storage error.
func (s *Server) writeLockdownMark(path string, stamp LockdownStamp) error {
	// Replaced whole: a crash while it is written leaves no marker cut
	// short, whose stamp would read as unknown after the restart.
	if err := replaceFile(path, []byte("on "+stamp.String()+"\n")); err != nil {
		s.Metrics.StorageErrors.WithLabelValues(metrics.StoreSpool).Inc()
		return fmt.Errorf("%w: its marker %s could not be written: %v", errLockdownNotKept, path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// SetLockdown switches the emergency mode, records it durably, and
// writes it to the log and the audit trail. The answer is the mode
// after the call, with its stamp.
//
// Turning it on is never refused: an incident is when the spool's disk
// may be full, and a marker that cannot be written must not keep every
// attachment and link crossing. The mode is then on until a restart,
// and SetLockdown returns an error wrapping errLockdownNotKept (the
// record and the log say so too). Turning it off when the marker cannot
// be removed is refused, recorded as an error: it would come back on at
// the next start.
//
// A switch to the mode in force changes nothing (lockdownAlready).
func (s *Server) SetLockdown(on bool, user, why string) (LockdownState, error) {
	s.lockdownMu.Lock()
	defer s.lockdownMu.Unlock()
	path := LockdownMark(s.cfg.Load().SpoolDir)
	if on == s.lockdown.Load() {
		return s.lockdownAlready(path, on, user, why)
	}
	var stamp LockdownStamp
	var notKept error
	if on {
		// The marker keeps whole seconds: the stamp in memory is the
		// one a restart reads back.
		stamp = LockdownStamp{Since: time.Now().UTC().Truncate(time.Second), User: user, Reason: why}
		notKept = s.writeLockdownMark(path, stamp)
	} else if err := s.removeLockdownMark(path, user, why); err != nil {
		return LockdownState{}, err
	}
	s.lockdownStamp = stamp
	s.setLockdown(on)
	state := map[bool]string{true: metrics.LockdownCallOn, false: metrics.LockdownCallOff}[on]
	s.Metrics.LockdownCalls.WithLabelValues(state).Inc()
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "lockdown", Verdict: state, User: user, Why: why}
	if notKept != nil {
		rec.Reason = recordText(notKept.Error(), maxDetailBytes)
		s.Logger.Error("lockdown switched on until the next start only", "user", user, "why", why, "err", notKept)
	} else {
		s.Logger.Warn("lockdown switched", "state", state, "user", user, "why", why)
	}
	s.Audit.Write(rec)
	return LockdownState{Lockdown: on, LockdownStamp: stamp}, notKept
}

// removeLockdownMark removes the marker; one that cannot be removed is
// recorded as an error (the lockdown would come back on at the next
// start) and counted.
func (s *Server) removeLockdownMark(path, user, why string) error {
	err := os.Remove(path)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		syncDir(filepath.Dir(path))
		return nil
	}
	err = fmt.Errorf("lockdown stays on: its marker %s could not be removed: %w", path, err)
	s.Metrics.LockdownCalls.WithLabelValues(metrics.LockdownCallError).Inc()
	s.Logger.Error("lockdown not switched off", "user", user, "why", why, "err", err)
	s.Audit.Write(&AuditRecord{Time: time.Now().UTC(), Event: "lockdown", Verdict: "error", User: user, Why: why,
		Reason: recordText(err.Error(), maxDetailBytes)})
	return err
}

// lockdownAlready answers a switch to the mode in force. A second `on`
// used to rewrite the marker, so that the first operator's time, name
// and reason were lost, and was recorded as a new `on`. Now the stamp
// in force stays, and the call is recorded as what it was: verdict
// already-on or already-off, with the caller's user and why, the reason
// quoting the stamp, and counted in lockdown_calls_total.
//
// The marker is still made to match the mode: an `on` whose marker is
// missing (it could not be written when the lockdown went on, the
// runbook says to run `on` again once the disk is fixed; or it was
// removed by hand) writes it with the stamp in force, and an `off`
// removes one found while off (made by hand: the lockdown would come
// back at the next start), as both did before.
func (s *Server) lockdownAlready(path string, on bool, user, why string) (LockdownState, error) {
	st := LockdownState{Lockdown: on, Already: true}
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "lockdown", User: user, Why: why}
	var err error
	if on {
		st.LockdownStamp = s.lockdownStamp
		// What became of the marker comes before the stamp, whose reason
		// (up to 2048 bytes) may be cut at the record's bound.
		note := " "
		if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
			if err = s.writeLockdownMark(path, s.lockdownStamp); err != nil {
				note = " (" + err.Error() + ") "
			} else {
				st.Marker = "its marker was missing and is written again: the lockdown survives a restart now"
				note = " (" + st.Marker + ") "
			}
		}
		rec.Verdict, rec.Reason = metrics.LockdownCallAlreadyOn, "already on"+note+s.lockdownStamp.String()
	} else {
		rec.Verdict, rec.Reason = metrics.LockdownCallAlreadyOff, "already off"
		if _, statErr := os.Stat(path); statErr == nil {
			if err := s.removeLockdownMark(path, user, why); err != nil {
				return LockdownState{}, err
			}
			st.Marker = "a marker " + path + " was there, which would have turned it on at the next start: removed"
			rec.Reason += "; " + st.Marker
		}
	}
	rec.Reason = recordText(rec.Reason, maxDetailBytes)
	s.Metrics.LockdownCalls.WithLabelValues(rec.Verdict).Inc()
	if err != nil {
		s.Logger.Error("lockdown already on, until the next start only", "user", user, "why", why, "err", err)
	} else {
		s.Logger.Info("lockdown already as asked, nothing switched", "state", rec.Verdict, "user", user, "why", why, "reason", rec.Reason)
	}
	s.Audit.Write(rec)
	return st, err
}

// LockdownStatus is the mode in force with its stamp. Its warning says
// where the marker does not match it: the mode would change at the next
// start.
func (s *Server) LockdownStatus() LockdownState {
	s.lockdownMu.Lock()
	defer s.lockdownMu.Unlock()
	dir := s.cfg.Load().SpoolDir
	path := LockdownMark(dir)
	st := LockdownState{Lockdown: s.lockdown.Load()}
	if st.Lockdown {
		st.LockdownStamp = s.lockdownStamp
	}
	marked, err := LockdownOn(dir)
	switch {
	case err != nil:
		st.Warning = fmt.Sprintf("its marker %s cannot be looked at: %v", path, err)
	case st.Lockdown && !marked:
		st.Warning = fmt.Sprintf("%v: its marker %s is missing; mugai ctl lockdown on writes it again", errLockdownNotKept, path)
	case !st.Lockdown && marked:
		st.Warning = fmt.Sprintf("its marker %s is there: the lockdown comes back on at the next start; mugai ctl lockdown off removes it", path)
	}
	return st
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

// LockdownState is the answer of the lockdown calls: the mode, and
// while it is on, since when, by whom and why (the stamp, whose fields
// are left out where the marker did not say). Already says that a
// switch found the mode as asked and changed nothing. Warning says what
// went wrong with a lockdown that is on all the same (it will not
// survive a restart), or, for the status, that the marker does not
// match the mode.
type LockdownState struct {
	Lockdown bool `json:"lockdown"`
	LockdownStamp
	Already bool `json:"already,omitempty"`
	// Marker says what a switch to the mode in force did to the marker
	// to make it match: written again (the runbook's "run on again once
	// the disk is fixed"), or one left while off removed.
	Marker  string `json:"marker,omitempty"`
	Warning string `json:"warning,omitempty"`
}

func (s *Server) lockdownHandlers(mux *http.ServeMux) {
	mux.Handle("GET /lockdown", s.controlGuard(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.LockdownStatus())
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
		st, err := s.SetLockdown(req.On, user, reason)
		if errors.Is(err, errLockdownNotKept) {
			// On, as asked: the CLI says what is missing.
			st.Warning = err.Error()
		} else if err != nil {
			jsonError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, st)
	}))
}
