package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"mugai/gateway"
)

// runCtl switches the running gateway's emergency mode (緊急時対応), or
// shows it with since when, by whom and why: `mugai ctl lockdown
// on|off|status`.
func runCtl(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("ctl", "lockdown on|off|status", stderr)
	path := configFlag(fs)
	reason := fs.String("reason", "", "the reason (`TEXT`) for the audit trail (required for on and off)")
	asJSON := fs.Bool("json", false, "print the answer as JSON, as the admin listener gives it")
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 || pos[0] != "lockdown" || (pos[1] != "on" && pos[1] != "off" && pos[1] != "status") {
		fs.Usage()
		return 1
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	c := newAdminClient(cfg)
	var state gateway.LockdownState
	if pos[1] == "status" && *reason != "" {
		// Nothing is switched, nothing is recorded: a reason would be
		// read as if it went to the audit trail.
		fmt.Fprintln(stderr, "mugai ctl: lockdown status takes no -reason (only on and off are recorded in the audit trail)")
		return 1
	}
	if pos[1] == "status" {
		err = c.get("/lockdown", &state)
		if errors.Is(err, errAdminDown) {
			// As mugai queue and quarantine read their stores: the marker
			// is what the gateway restores at its start, read by the
			// gateway's own function. Switching stays with a running
			// gateway, which writes the audit record.
			down := err
			if state, err = lockdownOffline(cfg.SpoolDir, down); err == nil {
				fmt.Fprintf(stderr, "mugai ctl: the gateway is not running (%v); its marker %s read directly says how it starts%s\n",
					down, gateway.LockdownMark(cfg.SpoolDir), configHint(*path))
			}
		}
	} else {
		if *reason == "" {
			fmt.Fprintln(stderr, "mugai ctl: -reason is required: it goes to the audit trail")
			return 1
		}
		err = c.post("/lockdown", gateway.ControlRequest{On: pos[1] == "on", User: invokingUser(), Reason: *reason}, &state)
	}
	if err != nil {
		hint := ""
		if errors.Is(err, errAdminDown) {
			hint = " (is mugai serve running with this configuration?)" + configHint(*path)
		}
		fmt.Fprintf(stderr, "mugai ctl: %v%s\n", err, hint)
		return 1
	}
	if state.Warning != "" {
		fmt.Fprintf(stderr, "mugai ctl: warning: %s\n", safe(state.Warning))
	}
	if *asJSON {
		if err := writeJSON(stdout, state); err != nil {
			fmt.Fprintf(stderr, "mugai ctl: %v\n", err)
			return 1
		}
		return 0
	}
	printLockdown(stdout, state, gateway.LockdownMark(cfg.SpoolDir), time.Now())
	return 0
}

// printLockdown writes the lockdown's state for an operator: the mode,
// and while it is on since when, by whom and why, as its marker keeps
// them. A switch to the mode in force says that it changed nothing:
// a repeated `on` used to be taken silently, and rewrote the marker.
func printLockdown(w io.Writer, st gateway.LockdownState, marker string, now time.Time) {
	mode := map[bool]string{true: "on", false: "off"}[st.Lockdown]
	if st.Already {
		fmt.Fprintf(w, "lockdown: already %s, nothing switched (this call is recorded in the audit trail as already-%s)\n", mode, mode)
		if st.Marker != "" {
			fmt.Fprintf(w, "lockdown: %s\n", safe(st.Marker))
		}
	}
	if !st.Lockdown {
		fmt.Fprintln(w, "lockdown: off — the configured policies apply")
		return
	}
	fmt.Fprintln(w, "lockdown: on — every sanitising route strips all attachments and removes all links")
	if st.Since.IsZero() {
		fmt.Fprintf(w, "  since when, by whom and why: unknown (its marker %s does not say)\n", safe(marker))
		return
	}
	fmt.Fprintf(w, "  since %s (%s ago) by %s: %s\n", localTime(st.Since), age(now.Sub(st.Since)), safe(st.User), safe(st.Reason))
}

// lockdownOffline reads the marker in spoolDir while no gateway answers
// (down says why). A spool directory that is not there is an error, not
// "off": it is what a forgotten -config gives (the embedded default's
// ./mugai-data), where the gateway in service may well be on.
func lockdownOffline(spoolDir string, down error) (gateway.LockdownState, error) {
	if _, err := os.Stat(spoolDir); err != nil {
		return gateway.LockdownState{}, fmt.Errorf("%w, and its spool directory cannot be read (mugai serve makes it at its first start): %w", down, err)
	}
	st, err := gateway.ReadLockdown(spoolDir)
	if err != nil {
		return st, fmt.Errorf("%w, and its marker cannot be looked at: %w", down, err)
	}
	return st, nil
}
