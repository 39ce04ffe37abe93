// Package deliver is the next-hop side of the gateway: it hands a spooled,
// already sanitised message to the one next hop a route names (SMTP, SMTPS,
// LMTP over TCP or a unix socket, or a Maildir), keeps that connection open
// for the next message, and reports one Result per recipient so that the
// caller can record each recipient as done (2xx), deferred (4xx or a
// connection error) or failed (5xx). It also provides the retry schedule
// (Backoff, Expired) and builds RFC 3464 delivery status notifications.
// It deliberately does not read or update the spool, decide when to retry,
// resolve MX records, pick a next hop other than the configured one, or
// look inside the message: the queue runner owns the spool and the
// schedule, and the message is delivered byte for byte as it was spooled.
package deliver
