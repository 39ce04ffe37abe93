package config

import (
	"fmt"
	"net/netip"
	"time"
)

// Config is the whole configuration of one gateway process.
type Config struct {
	Admin    Admin  `yaml:"admin"`
	SpoolDir string `yaml:"spool_dir"`
	// SpoolMinFree is the free space the spool's file system keeps,
	// and the quarantine's for a sanitising route: below it, plus the
	// size a client declares, MAIL is refused with a 452 and /readyz
	// fails. 0 turns the floor off.
	SpoolMinFree Size              `yaml:"spool_min_free"`
	Quarantine   Quarantine        `yaml:"quarantine"`
	Log          Log               `yaml:"log"`
	Routes       []Route           `yaml:"routes"`
	Rules        []Rule            `yaml:"rules"`
	Policies     map[string]Policy `yaml:"policies"`

	// File is the path the configuration was loaded from ("(embedded)" for
	// the built-in default). Not a YAML key.
	File string `yaml:"-"`
	// SHA256 is the hex SHA-256 of the bytes parsed, for telling which
	// version of the file is in force. Not a YAML key.
	SHA256 string `yaml:"-"`

	// lines maps a key path to its line in the file (set by Parse),
	// for At.
	lines map[string]int
}

// Written reports whether the file gives key (a path such as
// routes[0].bounces.connections), rather than its default.
func (c *Config) Written(key string) bool { _, ok := c.lines[key]; return ok }

// At names key where the file has it, "FILE:LINE: key" (the line of the
// key, or of its nearest parent written), for a problem met after the
// file was loaded, such as a directory mugai serve cannot create: the
// form every configuration error has.
func (c *Config) At(key string) string {
	for p := key; p != ""; p = parent(p) {
		if l, ok := c.lines[p]; ok {
			return fmt.Sprintf("%s:%d: %s", c.File, l, key)
		}
	}
	return c.File + ": " + key
}

// Admin is the HTTP listener for /metrics, /healthz, /readyz and the
// control endpoints used by the CLI while the server runs.
type Admin struct {
	Listen string `yaml:"listen"`
}

// Quarantine is where originals are kept for audited release.
type Quarantine struct {
	Dir       string   `yaml:"dir"`
	Retention Duration `yaml:"retention"`
	// MaxBytes is a ceiling on the store; 0 means no ceiling.
	MaxBytes Size `yaml:"max_bytes"`
	// MinAge protects the newest originals from purging under MaxBytes.
	MinAge Duration `yaml:"min_age"`
	// ReleaseOriginalTo lists the domains an untouched original may be
	// released to (internet-side mailboxes of staff).
	ReleaseOriginalTo []string `yaml:"release_original_to"`
	// EncryptionKeyFile holds 32 random bytes; originals are then stored
	// with AES-256-GCM.
	EncryptionKeyFile string `yaml:"encryption_key_file"`
}

// Log configures operational logs and the audit trail.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json, text
	// Audit is a file path or "stdout".
	Audit string `yaml:"audit"`
}

// Route is one listener with its own clients, domains, limits, policy and
// next hop. Nothing crosses from one route to another.
type Route struct {
	Name   string   `yaml:"name"`
	Listen []string `yaml:"listen"`
	// Interface binds the route's listeners to one network interface
	// (Linux SO_BINDTODEVICE). Without it, Linux accepts a connection
	// for any of the host's addresses on any interface (the weak host
	// model), so a listener on the LGWAN-side address is still reachable
	// from the internet-side interface.
	Interface  string     `yaml:"interface"`
	Hostname   string     `yaml:"hostname"`
	TLS        *TLS       `yaml:"tls"`
	Clients    []Prefix   `yaml:"clients"`
	Domains    []string   `yaml:"domains"`
	Recipients Recipients `yaml:"recipients"`
	Limits     Limits     `yaml:"limits"`
	Policy     string     `yaml:"policy"`
	Deliver    Deliver    `yaml:"deliver"`
	Bounces    *Deliver   `yaml:"bounces"`
}

// PolicyNone names a pass-through route: access control, limits and
// durability apply, sanitising does not.
const PolicyNone = "none"

// TLS is the certificate a route offers with STARTTLS.
type TLS struct {
	Cert    string `yaml:"cert"`
	Key     string `yaml:"key"`
	Require bool   `yaml:"require"`
}

// Recipients says how RCPT TO addresses are verified beyond the domain.
type Recipients struct {
	Verify string `yaml:"verify"` // none, next-hop
	File   string `yaml:"file"`   // one address per line
}

// Limits bound every input dimension of a route's sessions.
type Limits struct {
	MaxMessageSize          Size     `yaml:"max_message_size"`
	MaxRecipients           int      `yaml:"max_recipients"`
	MaxConnections          int      `yaml:"max_connections"`
	MaxConnectionsPerClient int      `yaml:"max_connections_per_client"`
	CommandTimeout          Duration `yaml:"command_timeout"`
	// DataTimeout is the grace period at the start of DATA before
	// MinDataRate is enforced, and the longest silence allowed during it.
	DataTimeout Duration `yaml:"data_timeout"`
	MinDataRate Size     `yaml:"min_data_rate"` // bytes per second
	// SessionTimeout bounds a connection from its first byte to its
	// close, whatever the client sends (NOOP, RSET, one transaction after
	// another). When it passes between commands the client gets a 421
	// and the connection is closed; a message transfer (DATA or BDAT,
	// which DataTimeout and MinDataRate bound) in progress then is
	// answered first.
	SessionTimeout Duration `yaml:"session_timeout"`
}

// Deliver is a next hop.
type Deliver struct {
	To     string `yaml:"to"`  // smtp://, smtps://, lmtp://, lmtp+unix://, maildir:
	TLS    string `yaml:"tls"` // none, opportunistic, required
	CAFile string `yaml:"ca_file"`
	Retry  Retry  `yaml:"retry"`
	// Connections is the number of concurrent connections to the next hop.
	Connections int `yaml:"connections"`
	// AttemptTimeout bounds one delivery attempt (the connection, when one
	// is made, and one transaction) as a whole; each command also has its
	// own timeout. When it passes the connection is closed and the
	// recipients are deferred.
	AttemptTimeout Duration `yaml:"attempt_timeout"`

	// URL is To, parsed by Load.
	URL NextHop `yaml:"-"`
}

// NextHop is a parsed Deliver.To.
type NextHop struct {
	Scheme string // smtp, smtps, lmtp, lmtp+unix, maildir
	Addr   string // host:port for network schemes
	Path   string // socket path or Maildir directory
}

// Retry is the retry schedule for temporary failures.
type Retry struct {
	Initial  Duration `yaml:"initial"`
	Max      Duration `yaml:"max"`
	Lifetime Duration `yaml:"lifetime"`
	// KeepFailed is how long a message that failed for good (its sender
	// has had the notice) stays in the queue, where an administrator can
	// requeue it, before it is deleted.
	KeepFailed Duration `yaml:"keep_failed"`
}

// Rule picks a policy by envelope and client; the first matching rule
// wins.
type Rule struct {
	Name   string `yaml:"name"`
	Match  Match  `yaml:"match"`
	Policy string `yaml:"policy"`
}

// Match lists the conditions of a rule; every non-empty list must match
// (one of its entries). A rule needs at least one condition.
type Match struct {
	Sender          []string `yaml:"sender"`
	SenderDomain    []string `yaml:"sender_domain"`
	Recipient       []string `yaml:"recipient"`
	RecipientDomain []string `yaml:"recipient_domain"`
	Route           []string `yaml:"route"`
	// Clients are the networks the message must come from: the sending
	// servers' addresses, which a sender cannot claim as it can the
	// envelope sender.
	Clients []Prefix `yaml:"clients"`
}

// Policy is what the sanitiser does to a message.
type Policy struct {
	Body          Body        `yaml:"body"`
	Attachments   Attachments `yaml:"attachments"`
	Ambiguous     string      `yaml:"ambiguous"` // strip, reject
	Notice        Notice      `yaml:"notice"`
	Headers       []string    `yaml:"headers"`
	OutputCharset string      `yaml:"output_charset"` // utf-8, iso-2022-jp
	Original      string      `yaml:"original"`       // quarantine, discard
	// Limits of the MIME walk; zero values take the defaults.
	MIME MIMELimits `yaml:"mime"`
	// Lockdown marks the form the gateway's emergency mode (緊急時対応)
	// gives a policy: the sanitiser says so to the reader. Never read
	// from the file.
	Lockdown bool `yaml:"-"`
}

// Body chooses and cleans the text the reader gets.
type Body struct {
	Prefer string `yaml:"prefer"` // plain, html
	Links  string `yaml:"links"`  // defang, keep, remove
}

// Attachments decides what happens to every part that is not the body.
type Attachments struct {
	Default           string       `yaml:"default"` // strip, keep, reject
	Keep              []KeepRule   `yaml:"keep"`
	EncryptedArchives string       `yaml:"encrypted_archives"` // strip, reject
	Archives          ArchiveLimit `yaml:"archives"`
}

// KeepRule keeps an attachment whose extension and sniffed type are both
// listed (an empty list matches any), whose extension is one its content
// goes by (the sanitiser checks that pairing), and whose size is within
// MaxSize.
type KeepRule struct {
	Extensions []string `yaml:"extensions"`
	Types      []string `yaml:"types"`
	MaxSize    Size     `yaml:"max_size"`
}

// ArchiveLimit bounds archive inspection.
type ArchiveLimit struct {
	MaxDepth   int     `yaml:"max_depth"`
	MaxEntries int     `yaml:"max_entries"`
	MaxRatio   float64 `yaml:"max_ratio"`
	MaxTotal   Size    `yaml:"max_total"`
}

// Notice is the text telling the reader what was done.
type Notice struct {
	Position string `yaml:"position"` // top, bottom
	Text     string `yaml:"text"`
}

// MIMELimits bound the structure walk.
type MIMELimits struct {
	MaxDepth       int  `yaml:"max_depth"`
	MaxParts       int  `yaml:"max_parts"`
	MaxHeaderBytes Size `yaml:"max_header_bytes"`
	MaxHTMLDepth   int  `yaml:"max_html_depth"`
}

// Prefix is a CIDR in a route's client list.
type Prefix struct{ netip.Prefix }

// Size is a byte count written with an optional unit (25MiB, 512KiB, 1000).
type Size int64

// Duration is a time.Duration that also accepts days ("5d").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
