//go:build !race

package filetype

const raceAllocFactor = 1
