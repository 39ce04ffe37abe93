package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"mugai/config"
)

func newFlagSet(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, strings.TrimSpace("Usage: mugai "+name+" [flags] "+args))
		fs.PrintDefaults()
	}
	return fs
}

// configUsage is the text of every command's -config flag. The backquotes
// make -h show "-config FILE" (the flag package takes the placeholder from
// them), as the usage lines of quarantine and sanitize write it, not the
// type name "-config string".
const configUsage = "configuration `FILE` (default: the embedded default configuration)"

// configFlag defines -config on fs, the same for every command.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", configUsage)
}

// parseFlags parses args; ok is false when the command should exit with
// code (0 for -h, 1 for a usage error).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 1, false
	}
	return 0, true
}

// noArgs refuses arguments after the flags of a command that takes none:
// "mugai serve /etc/mugai/mugai.yaml" would otherwise run the embedded
// default without a word. The hint about -config goes only to a command
// that has the flag: "mugai version x" has nothing to configure.
func noArgs(fs *flag.FlagSet, stderr io.Writer) bool {
	if fs.NArg() == 0 {
		return true
	}
	hint := ""
	if fs.Lookup("config") != nil {
		hint = " (a configuration file is given with -config FILE)"
	}
	fmt.Fprintf(stderr, "mugai %s: unexpected argument %q%s\n", fs.Name(), fs.Arg(0), hint)
	fs.Usage()
	return false
}

// loadConfig loads path, or the embedded default when path is empty.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

// configHint completes an error that running on the embedded default
// configuration may explain: an operator who forgot -config is told of a
// store or a listener that is not the gateway's, and "start mugai serve"
// would send them after a gateway that runs.
func configHint(path string) string {
	if path != "" {
		return ""
	}
	return "; no -config was given, so this is the embedded default configuration: give -config FILE, for example -config /etc/mugai/mugai.yaml"
}
