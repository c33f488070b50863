package service

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/venue"
)

// Purpose is what a key signs. A key signs only through its purpose's RPC
// (PurposeRPC); the service adds the purpose's domain itself, so that no
// client can have a key of purpose orders, acks or checkpoints sign bytes
// of its choosing.
type Purpose string

// The purposes of a key.
const (
	// PurposeRaw signs the bytes a client sends, through Sign and
	// SignDigest: the behaviour of a key configured by a plain URI.
	PurposeRaw Purpose = "raw"
	// PurposeOrders signs orders through SignOrder, in the signed-order
	// envelope of package execadapter/venue.
	PurposeOrders Purpose = "orders"
	// PurposeAcks signs venue acks through SignAck.
	PurposeAcks Purpose = "acks"
	// PurposeCheckpoints signs audit log checkpoints through
	// SignCheckpoint, each only with a consistency proof from the last one
	// it signed for the same origin (Key.State).
	PurposeCheckpoints Purpose = "checkpoints"
)

// The RPCs a client may be allowed by name in Client.Operations.
const (
	RPCSign           = "Sign"
	RPCSignDigest     = "SignDigest"
	RPCSignOrder      = "SignOrder"
	RPCSignAck        = "SignAck"
	RPCSignCheckpoint = "SignCheckpoint"
	RPCVerify         = "Verify"
)

// signingRPCs are the RPCs that sign; the operation OpSign allows them all,
// the key's purpose then allows one of them (PurposeRPC).
var signingRPCs = []string{RPCSign, RPCSignDigest, RPCSignOrder, RPCSignAck, RPCSignCheckpoint}

// operationRPCs returns the RPCs that an entry of Client.Operations allows:
// OpSign every signing RPC, OpVerify Verify, an RPC name itself; nil for an
// unknown operation. Kill and Resume are allowed only by their names.
func operationRPCs(op string) []string {
	switch op {
	case OpSign:
		return signingRPCs
	case OpVerify:
		return []string{RPCVerify}
	}
	if op == RPCVerify || slices.Contains(signingRPCs, op) || slices.Contains(killRPCs, op) {
		return []string{op}
	}
	return nil
}

// PurposeRPC returns the RPCs through which a key of purpose p signs: Sign
// and SignDigest for PurposeRaw, SignOrder, SignAck or SignCheckpoint for
// the others, and nil for an unknown purpose.
func PurposeRPC(p Purpose) []string {
	switch p {
	case PurposeRaw:
		return []string{RPCSign, RPCSignDigest}
	case PurposeOrders:
		return []string{RPCSignOrder}
	case PurposeAcks:
		return []string{RPCSignAck}
	case PurposeCheckpoints:
		return []string{RPCSignCheckpoint}
	}
	return nil
}

// signs reports whether a key of purpose p signs through rpc; Verify, which
// signs nothing, is allowed on a key of any purpose.
func (p Purpose) signs(rpc string) bool {
	return rpc == RPCVerify || slices.Contains(PurposeRPC(p), rpc)
}

// Key is one key of the configuration: its URI and its purpose. In YAML it
// is either a plain URI string, a key of purpose raw, or a mapping:
//
//	keys:
//	  legacy: hmac:key-source=file:/etc/tinywindow/legacy.key
//	  orders: {uri: "pem:key-source=file:/etc/tinywindow/orders.pem", purpose: orders, max-skew: 5s,
//	           limits: /etc/tinywindow/limits.yaml}
//	  log:    {uri: "pem:key-source=file:/etc/tinywindow/log.pem", purpose: checkpoints,
//	           state: /var/lib/tinywindow/log.ckstate}
type Key struct {
	// URI names the key (its backend's options are added from Config.Backends).
	URI string `yaml:"uri"`
	// Purpose is what the key signs; empty means PurposeRaw.
	Purpose Purpose `yaml:"purpose,omitempty"`
	// State is the checkpoint state file of a key of purpose checkpoints
	// (required for it, refused for the others): per origin, the size and
	// root hash the key last signed. `tinywindow serve --init-checkpoint-state
	// FILE` creates it once (InitCheckpointState); the service never
	// creates it, so that a lost file stops the key instead of letting it
	// sign any history.
	State string `yaml:"state,omitempty"`
	// MaxSkew is, for a key of purpose orders, the largest difference
	// between an order's timestamp and the service's clock that SignOrder
	// signs (default venue.DefaultMaxSkew, as a venue's); a stale order is
	// refused. Refused for the other purposes.
	MaxSkew time.Duration `yaml:"max-skew,omitempty"`
	// Limits is, for a key of purpose orders, the pre-trade limits file
	// (the YAML of execadapter/risk, read with risk.LoadConfig): SignOrder
	// then signs only the orders its checks pass, counting per account
	// across every client, and binds the limits' hash into the envelope
	// (version 3). Refused for the other purposes. See limits.go.
	Limits string `yaml:"limits,omitempty"`
}

// UnmarshalYAML reads a Key from a plain URI string or from a mapping with
// the fields uri, purpose, state, max-skew and limits; any other field is an
// error.
func (k *Key) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*k = Key{}
		return n.Decode(&k.URI)
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a key is a URI or a mapping {uri: URI, purpose: PURPOSE}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch f := n.Content[i].Value; f {
		case "uri", "purpose", "state", "max-skew", "limits":
		default:
			return fmt.Errorf("line %d: field %q is not a key field (uri, purpose, state, max-skew, limits)", n.Content[i].Line, f)
		}
	}
	type plain Key
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*k = Key(p)
	return nil
}

// purpose returns k's purpose, PurposeRaw when unset.
func (k Key) purpose() Purpose {
	if k.Purpose == "" {
		return PurposeRaw
	}
	return k.Purpose
}

// check checks one key of the configuration, named name.
func (k Key) check(name string) error {
	where := "keys." + name
	if k.URI == "" {
		return configErr("%s: uri is empty; name the key's URI", where)
	}
	p := k.purpose()
	if PurposeRPC(p) == nil {
		return configErr("%s: unknown purpose %q; use orders, acks, checkpoints or raw", where, k.Purpose)
	}
	switch {
	case p == PurposeCheckpoints && k.State == "":
		return configErr("%s: a key of purpose checkpoints needs state: FILE, its checkpoint state file (create it once with tinywindow serve --init-checkpoint-state FILE)", where)
	case p != PurposeCheckpoints && k.State != "":
		return configErr("%s: state is only for a key of purpose checkpoints, not %s", where, p)
	case p != PurposeOrders && k.Limits != "":
		return configErr("%s: limits is only for a key of purpose orders, not %s", where, p)
	case p != PurposeOrders && k.MaxSkew != 0:
		return configErr("%s: max-skew is only for a key of purpose orders, not %s", where, p)
	case k.MaxSkew < 0:
		return configErr("%s: max-skew %v is negative", where, k.MaxSkew)
	}
	return nil
}

// maxSkew returns the max-skew of an orders key, its default when unset.
func (k Key) maxSkew() time.Duration {
	if k.MaxSkew == 0 {
		return venue.DefaultMaxSkew
	}
	return k.MaxSkew
}

// purposeErr is the refusal of rpc on a key of another purpose.
func purposeErr(rpc, name string, p Purpose) string {
	return fmt.Sprintf("key %s has purpose %s and signs only through %s, not %s", name, p, strings.Join(PurposeRPC(p), " and "), rpc)
}

// rpcName returns the short name of a Signer method ("Sign" of
// "/tinywindow.signer.v1.Signer/Sign").
func rpcName(fullMethod string) string {
	return strings.TrimPrefix(fullMethod, "/"+signerpb.Signer_ServiceDesc.ServiceName+"/")
}
