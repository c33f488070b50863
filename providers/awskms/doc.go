// Package awskms is TinyWindow's AWS KMS backend, scheme "awskms". A key never
// leaves KMS: signing and MAC calls go to the service (every use is logged by
// CloudTrail), while signatures of asymmetric keys are verified locally with
// the public key, fetched once with GetPublicKey and cached.
//
// Key URIs name the key and, optionally, where to reach it:
//
//	awskms:key-id=alias/orders;region=eu-west-2
//	awskms:key-id=arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
//	awskms:key-id=1234abcd-12ab-34cd-56ef-1234567890ab;region=us-east-1;profile=trading?verify=remote
//	awskms:key-id=alias/orders;region=eu-west-2?endpoint=http://127.0.0.1:4599
//
// Credentials come from the SDK's default chain (environment, shared config
// and credentials files with the profile= attribute, web identity, IMDS);
// nothing secret stands in the URI. The key's algorithm comes from
// DescribeKey, once, when the key is opened:
//
//	ECC_NIST_P256             ECDSA-P256-SHA256 (the digest is computed locally and sent as DIGEST)
//	ECC_NIST_P384             ECDSA-P384-SHA384 (likewise)
//	RSA_2048, _3072, _4096    RSA-PSS-SHA256 (RSASSA_PSS_SHA_256, DIGEST)
//	HMAC_256                  HMAC-SHA256 (GenerateMac and VerifyMac; messages up to 4096 bytes)
//	ML_DSA_44, _65, _87       ML-DSA-44/65/87 (ML_DSA_SHAKE_256: RAW up to 4096 bytes, EXTERNAL_MU beyond)
//
// Errors from KMS are mapped onto the provider taxonomy and keep the SDK's
// error as their cause: NotFoundException is ErrKeyNotFound; DisabledException,
// KMSInvalidStateException, throttling, 5xx and network failures are
// ErrUnavailable; AccessDeniedException is ErrPermissionDenied;
// InvalidKeyUsageException is ErrUnsupported. Verify never reports an outage
// as an invalid signature.
package awskms
