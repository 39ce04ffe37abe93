// Package seglog is an append-only log of framed records in fixed-size
// segment files with group commit: writers append under a lock, one committer
// goroutine calls fdatasync for everything written so far and wakes every
// writer it covered, so N concurrent writers share one disk flush instead of
// paying one each. Open scans every segment, verifies each record's CRC32C,
// truncates a torn tail of the last segment and replays the good records in
// order; records are read back by position while the log is open. The log
// does not know what its records mean: which records are live, when a
// segment may be removed and when a record must be copied forward are the
// owner's decisions (spool, quarantine), helped by Refs. It does not compact,
// encrypt or index on its own.
package seglog
