package azurekv

import (
	"context"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// Identity describes the key for an audit report: its key identifier with the
// version in use (https://VAULT/keys/NAME/VERSION), the vault, and where
// Verify checks signatures (verify=local or remote). Its Provenance comes
// from GetKey and GetKeyRotationPolicy, asked when Identity is called (see
// provenance).
func (k *Key) Identity(ctx context.Context) (provider.Identity, error) {
	st := k.st.Load()
	mode := string(k.cfg.Verify)
	if mode == "" {
		mode = string(VerifyLocal)
	}
	kid := strings.TrimRight(st.ref.vault, "/") + "/keys/" + st.ref.name + "/" + st.ref.version
	prov, err := k.provenance(ctx, st.ref)
	return provider.Identity{VerifyMode: mode, Attributes: map[string]string{
		"key-id": kid,
		"vault":  st.ref.vault,
	}, Provenance: prov}, err
}

var _ provider.Identifier = (*Key)(nil)
