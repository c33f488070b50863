package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{name: "sign", summary: "sign standard input (or --in FILE); print the signature in hex", run: runSign})
	register(command{name: "verify", summary: "verify --sig HEX over standard input (or --in FILE); exit 1 if invalid", run: runVerify})
	register(command{name: "pubkey", summary: "print the key's public key as PEM", run: runPubkey})
}

func runSign(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "sign", "--signer URI [--in FILE]")
	var sf signerFlags
	sf.add(fs)
	in := fileString(fs, "in", kindMessage, "read the message from FILE (a pipe too, as with <(cmd)) instead of standard input")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	msg, err := readInput(ctx, e, *in)
	if err != nil {
		return e.errorf("sign: %v", err)
	}
	key, err := sf.open(ctx)
	if err != nil {
		return e.errorf("sign: %v", err)
	}
	defer key.Close()
	sig, err := key.Sign(ctx, msg)
	if err != nil {
		return e.errorf("sign: %v", err)
	}
	fmt.Fprintln(e.stdout, hex.EncodeToString(sig))
	return exitOK
}

func runVerify(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "verify", "--signer URI --sig HEX [--in FILE]")
	var sf signerFlags
	sf.add(fs)
	in := fileString(fs, "in", kindMessage, "read the message from FILE (a pipe too, as with <(cmd)) instead of standard input")
	sigHex := fs.String("sig", "", "the signature, in hex")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	sig, err := decodeHex(*sigHex)
	if err != nil {
		return e.errorf("verify: %v", err)
	}
	msg, err := readInput(ctx, e, *in)
	if err != nil {
		return e.errorf("verify: %v", err)
	}
	key, err := sf.open(ctx)
	if err != nil {
		return e.errorf("verify: %v", err)
	}
	defer key.Close()
	switch err := key.Verify(ctx, msg, sig); {
	case err == nil:
		fmt.Fprintln(e.stdout, "valid")
		return exitOK
	case errors.Is(err, provider.ErrInvalidSignature):
		fmt.Fprintf(e.stderr, "tinywindow: verify: %v\n", err)
		fmt.Fprintln(e.stdout, "invalid")
		return exitInvalid
	default:
		return e.errorf("verify: could not check the signature: %v", err)
	}
}

func runPubkey(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "pubkey", "--signer URI")
	var sf signerFlags
	sf.add(fs)
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	key, err := sf.open(ctx)
	if err != nil {
		return e.errorf("pubkey: %v", err)
	}
	defer key.Close()
	p, ok := key.(provider.PublicKeyPEMer)
	if !ok {
		return e.errorf("pubkey: %s key %q has no public key (%s is symmetric or the backend exports none)", key.Info().Backend, key.Info().ID, key.Info().Algorithm)
	}
	pem, err := p.PublicKeyPEM()
	if err != nil {
		return e.errorf("pubkey: %v", err)
	}
	e.stdout.Write(pem)
	return exitOK
}
