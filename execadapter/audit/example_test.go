package audit_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func Example() {
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.log")

	key := hmac.NewFromSeed(42)
	w, _, err := audit.Open(path, audit.Options{Signer: key, Durability: audit.Always})
	if err != nil {
		panic(err)
	}
	w.Append(audit.TypeNote, 1, []byte("market open"))
	w.Close()

	keys, _ := provider.NewKeyring(key)
	rep, err := audit.VerifyFile(context.Background(), path, keys)
	fmt.Println(rep.Records, rep.Checkpoints, err)

	b, _ := os.ReadFile(path)
	b[len(b)-40] ^= 1
	os.WriteFile(path, b, 0o600)
	_, err = audit.VerifyFile(context.Background(), path, keys)
	var bad *audit.BadRecordError
	fmt.Println(errors.As(err, &bad), errors.Is(err, audit.ErrCorrupt), bad.Record, bad.Reason)
	// Output:
	// 4 2 <nil>
	// true true 4 leaf hash does not match: the record was changed
}

func ExampleProve() {
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.log")

	key := hmac.NewFromSeed(42)
	w, _, err := audit.Open(path, audit.Options{Signer: key, Origin: "example.com/orders"})
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"order 1", "order 2", "order 3"} {
		w.Append(audit.TypeNote, 1, []byte(s))
	}
	w.Close()

	// The proof travels without the log.
	p, err := audit.Prove(path, 3)
	if err != nil {
		panic(err)
	}
	proof := p.Marshal()

	q, _ := audit.ParseProof(proof)
	vs, _ := audit.CheckpointVerifiers(audit.CheckpointOrigin(q.Checkpoint), []provider.Verifier{key})
	rec, cp, err := q.Check(vs)
	fmt.Println(rec.Seq, string(rec.Payload), cp.Origin, cp.N, err)
	// Output:
	// 3 order 1 example.com/orders 5 <nil>
}

func ExampleExport() {
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "audit.log")

	w, _, err := audit.Open(path, audit.Options{Signer: hmac.NewFromSeed(42), Origin: "example.com/orders"})
	if err != nil {
		panic(err)
	}
	for range 300 {
		w.Append(audit.TypeNote, 1, []byte("order"))
	}
	w.Close()

	to, err := audit.OpenDirTarget(filepath.Join(dir, "tiles"))
	if err != nil {
		panic(err)
	}
	defer to.Close()
	rep, err := audit.Export(context.Background(), path, to, audit.ExportOptions{})
	fmt.Println(rep.Size, rep.Written, err)
	// Again: nothing new.
	rep, err = audit.Export(context.Background(), path, to, audit.ExportOptions{})
	fmt.Println(rep.Size, rep.Written, rep.Kept, err)
	_, err = os.Stat(filepath.Join(dir, "tiles", "tile", "entries", "001.p", "46"))
	fmt.Println(err)
	// Output:
	// 302 6 <nil>
	// 302 0 5 <nil>
	// <nil>
}
