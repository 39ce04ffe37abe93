// Package metrics holds every Prometheus collector of the gateway in one
// place: one registry of its own (never the global default), namespace
// "mugai", base units, "_total" counters and only low-cardinality labels
// (route, policy, verdict, reason, action, result, stage, code, state,
// decision, class, kind, path, store, part; version and goversion on
// build_info) — never an address, a message or queue id, or a filename.
// Label combinations known up front are created at zero so that rate()
// and alerts see a series before the first event. The package only
// defines and exposes metrics; it does not decide when they move: the
// server, spool, delivery and quarantine code update the exported fields.
package metrics
