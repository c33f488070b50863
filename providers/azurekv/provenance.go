package azurekv

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"
	"github.com/tinywindow/tinywindow/provider"
)

// provenance asks the vault, now, for the key bundle of the version in use
// (GetKey) and the key's rotation policy (GetKeyRotationPolicy), and keeps
// what they say in Key Vault's words. Attributes: key-type (EC-HSM and
// RSA-HSM keys are held in an HSM, EC and RSA in software), protection
// ("hsm" or "software"), enabled, exportable ("not reported" where the
// bundle says nothing), recovery-level and recoverable-days, created,
// updated, not-before and expires, hsm-platform, managed (a key backing a
// certificate), release-policy ("present" when the key carries one), and
// rotation: "enabled" with rotate-after-create or rotate-before-expiry, or
// "disabled", with rotation-expiry-time where the policy sets one.
//
// Origin and Extractable follow concludeOrigin. A rotation policy that
// cannot be read (it needs the keys/getrotationpolicy permission) is an
// error, with the bundle's attributes kept and rotation "unknown".
func (k *Key) provenance(ctx context.Context, ref keyRef) (provider.Provenance, error) {
	resp, err := k.client.GetKey(ctx, ref.name, ref.version, nil)
	if err != nil {
		return provider.Provenance{}, mapError("GetKey", &ref, err)
	}
	p := provider.Provenance{Attributes: map[string]string{"exportable": "not reported"}}
	a := resp.Attributes
	if a == nil {
		a = &azkeys.KeyAttributes{}
	}
	if resp.Key != nil && resp.Key.Kty != nil {
		kty := *resp.Key.Kty
		p.Attributes["key-type"] = string(kty)
		p.Attributes["protection"] = "software"
		if strings.HasSuffix(string(kty), "-HSM") {
			p.Attributes["protection"] = "hsm"
		}
	}
	setBool(p.Attributes, "enabled", a.Enabled)
	setBool(p.Attributes, "exportable", a.Exportable)
	setBool(p.Attributes, "managed", resp.Managed)
	if a.RecoveryLevel != nil {
		p.Attributes["recovery-level"] = *a.RecoveryLevel
	}
	if a.RecoverableDays != nil {
		p.Attributes["recoverable-days"] = strconv.Itoa(int(*a.RecoverableDays))
	}
	if a.HSMPlatform != nil {
		p.Attributes["hsm-platform"] = *a.HSMPlatform
	}
	for name, t := range map[string]*time.Time{"created": a.Created, "updated": a.Updated, "not-before": a.NotBefore, "expires": a.Expires} {
		if t != nil {
			p.Attributes[name] = t.UTC().Format(time.RFC3339)
		}
	}
	if resp.ReleasePolicy != nil {
		p.Attributes["release-policy"] = "present"
	}
	p.Origin, p.Extractable = concludeOrigin(a.Exportable)

	pol, err := k.client.GetKeyRotationPolicy(ctx, ref.name, nil)
	if err != nil {
		p.Attributes["rotation"] = "unknown"
		err = mapError("GetKeyRotationPolicy", &keyRef{vault: ref.vault, name: ref.name}, err)
		if oe := (*provider.OpError)(nil); errors.As(err, &oe) && oe.Kind == provider.ErrPermissionDenied {
			oe.Remedy = "grant the identity the keys/getrotationpolicy permission (or the Key Vault Reader role) for the report to show the key's rotation"
		}
		return p, err
	}
	p.Attributes["rotation"] = "disabled"
	for _, la := range pol.LifetimeActions {
		if la == nil || la.Action == nil || la.Action.Type == nil || la.Trigger == nil ||
			!strings.EqualFold(string(*la.Action.Type), string(azkeys.KeyRotationPolicyActionRotate)) {
			continue
		}
		p.Attributes["rotation"] = "enabled"
		if d := la.Trigger.TimeAfterCreate; d != nil {
			p.Attributes["rotate-after-create"] = *d
		}
		if d := la.Trigger.TimeBeforeExpiry; d != nil {
			p.Attributes["rotate-before-expiry"] = *d
		}
	}
	if pa := pol.Attributes; pa != nil && pa.ExpiryTime != nil {
		p.Attributes["rotation-expiry-time"] = *pa.ExpiryTime
	}
	return p, nil
}

// setBool sets attrs[name] to "true" or "false" when the vault reported b.
func setBool(attrs map[string]string, name string, b *bool) {
	if b != nil {
		attrs[name] = strconv.FormatBool(*b)
	}
}

// concludeOrigin says what a key bundle's exportable attribute tells of
// where the key was made and whether it can leave. An exportable key can be
// released from the vault. Key Vault does not say whether a key was made in
// the vault or imported (an HSM key type holds imported keys too), so the
// origin stays unknown, and so does whether a key that is not exportable
// ever existed outside.
func concludeOrigin(exportable *bool) (origin, extractable string) {
	if exportable != nil && *exportable {
		return "", provider.ExtractableYes
	}
	return "", ""
}
