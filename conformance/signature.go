package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// ReportDomain starts every message a key signs to sign a report, so that a
// report signature can never be taken for a signature of anything else the
// key signs (an order, an ack, a checkpoint).
const ReportDomain = "TinyWindow conformance report v1\x00"

// signatureHeader is the first line of a report signature file.
const signatureHeader = "TinyWindow conformance report signature v1"

// MaxSignatureFile bounds a report signature file: the largest signature the
// project knows (SLH-DSA, 17,088 bytes) in base64 and the other lines fit
// well within it.
const MaxSignatureFile = 64 << 10

// MaxReportSize bounds a report file that VerifyReport's callers read: a
// report of every check with a thousand modules is under 200 KiB.
const MaxReportSize = 16 << 20

// The formats of a signed report.
const (
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// ErrReportForged is matched by every error of VerifyReport that says the
// report is not the one the key signed: a signature that does not verify, a
// signature over another report, a key other than the verifier.
var ErrReportForged = errors.New("the report is not the one the key signed")

// ReportSignature is a detached signature of a report file, as SignReport
// makes it and a report signature file holds it:
//
//	TinyWindow conformance report signature v1
//	format json
//	key-id ed25519-1a2b…
//	algorithm Ed25519
//	report-sha256 9f86d0…
//	signature MEUCIQ…
//
// The key signs ReportDomain, the format, a zero byte and the 32-byte
// SHA-256 of the report file, so that a report of any size signs through
// every backend (a KMS takes at most 4,096 bytes) and a JSON report's
// signature cannot pass for a Markdown report's. The key ID, algorithm and
// digest are there for people and for clear errors; the signature alone
// decides.
type ReportSignature struct {
	Format       string
	KeyID        string
	Algorithm    string
	ReportSHA256 [32]byte
	Signature    []byte
}

// reportMessage returns what a key signs for a report of format whose
// SHA-256 is sum.
func reportMessage(format string, sum [32]byte) []byte {
	m := make([]byte, 0, len(ReportDomain)+len(format)+1+len(sum))
	m = append(m, ReportDomain...)
	m = append(m, format...)
	m = append(m, 0)
	return append(m, sum[:]...)
}

func checkFormat(format string) error {
	if format != FormatJSON && format != FormatMarkdown {
		return fmt.Errorf("report format %q: want %q or %q", format, FormatJSON, FormatMarkdown)
	}
	return nil
}

// SignReport signs report, the bytes of a report file of format (FormatJSON
// or FormatMarkdown), with signer.
func SignReport(ctx context.Context, signer provider.Signer, format string, report []byte) (*ReportSignature, error) {
	if err := checkFormat(format); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(report)
	sig, err := signer.Sign(ctx, reportMessage(format, sum))
	if err != nil {
		return nil, fmt.Errorf("signing the report: %w", err)
	}
	info := signer.Info()
	return &ReportSignature{Format: format, KeyID: info.ID, Algorithm: string(info.Algorithm), ReportSHA256: sum, Signature: sig}, nil
}

// MarshalText returns the signature file's text.
func (s *ReportSignature) MarshalText() ([]byte, error) {
	if err := checkFormat(s.Format); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"key-id", s.KeyID}, {"algorithm", s.Algorithm}} {
		if f.v == "" || strings.ContainsAny(f.v, " \n\r\t") {
			return nil, fmt.Errorf("report signature: %s %q must be one word", f.name, f.v)
		}
	}
	return fmt.Appendf(nil, "%s\nformat %s\nkey-id %s\nalgorithm %s\nreport-sha256 %s\nsignature %s\n",
		signatureHeader, s.Format, s.KeyID, s.Algorithm, hex.EncodeToString(s.ReportSHA256[:]), base64.StdEncoding.EncodeToString(s.Signature)), nil
}

// ParseReportSignature reads a report signature file: exactly the six lines
// MarshalText writes, in order, each ending in a newline, at most
// MaxSignatureFile bytes.
func ParseReportSignature(data []byte) (*ReportSignature, error) {
	if len(data) > MaxSignatureFile {
		return nil, fmt.Errorf("report signature: %d bytes, more than the %d a signature file may hold", len(data), MaxSignatureFile)
	}
	text, ok := bytes.CutSuffix(data, []byte("\n"))
	if !ok {
		return nil, errors.New("report signature: the file does not end in a newline (truncated?)")
	}
	lines := strings.Split(string(text), "\n")
	names := []string{"", "format", "key-id", "algorithm", "report-sha256", "signature"}
	if len(lines) != len(names) || lines[0] != signatureHeader {
		return nil, fmt.Errorf("report signature: not a signature file of this version: want %d lines starting %q", len(names), signatureHeader)
	}
	v := make([]string, len(names))
	for i := 1; i < len(names); i++ {
		name, value, ok := strings.Cut(lines[i], " ")
		if !ok || name != names[i] || value == "" || strings.ContainsAny(value, " \r\t") {
			return nil, fmt.Errorf("report signature: line %d is %q, want %q and one word", i+1, clip(lines[i]), names[i])
		}
		v[i] = value
	}
	s := &ReportSignature{Format: v[1], KeyID: v[2], Algorithm: v[3]}
	if err := checkFormat(s.Format); err != nil {
		return nil, fmt.Errorf("report signature: %w", err)
	}
	sum, err := hex.DecodeString(v[4])
	if err != nil || len(sum) != len(s.ReportSHA256) {
		return nil, fmt.Errorf("report signature: report-sha256 is not %d bytes in hex", len(s.ReportSHA256))
	}
	copy(s.ReportSHA256[:], sum)
	if s.Signature, err = base64.StdEncoding.Strict().DecodeString(v[5]); err != nil || len(s.Signature) == 0 {
		return nil, fmt.Errorf("report signature: the signature is not base64: %v", err)
	}
	return s, nil
}

// VerifyReport checks that sig is verifier's signature of report, a report
// file of sig's format. An error matching ErrReportForged says the report
// is not the one the key signed (edited, another report, another key);
// any other error says it could not be judged (the key could not verify).
// A JSON report that verifies must also be of a schema this package knows
// (see CheckSchema).
func VerifyReport(ctx context.Context, verifier provider.Verifier, report []byte, sig *ReportSignature) error {
	if err := checkFormat(sig.Format); err != nil {
		return err
	}
	sum := sha256.Sum256(report)
	if subtle.ConstantTimeCompare(sum[:], sig.ReportSHA256[:]) != 1 {
		return fmt.Errorf("%w: the signature is over a report with SHA-256 %x, and this report's is %x (edited after signing, or another report)", ErrReportForged, sig.ReportSHA256, sum)
	}
	if err := verifier.Verify(ctx, reportMessage(sig.Format, sum), sig.Signature); err != nil {
		if errors.Is(err, provider.ErrInvalidSignature) {
			if id := verifier.Info().ID; sig.KeyID != id {
				return fmt.Errorf("%w: the signature file names key %q, and the verifier is key %q: %w", ErrReportForged, sig.KeyID, id, err)
			}
			return fmt.Errorf("%w: %w", ErrReportForged, err)
		}
		return fmt.Errorf("verifying the report signature: %w", err)
	}
	if sig.Format == FormatJSON {
		return CheckSchema(report)
	}
	return nil
}

// clip shortens untrusted text for a message.
func clip(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
