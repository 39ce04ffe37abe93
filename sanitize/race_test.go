//go:build race

package sanitize

// raceEnabled: timing assertions are meaningless under the race detector.
const raceEnabled = true
