// Package spool is the durable queue of sanitised messages waiting for
// delivery, kept in a seglog segment log: Put returns only after the
// message and its envelope are on disk (one group-committed fdatasync
// shared by concurrent sessions, DESIGN.md invariant 2), delivery workers
// lease due messages with Next (new and requeued mail and retries in
// turn, so that a backlog of retries does not hold up new mail) and
// record per-recipient results with Update, and Open replays the log
// after a crash to rebuild the index of live messages with their latest
// recipient states and retry times. Segments go once every message in
// them is finished; long-lived messages are copied forward so old
// segments can go. The spool does not decide retry schedules, talk to
// next hops or look inside messages: that is gateway/deliver's job.
package spool
