"""TinyWindow for Python: sign and verify with any TinyWindow backend.

    import tinywindow

    with tinywindow.Signer("hmac:seed=42") as signer:
        sig = signer.sign(b"order")
        assert signer.verify(b"order", sig)

A Signer opens the key named by a key URI (see the README and
docs/python.md): ``hmac:seed=N``, ``hmac:key-source=env:NAME``,
``pqc:alg=ML-DSA-65;seed-source=file:PATH`` and so on, for every backend linked
into the shared library (see providers()). Calls release the GIL, and a Signer
may be used by many threads at once.

The MVP's module, tinywindow_rust_encryption, is installed beside this one and
gives the same bytes as the MVP.
"""

import json as _json
from dataclasses import dataclass
from typing import List, Optional, Tuple

from . import _native
from ._bytes import as_bytes as _as_bytes

__all__ = [
    "Signer",
    "Verifier",
    "KeyInfo",
    "Provider",
    "providers",
    "TinyWindowError",
    "InvalidConfigError",
    "KeyNotFoundError",
    "UnsupportedError",
    "UnavailableError",
    "PermissionDeniedError",
    "ClosedError",
    "InternalError",
]

__version__ = "0.1.0"


class TinyWindowError(Exception):
    """Base class of the errors raised by the TinyWindow library. ``code`` is
    the C API status code."""

    code = _native.ERR_UNKNOWN

    def __init__(self, message, code=None):
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidConfigError(TinyWindowError, ValueError):
    """A malformed key URI, an unknown scheme or attribute, a missing secret,
    or key material of the wrong size. The message says what to fix."""

    code = _native.ERR_INVALID_CONFIG


class KeyNotFoundError(TinyWindowError, LookupError):
    """The backend has no key by the name given."""

    code = _native.ERR_KEY_NOT_FOUND


class UnsupportedError(TinyWindowError):
    """The key or backend does not offer the operation (e.g. the public key of
    an HMAC key)."""

    code = _native.ERR_UNSUPPORTED


class UnavailableError(TinyWindowError):
    """The backend could not be reached or could not finish; retrying may work."""

    code = _native.ERR_UNAVAILABLE


class PermissionDeniedError(TinyWindowError, PermissionError):
    """The backend refused the operation (wrong PIN, IAM policy...)."""

    code = _native.ERR_PERMISSION_DENIED


class ClosedError(TinyWindowError, ValueError):
    """The Signer was used after close(). Like I/O on a closed file, it is a
    ValueError."""

    code = _native.ERR_CLOSED


class InternalError(TinyWindowError):
    """A bug inside TinyWindow; please report it with the message."""

    code = _native.ERR_INTERNAL


_ERRORS = {
    _native.ERR_INVALID_ARGUMENT: ValueError,
    _native.ERR_CLOSED: ClosedError,
    _native.ERR_INVALID_CONFIG: InvalidConfigError,
    _native.ERR_KEY_NOT_FOUND: KeyNotFoundError,
    _native.ERR_UNSUPPORTED: UnsupportedError,
    _native.ERR_UNAVAILABLE: UnavailableError,
    _native.ERR_PERMISSION_DENIED: PermissionDeniedError,
    _native.ERR_INTERNAL: InternalError,
}


def _error(code, message):
    cls = _ERRORS.get(code)
    if cls is None:
        return TinyWindowError(f"{message} (status {code})", code)
    if cls is ValueError:
        return ValueError(message)
    return cls(message)


@dataclass(frozen=True)
class KeyInfo:
    """What a key says of itself, without I/O."""

    id: str
    algorithm: str
    backend: str
    version: str = ""
    deterministic: Optional[bool] = None


@dataclass(frozen=True)
class Provider:
    """A backend linked into the library."""

    scheme: str
    description: str
    algorithms: Tuple[str, ...]
    keygen: bool


def providers() -> List[Provider]:
    """Returns the backends linked into the shared library, by scheme."""
    rc, data, msg = _native.call_out(_native.tw_providers_json)
    if rc != _native.OK:
        raise _error(rc, msg)
    return [
        Provider(p["scheme"], p["description"], tuple(p["algorithms"] or ()), bool(p["keygen"]))
        for p in _json.loads(data)
    ]


class _Key:
    """What Signer and Verifier share: a handle to one key, opened from its
    key URI."""

    __slots__ = ("_h", "_uri_scheme")

    def __init__(self, uri: str):
        self._h = 0
        if not isinstance(uri, str):
            raise TypeError(f"uri must be a str such as 'hmac:seed=42', not {type(uri).__name__}")
        try:
            raw = uri.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidConfigError("key URI is not valid Unicode text (it holds a lone surrogate)") from None
        self._uri_scheme = uri.partition(":")[0]
        s = _native.scratch()
        h = _native.ctypes.c_uint64(0)
        rc = _native.tw_open(raw, len(raw), _native.ctypes.byref(h), s.err, _native.ERR_CAP)
        if rc != _native.OK:
            raise _error(rc, s.message())
        self._h = h.value

    def _closed_message(self):
        name = type(self).__name__
        return f"{name} is closed; open a new one with tinywindow.{name}(uri)"

    def verify(self, payload: bytes, sig: bytes) -> bool:
        """Returns True when sig is a valid signature of payload, False when it
        is not; raises when the check could not be made (backend down...)."""
        if type(payload) is not bytes:
            payload = _as_bytes(payload, "payload")
        if type(sig) is not bytes:
            sig = _as_bytes(sig, "sig")
        h = self._h
        if not h:
            raise ClosedError(self._closed_message())
        try:
            s = _native._tls.s
        except AttributeError:
            s = _native.scratch()
        rc = _native.tw_verify(h, payload, len(payload), sig, len(sig), s.err, _native.ERR_CAP)
        if rc == _native.OK:
            return True
        if rc == _native.INVALID_SIGNATURE:
            return False
        raise self._exception(rc, s)

    def public_key(self) -> bytes:
        """Returns the public key as PEM ("PUBLIC KEY", DER SubjectPublicKeyInfo).
        Raises UnsupportedError for a symmetric (HMAC) key."""
        return self._out(_native.tw_public_key_pem)

    def key_info(self) -> KeyInfo:
        """Returns the key's ID, algorithm, backend and version."""
        d = _json.loads(self._out(_native.tw_key_info_json))
        return KeyInfo(
            id=d.get("id", ""),
            algorithm=d.get("algorithm", ""),
            backend=d.get("backend", ""),
            version=d.get("version", ""),
            deterministic=d.get("deterministic"),
        )

    @property
    def closed(self) -> bool:
        """True once close() has been called."""
        return not self._h

    def close(self) -> None:
        """Releases the key. Idempotent: closing twice is not an error."""
        h, self._h = self._h, 0
        if h:
            s = _native.scratch()
            rc = _native.tw_close(h, s.err, _native.ERR_CAP)
            if rc != _native.OK and rc != _native.ERR_CLOSED:
                raise _error(rc, s.message())

    def __enter__(self):
        if not self._h:
            raise ClosedError(self._closed_message())
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        state = "closed" if not self._h else "open"
        return f"<tinywindow.{type(self).__name__} {self._uri_scheme}: {state}>"

    def _out(self, fn):
        h = self._h
        if not h:
            raise ClosedError(self._closed_message())
        rc, data, msg = _native.call_out(fn, h)
        if rc != _native.OK:
            raise self._exception(rc, None, msg)
        return data

    def _exception(self, rc, s, msg=None):
        if msg is None:
            msg = s.message()
        if rc == _native.ERR_CLOSED:
            return ClosedError(self._closed_message() + f" ({msg})")
        return _error(rc, msg)


class Signer(_Key):
    """A handle to one key, opened from its key URI.

    sign(payload) -> bytes, verify(payload, sig) -> bool, public_key() -> PEM
    bytes, key_info() -> KeyInfo, close(). A Signer is a context manager that
    closes on exit; after close() every call raises ClosedError. Payloads and
    signatures are bytes (bytearray and memoryview are accepted and copied).
    """

    __slots__ = ()

    def sign(self, payload: bytes) -> bytes:
        """Returns the signature of payload."""
        if type(payload) is not bytes:
            payload = _as_bytes(payload, "payload")
        h = self._h
        if not h:
            raise ClosedError(self._closed_message())
        try:
            s = _native._tls.s
        except AttributeError:
            s = _native.scratch()
        rc = _native.tw_sign(h, payload, len(payload), s.out, s.out_cap, s.out_len_ref, s.err, _native.ERR_CAP)
        if rc == _native.ERR_BUFFER_TOO_SMALL:
            # The first signature of a larger size on this thread: grow the
            # thread's buffer once, and sign again.
            s.grow(s.out_len.value)
            rc = _native.tw_sign(h, payload, len(payload), s.out, s.out_cap, s.out_len_ref, s.err, _native.ERR_CAP)
        if rc != _native.OK:
            raise self._exception(rc, s)
        return s.out.raw[: s.out_len.value]


class Verifier(_Key):
    """A handle that only verifies, opened from a key URI: typically a public
    key alone, pem:pub-source=file:PUB.pem with what `tinywindow pubkey` or
    Signer.public_key() gives (a public key file needs no 0600).

    verify(payload, sig) -> bool, public_key() -> PEM bytes, key_info() ->
    KeyInfo, close(); a context manager like Signer. It has no sign().
    """

    __slots__ = ()
