package spill

import "sync"

// Chunks are recycled between Buffers. A gateway sanitises message after
// message, each holding a few buffers for a few milliseconds; taking their
// memory from a pool saves allocating and clearing it every time. A first
// chunk still starts small (one of four sizes) so that a buffer holding a
// few hundred bytes does not pin a whole chunk.
//
// A chunk goes back to its pool only when its Buffer no longer reads it
// (Close, a spill to file, or the first chunk outgrown); every read of a
// Buffer stops at its size, so what a previous owner left in a chunk is
// never visible.
var chunkPools [4]sync.Pool

// chunkClasses are the capacities chunks come in; the last is chunkSize.
var chunkClasses = [4]int{512, 2 << 10, 8 << 10, chunkSize}

// getChunk returns an empty chunk of capacity at least n (at most
// chunkSize).
func getChunk(n int) []byte {
	switch {
	case n <= chunkClasses[0]:
		if p, ok := chunkPools[0].Get().(*[512]byte); ok {
			return p[:0]
		}
		return make([]byte, 0, chunkClasses[0])
	case n <= chunkClasses[1]:
		if p, ok := chunkPools[1].Get().(*[2 << 10]byte); ok {
			return p[:0]
		}
		return make([]byte, 0, chunkClasses[1])
	case n <= chunkClasses[2]:
		if p, ok := chunkPools[2].Get().(*[8 << 10]byte); ok {
			return p[:0]
		}
		return make([]byte, 0, chunkClasses[2])
	}
	if p, ok := chunkPools[3].Get().(*[chunkSize]byte); ok {
		return p[:0]
	}
	return make([]byte, 0, chunkSize)
}

// putChunk gives a chunk from getChunk back. The caller must not use it
// afterwards.
func putChunk(c []byte) {
	switch cap(c) {
	case chunkClasses[0]:
		chunkPools[0].Put((*[512]byte)(c[:512]))
	case chunkClasses[1]:
		chunkPools[1].Put((*[2 << 10]byte)(c[:2<<10]))
	case chunkClasses[2]:
		chunkPools[2].Put((*[8 << 10]byte)(c[:8<<10]))
	case chunkSize:
		chunkPools[3].Put((*[chunkSize]byte)(c[:chunkSize]))
	}
}

// releaseMem gives every in-memory chunk back and forgets them.
func (b *Buffer) releaseMem() {
	for i, c := range b.mem {
		putChunk(c)
		b.mem[i] = nil
	}
	b.mem = nil
}
