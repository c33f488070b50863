package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func init() {
	register(command{name: "keygen", summary: "print the MVP key for --seed N, or create a key (--signer URI | --alg ALG --out FILE)", run: runKeygen})
}

func runKeygen(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "keygen", "--seed N | --signer URI [--alg ALG] [--import SOURCE] | --alg ALG --out FILE")
	seed := fs.String("seed", "", "print the MVP's deterministic HMAC key for this seed (0 to 2^64-1) as lowercase hex")
	signer := fs.String("signer", "", "create (or import) the key this URI names, in its backend")
	alg := fs.String("alg", "", "algorithm of the new key (default: the backend's)")
	imp := fs.String("import", "", "import hex key material from a secret source (env:NAME or file:PATH) instead of generating")
	out := fileString(fs, "out", kindNewFile, "write a new key file (HMAC key, PQC seed, or PKCS#8 PEM private key; mode 0600) to FILE")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *seed != "" || isSet(fs, "seed") {
		if *signer != "" || *alg != "" || *out != "" || *imp != "" {
			return e.errorf("keygen: --seed prints the MVP key and takes no other flag")
		}
		n, err := hmac.ParseSeed(*seed)
		if err != nil {
			return e.errorf("keygen: --seed: %v", err)
		}
		key := hmac.Keygen(n)
		fmt.Fprintln(e.stdout, hex.EncodeToString(key[:]))
		provider.Zero(key[:])
		return exitOK
	}
	req := provider.GenerateRequest{Import: *imp}
	if *alg != "" {
		a, err := provider.ParseAlgorithm(*alg)
		if err != nil {
			return e.errorf("keygen: --alg: %v", err)
		}
		req.Algorithm = a
	}
	uri := *signer
	switch {
	case uri != "" && *out != "":
		return e.errorf("keygen: give --signer URI or --out FILE, not both")
	case uri == "" && *out == "":
		return e.errorf("keygen: give --seed N, --signer URI, or --alg ALG --out FILE")
	case uri == "":
		var err error
		if uri, err = fileKeyURI(*alg, *out); err != nil {
			return e.errorf("keygen: %v", err)
		}
	}
	info, err := provider.Generate(ctx, uri, req)
	if err != nil {
		return e.errorf("keygen: %v", err)
	}
	fmt.Fprintln(e.stdout, info.ID)
	fmt.Fprintf(e.stderr, "created %s key %s in backend %s\n", info.Algorithm, info.ID, info.Backend)
	if *signer == "" {
		fmt.Fprintf(e.stderr, "open it as %s\n", uri)
	}
	return exitOK
}

// fileKeyURI names the key file that --alg ALG --out FILE creates: an HMAC key,
// a post-quantum seed, or a PKCS#8 PEM private key (Ed25519, ECDSA, RSA).
func fileKeyURI(alg, out string) (string, error) {
	if strings.ContainsAny(out, ";?&%") {
		return "", fmt.Errorf("--out %q: the path may not hold ';', '?', '&' or '%%'", out)
	}
	switch {
	case alg == "" || alg == string(provider.HMACSHA256):
		return "hmac:key-source=file:" + out, nil
	case strings.HasPrefix(alg, "ML-DSA-") || strings.HasPrefix(alg, "SLH-DSA-"):
		if _, ok := provider.Lookup("pqc"); !ok {
			return "", fmt.Errorf("--alg %q needs the pqc backend, which this build does not include", alg)
		}
		return "pqc:alg=" + alg + ";seed-source=file:" + out, nil
	case alg == string(provider.Ed25519) || strings.HasPrefix(alg, "ECDSA-") || strings.HasPrefix(alg, "RSA-"):
		if _, ok := provider.Lookup("pem"); !ok {
			return "", fmt.Errorf("--alg %s needs the pem backend, which this build does not include", alg)
		}
		return "pem:alg=" + alg + ";key-source=file:" + out, nil
	}
	return "", fmt.Errorf("--alg %q: no key file holds this algorithm; use --signer URI to create the key in an HSM or KMS", alg)
}
