package vaulttransit

import (
	"context"
	"strconv"

	"github.com/tinywindow/tinywindow/provider"
)

// Identity describes the key for an audit report: the Vault address, the
// namespace when the URI names one, the Transit mount, the key's name and
// the version in use, and where Verify checks signatures ("remote" for hmac
// keys and with verify=remote, else "local"). Its Provenance comes from the
// keys endpoint, read when Identity is called (see provenance).
func (b *base) Identity(ctx context.Context) (provider.Identity, error) {
	mode := "local"
	if b.opts.RemoteVerify || b.kt.alg == provider.HMACSHA256 {
		mode = "remote"
	}
	attrs := map[string]string{"addr": b.opts.addr, "mount": b.opts.mount, "key": b.opts.key, "version": strconv.Itoa(b.version)}
	if b.opts.namespace != "" {
		attrs["namespace"] = b.opts.namespace
	}
	prov, err := b.provenance(ctx)
	return provider.Identity{VerifyMode: mode, Attributes: attrs, Provenance: prov}, err
}

var _ provider.Identifier = (*base)(nil)
