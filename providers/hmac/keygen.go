package hmac

import (
	"encoding/binary"
	"math/bits"
)

// KeySize is the size in bytes of the keys made by Keygen, and the minimum
// size of any key this backend accepts.
const KeySize = 32

// Keygen returns the MVP's deterministic key for seed, byte for byte: the
// Rust MVP called ChaCha20Rng::seed_from_u64(seed) (rand_chacha 0.3,
// rand_core 0.6) and filled 32 bytes. seed_from_u64 expands the seed into a
// 32-byte ChaCha20 key with a PCG32 generator; the key returned is the first 32
// bytes of that ChaCha20 keystream (block counter and stream zero).
//
// The key is a pure function of the seed: anyone who knows the seed knows the
// key. It exists for compatibility with what the MVP signed; new keys should
// come from a random source.
func Keygen(seed uint64) [KeySize]byte {
	var chachaKey [8]uint32
	expandSeed(seed, &chachaKey)
	var out [KeySize]byte
	chachaFirstHalfBlock(&chachaKey, &out)
	return out
}

// expandSeed is rand_core 0.6's SeedableRng::seed_from_u64: PCG32 (XSH RR)
// output words, one per four bytes of the seed.
func expandSeed(state uint64, key *[8]uint32) {
	const (
		mul = 6364136223846793005
		inc = 11634580027462260723
	)
	for i := range key {
		state = state*mul + inc
		xorshifted := uint32(((state >> 18) ^ state) >> 27)
		rot := int(state >> 59)
		// rand_core writes x.to_le_bytes(), and ChaCha reads the key as
		// little-endian words, so each PCG word is one key word.
		key[i] = bits.RotateLeft32(xorshifted, -rot)
	}
}

// chachaFirstHalfBlock writes the first 32 bytes of the ChaCha20 (20 rounds)
// keystream block 0 with a zero nonce for key.
func chachaFirstHalfBlock(key *[8]uint32, out *[KeySize]byte) {
	const c0, c1, c2, c3 = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
	x0, x1, x2, x3 := uint32(c0), uint32(c1), uint32(c2), uint32(c3)
	x4, x5, x6, x7 := key[0], key[1], key[2], key[3]
	x8, x9, x10, x11 := key[4], key[5], key[6], key[7]
	var x12, x13, x14, x15 uint32
	for range 10 {
		x0, x4, x8, x12 = quarterRound(x0, x4, x8, x12)
		x1, x5, x9, x13 = quarterRound(x1, x5, x9, x13)
		x2, x6, x10, x14 = quarterRound(x2, x6, x10, x14)
		x3, x7, x11, x15 = quarterRound(x3, x7, x11, x15)
		x0, x5, x10, x15 = quarterRound(x0, x5, x10, x15)
		x1, x6, x11, x12 = quarterRound(x1, x6, x11, x12)
		x2, x7, x8, x13 = quarterRound(x2, x7, x8, x13)
		x3, x4, x9, x14 = quarterRound(x3, x4, x9, x14)
	}
	binary.LittleEndian.PutUint32(out[0:], x0+c0)
	binary.LittleEndian.PutUint32(out[4:], x1+c1)
	binary.LittleEndian.PutUint32(out[8:], x2+c2)
	binary.LittleEndian.PutUint32(out[12:], x3+c3)
	binary.LittleEndian.PutUint32(out[16:], x4+key[0])
	binary.LittleEndian.PutUint32(out[20:], x5+key[1])
	binary.LittleEndian.PutUint32(out[24:], x6+key[2])
	binary.LittleEndian.PutUint32(out[28:], x7+key[3])
}

func quarterRound(a, b, c, d uint32) (uint32, uint32, uint32, uint32) {
	a += b
	d ^= a
	d = bits.RotateLeft32(d, 16)
	c += d
	b ^= c
	b = bits.RotateLeft32(b, 12)
	a += b
	d ^= a
	d = bits.RotateLeft32(d, 8)
	c += d
	b ^= c
	b = bits.RotateLeft32(b, 7)
	return a, b, c, d
}
