package remote

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/venue"
)

// Compile-time checks: a remote key signs audit checkpoints with proofs,
// and orders and acks as the service builds them.
var (
	_ audit.ProvenSigner   = (*Key)(nil)
	_ venue.EnvelopeSigner = (*Key)(nil)
	_ venue.AckSigningKey  = (*Key)(nil)
)

// checkpointSizeTrailer is service.CheckpointSizeTrailer (the client
// module does not require the service's).
const checkpointSizeTrailer = "tinywindow-checkpoint-size"

// Purpose returns the purpose of the service's key: "raw", "orders",
// "acks" or "checkpoints", or "" from a service that gives none (all its
// keys sign raw messages).
func (k *Key) Purpose() string { return k.purpose }

// SealsOrders implements venue.EnvelopeSigner: it reports whether the
// service's key is of purpose orders, which signs orders only through
// SignOrder, so that a venue.Sealer of it sends the order to SignOrder.
func (k *Key) SealsOrders() bool { return k.purpose == "orders" }

// SignOrder has the service sign the canonical order with a key of purpose
// orders and returns the signed-order envelope the service built (see
// execadapter/venue.Envelope). Like a Sign, it is not retried.
func (k *Key) SignOrder(ctx context.Context, canonical []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	cctx, cancel := k.withTimeout(ctx)
	defer cancel()
	resp, err := k.client.SignOrder(cctx, &signerpb.SignOrderRequest{Key: k.cfg.name, Order: canonical})
	if err != nil {
		return nil, k.wrap(ctx, "sign order", err)
	}
	return k.signed("sign order", resp.GetKeyId(), resp.GetEnvelope())
}

// SignsAcks implements venue.AckSigningKey: it reports whether the
// service's key is of purpose acks, which signs acks only through SignAck,
// so that a venue.AckSigner of it sends the ack to SignAck.
func (k *Key) SignsAcks() bool { return k.purpose == "acks" }

// SignAck has the service sign a venue's ack with a key of purpose acks:
// a, the order's client order ID and the SHA-256 of envelope, the order's
// signed envelope. It returns the body of a signed-ack frame, which
// venue.ParseSignedAck reads and venue.VerifyAck checks.
func (k *Key) SignAck(ctx context.Context, a venue.Ack, clientOrderID, envelope []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	cctx, cancel := k.withTimeout(ctx)
	defer cancel()
	resp, err := k.client.SignAck(cctx, &signerpb.SignAckRequest{
		Key: k.cfg.name, Status: uint32(a.Status), Reason: uint32(a.Reason), VenueOrderId: a.VenueOrderID,
		VenueTime: a.VenueTime, ClientOrderId: clientOrderID, Envelope: envelope,
	})
	if err != nil {
		return nil, k.wrap(ctx, "sign ack", err)
	}
	return k.signed("sign ack", resp.GetKeyId(), resp.GetSignedAck())
}

// SignCheckpoint implements audit.ProvenSigner. With a key of purpose
// checkpoints it calls the service's SignCheckpoint with the consistency
// proof from prev, the size of the writer's last checkpoint (a bootstrap
// for prev 0, a new log); when the service answers that it last signed
// another size, not over the checkpoint's, it sends the proof from that
// size once more (a writer that crashed after the service signed, before
// it kept the checkpoint). A key of another purpose signs the checkpoint as
// a raw message (audit.AppendCheckpointMessage), which a service refuses
// for any purpose but raw.
func (k *Key) SignCheckpoint(ctx context.Context, text []byte, prev int64, prove func(n int64) ([]tlog.Hash, error)) ([]byte, error) {
	if k.purpose != "checkpoints" {
		return k.sign(ctx, audit.AppendCheckpointMessage(nil, k.info.Algorithm, text))
	}
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	c, err := audit.ParseCheckpoint(string(text))
	if err != nil {
		return nil, fmt.Errorf("remote key %s: %w", k.cfg.name, err)
	}
	cctx, cancel := k.withTimeout(ctx)
	defer cancel()
	from, bootstrap := prev, prev == 0
	for attempt := 0; ; attempt++ {
		req := &signerpb.SignCheckpointRequest{Key: k.cfg.name, Checkpoint: string(text), FromSize: from, Bootstrap: bootstrap}
		if from > 0 && from < c.N {
			if prove == nil {
				return nil, fmt.Errorf("remote key %s: a checkpoint of %s at size %d needs a consistency proof from size %d, and no prover was given", k.cfg.name, c.Origin, c.N, from)
			}
			proof, err := prove(from)
			if err != nil {
				return nil, fmt.Errorf("remote key %s: consistency proof of %s from size %d to %d: %w", k.cfg.name, c.Origin, from, c.N, err)
			}
			for _, h := range proof {
				req.Proof = append(req.Proof, h[:])
			}
		}
		var trailer metadata.MD
		resp, err := k.client.SignCheckpoint(cctx, req, grpc.Trailer(&trailer))
		if err == nil {
			return k.signed("sign checkpoint", resp.GetKeyId(), resp.GetSignature())
		}
		if n, ok := lastSigned(err, trailer); ok && attempt == 0 && n <= c.N && (n != from || bootstrap) {
			from, bootstrap = n, false
			continue
		}
		return nil, k.wrap(ctx, "sign checkpoint", err)
	}
}

// lastSigned returns the size a SignCheckpoint refusal says the key last
// signed, if it says one.
func lastSigned(err error, trailer metadata.MD) (int64, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) || se.GRPCStatus().Code() != codes.FailedPrecondition {
		return 0, false
	}
	v := trailer.Get(checkpointSizeTrailer)
	if len(v) != 1 {
		return 0, false
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	return n, err == nil && n >= 0
}
