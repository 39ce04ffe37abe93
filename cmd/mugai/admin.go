package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"mugai/config"
	"mugai/gateway"
)

// The CLI's state-changing commands go through the running gateway's
// admin listener, so that the spool and the quarantine keep one writer.

// invokingUser names the operator for the audit trail: the login name,
// and the user sudo was run by when there is one (SUDO_USER is only an
// environment variable, so the real account stays in the record).
func invokingUser() string {
	name := "uid " + strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if su := os.Getenv("SUDO_USER"); su != "" && su != name {
		return su + " (sudo as " + name + ")"
	}
	return name
}

// errAdminDown: nothing answers on the admin listener.
var errAdminDown = errors.New("admin listener not reachable")

// adminClient calls the control endpoints of a running gateway.
type adminClient struct {
	addr     string // host:port, "" without an admin listener
	spoolDir string // where the running gateway writes its control token
	hc       *http.Client
}

// newAdminClient reaches the admin listener of cfg; a wildcard address is
// reached on loopback.
func newAdminClient(cfg *config.Config) *adminClient {
	dialer := &net.Dialer{Timeout: 3 * time.Second}
	// Releasing a 25 MiB message sanitises it again: allow minutes.
	return &adminClient{addr: adminAddr(cfg.Admin.Listen), spoolDir: cfg.SpoolDir, hc: &http.Client{
		Timeout:   5 * time.Minute,
		Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext},
	}}
}

func adminAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// do sends a request; a connection failure wraps errAdminDown, an error
// status is the server's message.
func (c *adminClient) do(ctx context.Context, method, path string, query url.Values, body any) (*http.Response, error) {
	if c.addr == "" {
		return nil, fmt.Errorf("no admin listener configured: %w", errAdminDown)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := url.URL{Scheme: "http", Host: c.addr, Path: path, RawQuery: query.Encode()}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// Read at each call: the gateway writes a new one at each start.
	tok, err := gateway.ReadControlToken(c.spoolDir)
	if err != nil {
		return nil, err
	}
	if tok == "" {
		// No gateway has started on this configuration's spool directory.
		// A call without the token is refused (401), logged, written to
		// the audit trail and raises MugaiControlCallRefused, an intrusion
		// alert: do not make it. Nothing listening is a stopped gateway
		// (the store may be read directly); a listener is a gateway run
		// with another configuration, as when -config is forgotten and the
		// embedded default's admin address is the production one.
		conn, err := net.DialTimeout("tcp", c.addr, 3*time.Second)
		if err != nil {
			return nil, fmt.Errorf("%w at %s", errAdminDown, c.addr)
		}
		conn.Close()
		return nil, fmt.Errorf("no control token at %s, yet a gateway answers at %s: it runs with another spool_dir; give -config the file that gateway runs with",
			gateway.ControlTokenPath(c.spoolDir), c.addr)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("%w at %s", errAdminDown, c.addr)
		}
		return nil, fmt.Errorf("admin listener %s: %w", c.addr, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		var e struct {
			Error string `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		if e.Error == "" {
			e.Error = fmt.Sprintf("admin listener %s: %s %s: %s", c.addr, method, path, resp.Status)
		}
		// The text quotes what a request named (recipients, ids) and
		// what a message holds (a policy's reason); and whatever answers
		// there may be no gateway: it reaches a terminal escaped.
		return nil, errors.New(safe(e.Error))
	}
	return resp, nil
}

// call makes one request and decodes the JSON answer into out.
func (c *adminClient) call(method, path string, query url.Values, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.hc.Timeout)
	defer cancel()
	resp, err := c.do(ctx, method, path, query, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := decodeAnswer(resp.Body, out); err != nil {
		return fmt.Errorf("admin listener %s: %s %s: bad answer: %w", c.addr, method, path, err)
	}
	return nil
}

// callTotal is call for a listing that says in X-Mugai-Total how many
// items matched, of which it may give fewer.
func (c *adminClient) callTotal(method, path string, query url.Values, out any) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.hc.Timeout)
	defer cancel()
	resp, err := c.do(ctx, method, path, query, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := decodeAnswer(resp.Body, out); err != nil {
		return 0, fmt.Errorf("admin listener %s: %s %s: bad answer: %w", c.addr, method, path, err)
	}
	total, err := strconv.Atoi(resp.Header.Get("X-Mugai-Total"))
	if err != nil {
		total = -1 // not said
	}
	return total, nil
}

// maxAnswer bounds a JSON answer of the admin listener that the CLI reads
// (a listing of 5,000 originals is a few MiB): whatever answers on the
// admin address, a gateway or, while it is stopped, any local program
// that took its port, must not grow the CLI, often run as root, without
// end. A variable for the tests.
var maxAnswer int64 = 256 << 20

// errAnswerTooLong: an answer went on past what the gateway ever sends.
var errAnswerTooLong = errors.New("answer too long (is it a gateway that answers there?)")

// decodeAnswer decodes a JSON answer of at most maxAnswer bytes.
func decodeAnswer(r io.Reader, out any) error {
	lr := &io.LimitedReader{R: r, N: maxAnswer + 1}
	err := json.NewDecoder(lr).Decode(out)
	if lr.N <= 0 {
		return errAnswerTooLong
	}
	return err
}

// readAnswer reads an answer of at most max bytes.
func readAnswer(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(b)) > max {
		err = errAnswerTooLong
	}
	return b, err
}

func (c *adminClient) get(path string, out any) error {
	p, q, _ := strings.Cut(path, "?")
	query, _ := url.ParseQuery(q)
	return c.call(http.MethodGet, p, query, out)
}

func (c *adminClient) post(path string, in, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.hc.Timeout)
	defer cancel()
	resp, err := c.do(ctx, http.MethodPost, path, nil, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := decodeAnswer(resp.Body, out); err != nil {
		return fmt.Errorf("admin listener %s: POST %s: bad answer: %w", c.addr, path, err)
	}
	return nil
}
