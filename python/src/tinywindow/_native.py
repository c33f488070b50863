"""Loading of libtinywindow.so and the ctypes declarations of its C API.

The library sits next to this file, inside the installed package, and is found
without any environment variable. Every call releases the GIL (ctypes.CDLL),
so threads sign in parallel. Results and error messages go into per-thread
scratch buffers, allocated once per thread and grown when a larger signature
needs it, so a call allocates nothing but its result.
"""

import ctypes
import os
import threading

ABI_VERSION = 1
LIBRARY = "libtinywindow.so"

# Status codes (libtinywindow.h).
OK = 0
INVALID_SIGNATURE = 1
ERR_INVALID_ARGUMENT = 2
ERR_BUFFER_TOO_SMALL = 3
ERR_CLOSED = 4
ERR_INVALID_CONFIG = 5
ERR_KEY_NOT_FOUND = 6
ERR_UNSUPPORTED = 7
ERR_UNAVAILABLE = 8
ERR_PERMISSION_DENIED = 9
ERR_INTERNAL = 10
ERR_UNKNOWN = 11

MVP_KEY_SIZE = 32
MVP_SIG_SIZE = 32
ERR_CAP = 1024

_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), LIBRARY)
try:
    lib = ctypes.CDLL(_path)
except OSError as e:
    raise ImportError(
        f"tinywindow: cannot load its shared library {_path}: {e}. "
        "Reinstall the package with: python3 -m pip install ./python (from a TinyWindow checkout)"
    ) from e

_c = ctypes
_u8p = _c.c_char_p  # bytes in: CPython passes a pointer to the object's own buffer
_out = _c.c_void_p  # ctypes arrays out
_size = _c.c_size_t
_sizep = _c.POINTER(_c.c_size_t)


def _declare(name, argtypes):
    f = getattr(lib, name)
    f.argtypes = argtypes
    f.restype = _c.c_int
    return f


tw_abi_version = _declare("tw_abi_version", [])
tw_open = _declare("tw_open", [_u8p, _size, _c.POINTER(_c.c_uint64), _out, _size])
tw_sign = _declare("tw_sign", [_c.c_uint64, _u8p, _size, _out, _size, _sizep, _out, _size])
tw_verify = _declare("tw_verify", [_c.c_uint64, _u8p, _size, _u8p, _size, _out, _size])
tw_public_key_pem = _declare("tw_public_key_pem", [_c.c_uint64, _out, _size, _sizep, _out, _size])
tw_key_info_json = _declare("tw_key_info_json", [_c.c_uint64, _out, _size, _sizep, _out, _size])
tw_close = _declare("tw_close", [_c.c_uint64, _out, _size])
tw_providers_json = _declare("tw_providers_json", [_out, _size, _sizep, _out, _size])
tw_mvp_keygen = _declare("tw_mvp_keygen", [_c.c_uint64, _out])
tw_mvp_sign = _declare("tw_mvp_sign", [_u8p, _size, _u8p, _size, _out, _out, _size])
tw_mvp_verify = _declare("tw_mvp_verify", [_u8p, _size, _u8p, _size, _u8p, _size, _out, _size])

_abi = tw_abi_version()
if _abi != ABI_VERSION:
    raise ImportError(
        f"tinywindow: {_path} speaks C API version {_abi}, this package expects {ABI_VERSION}; "
        "reinstall the package so that the library and the Python code match"
    )


class Scratch:
    """Per-thread buffers passed to the library on every call."""

    __slots__ = ("mvp", "out", "out_cap", "out_len", "out_len_ref", "err")

    def __init__(self):
        self.mvp = _c.create_string_buffer(MVP_SIG_SIZE)
        self.out_cap = 64
        self.out = _c.create_string_buffer(self.out_cap)
        self.out_len = _c.c_size_t(0)
        self.out_len_ref = _c.byref(self.out_len)
        self.err = _c.create_string_buffer(ERR_CAP)

    def grow(self, n):
        """Makes the output buffer hold at least n bytes."""
        if n > self.out_cap:
            self.out_cap = n
            self.out = _c.create_string_buffer(n)

    def message(self):
        return self.err.value.decode("utf-8", "replace")


_tls = threading.local()


def scratch():
    """Returns the calling thread's Scratch."""
    try:
        return _tls.s
    except AttributeError:
        s = _tls.s = Scratch()
        return s


def call_out(fn, *args):
    """Calls a tw_* function that writes a variable-length result (JSON, PEM)
    and returns (status, bytes or None, message)."""
    s = scratch()
    for _ in range(3):
        rc = fn(*args, s.out, s.out_cap, s.out_len_ref, s.err, ERR_CAP)
        if rc == ERR_BUFFER_TOO_SMALL and s.out_len.value > s.out_cap:
            s.grow(s.out_len.value)
            continue
        if rc != OK:
            return rc, None, s.message()
        return rc, _c.string_at(s.out, s.out_len.value), ""
    return rc, None, s.message()
