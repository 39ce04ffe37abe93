// Package gateway is the SMTP side of mugai: one go-smtp listener per
// route with its own client networks, recipient domains, limits, policy
// and next hop (通信経路の分割); the accept path that sanitises a message
// and makes it durable before answering 250; the delivery runner; the
// admin listener; and the audit trail. It knows nothing of MIME beyond
// calling sanitize, and nothing of storage formats beyond the spool and
// quarantine packages.
package gateway
