package service

import (
	"context"
	"encoding/base64"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/audit"
)

// CheckpointSizeTrailer is the trailer of a SignCheckpoint call refused
// for want of a proof from the right tree: the size of the last checkpoint
// the key signed for the origin, from which the client sends the proof.
const CheckpointSizeTrailer = "tinywindow-checkpoint-size"

// maxProofHashes bounds a consistency proof: one between two trees of at
// most 2^63 leaves has fewer than 2·63 hashes.
const maxProofHashes = 128

// parseCheckpointRequest decodes a SignCheckpoint request: the checkpoint's
// note text (audit.ParseCheckpoint, an origin of at most MaxOriginBytes), a
// from_size that is not negative nor over the checkpoint's size, and a proof
// of 32-byte hashes; else INVALID_ARGUMENT.
func parseCheckpointRequest(req *signerpb.SignCheckpointRequest) (audit.Checkpoint, []tlog.Hash, error) {
	c, err := audit.ParseCheckpoint(req.GetCheckpoint())
	if err != nil {
		return c, nil, status.Errorf(codes.InvalidArgument, "checkpoint: %v", err)
	}
	switch {
	case len(c.Origin) > MaxOriginBytes:
		return c, nil, status.Errorf(codes.InvalidArgument, "checkpoint origin of %d bytes is over %d", len(c.Origin), MaxOriginBytes)
	case req.GetFromSize() < 0 || req.GetFromSize() > c.N:
		return c, nil, status.Errorf(codes.InvalidArgument, "from_size %d is outside 0 to the checkpoint's size %d", req.GetFromSize(), c.N)
	case len(req.GetProof()) > maxProofHashes:
		return c, nil, status.Errorf(codes.InvalidArgument, "proof of %d hashes is over %d", len(req.GetProof()), maxProofHashes)
	}
	proof := make([]tlog.Hash, len(req.GetProof()))
	for i, h := range req.GetProof() {
		if len(h) != tlog.HashSize {
			return c, nil, status.Errorf(codes.InvalidArgument, "proof hash %d is %d bytes, not %d", i, len(h), tlog.HashSize)
		}
		copy(proof[i][:], h)
	}
	return c, proof, nil
}

// checkExtends returns nil if the checkpoint c, with proof from from_size
// and bootstrap as in req, may be signed by a key whose last checkpoint of
// c's origin is last (known false when it signed none); else the refusal.
func checkExtends(c audit.Checkpoint, proof []tlog.Hash, req *signerpb.SignCheckpointRequest, last tlog.Tree, known bool) error {
	from := req.GetFromSize()
	switch {
	case !known && !req.GetBootstrap():
		return status.Errorf(codes.FailedPrecondition, "origin %q: the key signed no checkpoint of it (a foreign origin); the first checkpoint of a new log is signed with bootstrap set", c.Origin)
	case !known && (from != 0 || len(proof) != 0):
		return status.Errorf(codes.InvalidArgument, "origin %q: a bootstrap has no from_size nor proof", c.Origin)
	case !known:
		return nil
	case req.GetBootstrap():
		return status.Errorf(codes.FailedPrecondition, "origin %q: bootstrap refused: the key signed checkpoints of it up to size %d; send a proof from that size", c.Origin, last.N)
	case c.N < last.N:
		return status.Errorf(codes.FailedPrecondition, "origin %q: size %d goes back from size %d, which the key signed", c.Origin, c.N, last.N)
	case from != last.N:
		return status.Errorf(codes.FailedPrecondition, "origin %q: proof from size %d, but the key last signed size %d; send a proof from size %d", c.Origin, from, last.N, last.N)
	case c.N == last.N && (c.Hash != last.Hash || len(proof) != 0):
		return status.Errorf(codes.InvalidArgument, "origin %q: root %s at size %d forks from root %s, which the key signed at that size",
			c.Origin, base64.StdEncoding.EncodeToString(c.Hash[:]), c.N, base64.StdEncoding.EncodeToString(last.Hash[:]))
	case c.N == last.N, last.N == 0 && len(proof) == 0:
		return nil // the same tree again, or a tree after the empty one
	}
	if err := tlog.CheckTree(proof, c.N, c.Hash, last.N, last.Hash); err != nil {
		return status.Errorf(codes.InvalidArgument, "origin %q: the proof does not show size %d (root %s) extends size %d (root %s), which the key signed: a forked history or a bad proof",
			c.Origin, c.N, base64.StdEncoding.EncodeToString(c.Hash[:]), last.N, base64.StdEncoding.EncodeToString(last.Hash[:]))
	}
	return nil
}

// SignCheckpoint implements signerpb.SignerServer: it signs an audit log
// checkpoint with a key of purpose checkpoints when checkExtends allows it,
// then records the checkpoint's tree in the key's state file and fsyncs it
// before it answers.
func (s *Server) SignCheckpoint(ctx context.Context, req *signerpb.SignCheckpointRequest) (*signerpb.SignCheckpointResponse, error) {
	st, _, e, err := s.begin(ctx, signerpb.Signer_SignCheckpoint_FullMethodName, true, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	c, proof, err := parseCheckpointRequest(req)
	if err != nil {
		return nil, err
	}
	cs := e.ck
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "key %s signs no checkpoint: %v", e.name, cs.err)
	}
	last, known := cs.last[c.Origin]
	if err := checkExtends(c, proof, req, last, known); err != nil {
		if known && status.Code(err) == codes.FailedPrecondition {
			grpc.SetTrailer(ctx, metadata.Pairs(CheckpointSizeTrailer, strconv.FormatInt(last.N, 10)))
		}
		return nil, err
	}
	msg := audit.AppendCheckpointMessage(nil, e.info.Algorithm, []byte(req.GetCheckpoint()))
	sig, err := e.key.Sign(ctx, msg)
	if err != nil {
		return nil, toStatus("sign checkpoint", e.name, err)
	}
	// The signature leaves only once its tree is on stable storage.
	if err := cs.record(c.Origin, c.Tree); err != nil {
		return nil, status.Errorf(codes.Unavailable, "key %s: %v", e.name, err)
	}
	s.log.Info("checkpoint signed", "key", e.name, "origin", c.Origin, "size", c.N, "from", last.N, "bootstrap", !known)
	return &signerpb.SignCheckpointResponse{Signature: sig, KeyId: e.info.ID}, nil
}
