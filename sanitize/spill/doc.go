// Package spill is a write-once byte buffer for decoded message parts: it
// keeps the first bytes in memory and moves everything to an unlinked
// temporary file once a threshold is passed, so a 25 MiB attachment costs
// a file descriptor, not 25 MiB of heap. It is read back through
// io.ReaderAt (for archive inspection) or io.Reader. It does not encrypt,
// compress or share buffers between callers, and it never deletes anything
// but its own temporary file.
package spill
