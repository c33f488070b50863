"""tinywindow.Signer on the PEM key-file backend (scheme pem).

The key is RFC 8032's first Ed25519 test key (providers/pem/testdata), so the
signature of the empty message is the RFC's. These tests run when the shared
library registers the pem scheme; when it does not, they skip with the reason
outside CI and fail under CI=true.
"""

import os
import shutil

import pytest

import tinywindow
from conftest import REPO, need

KEY = REPO / "providers" / "pem" / "testdata" / "rfc8032-test1.pem"
RFC8032_TEST1_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
RFC8032_TEST1_PUB_PEM = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"


@pytest.fixture
def key_uri(tmp_path):
    if "pem" not in {p.scheme for p in tinywindow.providers()}:
        need(
            "the pem backend in libtinywindow.so",
            "import providers/pem in bindings/capi/backends.go and reinstall (python3 -m pip install ./python)",
        )
    path = tmp_path / "key.pem"
    shutil.copyfile(KEY, path)
    os.chmod(path, 0o600)
    return f"pem:key-source=file:{path}"


def test_known_answer(key_uri):
    with tinywindow.Signer(key_uri) as s:
        assert s.sign(b"") == RFC8032_TEST1_SIG
        assert s.verify(b"", RFC8032_TEST1_SIG) is True
        assert s.verify(b"x", RFC8032_TEST1_SIG) is False
        assert s.public_key() == RFC8032_TEST1_PUB_PEM
        info = s.key_info()
        assert info.algorithm == "Ed25519"
        assert info.backend == "pem"


def test_group_readable_key_refused(key_uri):
    path = key_uri.split("file:", 1)[1]
    os.chmod(path, 0o640)
    with pytest.raises(tinywindow.InvalidConfigError) as e:
        tinywindow.Signer(key_uri)
    assert "chmod 600" in str(e.value)
