package main

import (
	"fmt"
	"io"
	"os"

	"mugai/gateway"
)

func runAudit(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("audit", "verify FILE", stderr)
	// Flags after the subcommand too: "mugai audit verify -h" is help,
	// not a file named -h.
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 2 || pos[0] != "verify" {
		fs.Usage()
		return 1
	}
	file := pos[1]
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintln(stderr, "mugai audit:", err)
		return 1
	}
	defer f.Close()
	c, err := gateway.VerifyAuditChain(f)
	if err != nil {
		// A changed trail is what is being checked: what it holds (a
		// forged prev) reaches the terminal escaped.
		fmt.Fprintf(stderr, "%s: %s\n", file, safe(err.Error()))
		fmt.Fprintf(stdout, "%s: %d lines intact before the break\n", file, c.Lines)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d lines, chain intact\n", file, c.Lines)
	// The chain cannot show lines removed at either end: say where it
	// begins and ends, to hold against the hashes the gateway logs
	// ("audit trail opened … continues_from", "audit trail closed … last").
	switch {
	case c.Lines == 0:
	case c.Continues == "":
		fmt.Fprintln(stdout, "  begins: a new chain (the first line of a trail)")
	default:
		fmt.Fprintf(stdout, "  begins: continues the chain of a line hashing to %s, not in this file (a rotated file's last line; if this file was never rotated into, lines were removed from its start)\n", safe(c.Continues))
	}
	if c.Lines > 0 {
		fmt.Fprintf(stdout, "  ends:   last line hashes to %s (the gateway logs the hash it last wrote at each stop: a trail ending otherwise was cut or changed)\n", c.Last)
	}
	return 0
}
