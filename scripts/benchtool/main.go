package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

type command struct {
	name, summary string
	run           func(args []string, stdout io.Writer) error
}

var commands = []command{
	{"gen", "write a benchmark message: gen -kind small|alt|pdf|big [-size BYTES] -o FILE", runGen},
	{"ports", "print N free TCP ports on 127.0.0.1, one a line: ports -n N", runPorts},
	{"greet", "wait for an SMTP 220 greeting: greet -addr HOST:PORT [-timeout 30s]", runGreet},
	{"get", "HTTP GET to a file: get -url URL -o FILE", runGet},
	{"run", "time one cell: run -sink-out FILE -count N [-pid PID] [-timeout D] -- smtp-source ARGS", runRun},
	{"send", "send one file over N truly concurrent SMTP sessions: send -addr HOST:PORT -s N -F FILE", runSend},
	{"quantile", "histogram quantiles from two scrapes: quantile -metric NAME [-match LABELS] BEFORE AFTER", runQuantile},
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	for _, c := range commands {
		if c.name == os.Args[1] {
			err := c.run(os.Args[2:], os.Stdout)
			if errors.Is(err, flag.ErrHelp) {
				os.Exit(0)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "benchtool %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	usage(os.Stderr)
	os.Exit(2)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "benchtool — helper of scripts/bench.sh")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("benchtool "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}
