package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name, summary string
	run           func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the gateway: every route's listener, delivery, the admin listener", runServe},
		{"check", "validate a configuration and summarise it", runCheck},
		{"config", "print the embedded default configuration (mugai config default)", runConfig},
		{"sanitize", "rebuild one message under a policy, as the gateway would", runSanitize},
		{"queue", "list, show, retry and delete queued messages", runQueue},
		{"quarantine", "list, show, release and purge quarantined originals", runQuarantine},
		{"ctl", "switch the emergency lockdown, or say since when, by whom and why it is on (mugai ctl lockdown on|off|status [-reason TEXT] [-json])", runCtl},
		{"audit", "verify the hash chain of an audit trail (mugai audit verify FILE)", runAudit},
		{"version", "print the version", runVersion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 1
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run([]string{"-h"}, stdin, stdout, stderr)
				}
			}
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "mugai: unknown command %q\n\n", name)
	usage(stderr)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "mugai — a sanitising SMTP gateway between the internet and LGWAN segments (無害化)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: mugai COMMAND [flags]   (mugai COMMAND -h for its flags)")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "help", "this text")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 done (check: the configuration is valid, warnings or not); 1 an error (usage,")
	fmt.Fprintln(w, "configuration, I/O, the gateway unreachable), said on standard error; 3 sanitize: the policy")
	fmt.Fprintln(w, "rejected the message (nothing on standard output).")
}

func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(fs, stderr) {
		return 1
	}
	fmt.Fprintf(stdout, "mugai %s\n", version)
	return 0
}
