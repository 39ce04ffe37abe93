package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// runPorts prints n distinct free ports of 127.0.0.1. All listeners are
// held until every port is chosen, so the n ports differ.
func runPorts(args []string, stdout io.Writer) error {
	fs := newFlags("ports")
	n := fs.Int("n", 1, "how many ports")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range *n {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, ln)
	}
	for _, ln := range lns {
		fmt.Fprintln(stdout, ln.Addr().(*net.TCPAddr).Port)
	}
	return nil
}

// runGreet waits until addr answers with an SMTP 220 greeting, then says
// QUIT.
func runGreet(args []string, _ io.Writer) error {
	fs := newFlags("greet")
	addr := fs.String("addr", "", "HOST:PORT")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	deadline := time.Now().Add(*timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = greet(*addr); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: no greeting within %v: %w", *addr, *timeout, last)
}

func greet(addr string) error {
	c, err := net.DialTimeout("tcp4", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting: %q", strings.TrimSpace(line))
	}
	io.WriteString(c, "QUIT\r\n")
	return nil
}

// runGet fetches url into a file (the benchmark does not assume curl).
func runGet(args []string, _ io.Writer) error {
	fs := newFlags("get")
	url := fs.String("url", "", "URL")
	out := fs.String("o", "", "output file")
	timeout := fs.Duration("timeout", 2*time.Minute, "whole request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c := &http.Client{Timeout: *timeout}
	resp, err := c.Get(*url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", *url, resp.Status)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", *url, err)
	}
	return f.Close()
}
