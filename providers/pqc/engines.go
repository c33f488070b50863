package pqc

import (
	"crypto/fips140"
	"fmt"
	"slices"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// The engines a key can name with engine=NAME.
const (
	// EngineCircl is github.com/cloudflare/circl: every parameter set, and
	// the faster engine. It is the default outside FIPS 140-3 mode.
	EngineCircl = "circl"
	// EngineStd is the standard library's crypto/mldsa: ML-DSA only, built
	// with Go 1.27 or later. It is the part of the FIPS 140-3 Go
	// Cryptographic Module, and the default in FIPS 140-3 mode.
	EngineStd = "std"
)

// engines holds the engines linked into this build, by name. The std engine
// adds itself when built with Go 1.27 or later.
var engines = map[string]engine{EngineCircl: circlEngine{}}

// Engines returns the names of the engines this build offers.
func Engines() []string {
	names := make([]string, 0, len(engines))
	for n := range engines {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// DefaultEngine returns the engine of a key that names none: std in FIPS
// 140-3 mode (GODEBUG=fips140=on or a GOFIPS140 build), circl otherwise.
func DefaultEngine() string {
	if fips140.Enabled() {
		return EngineStd
	}
	return EngineCircl
}

// selectEngine returns the engine named name (DefaultEngine when empty) and
// its implementation of p, or says why there is none.
func selectEngine(name string, p *paramSet) (engine, scheme, error) {
	explicit := name != ""
	if !explicit {
		name = DefaultEngine()
	}
	if fips140.Enabled() && name != EngineStd {
		return nil, nil, fmt.Errorf("%w: engine=%s is outside the FIPS 140-3 Go Cryptographic Module and is refused in FIPS 140-3 mode; drop engine= (FIPS mode uses engine=std)",
			provider.ErrUnsupported, name)
	}
	e, ok := engines[name]
	if !ok {
		if name == EngineStd {
			return nil, nil, errStdNeedsGo127(p, explicit)
		}
		return nil, nil, errUnknownEngine(name)
	}
	s, ok := e.scheme(p.alg)
	if !ok {
		if fips140.Enabled() {
			return nil, nil, fmt.Errorf("%w: %s is not offered in FIPS 140-3 mode: only the circl engine implements it, and circl is outside the FIPS 140-3 Go Cryptographic Module; use ML-DSA-44/65/87",
				provider.ErrUnsupported, p.alg)
		}
		return nil, nil, fmt.Errorf("%w: the %s engine has no %s; drop engine=%s (circl implements it)", provider.ErrUnsupported, name, p.alg, name)
	}
	return e, s, nil
}

// knownEngines lists every engine name, whether or not this build has it.
var knownEngines = []string{EngineCircl, EngineStd}

func errUnknownEngine(name string) error {
	return fmt.Errorf("%w: pqc engine=%q; write engine=%s", provider.ErrInvalidConfig, name, strings.Join(knownEngines, " or engine="))
}

func errStdNeedsGo127(p *paramSet, explicit bool) error {
	why := "engine=std"
	if !explicit {
		why = "FIPS 140-3 mode (which uses engine=std)"
	}
	return fmt.Errorf("%w: %s for %s needs Go 1.27 (crypto/mldsa); this program was built with an older Go: build it with Go 1.27 or later (GOTOOLCHAIN=go1.27.3)",
		provider.ErrUnsupported, why, p.alg)
}
