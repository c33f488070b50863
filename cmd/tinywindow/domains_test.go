package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// recorder keeps every message its keys are asked to sign.
type recorder struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (r *recorder) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.msgs
	r.msgs = nil
	return m
}

// recordingKey is a key that records every message it signs.
type recordingKey struct {
	provider.Key
	rec *recorder
}

func (k recordingKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	k.rec.mu.Lock()
	k.rec.msgs = append(k.rec.msgs, bytes.Clone(msg))
	k.rec.mu.Unlock()
	return k.Key.Sign(ctx, msg)
}

// recordingPublicKey is a recordingKey of an asymmetric key.
type recordingPublicKey struct{ recordingKey }

func (k recordingPublicKey) Public() crypto.PublicKey { return k.Key.(provider.PublicKeyer).Public() }

// tls13Context is the start of what a TLS 1.3 CertificateVerify signs
// (RFC 8446, section 4.4.3): 64 spaces and the context string.
var tls13Context = strings.Repeat(" ", 64) + "TLS 1.3, "

// cosignatureDomain starts what a C2SP witness signs to cosign a checkpoint.
const cosignatureDomain = "cosignature/v1\n"

// signedKind is one kind of byte string the project signs: how it is made
// and how a verifier of that kind recognises it.
type signedKind struct {
	name string
	// domain starts every byte string of the kind; "" for kinds that carry
	// none of the project's.
	domain string
	// form reports whether a verifier of this kind could take b for one of
	// its own; nil for kinds that no verifier of the project takes as a
	// statement (conformance probes, raw signing).
	form func(b []byte) bool
	msgs [][]byte
}

// isNoteCheckpoint reports whether b is the text of a checkpoint, as an
// Ed25519 checkpoint key signs it.
func isNoteCheckpoint(b []byte) bool {
	_, err := audit.ParseCheckpoint(string(b))
	return err == nil
}

// signedDER returns the DER SEQUENCE of tbs, an ECDSA-with-SHA256
// algorithm identifier and an empty signature: a certificate or a
// certificate request if tbs is the signed part of one.
func signedDER(tbs []byte) []byte {
	der, err := asn1.Marshal(struct {
		TBS asn1.RawValue
		Alg pkix.AlgorithmIdentifier
		Sig asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}, asn1.BitString{}})
	if err != nil {
		return nil
	}
	return der
}

// isTBSCertificate reports whether crypto/x509 parses b as the signed part
// of a certificate.
func isTBSCertificate(b []byte) bool {
	_, err := x509.ParseCertificate(signedDER(b))
	return err == nil
}

// isTBSCertificateRequest reports whether crypto/x509 parses b as the
// signed part of a certificate request.
func isTBSCertificateRequest(b []byte) bool {
	_, err := x509.ParseCertificateRequest(signedDER(b))
	return err == nil
}

// signedKinds makes byte strings of every kind the project signs, each
// through the code that signs it, with keys that record what they sign.
func signedKinds(t *testing.T) []*signedKind {
	t.Helper()
	ctx := context.Background()
	rec := &recorder{}
	hk := recordingKey{hmac.NewFromSeed(4242), rec}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	ed, err := pem.New(priv, provider.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	ek := recordingPublicKey{recordingKey{ed, rec}}
	kinds := []*signedKind{
		{name: "order envelope", domain: venue.OrderDomain},
		{name: "venue ack", domain: venue.AckDomain},
		{name: "checkpoint, type 0xff", domain: audit.CheckpointDomain},
		{name: "checkpoint, Ed25519 note", form: isNoteCheckpoint},
		{name: "certificate", form: isTBSCertificate},
		{name: "certificate request", form: isTBSCertificateRequest},
		{name: "TLS 1.3 CertificateVerify", domain: tls13Context},
		{name: "conformance probe"},
		{name: "witness cosignature", domain: cosignatureDomain},
		{name: "benchmark and baseline"},
		{name: "order batch", domain: venue.BatchDomain},
		{name: "conformance report signature", domain: conformance.ReportDomain},
	}
	for _, k := range kinds[:3] {
		k.form = func(b []byte) bool { return bytes.HasPrefix(b, []byte(k.domain)) }
	}
	kinds[2].form = func(b []byte) bool {
		rest, ok := bytes.CutPrefix(b, []byte(audit.CheckpointDomain))
		return ok && isNoteCheckpoint(rest)
	}
	kinds[6].form = func(b []byte) bool { return bytes.HasPrefix(b, []byte(tls13Context)) }
	kinds[8].form = func(b []byte) bool { return bytes.HasPrefix(b, []byte(cosignatureDomain)) }
	kinds[10].form = func(b []byte) bool { return bytes.HasPrefix(b, []byte(venue.BatchDomain)) }
	kinds[11].form = func(b []byte) bool { return bytes.HasPrefix(b, []byte(conformance.ReportDomain)) }

	// Orders, through the sealer the adapter uses.
	sealer, err := venue.NewSealer(hk)
	if err != nil {
		t.Fatal(err)
	}
	var envs [][]byte
	for i, id := range []string{"c-1", "T", strings.Repeat("x", order.MaxClientOrderID)} {
		o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
			Quantity: int64(100 + i), Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
		b, err := o.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		env, err := sealer.Seal(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, bytes.Clone(env))
	}
	kinds[0].msgs = rec.take()

	// Order batches, through the batch signer the adapter uses.
	batches, err := venue.NewBatchSigner(hk)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3} {
		if _, err := batches.Sign(ctx, make([][]byte, n), time.Now().UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	kinds[10].msgs = rec.take()

	// Acks, through the venue's ack signer.
	acks, err := venue.NewAckSigner(hk)
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range envs {
		a := venue.Ack{Status: venue.Accepted, VenueOrderID: uint64(i + 1), VenueTime: time.Now().UnixNano()}
		if _, err := acks.AppendFrame(ctx, nil, a, []byte("c-1"), env); err != nil {
			t.Fatal(err)
		}
	}
	kinds[1].msgs = rec.take()

	// Checkpoints, through the audit log's writer, with each key type.
	for i, k := range []provider.Signer{hk, ek} {
		w, _, err := audit.Open(filepath.Join(t.TempDir(), "a.log"), audit.Options{Signer: k, Durability: audit.Always})
		if err != nil {
			t.Fatal(err)
		}
		w.Append(audit.TypeNote, 1, []byte("a note"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		kinds[2+i].msgs = rec.take()
	}

	// A certificate request and certificates, through the CLI.
	dir := t.TempDir()
	ca, leaf, csr := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf.csr")
	for _, args := range [][]string{
		{"cert", "--signer", "ectest:seed=ca", "--subject", "CN=CA", "--ca", "--out", ca},
		{"cert", "--signer", "ectest:seed=leaf", "--subject", "CN=leaf", "--client", "--ca-signer", "ectest:seed=ca", "--ca-cert", ca, "--out", leaf},
		{"csr", "--signer", "ectest:seed=leaf", "--subject", "CN=leaf", "--out", csr},
	} {
		if code, _, errOut := run(t, "", args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	kinds[4].msgs = [][]byte{readCert(t, ca).RawTBSCertificate, readCert(t, leaf).RawTBSCertificate}
	req, err := x509.ParseCertificateRequest(readPEM(t, csr, "CERTIFICATE REQUEST"))
	if err != nil {
		t.Fatal(err)
	}
	kinds[5].msgs = [][]byte{req.RawTBSCertificateRequest}

	// What crypto/tls signs with a TLS key (serve's, a remote client's).
	for _, side := range []string{"server", "client"} {
		kinds[6].msgs = append(kinds[6].msgs, append([]byte(tls13Context+side+" CertificateVerify\x00"), make([]byte, 32)...))
	}

	// The conformance suite's probes, as an auditor's run signs them with
	// a production key.
	if _, err := conformance.Run(ctx, conformance.Subject{
		Open: func(context.Context) (provider.Key, error) { return recordingKey{hmac.NewFromSeed(4242), rec}, nil },
	}); err != nil {
		t.Fatal(err)
	}
	kinds[7].msgs = rec.take()

	// What a witness signs to cosign a checkpoint (c2sp.org/tlog-cosignature):
	// made by the witness's key, checked by audit verify --witness.
	kinds[8].msgs = [][]byte{append([]byte(cosignatureDomain+"time 1700000000\n"), kinds[3].msgs[0]...)}

	// What tinywindow bench signs (bytes 0, 1, 2, … of --size, 0 to 64 MiB)
	// and demo --baseline (the canonical order, raw).
	for _, n := range []int{0, 1, 64, 4096} {
		m := make([]byte, n)
		for i := range m {
			m[i] = byte(i)
		}
		kinds[9].msgs = append(kinds[9].msgs, m)
	}
	o := order.Order{ClientOrderID: "T", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Market,
		Quantity: 1, TimeInForce: order.IOC, Timestamp: 1}
	canonical, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	kinds[9].msgs = append(kinds[9].msgs, canonical)

	// Report signatures, as conformance --sign-with makes them.
	for _, format := range []string{conformance.FormatJSON, conformance.FormatMarkdown} {
		if _, err := conformance.SignReport(ctx, hk, format, []byte(`{"suite":"tinywindow-conformance"}`)); err != nil {
			t.Fatal(err)
		}
	}
	kinds[11].msgs = rec.take()

	for _, k := range kinds {
		if len(k.msgs) == 0 {
			t.Fatalf("%s: nothing was signed", k.name)
		}
	}
	return kinds
}

// TestSignedBytesNeverCollide makes each kind of byte string the project
// signs, through the code that signs it, and holds every pair apart: the
// domains differ and none is a prefix of another, and no byte string of one
// kind has the form a verifier of another kind takes (docs/verification.md,
// "What each signature covers"). Raw signing (the service's Sign and
// SignDigest, the remote client, `tinywindow sign`, the Python Signer) signs
// whatever the caller gives and is held apart by key, not by bytes: a key
// reachable by raw signing is never a checkpoint key
// (TestCheckpointForgeryThroughSign).
func TestSignedBytesNeverCollide(t *testing.T) {
	kinds := signedKinds(t)
	for _, a := range kinds {
		for _, m := range a.msgs {
			if a.domain != "" && !bytes.HasPrefix(m, []byte(a.domain)) {
				t.Errorf("%s: %q does not start with its domain", a.name, m)
			}
			if a.form != nil && !a.form(m) {
				t.Errorf("%s: %q is not of its own form", a.name, m)
			}
		}
		for _, b := range kinds {
			if a == b {
				continue
			}
			if a.domain != "" && b.domain != "" && strings.HasPrefix(a.domain, b.domain) {
				t.Errorf("the domain of %s, %q, starts with that of %s, %q", a.name, a.domain, b.name, b.domain)
			}
			if b.form == nil {
				continue
			}
			for _, m := range a.msgs {
				if b.form(m) {
					t.Errorf("a byte string of %s has the form of %s: %q", a.name, b.name, m)
				}
			}
		}
	}
}

// TestRawSignIsNotACheckpoint: a raw `tinywindow sign` of a checkpoint's
// note text with the checkpoint key (an HMAC key, type 0xff), put in place
// of the note's signature, does not verify as a checkpoint (`audit verify
// --since` exits 1); the note as the writer signed it does.
func TestRawSignIsNotACheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	const ckURI = "hmac:seed=4242"
	ck, err := provider.Open(context.Background(), ckURI)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	w, _, err := audit.Open(path, audit.Options{Signer: ck, Durability: audit.Always})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(audit.TypeNote, 1, []byte("a note"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	notes, err := audit.ReadCheckpoints(path + ".checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	genuine := notes[len(notes)-1]
	text, sigLine, _ := strings.Cut(string(genuine), "\n\n")
	text += "\n"
	textFile := filepath.Join(dir, "note.txt")
	os.WriteFile(textFile, []byte(text), 0o600)
	code, out, errOut := run(t, "", "sign", "--signer", ckURI, "--in", textFile)
	if code != exitOK {
		t.Fatalf("sign: exit %d: %s", code, errOut)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	// The forger keeps the key name and key ID of the genuine signature.
	i := strings.LastIndex(sigLine, " ")
	old, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sigLine[i+1:]))
	if err != nil {
		t.Fatal(err)
	}
	forged := text + "\n" + sigLine[:i+1] + base64.StdEncoding.EncodeToString(append(old[:4:4], raw...)) + "\n"
	for _, tc := range []struct {
		name string
		note string
		code int
	}{
		{"as the writer signed it", string(genuine), exitOK},
		{"raw sign of its text", forged, exitInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			os.WriteFile(f, []byte(tc.note), 0o600)
			if code, out, errOut := run(t, "", "audit", "verify", path, "--signer", ckURI, "--since", f); code != tc.code {
				t.Fatalf("audit verify --since: exit %d, want %d: %s%s", code, tc.code, out, errOut)
			}
		})
	}
}
