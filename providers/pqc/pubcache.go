package pqc

import "sync"

// maxCachedPublicKeys bounds the cache of parsed public keys.
const maxCachedPublicKeys = 256

// publicKeys caches parsed public keys by algorithm and raw encoding:
// parsing an ML-DSA public key expands its matrix A, which costs two to four
// times a verification.
var publicKeys struct {
	sync.Mutex
	m map[string]publicKey
}

// cachedPublicKey returns the parsed public key for raw, parsing it with s,
// engine e's scheme, on first use. When the cache is full, an arbitrary entry
// makes room.
func cachedPublicKey(e engine, s scheme, p *paramSet, raw []byte) (publicKey, error) {
	id := e.name() + "\x00" + string(p.alg) + "\x00" + string(raw)
	publicKeys.Lock()
	cached, ok := publicKeys.m[id]
	publicKeys.Unlock()
	if ok {
		return cached, nil
	}
	pub, err := s.parsePublic(raw)
	if err != nil {
		return nil, err
	}
	publicKeys.Lock()
	defer publicKeys.Unlock()
	if publicKeys.m == nil {
		publicKeys.m = make(map[string]publicKey)
	}
	if len(publicKeys.m) >= maxCachedPublicKeys {
		for victim := range publicKeys.m {
			delete(publicKeys.m, victim)
			break
		}
	}
	publicKeys.m[id] = pub
	return pub, nil
}
