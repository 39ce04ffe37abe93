//go:build race

package filetype

// raceAllocFactor: under the race detector growing a bytes.Buffer
// allocates twice what it does otherwise (reading 8 MiB into one: 64 MiB
// against 32 MiB of TotalAlloc), so allocation bounds measured with
// TotalAlloc are that much looser there. The bounds hold for the
// gateway's own (uninstrumented) build.
const raceAllocFactor = 2
