// Package quarantine keeps the originals that sanitising replaced, with
// their metadata, for audited release: the same seglog segment log as the
// spool (durable before the SMTP 250, one group-committed fdatasync for
// concurrent sessions), but retained by time and by a byte ceiling rather
// than by delivery. Metadata is stored in its own unencrypted record so
// listing works without the key; with a key each original is encrypted with
// AES-256-GCM in 64 KiB chunks under a per-original subkey, so a tampered,
// truncated or wrongly keyed original yields an error and never a byte. The
// index kept in memory holds a bounded part of each metadata record (no
// report; see Meta), and Get reads the whole record back from disk. It
// does not decide what to quarantine, release or re-sanitise anything, or
// run on a schedule: callers (mugai serve, mugai quarantine) do that.
package quarantine
