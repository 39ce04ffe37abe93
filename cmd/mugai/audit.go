package main

import (
	"fmt"
	"io"
	"os"

	"mugai/gateway"
)

func runAudit(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("audit", "verify FILE", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 2 || fs.Arg(0) != "verify" {
		fs.Usage()
		return 1
	}
	f, err := os.Open(fs.Arg(1))
	if err != nil {
		fmt.Fprintln(stderr, "mugai audit:", err)
		return 1
	}
	defer f.Close()
	n, err := gateway.VerifyAudit(f)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Arg(1), err)
		fmt.Fprintf(stdout, "%s: %d lines intact before the break\n", fs.Arg(1), n)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d lines, chain intact\n", fs.Arg(1), n)
	return 0
}
