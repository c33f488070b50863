// Package azurekv is TinyWindow's Azure Key Vault backend, scheme "azurekv".
// It signs with EC (P-256, P-384) and RSA keys held in a Key Vault or a
// Managed HSM, through the Azure SDK's azkeys client, with credentials from
// azidentity's DefaultAzureCredential (environment, workload identity,
// managed identity, Azure CLI):
//
//	azurekv:vault=https://orders.vault.azure.net;name=orders
//	azurekv:vault=https://orders.vault.azure.net;name=orders;version=0123456789abcdef0123456789abcdef
//	azurekv:vault=https://orders.managedhsm.azure.net;name=rsa-orders;alg=RSA-PSS-SHA256?verify=remote
//
// The message is hashed locally; only the digest goes to the vault. Key
// Vault returns ECDSA signatures as the raw concatenation r‖s, which this
// package re-encodes as ASN.1 DER, the encoding every TinyWindow backend uses;
// RSA signatures pass through unchanged. The public key is fetched once
// (GetKey), cached for a configurable time, exported as PEM and used to verify
// locally; verify=remote sends verification to the vault instead.
//
// Service errors map onto the provider taxonomy: 404 is ErrKeyNotFound, 401
// and 403 are ErrPermissionDenied, 408, 429 and 5xx are ErrUnavailable.
// Throttled and failed calls are retried, honouring Retry-After, but never
// past the caller's deadline: a Retry-After that would end after the
// context's deadline stops the retries at once.
package azurekv
