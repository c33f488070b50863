//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// do runs fn on a session borrowed from the pool and gives the session back,
// whatever fn does. A session that broke is closed and the operation runs
// once more on a fresh one; a token that logged out is logged in to once; a
// stale key handle (a session copy that died with its session) is looked up
// again once.
func (k *Key) do(ctx context.Context, fn func(pkcs11.SessionHandle, *handles) error) error {
	var retried, relogged, reloaded bool
	for {
		sh, err := k.pool.borrow(ctx, retried)
		if err != nil {
			return err
		}
		h := k.handles.Load()
		err = fn(sh, h)
		if err == nil {
			k.pool.put(sh)
			return nil
		}
		if sessionBroken(err) {
			k.pool.discard(sh)
			if retried {
				return err
			}
			retried = true
		} else {
			code := rv(err)
			k.pool.put(sh)
			switch {
			case code == pkcs11.CKR_USER_NOT_LOGGED_IN && !relogged && k.pin != nil:
				relogged = true
				if lerr := k.relogin(ctx); lerr != nil {
					return lerr
				}
			case keyHandleStale(err) && !reloaded:
				reloaded = true
				if rerr := k.reload(h); rerr != nil {
					return rerr
				}
			default:
				return err
			}
		}
		if cerr := ctx.Err(); cerr != nil {
			return provider.OpErrorf(Scheme, "", k.name, provider.ErrUnavailable, "%w (after %w)", cerr, err)
		}
	}
}

// relogin logs the user in again on a session of the pool.
func (k *Key) relogin(ctx context.Context) error {
	k.relogins.Add(1)
	sh, err := k.pool.get(ctx)
	if err != nil {
		return err
	}
	err = k.mod.login(sh, k.slot, k.pin, k.name)
	k.pool.put(sh)
	return err
}
