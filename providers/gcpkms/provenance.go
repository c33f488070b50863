package gcpkms

import (
	"context"
	"strconv"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tinywindow/tinywindow/provider"
)

// provenance asks Cloud KMS, now, how the key version's material came to be
// and whether the key rotates. Attributes, in Cloud KMS's words: state,
// protection-level and algorithm of the version; create-time; generate-time
// for material Cloud KMS generated, or import-job and import-time for
// imported material; attestation-format for an HSM version, whose
// attestation the HSM signed when it made or took in the material (fetch it
// with gcloud kms keys versions get-attestation to check it independently
// of Google); external-key-uri for a version whose material an external key
// manager holds; and from the CryptoKey, rotation, import-only and
// crypto-key-backend (see keyAttributes).
//
// Origin and Extractable follow concludeOrigin.
func (b *base) provenance(ctx context.Context) (provider.Provenance, error) {
	var v *kmspb.CryptoKeyVersion
	err := b.opts.retry(ctx, func(ctx context.Context) (err error) {
		v, err = b.client.GetCryptoKeyVersion(ctx, &kmspb.GetCryptoKeyVersionRequest{Name: b.version}, noGAXRetry)
		return err
	})
	if err != nil {
		return provider.Provenance{}, opError("GetCryptoKeyVersion", b.version, err)
	}
	if v.GetName() != b.version {
		return provider.Provenance{}, provider.OpErrorf(Scheme, "GetCryptoKeyVersion", b.version, provider.ErrUnavailable, "the answer is for %q", v.GetName())
	}
	p := provider.Provenance{Attributes: map[string]string{
		"state":            v.GetState().String(),
		"protection-level": v.GetProtectionLevel().String(),
		"algorithm":        v.GetAlgorithm().String(),
	}}
	setTime(p.Attributes, "create-time", v.GetCreateTime())
	setTime(p.Attributes, "generate-time", v.GetGenerateTime())
	setTime(p.Attributes, "import-time", v.GetImportTime())
	if j := v.GetImportJob(); j != "" {
		p.Attributes["import-job"] = j
	}
	if a := v.GetAttestation(); a != nil {
		p.Attributes["attestation-format"] = a.GetFormat().String()
	}
	if u := v.GetExternalProtectionLevelOptions().GetExternalKeyUri(); u != "" {
		p.Attributes["external-key-uri"] = u
	}
	imported := v.GetImportJob() != "" || v.GetImportTime() != nil
	p.Origin, p.Extractable = concludeOrigin(v.GetProtectionLevel(), imported, v.GetGenerateTime() != nil)

	var k *kmspb.CryptoKey
	err = b.opts.retry(ctx, func(ctx context.Context) (err error) {
		k, err = b.client.GetCryptoKey(ctx, &kmspb.GetCryptoKeyRequest{Name: b.opts.key}, noGAXRetry)
		return err
	})
	if err != nil {
		return p, opError("GetCryptoKey", b.opts.key, err)
	}
	keyAttributes(k, p.Attributes)
	return p, nil
}

// keyAttributes sets the attributes a CryptoKey holds for its versions:
// rotation, "enabled" with rotation-period and next-rotation-time when the
// key rotates by schedule, "disabled" when an ENCRYPT_DECRYPT key does not,
// and "not supported" for other purposes, which Cloud KMS never rotates by
// schedule (rotate them by creating a version); import-only, whether the key
// takes only imported versions; crypto-key-backend where the key names one.
func keyAttributes(k *kmspb.CryptoKey, attrs map[string]string) {
	switch {
	case k.GetRotationPeriod() != nil:
		attrs["rotation"] = "enabled"
		attrs["rotation-period"] = k.GetRotationPeriod().AsDuration().String()
	case k.GetPurpose() == kmspb.CryptoKey_ENCRYPT_DECRYPT:
		attrs["rotation"] = "disabled"
	default:
		attrs["rotation"] = "not supported"
	}
	setTime(attrs, "next-rotation-time", k.GetNextRotationTime())
	attrs["import-only"] = strconv.FormatBool(k.GetImportOnly())
	if b := k.GetCryptoKeyBackend(); b != "" {
		attrs["crypto-key-backend"] = b
	}
}

// setTime sets attrs[name] to t in RFC 3339, UTC, when the service gave t.
func setTime(attrs map[string]string, name string, t *timestamppb.Timestamp) {
	if t != nil {
		attrs[name] = t.AsTime().UTC().Format(time.RFC3339)
	}
}

// concludeOrigin says what a key version's protection level and the times
// Cloud KMS reports tell of where its material was made and whether it can
// leave. Cloud KMS has no way to export key material: material it generated
// (SOFTWARE, HSM, HSM_SINGLE_TENANT with a generate_time) was made there and
// never leaves; imported material (an import_job or import_time) existed
// outside before, so could be extracted once. EXTERNAL and EXTERNAL_VPC
// versions are held by an external key manager, which Cloud KMS cannot speak
// for: both are unknown, as they are for a version that reports neither
// generation nor import, or a protection level this package does not know.
func concludeOrigin(level kmspb.ProtectionLevel, imported, generated bool) (origin, extractable string) {
	switch level {
	case kmspb.ProtectionLevel_SOFTWARE, kmspb.ProtectionLevel_HSM, kmspb.ProtectionLevel_HSM_SINGLE_TENANT:
		switch {
		case imported:
			return provider.OriginImported, provider.ExtractableOnce
		case generated:
			return provider.OriginGenerated, provider.ExtractableNo
		}
	}
	return "", ""
}
