"""tinywindow.Verifier: verifying with nothing but a public key.

The public key is RFC 8032's first Ed25519 test key, given as a PEM file of
mode 0644 (a public key needs no 0600), so the signature of the empty
message is the RFC's. A Verifier opened from the public key that a Signer
exports verifies that Signer's signatures and refuses altered ones.
"""

import os
import shutil

import pytest

import tinywindow
from conftest import REPO, need

RFC8032_TEST1_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
RFC8032_TEST1_PUB_PEM = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"


@pytest.fixture
def pem_backend():
    if "pem" not in {p.scheme for p in tinywindow.providers()}:
        need(
            "the pem backend in libtinywindow.so",
            "import providers/pem in bindings/capi/backends.go and reinstall (python3 -m pip install ./python)",
        )


def test_public_key_file(pem_backend, tmp_path):
    pub = tmp_path / "pub.pem"
    pub.write_bytes(RFC8032_TEST1_PUB_PEM)
    os.chmod(pub, 0o644)
    with tinywindow.Verifier(f"pem:pub-source=file:{pub}") as v:
        assert v.verify(b"", RFC8032_TEST1_SIG) is True
        assert v.verify(b"x", RFC8032_TEST1_SIG) is False
        assert v.verify(b"", RFC8032_TEST1_SIG[:-1] + bytes([RFC8032_TEST1_SIG[-1] ^ 1])) is False
        assert v.public_key() == RFC8032_TEST1_PUB_PEM
        assert v.key_info().algorithm == "Ed25519"
        assert not hasattr(v, "sign")
    assert v.closed
    with pytest.raises(tinywindow.ClosedError, match="Verifier is closed"):
        v.verify(b"", RFC8032_TEST1_SIG)


def test_round_trip_from_signer(pem_backend, tmp_path):
    key = tmp_path / "key.pem"
    shutil.copyfile(REPO / "providers" / "pem" / "testdata" / "rfc8032-test1.pem", key)
    os.chmod(key, 0o600)
    with tinywindow.Signer(f"pem:key-source=file:{key}") as s:
        sig = s.sign(b"order 1")
        pub = tmp_path / "key.pub.pem"
        pub.write_bytes(s.public_key())
        info = s.key_info()
    with tinywindow.Verifier(f"pem:pub-source=file:{pub}") as v:
        assert v.key_info().id == info.id
        assert v.verify(b"order 1", sig) is True
        assert v.verify(b"order 2", sig) is False


def test_private_key_is_not_a_public_key(pem_backend, tmp_path):
    key = tmp_path / "key.pem"
    shutil.copyfile(REPO / "providers" / "pem" / "testdata" / "rfc8032-test1.pem", key)
    os.chmod(key, 0o600)
    with pytest.raises(tinywindow.InvalidConfigError):
        tinywindow.Verifier(f"pem:pub-source=file:{key}")
