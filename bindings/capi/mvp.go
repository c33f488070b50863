package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
	"sync"

	twhmac "github.com/tinywindow/tinywindow/providers/hmac"
)

// The MVP's three functions. keygen is providers/hmac.Keygen; sign and verify
// are HMAC-SHA256 under a key the caller passes on every call, as the MVP's
// sign(key, payload) took it.

// mvpKeySize is the size of the MVP's keys. The MVP's HMAC took a key of any
// length; TinyWindow refuses anything but the 32 bytes keygen makes, since a
// key of another length is a caller's mistake (a truncated or wrong buffer).
const mvpKeySize = twhmac.KeySize

// mvpSigSize is the size of the MVP's signatures: an HMAC-SHA256 tag.
const mvpSigSize = sha256.Size

// mvpKeygen is the MVP's keygen(seed).
func mvpKeygen(seed uint64) [mvpKeySize]byte { return twhmac.Keygen(seed) }

// mvpState is a keyed HMAC remembered with its key. Callers sign many
// payloads under one key, so a state from the pool is usually keyed already
// and is only reset: no allocation and no key schedule per call.
type mvpState struct {
	key   [mvpKeySize]byte
	keyed bool
	h     hash.Hash
	tag   [mvpSigSize]byte
}

var mvpPool = sync.Pool{New: func() any { return new(mvpState) }}

// mvpMAC returns a pooled state keyed with key and reset. The caller puts it
// back into mvpPool.
func mvpMAC(key []byte) *mvpState {
	s := mvpPool.Get().(*mvpState)
	if !s.keyed || subtle.ConstantTimeCompare(s.key[:], key) != 1 {
		copy(s.key[:], key)
		s.h = hmac.New(sha256.New, s.key[:])
		s.keyed = true
	} else {
		s.h.Reset()
	}
	return s
}

func checkMVPKey(key []byte) error {
	if len(key) != mvpKeySize {
		return fmt.Errorf("%w: key is %d bytes; it must be the %d bytes keygen returns", errInvalidArgument, len(key), mvpKeySize)
	}
	return nil
}

// mvpSign writes HMAC-SHA256(key, msg) to out.
func mvpSign(key, msg []byte, out *[mvpSigSize]byte) error {
	if err := checkMVPKey(key); err != nil {
		return err
	}
	s := mvpMAC(key)
	s.h.Write(msg)
	s.h.Sum(out[:0])
	mvpPool.Put(s)
	return nil
}

// mvpVerify reports whether sig is HMAC-SHA256(key, msg), in constant time. A
// signature of any length but 32 bytes is not valid, as in the MVP.
func mvpVerify(key, msg, sig []byte) (bool, error) {
	if err := checkMVPKey(key); err != nil {
		return false, err
	}
	s := mvpMAC(key)
	s.h.Write(msg)
	ok := subtle.ConstantTimeCompare(s.h.Sum(s.tag[:0]), sig) == 1
	mvpPool.Put(s)
	return ok, nil
}
