// Package config is the gateway's configuration: the YAML schema, the
// embedded default, strict loading that reports every mistake as
// FILE:LINE: key: problem, defaults in one place, and the rule engine that
// picks a policy for a message. It is plain data plus validation: it
// opens no listener and touches no spool; it only reads the files the
// configuration names (TLS, keys, recipient lists) to check they are
// readable.
package config
