package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/trail"
)

// kindTrailProof is a proof from trail prove.
var kindTrailProof = &fileKind{name: "trail proof", limit: trail.MaxProofSize}

// runTrailProve prints the proof that one record of an adapter's log is in
// the trail: read from the adapter's export and from the trail.
func runTrailProve(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "trail prove", "--trail URL --export DIR|URL --origin O --record N")
	trailURL := fs.String("trail", "", "URL of the trail (trail serve's --listen)")
	export := fs.String("export", "", "the adapter's exported log (audit export's --to DIR, or a URL serving it)")
	origin := fs.String("origin", "", "origin of the adapter's log (the first line of its checkpoints)")
	record := fs.String("record", "", "sequence number of the record to prove")
	if rest, err := parseInterleaved(fs, args); err != nil {
		return parseStatus(err)
	} else if len(rest) != 0 {
		return e.errorf("trail prove: unexpected argument %q", rest[0])
	}
	if *trailURL == "" || *export == "" || *origin == "" {
		return e.errorf("trail prove: --trail URL, --export DIR|URL and --origin O are required")
	}
	n, err := strconv.ParseUint(*record, 10, 64)
	if err != nil || n == 0 {
		return e.errorf("trail prove: --record %q: give a record number from 1", *record)
	}
	exported, err := trail.NewFetcher(*export)
	if err != nil {
		return e.errorf("trail prove: --export: %v", err)
	}
	tf, err := trail.NewFetcher(*trailURL)
	if err != nil {
		return e.errorf("trail prove: --trail: %v", err)
	}
	p, err := waitFor(ctx, "proving record "+*record+" of "+strconv.Quote(*origin)+" in the trail", func() (*trail.Proof, error) {
		a, err := trail.FetchAccepted(ctx, nil, *trailURL, *origin)
		if err != nil {
			return nil, err
		}
		return trail.Prove(ctx, exported, tf, a, n)
	}, nil)
	if err != nil {
		return e.errorf("trail prove: %v", err)
	}
	e.stdout.Write(p.Marshal())
	return exitOK
}

// runTrailCheckProof checks a proof from trail prove offline, with the
// adapter's checkpoint key and the trail's key.
func runTrailCheckProof(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "trail check-proof", "PROOF --verifier URI --trail-verifier URI [--witness KEY]...")
	verifier := fs.String("verifier", "", "key URI of the adapter log's checkpoint key (a public key is enough)")
	trailVerifier := fs.String("trail-verifier", "", "key URI of the trail's key (a public key is enough)")
	var witnesses stringList
	fs.Var(&witnesses, "witness", "verifier key of a witness that must have cosigned the trail's checkpoint (repeatable)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return parseStatus(err)
	}
	if len(files) != 1 || *verifier == "" || *trailVerifier == "" {
		return e.errorf("trail check-proof: give one PROOF file, --verifier URI and --trail-verifier URI")
	}
	b, err := readFile(ctx, kindTrailProof, files[0])
	if err != nil {
		return e.errorf("trail check-proof: %v", err)
	}
	p, err := trail.ParseProof(b)
	if err != nil {
		fmt.Fprintf(e.stderr, "tinywindow: trail check-proof %s: %v\n", files[0], err)
		return exitInvalid
	}
	adapterVs, err := checkpointVerifiers(ctx, *verifier, audit.CheckpointOrigin(p.Audit.Checkpoint))
	if err != nil {
		return e.errorf("trail check-proof: --verifier: %v", err)
	}
	trailKey, err := trailNoteVerifier(ctx, *trailVerifier, audit.CheckpointOrigin(p.Checkpoint))
	if err != nil {
		return e.errorf("trail check-proof: --trail-verifier: %v", err)
	}
	var ws []note.Verifier
	for _, k := range witnesses {
		w, err := audit.ParseWitnessKey(k)
		if err != nil {
			return e.errorf("trail check-proof: --witness %q: %v", k, err)
		}
		ws = append(ws, w)
	}
	c, err := p.Check(adapterVs, trailKey, ws...)
	if err != nil {
		fmt.Fprintf(e.stderr, "tinywindow: trail check-proof %s: %v\n", files[0], err)
		return exitInvalid
	}
	rec := c.Record
	fmt.Fprintf(e.stdout, "record %d (%s, time %s, %d-byte payload) is in log %s at tree size %d, root %s\n",
		rec.Seq, rec.Type, time.Unix(0, rec.Time).UTC().Format(time.RFC3339Nano), len(rec.Payload), c.Checkpoint.Origin, c.Checkpoint.N, c.Checkpoint.Hash)
	fmt.Fprintf(e.stdout, "that checkpoint is entry %d of trail %s at tree size %d\n", p.Index, c.Trail.Origin, c.Trail.Size)
	for _, w := range c.Witnesses {
		fmt.Fprintf(e.stdout, "  cosigned by witness %s\n", w)
	}
	return exitOK
}

// checkpointVerifiers opens the key uri names and returns the note
// verifiers of its checkpoints for origin.
func checkpointVerifiers(ctx context.Context, uri, origin string) (note.Verifiers, error) {
	key, err := openKey(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer key.Close()
	return audit.CheckpointVerifiers(origin, []provider.Verifier{key})
}

// trailNoteVerifier opens the key uri names, an Ed25519 key, and returns
// the C2SP note verifier of the trail origin's checkpoints.
func trailNoteVerifier(ctx context.Context, uri, origin string) (note.Verifier, error) {
	key, err := openKey(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer key.Close()
	vkey, err := audit.CheckpointVerifierKey(origin, key)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}
