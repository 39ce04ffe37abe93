// Command mugai is the one binary of the gateway: serve, check, config,
// sanitize, queue, quarantine, audit, ctl and version. It only parses
// flags and wires the packages together; behaviour lives in config,
// sanitize and gateway.
package main
