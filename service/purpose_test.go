package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pem"
	"github.com/tinywindow/tinywindow/service"
)

// testOrder returns the canonical encoding of a valid order made now.
func testOrder(t testing.TB) []byte {
	t.Helper()
	return testOrderAt(t, time.Now())
}

// testOrderAt returns the canonical encoding of a valid order made at ts.
func testOrderAt(t testing.TB, ts time.Time) []byte {
	t.Helper()
	var o order.Order
	if err := json.Unmarshal([]byte(`{"version":1,"client_order_id":"c-1","account":"ACC-1",
		"symbol":"AAPL","side":"buy","type":"limit","quantity":100,"price":"189.25",
		"time_in_force":"day","timestamp":"2026-11-26T14:30:00Z"}`), &o); err != nil {
		t.Fatal(err)
	}
	o.Timestamp = ts.UnixNano()
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openLocal opens uri in this process, as the service opens it.
func openLocal(t testing.TB, uri string) provider.Key {
	t.Helper()
	k, err := provider.Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// purposeKeys is a keys section with one key of each purpose; the
// checkpoint key's state file is made in dir.
func purposeKeys(t testing.TB, dir string) string {
	t.Helper()
	state := filepath.Join(dir, "log.ckstate")
	if err := service.InitCheckpointState(state); err != nil {
		t.Fatal(err)
	}
	priv, err := pem.GenerateKey(provider.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	text, err := pem.MarshalPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	rawKey := filepath.Join(dir, "raw.pem")
	if err := os.WriteFile(rawKey, text, 0o600); err != nil {
		t.Fatal(err)
	}
	return "  raw: {uri: 'pem:key-source=file:" + rawKey + "'}\n" +
		"  orders: {uri: 'hmac:seed=2', purpose: orders, max-skew: 1h}\n" +
		"  acks: {uri: 'hmac:seed=3', purpose: acks}\n" +
		"  log: {uri: 'hmac:seed=4', purpose: checkpoints, state: '" + state + "'}\n"
}

// signingCalls makes a valid call of every signing RPC on a key.
func signingCalls(t testing.TB) map[string]func(ctx context.Context, c signerpb.SignerClient, key string) error {
	ord := testOrder(t)
	env, err := signedEnvelope(t, ord)
	if err != nil {
		t.Fatal(err)
	}
	tree := newMemTree(3)
	return map[string]func(context.Context, signerpb.SignerClient, string) error{
		service.RPCSign: func(ctx context.Context, c signerpb.SignerClient, key string) error {
			_, err := c.Sign(ctx, &signerpb.SignRequest{Key: key, Message: []byte("hello")})
			return err
		},
		service.RPCSignDigest: func(ctx context.Context, c signerpb.SignerClient, key string) error {
			_, err := c.SignDigest(ctx, &signerpb.SignDigestRequest{Key: key, Digest: bytes.Repeat([]byte{1}, 32), Hash: signerpb.Hash_HASH_NONE})
			return err
		},
		service.RPCSignOrder: func(ctx context.Context, c signerpb.SignerClient, key string) error {
			_, err := c.SignOrder(ctx, &signerpb.SignOrderRequest{Key: key, Order: ord})
			return err
		},
		service.RPCSignAck: func(ctx context.Context, c signerpb.SignerClient, key string) error {
			_, err := c.SignAck(ctx, &signerpb.SignAckRequest{Key: key, Status: 1, VenueOrderId: 7, VenueTime: 9, ClientOrderId: []byte("c-1"), Envelope: env})
			return err
		},
		service.RPCSignCheckpoint: func(ctx context.Context, c signerpb.SignerClient, key string) error {
			_, err := c.SignCheckpoint(ctx, &signerpb.SignCheckpointRequest{Key: key, Checkpoint: tree.checkpoint("example.com/log", 3), Bootstrap: true})
			return err
		},
	}
}

// signedEnvelope seals ord with a local key, as a venue receives it.
func signedEnvelope(t testing.TB, ord []byte) ([]byte, error) {
	sl, err := venue.NewSealer(openLocal(t, "hmac:seed=99"))
	if err != nil {
		return nil, err
	}
	env, err := sl.Seal(context.Background(), ord)
	return bytes.Clone(env), err
}

// TestPurposeRefusesOtherRPCs: a key of each purpose signs through its
// purpose's RPC and refuses every other signing RPC with PERMISSION_DENIED,
// for a client allowed every RPC on every key; Verify works on every key.
func TestPurposeRefusesOtherRPCs(t *testing.T) {
	e := newEnv(t, purposeKeys(t, t.TempDir()))
	c := signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.trader))
	ctx := context.Background()
	calls := signingCalls(t)
	for _, tc := range []struct {
		key     string
		purpose service.Purpose
	}{
		{"raw", service.PurposeRaw},
		{"orders", service.PurposeOrders},
		{"acks", service.PurposeAcks},
		{"log", service.PurposeCheckpoints},
	} {
		t.Run(string(tc.purpose), func(t *testing.T) {
			own := service.PurposeRPC(tc.purpose)
			for rpc, call := range calls {
				err := call(ctx, c, tc.key)
				switch {
				case contains(own, rpc) && err != nil:
					t.Errorf("%s on its own purpose: %v", rpc, err)
				case !contains(own, rpc) && status.Code(err) != codes.PermissionDenied:
					t.Errorf("%s on a key of purpose %s: %v, want PermissionDenied", rpc, tc.purpose, err)
				case !contains(own, rpc) && !strings.Contains(status.Convert(err).Message(), "has purpose "+string(tc.purpose)):
					t.Errorf("%s refused without naming the purpose: %v", rpc, err)
				}
			}
			pk, err := c.PublicKey(ctx, &signerpb.PublicKeyRequest{Key: tc.key})
			if err != nil || pk.GetInfo().GetPurpose() != string(tc.purpose) {
				t.Errorf("PublicKey: purpose %q, %v; want %q", pk.GetInfo().GetPurpose(), err, tc.purpose)
			}
			if _, err := c.Verify(ctx, &signerpb.VerifyRequest{Key: tc.key, Message: []byte("m"), Signature: []byte("s")}); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestClientOperationsNameRPCs: a client whose operations name RPCs may
// call those and no other; the old form "sign" allows every signing RPC.
func TestClientOperationsNameRPCs(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, purposeKeys(t, dir),
		"  - identity: desk\n    keys: ['*']\n    operations: [SignOrder, Verify]\n")
	desk := signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.ca.Client(t, "desk")))
	ctx := context.Background()
	calls := signingCalls(t)
	if err := calls[service.RPCSignOrder](ctx, desk, "orders"); err != nil {
		t.Errorf("SignOrder by a client allowed it: %v", err)
	}
	for _, tc := range []struct{ rpc, key string }{
		{service.RPCSign, "raw"}, {service.RPCSignDigest, "raw"}, {service.RPCSignAck, "acks"}, {service.RPCSignCheckpoint, "log"},
	} {
		err := calls[tc.rpc](ctx, desk, tc.key)
		if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "operation not authorised") {
			t.Errorf("%s by a client allowed only SignOrder and Verify: %v", tc.rpc, err)
		}
	}
	if _, err := desk.Verify(ctx, &signerpb.VerifyRequest{Key: "raw", Message: []byte("m"), Signature: []byte("s")}); err != nil {
		t.Errorf("Verify: %v", err)
	}
	lk, err := desk.ListKeys(ctx, &signerpb.ListKeysRequest{})
	if err != nil || len(lk.GetKeys()) != 4 || strings.Join(lk.GetKeys()[0].GetOperations(), ",") != "SignOrder,Verify" {
		t.Errorf("ListKeys: %v %v", lk, err)
	}
}

// TestSignOrderIsTheSealersEnvelope: SignOrder returns, byte for byte, the
// envelope venue.Sealer makes in process with the same key, which
// venue.Opener verifies; a malformed order is INVALID_ARGUMENT.
func TestSignOrderIsTheSealersEnvelope(t *testing.T) {
	// max-skew is an hour, so that no stall of a loaded machine makes
	// the fresh order stale.
	e := newEnv(t, "  orders: {uri: 'hmac:seed=2', purpose: orders, max-skew: 1h}\n")
	c := signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.trader))
	ctx := context.Background()
	local := openLocal(t, "hmac:seed=2")
	sl, err := venue.NewSealer(local)
	if err != nil {
		t.Fatal(err)
	}
	ord := testOrder(t)
	want, err := sl.Seal(ctx, ord)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: ord})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.GetEnvelope(), want) || resp.GetKeyId() != local.Info().ID {
		t.Fatalf("SignOrder envelope %x (key %s), want the Sealer's %x", resp.GetEnvelope(), resp.GetKeyId(), want)
	}
	var env venue.Envelope
	if err := venue.ParseEnvelope(resp.GetEnvelope(), &env); err != nil {
		t.Fatal(err)
	}
	ring, err := provider.NewKeyring(local)
	if err != nil {
		t.Fatal(err)
	}
	if err := venue.NewOpener(ring).Verify(ctx, &env); err != nil {
		t.Fatalf("the envelope does not verify: %v", err)
	}
	for _, tc := range []struct {
		name  string
		order []byte
		want  string
	}{
		{"empty", nil, "empty input"},
		{"trailing byte", append(bytes.Clone(ord), 0), "after the order's last field"},
		{"unknown version", append([]byte{9}, ord[1:]...), "version 9"},
		{"a raw message", []byte("TinyWindow audit checkpoint v1\x00example.com/log\n"), "version"},
		{"stale: 2h old", testOrderAt(t, time.Now().Add(-2*time.Hour)), "a stale order"},
		{"from the future: 2h ahead", testOrderAt(t, time.Now().Add(2*time.Hour)), "a stale order"},
		{"a day old", testOrderAt(t, time.Now().Add(-24*time.Hour)), "over the key's max-skew of 1h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: tc.order})
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SignOrder: %v; want InvalidArgument naming %q", err, tc.want)
			}
		})
	}
}

// TestSignAckIsTheAckSigners: SignAck returns the signed-ack body that
// venue.AckSigner makes in process with the same key, and venue.VerifyAck
// accepts it; bad input is INVALID_ARGUMENT.
func TestSignAckIsTheAckSigners(t *testing.T) {
	e := newEnv(t, "  acks: {uri: 'hmac:seed=3', purpose: acks}\n")
	c := signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.trader))
	ctx := context.Background()
	local := openLocal(t, "hmac:seed=3")
	as, err := venue.NewAckSigner(local)
	if err != nil {
		t.Fatal(err)
	}
	env, err := signedEnvelope(t, testOrder(t))
	if err != nil {
		t.Fatal(err)
	}
	ack := venue.Ack{Status: 1, Reason: 0, VenueOrderID: 42, VenueTime: 1_700_000_000_000_000_000}
	want, err := as.Sign(ctx, ack, []byte("c-1"), env)
	if err != nil {
		t.Fatal(err)
	}
	req := &signerpb.SignAckRequest{Key: "acks", Status: uint32(ack.Status), Reason: uint32(ack.Reason), VenueOrderId: ack.VenueOrderID,
		VenueTime: ack.VenueTime, ClientOrderId: []byte("c-1"), Envelope: env}
	resp, err := c.SignAck(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.GetSignedAck(), want) {
		t.Fatalf("SignAck %x, want the AckSigner's %x", resp.GetSignedAck(), want)
	}
	ack.Signed = resp.GetSignedAck()
	if err := venue.VerifyAck(ctx, local, ack, []byte("c-1"), env); err != nil {
		t.Fatalf("VerifyAck: %v", err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(r *signerpb.SignAckRequest)
		want   string
	}{
		{"status over a byte", func(r *signerpb.SignAckRequest) { r.Status = 256 }, "fit a byte"},
		{"long client order ID", func(r *signerpb.SignAckRequest) { r.ClientOrderId = bytes.Repeat([]byte("x"), 37) }, "client order ID of 37 bytes"},
		{"no envelope", func(r *signerpb.SignAckRequest) { r.Envelope = nil }, "envelope"},
		{"envelope with a trailing byte", func(r *signerpb.SignAckRequest) { r.Envelope = append(bytes.Clone(env), 0) }, "trailing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &signerpb.SignAckRequest{Key: req.Key, Status: req.Status, VenueOrderId: req.VenueOrderId, VenueTime: req.VenueTime,
				ClientOrderId: req.ClientOrderId, Envelope: req.Envelope}
			tc.mutate(r)
			_, err := c.SignAck(ctx, r)
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SignAck: %v; want InvalidArgument naming %q", err, tc.want)
			}
		})
	}
}

// TestKeyConfig: a key is a plain URI (purpose raw) or {uri, purpose,
// state}; each mistake is refused naming it.
func TestKeyConfig(t *testing.T) {
	head := "listen: 127.0.0.1:7443\nkeys:\n"
	tail := "clients:\n  - identity: a\n    keys: ['*']\n    operations: [sign]\n"
	c, err := service.ParseConfig([]byte(head + "  a: hmac:seed=1\n  b: {uri: 'hmac:seed=2', purpose: orders, max-skew: 2s}\n  c: {uri: 'hmac:seed=3', purpose: checkpoints, state: /var/lib/tw/c}\n" + tail))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]service.Key{
		"a": {URI: "hmac:seed=1"},
		"b": {URI: "hmac:seed=2", Purpose: service.PurposeOrders, MaxSkew: 2 * time.Second},
		"c": {URI: "hmac:seed=3", Purpose: service.PurposeCheckpoints, State: "/var/lib/tw/c"},
	}
	for name, k := range want {
		if c.Keys[name] != k {
			t.Errorf("keys.%s = %+v, want %+v", name, c.Keys[name], k)
		}
	}
	for _, tc := range []struct{ name, keys, want string }{
		{"unknown purpose", "  a: {uri: 'hmac:seed=1', purpose: quotes}\n", `unknown purpose "quotes"`},
		{"unknown field", "  a: {uri: 'hmac:seed=1', colour: blue}\n", `field "colour" is not a key field`},
		{"no uri", "  a: {purpose: orders}\n", "uri is empty"},
		{"checkpoints without state", "  a: {uri: 'hmac:seed=1', purpose: checkpoints}\n", "needs state: FILE"},
		{"state on an orders key", "  a: {uri: 'hmac:seed=1', purpose: orders, state: /tmp/x}\n", "state is only for a key of purpose checkpoints"},
		{"one state for two keys", "  a: {uri: 'hmac:seed=1', purpose: checkpoints, state: /tmp/x}\n  b: {uri: 'hmac:seed=2', purpose: checkpoints, state: /tmp/x}\n", "same state file"},
		{"a list", "  a: [hmac:seed=1]\n", "a key is a URI or a mapping"},
		{"max-skew on a raw key", "  a: {uri: 'hmac:seed=1', max-skew: 1s}\n", "max-skew is only for a key of purpose orders"},
		{"negative max-skew", "  a: {uri: 'hmac:seed=1', purpose: orders, max-skew: -1s}\n", "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := service.ParseConfig([]byte(head + tc.keys + tail))
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseConfig: %v; want ErrInvalidConfig naming %q", err, tc.want)
			}
		})
	}
	_, err = service.ParseConfig([]byte(head + "  a: hmac:seed=1\n" + strings.Replace(tail, "[sign]", "[SignEverything]", 1)))
	if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "SignCheckpoint") {
		t.Fatalf("unknown RPC: %v; want the known RPCs named", err)
	}
}
