package service_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/service"
)

// memTree is an RFC 6962 tree of records in memory.
type memTree struct {
	hashes []tlog.Hash // the stored hashes
	n      int64
	salt   string // makes another tree's records differ
}

// newMemTree returns a tree of n records.
func newMemTree(n int64) *memTree { return newForkedTree(n, "") }

// newForkedTree returns a tree of n records, each unlike newMemTree's when
// salt is not empty.
func newForkedTree(n int64, salt string) *memTree {
	m := &memTree{salt: salt}
	m.grow(n)
	return m
}

func (m *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *memTree) grow(n int64) {
	for ; m.n < n; m.n++ {
		h, err := tlog.StoredHashes(m.n, []byte(fmt.Sprintf("record %d%s", m.n, m.salt)), m)
		if err != nil {
			panic(err)
		}
		m.hashes = append(m.hashes, h...)
	}
}

func (m *memTree) root(n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, m)
	if err != nil {
		panic(err)
	}
	return h
}

// checkpoint returns the note text of the checkpoint of the first n records.
func (m *memTree) checkpoint(origin string, n int64) string {
	m.grow(n)
	return audit.Checkpoint{Origin: origin, Tree: tlog.Tree{N: n, Hash: m.root(n)}, Time: 1_700_000_000_000_000_000 + n}.Text()
}

// proof returns the consistency proof from size from to size to.
func (m *memTree) proof(from, to int64) [][]byte {
	m.grow(to)
	p, err := tlog.ProveTree(to, from, m)
	if err != nil {
		panic(err)
	}
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

// ckEnv is a service with one checkpoints key, "log" (hmac:seed=4), whose
// state file is state.
type ckEnv struct {
	*env
	state string
	c     signerpb.SignerClient
}

func newCkEnv(t *testing.T, state string) *ckEnv {
	t.Helper()
	e := newEnv(t, "  log: {uri: 'hmac:seed=4', purpose: checkpoints, state: '"+state+"'}\n")
	return &ckEnv{env: e, state: state, c: signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.trader))}
}

// sign calls SignCheckpoint and returns the answer's error and the size
// trailer, if any.
func (e *ckEnv) sign(req *signerpb.SignCheckpointRequest) (string, error) {
	req.Key = "log"
	var tr metadata.MD
	_, err := e.c.SignCheckpoint(context.Background(), req, grpc.Trailer(&tr))
	return strings.Join(tr.Get(service.CheckpointSizeTrailer), ","), err
}

// TestSignCheckpoint: the key signs a checkpoint only when it extends, by a
// proof, the last one it signed for the origin; each refusal is a test
// case, in the order of one history.
func TestSignCheckpoint(t *testing.T) {
	state := filepath.Join(t.TempDir(), "log.ckstate")
	if err := service.InitCheckpointState(state); err != nil {
		t.Fatal(err)
	}
	e := newCkEnv(t, state)
	const origin = "example.com/log"
	tree := newMemTree(20)
	fork := newForkedTree(20, " forked")
	steps := []struct {
		name    string
		req     *signerpb.SignCheckpointRequest
		code    codes.Code
		want    string // in the error
		trailer string
	}{
		{"foreign origin: unknown without bootstrap", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 3)},
			codes.FailedPrecondition, "foreign origin", ""},
		{"bootstrap with a proof", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 3), Bootstrap: true, FromSize: 1, Proof: tree.proof(1, 3)},
			codes.InvalidArgument, "a bootstrap has no from_size nor proof", ""},
		{"bootstrap", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 3), Bootstrap: true}, codes.OK, "", ""},
		{"bootstrap again", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 5), Bootstrap: true},
			codes.FailedPrecondition, "bootstrap refused", "3"},
		{"extend with its proof", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 8), FromSize: 3, Proof: tree.proof(3, 8)}, codes.OK, "", ""},
		{"the same tree again", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 8), FromSize: 8}, codes.OK, "", ""},
		{"size backwards", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 5), FromSize: 5},
			codes.FailedPrecondition, "size 5 goes back from size 8", "8"},
		{"proof from another size", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 12), FromSize: 3, Proof: tree.proof(3, 12)},
			codes.FailedPrecondition, "send a proof from size 8", "8"},
		{"unproven: no proof", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 12), FromSize: 8},
			codes.InvalidArgument, "a forked history or a bad proof", ""},
		{"bad proof: a hash changed", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 12), FromSize: 8, Proof: flip(tree.proof(8, 12))},
			codes.InvalidArgument, "a forked history or a bad proof", ""},
		{"bad proof: a short hash", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 12), FromSize: 8, Proof: [][]byte{make([]byte, 31)}},
			codes.InvalidArgument, "31 bytes, not 32", ""},
		{"forked root at the same size", &signerpb.SignCheckpointRequest{Checkpoint: fork.checkpoint(origin, 8), FromSize: 8},
			codes.InvalidArgument, "forks from root", ""},
		{"forked tree with its own proof", &signerpb.SignCheckpointRequest{Checkpoint: fork.checkpoint(origin, 12), FromSize: 8, Proof: fork.proof(8, 12)},
			codes.InvalidArgument, "a forked history or a bad proof", ""},
		{"malformed checkpoint", &signerpb.SignCheckpointRequest{Checkpoint: "example.com/log\n12\n", FromSize: 8},
			codes.InvalidArgument, "malformed checkpoint", ""},
		{"from_size over the size", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 12), FromSize: 13},
			codes.InvalidArgument, "outside 0 to the checkpoint's size", ""},
		{"another origin bootstraps on its own", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint("example.com/other", 2), Bootstrap: true}, codes.OK, "", ""},
		{"extend again", &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 20), FromSize: 8, Proof: tree.proof(8, 20)}, codes.OK, "", ""},
	}
	for _, s := range steps {
		tr, err := e.sign(s.req)
		if status.Code(err) != s.code || s.want != "" && !strings.Contains(err.Error(), s.want) || tr != s.trailer {
			t.Fatalf("%s: %v (trailer %q); want %v naming %q, trailer %q", s.name, err, tr, s.code, s.want, s.trailer)
		}
	}

	// A new service on the same state file knows what the key signed.
	e.srv.Shutdown(context.Background())
	e2 := newCkEnv(t, state)
	if tr, err := e2.sign(&signerpb.SignCheckpointRequest{Checkpoint: fork.checkpoint(origin, 20), FromSize: 20}); status.Code(err) != codes.InvalidArgument || tr != "" {
		t.Fatalf("after a restart, a forked root at size 20: %v", err)
	}
	if _, err := e2.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint("example.com/other", 1), FromSize: 1}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("after a restart, the other origin's size backwards: %v", err)
	}
	if _, err := e2.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 25), FromSize: 20, Proof: tree.proof(20, 25)}); err != nil {
		t.Fatalf("after a restart, extend: %v", err)
	}
}

func flip(p [][]byte) [][]byte {
	p[0] = append([]byte(nil), p[0]...)
	p[0][0] ^= 1
	return p
}

// TestSignCheckpointSignature: the signature is the key's over the audit
// log's checkpoint message (audit.AppendCheckpointMessage), which the
// key's own verifier accepts.
func TestSignCheckpointSignature(t *testing.T) {
	state := filepath.Join(t.TempDir(), "log.ckstate")
	if err := service.InitCheckpointState(state); err != nil {
		t.Fatal(err)
	}
	e := newCkEnv(t, state)
	text := newMemTree(4).checkpoint("example.com/log", 4)
	resp, err := e.c.SignCheckpoint(context.Background(), &signerpb.SignCheckpointRequest{Key: "log", Checkpoint: text, Bootstrap: true})
	if err != nil {
		t.Fatal(err)
	}
	k := openLocal(t, "hmac:seed=4")
	if err := k.Verify(context.Background(), audit.AppendCheckpointMessage(nil, k.Info().Algorithm, []byte(text)), resp.GetSignature()); err != nil {
		t.Fatalf("the signature is not the key's over the checkpoint message: %v", err)
	}
}

// TestCheckpointStateFile: a missing, empty or damaged state file makes
// the key refuse every checkpoint (never start over); a torn final record
// is cut; InitCheckpointState never overwrites a file.
func TestCheckpointStateFile(t *testing.T) {
	const origin = "example.com/log"
	tree := newMemTree(10)
	// signed returns a state file in which the key bootstrapped origin at
	// size 3.
	signed := func(t *testing.T) string {
		state := filepath.Join(t.TempDir(), "log.ckstate")
		if err := service.InitCheckpointState(state); err != nil {
			t.Fatal(err)
		}
		e := newCkEnv(t, state)
		if _, err := e.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 3), Bootstrap: true}); err != nil {
			t.Fatal(err)
		}
		e.srv.Shutdown(context.Background())
		return state
	}
	for _, tc := range []struct {
		name   string
		mangle func(t *testing.T, path string)
		want   string // in the refusal; "" for a key that signs
	}{
		{"missing", func(t *testing.T, p string) { os.Remove(p) }, "missing"},
		{"empty", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o600) }, "empty"},
		{"a byte of the record changed", func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			b[len(b)-40] ^= 1
			os.WriteFile(p, b, 0o600)
		}, "checksum mismatch"},
		{"header changed", func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			b[0] = 'X'
			os.WriteFile(p, b, 0o600)
		}, "header"},
		{"writable by others", func(t *testing.T, p string) { os.Chmod(p, 0o666) }, "group or others"},
		{"torn final record: cut", func(t *testing.T, p string) {
			f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			f.Write([]byte{0, 60, 15})
			f.Close()
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := signed(t)
			tc.mangle(t, state)
			e := newCkEnv(t, state)
			// The origin at size 3 is extended to 5: a key that lost its
			// state would take a bootstrap, so try that too.
			_, err := e.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 5), FromSize: 3, Proof: tree.proof(3, 5)})
			_, errBoot := e.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 5), Bootstrap: true})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("after the torn record was cut: %v", err)
				}
				if status.Code(errBoot) != codes.FailedPrecondition {
					t.Fatalf("bootstrap after the cut: %v", errBoot)
				}
				return
			}
			for _, err := range []error{err, errBoot} {
				if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "signs no checkpoint") || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("state file %s: %v; want FailedPrecondition naming %q", tc.name, err, tc.want)
				}
			}
		})
	}
	t.Run("held by another service", func(t *testing.T) {
		state := signed(t)
		first := newCkEnv(t, state)
		second := newCkEnv(t, state)
		_, err := second.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 5), FromSize: 3, Proof: tree.proof(3, 5)})
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "lock") {
			t.Fatalf("a second service on the state file: %v", err)
		}
		if _, err := first.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 5), FromSize: 3, Proof: tree.proof(3, 5)}); err != nil {
			t.Fatalf("the service holding the file: %v", err)
		}
	})
	t.Run("init refuses an existing file", func(t *testing.T) {
		state := signed(t)
		before, _ := os.ReadFile(state)
		err := service.InitCheckpointState(state)
		after, _ := os.ReadFile(state)
		if !errors.Is(err, fs.ErrExist) || string(before) != string(after) {
			t.Fatalf("InitCheckpointState on a used file: %v", err)
		}
	})
	t.Run("restored file, reload", func(t *testing.T) {
		state := signed(t)
		saved, _ := os.ReadFile(state)
		os.Remove(state)
		e := newCkEnv(t, state)
		req := func() *signerpb.SignCheckpointRequest {
			return &signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, 5), FromSize: 3, Proof: tree.proof(3, 5)}
		}
		if _, err := e.sign(req()); status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("missing: %v", err)
		}
		os.WriteFile(state, saved, 0o600)
		if err := e.srv.Reload(context.Background(), e.config(t, "  log: {uri: 'hmac:seed=4', purpose: checkpoints, state: '"+state+"'}\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.sign(req()); err != nil {
			t.Fatalf("restored and reloaded: %v", err)
		}
	})
}
