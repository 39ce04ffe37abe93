// Command benchtool is the small helper of scripts/bench.sh: it
// generates the benchmark messages (Japanese plain text, text+HTML
// alternative, HTML with a PDF attachment, and a 20 MiB message for the
// memory test), finds free loopback ports, waits for an SMTP greeting,
// runs smtp-source and times a cell from the first message sent to the
// last one counted by smtp-sink, sends big messages over truly
// concurrent sessions (which smtp-source cannot), scrapes the admin
// listener and computes accept-latency quantiles from two scrapes of a
// Prometheus histogram. It deliberately knows nothing of mugai's
// internals (it does not import the gateway): it measures mugai from
// outside, exactly as it measures Postfix, and it is not part of the
// mugai binary.
package main
