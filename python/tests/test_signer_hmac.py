"""tinywindow.Signer on the HMAC backend, and its bad-input handling."""

import os

import pytest

import tinywindow
import tinywindow_rust_encryption as mvp

KEY42_HEX = "7848b5d711bc9883996317a3f9c90269d56771005d540a19184939c9e8d0db2a"
SIG42 = bytes.fromhex("1666c07b7d59d0acf5ee5097dd8958ffcdcdbcd336d4205e47ee8a23344db8ff")
PAYLOAD = b"hello deterministic world"


@pytest.fixture
def signer():
    s = tinywindow.Signer("hmac:seed=42")
    yield s
    s.close()


def test_hmac_registered():
    schemes = {p.scheme: p for p in tinywindow.providers()}
    assert "hmac" in schemes
    assert schemes["hmac"].algorithms == ("HMAC-SHA256",)
    assert schemes["hmac"].keygen is True


def test_sign_matches_mvp(signer):
    sig = signer.sign(PAYLOAD)
    assert type(sig) is bytes and sig == SIG42
    assert sig == mvp.sign(mvp.keygen(42), PAYLOAD)
    assert signer.verify(PAYLOAD, sig) is True
    assert signer.verify(PAYLOAD + b"!", sig) is False
    assert signer.verify(PAYLOAD, sig[:31]) is False
    assert signer.verify(PAYLOAD, b"") is False


@pytest.mark.parametrize("size", [0, 1, 1024, 1 << 20])
def test_sizes(signer, size):
    payload = os.urandom(size)
    sig = signer.sign(payload)
    assert sig == mvp.sign(mvp.keygen(42), payload)
    assert signer.verify(payload, sig) is True


def test_key_info(signer):
    info = signer.key_info()
    assert isinstance(info, tinywindow.KeyInfo)
    assert info.algorithm == "HMAC-SHA256"
    assert info.backend == "hmac"
    assert info.id.startswith("hmac-") and KEY42_HEX.find(info.id[5:]) < 0
    assert info.deterministic is True
    assert tinywindow.Signer("hmac:seed=43").key_info().id != info.id


def test_public_key_unsupported_for_hmac(signer):
    with pytest.raises(tinywindow.UnsupportedError, match="no public key"):
        signer.public_key()


def test_key_source_env(monkeypatch):
    monkeypatch.setenv("TW_PY_TEST_HMAC_KEY", KEY42_HEX + "\n")
    with tinywindow.Signer("hmac:key-source=env:TW_PY_TEST_HMAC_KEY") as s:
        assert s.sign(PAYLOAD) == SIG42


def test_key_source_file(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY42_HEX + "\n")
    path.chmod(0o600)
    with tinywindow.Signer(f"hmac:key-source=file:{path}") as s:
        assert s.sign(PAYLOAD) == SIG42
    path.chmod(0o644)
    with pytest.raises(tinywindow.InvalidConfigError, match="chmod 600"):
        tinywindow.Signer(f"hmac:key-source=file:{path}")


@pytest.mark.parametrize("hexkey", ["ab" * 16, "ab" * 31, "a" * 63])
def test_wrong_key_length_from_source(monkeypatch, hexkey):
    monkeypatch.setenv("TW_PY_TEST_BAD_KEY", hexkey)
    with pytest.raises(tinywindow.InvalidConfigError) as e:
        tinywindow.Signer("hmac:key-source=env:TW_PY_TEST_BAD_KEY")
    assert "at least 32" in str(e.value) or "odd number" in str(e.value)
    assert hexkey not in str(e.value), "the error quotes the secret"


def test_context_manager_closes():
    with tinywindow.Signer("hmac:seed=1") as s:
        assert not s.closed
        s.sign(b"x")
    assert s.closed
    assert "closed" in repr(s)


CLOSED_CALLS = [
    ("sign", lambda s: s.sign(b"x")),
    ("verify", lambda s: s.verify(b"x", bytes(32))),
    ("public_key", lambda s: s.public_key()),
    ("key_info", lambda s: s.key_info()),
    ("enter", lambda s: s.__enter__()),
]


@pytest.mark.parametrize("name,call", CLOSED_CALLS, ids=[c[0] for c in CLOSED_CALLS])
def test_closed_signer(name, call):
    s = tinywindow.Signer("hmac:seed=1")
    s.close()
    s.close()  # idempotent
    with pytest.raises(tinywindow.ClosedError, match="Signer is closed"):
        call(s)
    with pytest.raises(ValueError):  # ClosedError is a ValueError, like I/O on a closed file
        call(s)


MALFORMED = [
    ("", "no scheme"),
    ("seed=42", "no scheme"),
    ("hmac", "no scheme"),
    ("HMAC:seed=42", "scheme"),
    ("nope:seed=42", "unknown scheme"),
    ("hmac:", "names no key"),
    ("hmac:seed", "no '='"),
    ("hmac:seed=42;;", "empty path attribute"),
    ("hmac:seed=42;seed=43", "more than once"),
    ("hmac:sead=42", 'unknown attribute "sead"'),
    ("hmac:seed=-1", "not a decimal integer"),
    ("hmac:seed=18446744073709551616", "out of range"),
    ("hmac:seed=4\x002", "percent-encode"),
    ("hmac:seed=%zz", "percent"),
    ("hmac:key-source=deadbeef", "env:NAME or file:PATH"),
    ("hmac:key-source=env:TW_PY_TEST_UNSET_VARIABLE", "is not set"),
    ("hmac:seed=1;key-source=env:X", "exactly one"),
    ("hmac:seed=" + "9" * 9000, "longer than"),
]


@pytest.mark.parametrize("uri,fragment", MALFORMED)
def test_malformed_uri(uri, fragment):
    with pytest.raises(tinywindow.InvalidConfigError) as e:
        tinywindow.Signer(uri)
    assert isinstance(e.value, ValueError)
    assert fragment in str(e.value)
    assert e.value.code == 5


def test_uri_not_unicode():
    with pytest.raises(tinywindow.InvalidConfigError, match="Unicode"):
        tinywindow.Signer("hmac:seed=\udc80")


@pytest.mark.parametrize("uri", [None, b"hmac:seed=42", 42, ["hmac:seed=42"]], ids=repr)
def test_uri_wrong_type(uri):
    with pytest.raises(TypeError, match="uri must be a str"):
        tinywindow.Signer(uri)


@pytest.mark.parametrize("bad", ["text", 42, None, [1, 2], 1.5], ids=repr)
def test_payload_wrong_type(signer, bad):
    with pytest.raises(TypeError, match="payload must be bytes"):
        signer.sign(bad)
    with pytest.raises(TypeError, match="payload must be bytes"):
        signer.verify(bad, SIG42)
    with pytest.raises(TypeError, match="sig must be bytes"):
        signer.verify(PAYLOAD, bad)


def test_bytes_like_payloads(signer):
    assert signer.sign(bytearray(PAYLOAD)) == SIG42
    assert signer.sign(memoryview(PAYLOAD)) == SIG42
    assert signer.verify(memoryview(PAYLOAD), bytearray(SIG42)) is True


def test_many_signers_open_and_close():
    for i in range(2000):
        with tinywindow.Signer(f"hmac:seed={i % 7}") as s:
            assert s.verify(b"m", s.sign(b"m"))


def test_garbage_collected_signer_is_closed():
    s = tinywindow.Signer("hmac:seed=5")
    s.__del__()
    assert s.closed


def test_library_found_without_environment(tmp_path):
    """The installed package loads its library from its own directory, with
    no LD_LIBRARY_PATH or other variable (PYTHONPATH only names where a
    throwaway install put the package)."""
    import subprocess
    import sys

    import tinywindow._native as native

    assert os.path.dirname(native._path) == os.path.dirname(tinywindow.__file__)
    env = {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}
    code = "import tinywindow_rust_encryption as m; print(m.keygen(42).hex())"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == KEY42_HEX


def test_random_uris_never_crash():
    """Arbitrary text as a URI gives a Signer or a TinyWindowError, nothing else."""
    import random

    rng = random.Random(1)
    alphabet = "hmacpqseed=key-source:env;?&%0123456789\x00\xff\u20ac/ "
    opened = 0
    for _ in range(3000):
        uri = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        try:
            s = tinywindow.Signer(uri)
        except tinywindow.TinyWindowError:
            continue
        opened += 1
        with s:
            assert s.verify(b"m", s.sign(b"m")) is True
    assert opened < 3000
