package pqc

import (
	"crypto/sha3"
	"crypto/subtle"
)

// This file recomputes the t0 of an expanded ML-DSA private key from its ρ,
// s1 and s2 (FIPS 204 Algorithm 6: t = NTT⁻¹(Â ∘ NTT(s1)) + s2, then
// Power2Round), so that a key whose t0 does not belong to the rest is
// refused on load. It runs once per key load, so it favours plainness over
// speed: plain modular arithmetic, no Montgomery form.

const (
	mldsaQ = 8380417 // q = 2²³ − 2¹³ + 1
	mldsaN = 256
	mldsaD = 13
)

type mldsaPoly [mldsaN]uint32

// mldsaZetas[k] = 1753^brv₈(k) mod q (FIPS 204 Appendix B).
var mldsaZetas = func() (z [mldsaN]uint32) {
	for k := range z {
		var brv uint
		for b := 0; b < 8; b++ {
			brv |= uint(k>>b&1) << (7 - b)
		}
		z[k] = powMod(1753, uint64(brv))
	}
	return z
}()

func powMod(base, exp uint64) uint32 {
	r := uint64(1)
	base %= mldsaQ
	for ; exp > 0; exp >>= 1 {
		if exp&1 == 1 {
			r = r * base % mldsaQ
		}
		base = base * base % mldsaQ
	}
	return uint32(r)
}

func mulMod(a, b uint32) uint32 { return uint32(uint64(a) * uint64(b) % mldsaQ) }
func addMod(a, b uint32) uint32 { return (a + b) % mldsaQ }
func subMod(a, b uint32) uint32 { return (a + mldsaQ - b) % mldsaQ }

// ntt is FIPS 204 Algorithm 41.
func (w *mldsaPoly) ntt() {
	m := 0
	for l := 128; l >= 1; l /= 2 {
		for start := 0; start < mldsaN; start += 2 * l {
			m++
			z := mldsaZetas[m]
			for j := start; j < start+l; j++ {
				t := mulMod(z, w[j+l])
				w[j+l] = subMod(w[j], t)
				w[j] = addMod(w[j], t)
			}
		}
	}
}

// invNTT is FIPS 204 Algorithm 42.
func (w *mldsaPoly) invNTT() {
	m := mldsaN
	for l := 1; l < mldsaN; l *= 2 {
		for start := 0; start < mldsaN; start += 2 * l {
			m--
			z := mldsaQ - mldsaZetas[m]
			for j := start; j < start+l; j++ {
				t := w[j]
				w[j] = addMod(t, w[j+l])
				w[j+l] = mulMod(z, subMod(t, w[j+l]))
			}
		}
	}
	const f = 8347681 // 256⁻¹ mod q
	for j := range w {
		w[j] = mulMod(w[j], f)
	}
}

// rejNTTPoly is FIPS 204 Algorithm 30 on ρ ‖ s ‖ r (ExpandA, Algorithm 32).
func rejNTTPoly(rho []byte, s, r byte) *mldsaPoly {
	h := sha3.NewSHAKE128()
	h.Write(rho)
	h.Write([]byte{s, r})
	var a mldsaPoly
	var buf [168]byte // one SHAKE128 block
	for j := 0; j < mldsaN; {
		h.Read(buf[:])
		for i := 0; i+3 <= len(buf) && j < mldsaN; i += 3 {
			z := uint32(buf[i]) | uint32(buf[i+1])<<8 | uint32(buf[i+2]&0x7f)<<16
			if z < mldsaQ {
				a[j] = z
				j++
			}
		}
	}
	return &a
}

// unpackBits reads 256 coefficients of width bits each, little-endian, from
// b, as FIPS 204's BitUnpack does before it subtracts from the bound.
func unpackBits(b []byte, bits int) *[mldsaN]uint32 {
	var out [mldsaN]uint32
	for j := range out {
		var v uint32
		for k := 0; k < bits; k++ {
			bit := j*bits + k
			v |= uint32(b[bit/8]>>(bit%8)&1) << k
		}
		out[j] = v
	}
	return &out
}

// t0Matches reports whether the t0 encoded in an expanded private key is the
// one its ρ, s1 and s2 give. s1 and s2 must already be known in range.
func (s *mldsaScheme[PK, SK, PPK, PSK]) t0Matches(encoded []byte) bool {
	etaBits := 3
	if s.eta == 4 {
		etaBits = 4
	}
	etaSize := mldsaN * etaBits / 8
	rho := encoded[:32]
	off := 128
	fromEta := func() *mldsaPoly {
		raw := unpackBits(encoded[off:off+etaSize], etaBits)
		off += etaSize
		var p mldsaPoly
		for j, v := range raw {
			p[j] = subMod(uint32(s.eta), v) // η − v mod q
		}
		return &p
	}
	s1 := make([]*mldsaPoly, s.l)
	for i := range s1 {
		s1[i] = fromEta()
		s1[i].ntt()
	}
	s2 := make([]*mldsaPoly, s.k)
	for i := range s2 {
		s2[i] = fromEta()
	}
	const t0Size = mldsaN * mldsaD / 8
	diff := 0
	for r := 0; r < s.k; r++ {
		var t mldsaPoly
		for c := 0; c < s.l; c++ {
			a := rejNTTPoly(rho, byte(c), byte(r))
			for j := range t {
				t[j] = addMod(t[j], mulMod(a[j], s1[c][j]))
			}
		}
		t.invNTT()
		stored := unpackBits(encoded[off:off+t0Size], mldsaD)
		off += t0Size
		for j := range t {
			v := addMod(t[j], s2[r][j])
			// Power2Round: t0 = v mod± 2¹³, in (−2¹², 2¹²]; the key stores
			// 2¹² − t0 in 13 bits.
			t0 := int32(v & (1<<mldsaD - 1))
			if t0 > 1<<(mldsaD-1) {
				t0 -= 1 << mldsaD
			}
			want := uint32(1<<(mldsaD-1) - t0)
			diff |= subtle.ConstantTimeEq(int32(want), int32(stored[j])) ^ 1
		}
	}
	return diff == 0
}
