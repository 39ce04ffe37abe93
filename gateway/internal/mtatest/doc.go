// Package mtatest drives real mail servers from Debian (Postfix's smtp-sink,
// a private Postfix instance, swaks) from Go tests, on 127.0.0.1 only, so
// that mugai's interoperability, outage and delivery tests talk to the
// software it sits between rather than to a model of it. Every process is
// started by the test, tied to it (it dies with the test binary) and stopped
// and checked for leftovers by t.Cleanup, also when the test fails; every
// wait is bounded. Tests that need a tool are skipped when it is missing,
// and fail instead when MUGAI_REQUIRE_INTEROP=1 (as in CI). It is imported
// only by _test.go files; it deliberately does not configure TLS, DNS,
// IPv6 or anything beyond loopback, and it never touches the system
// Postfix configuration in /etc/postfix or its queue.
package mtatest
