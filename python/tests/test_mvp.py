"""The MVP's contract: tinywindow_rust_encryption gives the MVP's bytes and
behaviour (see the module's docstring for the two deliberate differences)."""

import array
import hashlib
import hmac
import json
import os

import pytest

import tinywindow_rust_encryption as mvp
from conftest import MVP_VECTORS

KEY42 = bytes.fromhex("7848b5d711bc9883996317a3f9c90269d56771005d540a19184939c9e8d0db2a")
SIG42 = bytes.fromhex("1666c07b7d59d0acf5ee5097dd8958ffcdcdbcd336d4205e47ee8a23344db8ff")
PAYLOAD = b"hello deterministic world"


def test_exactly_three_functions():
    public = sorted(n for n in dir(mvp) if not n.startswith("_"))
    assert public == ["keygen", "sign", "verify"]


def test_known_answers():
    assert mvp.keygen(42) == KEY42
    assert mvp.sign(mvp.keygen(42), PAYLOAD) == SIG42
    assert mvp.verify(KEY42, PAYLOAD, SIG42) is True


def load_vectors():
    with open(MVP_VECTORS) as f:
        return json.load(f)


@pytest.mark.parametrize("v", load_vectors(), ids=lambda v: f"seed{v['seed']}-len{len(v['payload']) // 2}")
def test_mvp_reference_vectors(v):
    """Vectors made by the MVP's own crates (providers/hmac/testdata/mvpref)."""
    key = mvp.keygen(int(v["seed"]))
    assert key.hex() == v["key"]
    payload = bytes.fromhex(v["payload"])
    assert mvp.sign(key, payload).hex() == v["tag"]
    assert mvp.verify(key, payload, bytes.fromhex(v["tag"])) is True


def test_result_types():
    key = mvp.keygen(7)
    assert type(key) is bytes and len(key) == 32
    sig = mvp.sign(key, b"x")
    assert type(sig) is bytes and len(sig) == 32
    assert mvp.verify(key, b"x", sig) is True
    assert mvp.verify(key, b"y", sig) is False


def test_results_are_fresh_objects():
    """Each call returns its own bytes: a later call never changes an earlier result."""
    a = mvp.sign(KEY42, b"a")
    a_copy = bytes(a)
    mvp.sign(KEY42, b"b")
    mvp.keygen(1)
    assert a == a_copy


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1024, 1 << 20])
def test_sizes_match_stdlib_hmac(size):
    payload = os.urandom(size)
    key = mvp.keygen(size)
    want = hmac.new(key, payload, hashlib.sha256).digest()
    sig = mvp.sign(key, payload)
    assert sig == want
    assert mvp.verify(key, payload, sig) is True
    if size:
        tampered = bytearray(payload)
        tampered[-1] ^= 1
        assert mvp.verify(key, bytes(tampered), sig) is False


def test_empty_payload():
    assert mvp.sign(KEY42, b"") == hmac.new(KEY42, b"", hashlib.sha256).digest()
    assert mvp.verify(KEY42, b"", mvp.sign(KEY42, b"")) is True


@pytest.mark.parametrize("seed", [0, 1, 2**32, 2**63, 2**64 - 2, 2**64 - 1])
def test_seed_range(seed):
    assert len(mvp.keygen(seed)) == 32


def test_seed_index_types():
    """Like PyO3's u64 extraction: bool and objects with __index__ are ints."""

    class Index:
        def __index__(self):
            return 42

    assert mvp.keygen(True) == mvp.keygen(1)
    assert mvp.keygen(Index()) == KEY42


@pytest.mark.parametrize("seed", [-1, -(2**70), 2**64, 2**64 + 1, 2**200])
def test_seed_out_of_range_is_overflow(seed):
    with pytest.raises(OverflowError, match="2\\*\\*64-1"):
        mvp.keygen(seed)


@pytest.mark.parametrize("seed", [1.0, "42", b"42", None, [42], 42j])
def test_seed_wrong_type(seed):
    with pytest.raises(TypeError, match="seed must be an int"):
        mvp.keygen(seed)


def test_bytes_like_accepted():
    sig = mvp.sign(KEY42, PAYLOAD)
    for conv in (bytearray, memoryview, lambda b: memoryview(bytearray(b))):
        assert mvp.sign(conv(KEY42), conv(PAYLOAD)) == sig
        assert mvp.verify(conv(KEY42), conv(PAYLOAD), conv(sig)) is True
    assert mvp.sign(KEY42, array.array("B", PAYLOAD)) == sig


NOT_BYTES = ["text", 42, None, [1, 2, 3], (1, 2), 1.5, object(), array.array("i", [1, 2])]


@pytest.mark.parametrize("bad", NOT_BYTES, ids=lambda b: type(b).__name__)
def test_non_bytes_are_type_errors(bad):
    with pytest.raises(TypeError, match="payload must be bytes"):
        mvp.sign(KEY42, bad)
    with pytest.raises(TypeError, match="key must be bytes"):
        mvp.sign(bad, PAYLOAD)
    with pytest.raises(TypeError, match="key must be bytes"):
        mvp.verify(bad, PAYLOAD, SIG42)
    with pytest.raises(TypeError, match="payload must be bytes"):
        mvp.verify(KEY42, bad, SIG42)
    with pytest.raises(TypeError, match="sig must be bytes"):
        mvp.verify(KEY42, PAYLOAD, bad)


def test_str_error_says_encode():
    with pytest.raises(TypeError, match="encode"):
        mvp.sign(KEY42, "hello")


@pytest.mark.parametrize("size", [0, 1, 16, 31, 33, 64])
def test_wrong_key_length(size):
    with pytest.raises(ValueError, match=f"key is {size} bytes; it must be the 32 bytes"):
        mvp.sign(b"k" * size, PAYLOAD)
    with pytest.raises(ValueError, match=f"key is {size} bytes"):
        mvp.verify(b"k" * size, PAYLOAD, SIG42)


@pytest.mark.parametrize("sig", [b"", SIG42[:31], SIG42 + b"\0", SIG42[:16], bytes(32), bytes(64)])
def test_wrong_signatures_are_false(sig):
    assert mvp.verify(KEY42, PAYLOAD, sig) is False


def test_other_key_is_false():
    assert mvp.verify(mvp.keygen(43), PAYLOAD, SIG42) is False
