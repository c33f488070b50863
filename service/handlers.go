package service

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/provider"
)

func (st *state) checkMessage(msg []byte) error {
	if int64(len(msg)) > st.cfg.Limits.MaxMessageBytes {
		return status.Errorf(codes.InvalidArgument, "message is %d bytes, over the service's limit of %d (limits.max-message-bytes); sign a digest of it instead",
			len(msg), st.cfg.Limits.MaxMessageBytes)
	}
	return nil
}

// Sign implements signerpb.SignerServer.
func (s *Server) Sign(ctx context.Context, req *signerpb.SignRequest) (*signerpb.SignResponse, error) {
	st, _, e, err := s.begin(ctx, signerpb.Signer_Sign_FullMethodName, true, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	if err := st.checkMessage(req.GetMessage()); err != nil {
		return nil, err
	}
	sig, err := e.key.Sign(ctx, req.GetMessage())
	if err != nil {
		return nil, toStatus("sign", e.name, err)
	}
	return &signerpb.SignResponse{Signature: sig, KeyId: e.info.ID}, nil
}

// SignDigest implements signerpb.SignerServer: it signs a digest the caller
// computed, through the key's provider.DigestSigner, for a client's
// crypto.Signer. A client authorised to sign with a key may call it.
func (s *Server) SignDigest(ctx context.Context, req *signerpb.SignDigestRequest) (*signerpb.SignResponse, error) {
	st, _, e, err := s.begin(ctx, signerpb.Signer_SignDigest_FullMethodName, true, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	if err := st.checkMessage(req.GetDigest()); err != nil {
		return nil, err
	}
	ds, ok := e.key.(provider.DigestSigner)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "key %s (%s) cannot sign a digest; call Sign", e.name, e.info.Algorithm)
	}
	if c := req.Context; c != nil {
		// The service checks the context string itself, so that a service
		// built with Go 1.26 (without mldsa.Options) takes it too; the key
		// signs under the context it binds.
		if *c != string(e.context) {
			return nil, status.Errorf(codes.InvalidArgument, "key %s signs under the context string %q, not %q", e.name, e.context, *c)
		}
		req = &signerpb.SignDigestRequest{Key: req.GetKey(), Digest: req.GetDigest(), Hash: req.GetHash(), PssSaltLength: req.PssSaltLength}
	}
	opts, err := req.SignerOpts()
	if err != nil {
		return nil, toStatus("sign digest", e.name, err)
	}
	sig, err := ds.SignDigest(ctx, req.GetDigest(), opts)
	if err != nil {
		return nil, toStatus("sign digest", e.name, err)
	}
	return &signerpb.SignResponse{Signature: sig, KeyId: e.info.ID}, nil
}

// Verify implements signerpb.SignerServer.
func (s *Server) Verify(ctx context.Context, req *signerpb.VerifyRequest) (*signerpb.VerifyResponse, error) {
	st, _, e, err := s.begin(ctx, signerpb.Signer_Verify_FullMethodName, true, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	if err := st.checkMessage(req.GetMessage()); err != nil {
		return nil, err
	}
	if len(req.GetSignature()) > MaxSignatureBytes {
		return nil, status.Errorf(codes.InvalidArgument, "signature is %d bytes, over the limit of %d", len(req.GetSignature()), MaxSignatureBytes)
	}
	err = e.key.Verify(ctx, req.GetMessage(), req.GetSignature())
	switch {
	case err == nil:
		return &signerpb.VerifyResponse{Valid: true}, nil
	case errors.Is(err, provider.ErrInvalidSignature):
		return &signerpb.VerifyResponse{Valid: false}, nil
	}
	return nil, toStatus("verify", e.name, err)
}

func (e *entry) proto(p *clientPolicy) *signerpb.KeyInfo {
	return &signerpb.KeyInfo{
		Name: e.name, Id: e.info.ID, Algorithm: string(e.info.Algorithm), Backend: e.info.Backend,
		Version: e.info.Version, Determinism: e.determ, Operations: p.operations(), Purpose: string(e.purpose),
	}
}

// PublicKey implements signerpb.SignerServer. Any client authorised for a
// key may read its description and public key.
func (s *Server) PublicKey(ctx context.Context, req *signerpb.PublicKeyRequest) (*signerpb.PublicKeyResponse, error) {
	st, p, e, err := s.begin(ctx, signerpb.Signer_PublicKey_FullMethodName, false, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	if e == nil {
		return nil, status.Error(codes.InvalidArgument, "no key named: set key to a key name or key ID")
	}
	return &signerpb.PublicKeyResponse{Info: e.proto(p), Spki: e.spki, SignatureContext: e.context, MaxMessageBytes: st.cfg.Limits.MaxMessageBytes}, nil
}

// ListKeys implements signerpb.SignerServer: the keys the caller may use.
func (s *Server) ListKeys(ctx context.Context, _ *signerpb.ListKeysRequest) (*signerpb.ListKeysResponse, error) {
	st, p, _, err := s.begin(ctx, signerpb.Signer_ListKeys_FullMethodName, false, "")
	if err != nil {
		return nil, err
	}
	defer st.release()
	resp := &signerpb.ListKeysResponse{MaxMessageBytes: st.cfg.Limits.MaxMessageBytes}
	for _, name := range sortedKeys(st.keys) {
		if p.mayUse(name) {
			resp.Keys = append(resp.Keys, st.keys[name].proto(p))
		}
	}
	return resp, nil
}
