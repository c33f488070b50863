package provider

import "fmt"

// VerifyRemote reads the verify attribute that every backend holding its
// keys outside the process accepts: verify=local (the default) checks
// signatures in the process with the key's public key, verify=remote sends
// each check to the backend. where says what remote means for the backend
// (for example "KMS checks"); it completes the error for any other value,
// which matches ErrInvalidConfig.
func (u *URI) VerifyRemote(where string) (bool, error) {
	v, ok := u.Get("verify")
	if !ok {
		return false, nil
	}
	return ParseVerifyMode(u.Scheme, v, where)
}

// ParseVerifyMode is VerifyRemote for a value that comes from elsewhere than
// a URI (a configuration struct): it reports whether v is "remote", accepts
// "local", and refuses anything else, naming the backend.
func ParseVerifyMode(backend, v, where string) (bool, error) {
	switch v {
	case "local":
		return false, nil
	case "remote":
		return true, nil
	}
	return false, fmt.Errorf("%w: %s verify=%q; write verify=local (the default: check with the public key in this process) or verify=remote (%s)", ErrInvalidConfig, backend, v, where)
}
