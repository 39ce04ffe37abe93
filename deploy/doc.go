// Package deploy holds no code: it is the directory of the files an
// operator installs — systemd unit with sysusers and tmpfiles snippets,
// container file, Prometheus alert rules with their unit tests, Grafana
// dashboard — and of the Go tests that check them against the real
// metrics registry and, where installed, promtool and systemd-analyze.
// It does not install anything itself; deploy/README.md says how.
package deploy
