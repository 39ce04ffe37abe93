package main

import (
	"fmt"
	"io"

	"mugai/gateway"
)

// runCtl switches the running gateway's emergency mode (緊急時対応):
// `mugai ctl lockdown on|off|status`.
func runCtl(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("ctl", "lockdown on|off|status", stderr)
	path := fs.String("config", "", "configuration file (default: the embedded default)")
	reason := fs.String("reason", "", "why, for the audit trail (required for on and off)")
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
	if pos[1] == "status" {
		err = c.get("/lockdown", &state)
	} else {
		if *reason == "" {
			fmt.Fprintln(stderr, "mugai ctl: -reason is required: it goes to the audit trail")
			return 1
		}
		err = c.post("/lockdown", gateway.ControlRequest{On: pos[1] == "on", User: invokingUser(), Reason: *reason}, &state)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mugai ctl: %v (is mugai serve running with this configuration?)%s\n", err, configHint(*path))
		return 1
	}
	if state.Warning != "" {
		fmt.Fprintf(stderr, "mugai ctl: warning: %s\n", safe(state.Warning))
	}
	if state.Lockdown {
		fmt.Fprintln(stdout, "lockdown: on — every sanitising route strips all attachments and removes all links")
	} else {
		fmt.Fprintln(stdout, "lockdown: off — the configured policies apply")
	}
	return 0
}
