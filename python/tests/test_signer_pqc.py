"""tinywindow.Signer on the post-quantum backend (scheme pqc, ML-DSA).

These tests run when the shared library registers the pqc scheme (see
tinywindow.providers()). When it does not, they skip with the reason outside
CI and fail under CI=true.
"""

import os
import threading

import pytest

import tinywindow
from conftest import need

SEED_A = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
SEED_B = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"

# FIPS 204 signature and public key sizes.
SIZES = {"ML-DSA-44": (2420, 1312), "ML-DSA-65": (3309, 1952), "ML-DSA-87": (4627, 2592)}


@pytest.fixture(autouse=True)
def pqc_registered(monkeypatch):
    if "pqc" not in {p.scheme for p in tinywindow.providers()}:
        need(
            "the pqc backend in libtinywindow.so",
            "import providers/pqc in bindings/capi/backends.go and reinstall (python3 -m pip install ./python)",
        )
    monkeypatch.setenv("TW_PY_PQC_SEED_A", SEED_A)
    monkeypatch.setenv("TW_PY_PQC_SEED_B", SEED_B + "\n")


def uri(alg="ML-DSA-65", var="TW_PY_PQC_SEED_A"):
    return f"pqc:alg={alg};seed-source=env:{var}"


def test_providers_list_ml_dsa():
    pqc = {p.scheme: p for p in tinywindow.providers()}["pqc"]
    for alg in SIZES:
        assert alg in pqc.algorithms


@pytest.mark.parametrize("alg", sorted(SIZES))
def test_sign_verify(alg):
    sig_size, _ = SIZES[alg]
    with tinywindow.Signer(uri(alg)) as s:
        for payload in (b"", b"order 1", os.urandom(1 << 20)):
            sig = s.sign(payload)
            assert type(sig) is bytes and len(sig) == sig_size
            assert s.verify(payload, sig) is True
            assert s.verify(payload + b"!", sig) is False
            bad = bytearray(sig)
            bad[len(bad) // 2] ^= 1
            assert s.verify(payload, bytes(bad)) is False
            assert s.verify(payload, sig[:-1]) is False
        info = s.key_info()
        assert info.algorithm == alg
        assert info.backend == "pqc"
        assert info.id


@pytest.mark.parametrize("alg", sorted(SIZES))
def test_public_key(alg):
    with tinywindow.Signer(uri(alg)) as s, tinywindow.Signer(uri(alg)) as again:
        pem = s.public_key()
        assert type(pem) is bytes
        assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
        assert pem.rstrip().endswith(b"-----END PUBLIC KEY-----")
        assert again.public_key() == pem, "the same seed gave another public key"
        assert again.key_info().id == s.key_info().id


def test_other_key_rejects():
    with tinywindow.Signer(uri()) as a, tinywindow.Signer(uri(var="TW_PY_PQC_SEED_B")) as b:
        assert a.public_key() != b.public_key()
        sig = a.sign(b"order")
        assert b.verify(b"order", sig) is False


def test_closed():
    s = tinywindow.Signer(uri())
    s.close()
    with pytest.raises(tinywindow.ClosedError):
        s.sign(b"x")
    with pytest.raises(tinywindow.ClosedError):
        s.public_key()


@pytest.mark.parametrize(
    "value,fragment",
    [("ab" * 31, "64 hex digits"), ("ab" * 33, "64 hex digits"), ("zz" * 32, "hex"), ("a" * 63, "odd number")],
)
def test_bad_seed(monkeypatch, value, fragment):
    monkeypatch.setenv("TW_PY_PQC_BAD", value)
    with pytest.raises(tinywindow.InvalidConfigError) as e:
        tinywindow.Signer(uri(var="TW_PY_PQC_BAD"))
    assert fragment in str(e.value)
    assert value not in str(e.value), "the error quotes the secret"


@pytest.mark.parametrize(
    "bad_uri,fragment",
    [
        ("pqc:alg=ML-DSA-65", "names no key"),
        ("pqc:alg=ML-DSA-66;seed-source=env:TW_PY_PQC_SEED_A", "ML-DSA-66"),
        ("pqc:alg=ML-DSA-65;seed-source=env:TW_PY_PQC_SEED_A;colour=red", 'unknown attribute "colour"'),
    ],
)
def test_malformed_pqc_uri(bad_uri, fragment):
    with pytest.raises(tinywindow.TinyWindowError) as e:
        tinywindow.Signer(bad_uri)
    assert fragment in str(e.value)


def test_threads_share_a_pqc_signer():
    errors = []
    with tinywindow.Signer(uri("ML-DSA-44")) as s:

        def work(n):
            try:
                for i in range(20):
                    msg = b"order %d %d" % (n, i)
                    if not s.verify(msg, s.sign(msg)):
                        errors.append(f"thread {n}: own signature rejected")
            except Exception as e:  # reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
