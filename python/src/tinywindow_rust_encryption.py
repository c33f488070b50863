"""Drop-in replacement for the MVP's tinywindow_rust_encryption module.

    import tinywindow_rust_encryption

    key = tinywindow_rust_encryption.keygen(42)          # 32 bytes, as the MVP
    sig = tinywindow_rust_encryption.sign(key, b"payload")  # HMAC-SHA256, 32 bytes
    assert tinywindow_rust_encryption.verify(key, b"payload", sig) is True

The three functions give the MVP's bytes: keygen(seed) is ChaCha20Rng seeded
with seed_from_u64(seed), and sign is HMAC-SHA256. Arguments:

- seed: an int (or an object with __index__) from 0 to 2**64-1; a negative or
  larger value raises OverflowError, a float or str raises TypeError, as the
  MVP did.
- key, payload, sig: bytes. bytearray and memoryview (of single bytes) are
  accepted too, and copied. str, int, None, list and tuple raise TypeError.
  (The MVP, through PyO3's Vec<u8>, also took lists and tuples of ints; this
  module does not.)
- key must be 32 bytes, the size keygen returns: another size raises
  ValueError. (The MVP's HMAC took keys of any size.)
- verify returns a real bool; a signature of the wrong length gives False.
"""

import operator as _operator

from tinywindow import _native
from tinywindow._bytes import as_bytes as _as_bytes

__all__ = ["keygen", "sign", "verify"]

_U64_MAX = (1 << 64) - 1
_KEY_SIZE = _native.MVP_KEY_SIZE
_OK = _native.OK
_INVALID = _native.INVALID_SIGNATURE
_ERR_CAP = _native.ERR_CAP
_tls = _native._tls
_scratch = _native.scratch
_keygen = _native.tw_mvp_keygen
_sign = _native.tw_mvp_sign
_verify = _native.tw_mvp_verify


def keygen(seed: int) -> bytes:
    """Returns the MVP's deterministic 32-byte key for seed (0 to 2**64-1)."""
    if type(seed) is not int:
        seed = _index(seed)
    if seed < 0:
        raise OverflowError(f"seed {seed} is negative; it must be from 0 to 2**64-1")
    if seed > _U64_MAX:
        raise OverflowError(f"seed {seed} is larger than 2**64-1")
    try:
        s = _tls.s
    except AttributeError:
        s = _scratch()
    rc = _keygen(seed, s.mvp)
    if rc != _OK:
        raise RuntimeError(f"tinywindow: keygen failed with status {rc}")
    return s.mvp.raw


def sign(key: bytes, payload: bytes) -> bytes:
    """Returns the 32-byte HMAC-SHA256 of payload under key."""
    if type(key) is not bytes:
        key = _as_bytes(key, "key")
    if type(payload) is not bytes:
        payload = _as_bytes(payload, "payload")
    if len(key) != _KEY_SIZE:
        raise _key_size(key)
    try:
        s = _tls.s
    except AttributeError:
        s = _scratch()
    rc = _sign(key, _KEY_SIZE, payload, len(payload), s.mvp, s.err, _ERR_CAP)
    if rc != _OK:
        raise _failure(rc, s)
    return s.mvp.raw


def verify(key: bytes, payload: bytes, sig: bytes) -> bool:
    """Returns True when sig is the HMAC-SHA256 of payload under key, else
    False. The comparison is constant-time."""
    if type(key) is not bytes:
        key = _as_bytes(key, "key")
    if type(payload) is not bytes:
        payload = _as_bytes(payload, "payload")
    if type(sig) is not bytes:
        sig = _as_bytes(sig, "sig")
    if len(key) != _KEY_SIZE:
        raise _key_size(key)
    try:
        s = _tls.s
    except AttributeError:
        s = _scratch()
    rc = _verify(key, _KEY_SIZE, payload, len(payload), sig, len(sig), s.err, _ERR_CAP)
    if rc == _OK:
        return True
    if rc == _INVALID:
        return False
    raise _failure(rc, s)


def _index(seed):
    try:
        return _operator.index(seed)
    except TypeError:
        raise TypeError(f"seed must be an int from 0 to 2**64-1, not {type(seed).__name__}") from None


def _key_size(key):
    return ValueError(f"key is {len(key)} bytes; it must be the {_KEY_SIZE} bytes keygen returns")


def _failure(rc, s):
    msg = s.message()
    if rc == _native.ERR_INVALID_ARGUMENT:
        return ValueError(msg)
    return RuntimeError(f"tinywindow: {msg} (status {rc})")
