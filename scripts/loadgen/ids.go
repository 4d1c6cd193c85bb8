package loadgen

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

// idSource makes random (version 4) UUIDs from a seeded generator, so a
// World with the same seed and run id produces the same ids.
type idSource struct{ rng *rand.Rand }

// newIDSource seeds the ids with both the seed and the run id: a second run
// with the same seed makes the same events under new ids, so it does not
// collide with the first one's rows.
func newIDSource(seed uint64, runID string) idSource {
	h := fnv.New64a()
	_, _ = h.Write([]byte(runID))
	return idSource{rng: rand.New(rand.NewPCG(seed, h.Sum64()))}
}

func (s idSource) next() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], s.rng.Uint64())
	return formatUUID(b)
}

// newRandomUUID is a version 4 UUID from the operating system's generator.
func newRandomUUID() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // never fails on supported platforms
	return formatUUID(b)
}

// newRandomSeed picks a seed for a run that was given none.
func newRandomSeed() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
