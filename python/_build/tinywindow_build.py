"""PEP 517 build backend for the tinywindow Python package.

It builds the Go shared library from ../bindings/capi with
``go build -buildmode=c-shared`` and writes a wheel holding the pure-Python
modules from src/ and the library inside the ``tinywindow`` package, where the
package finds it without any environment variable. It uses only the standard
library, so pip needs nothing from a package index to run it.

The wheel's platform tag is a PEP 600 ``manylinux_2_Y_ARCH`` tag read off the
built library by ``bindings/manylinux`` (the glibc symbol versions and the
libraries it needs); a library that needs more than any manylinux tag allows
fails the build.

Environment (all optional): ``GO`` names the go command (default: ``go`` on
PATH, then /usr/local/go/bin/go); ``TINYWINDOW_CLOUD=1`` links the cloud KMS
backends (awskms, azurekv, gcpkms, vault), left out by default; the usual Go
variables (GOFLAGS, GOCACHE...) apply to the build.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

NAME = "tinywindow"
VERSION = "0.1.0"
SUMMARY = "TinyWindow signing for Python: every TinyWindow backend, and a drop-in tinywindow_rust_encryption"
GO_MODULE = "github.com/tinywindow/tinywindow"
LIBRARY = "libtinywindow.so"

HERE = Path(__file__).resolve().parent
PYTHON_DIR = HERE.parent
SRC = PYTHON_DIR / "src"
REPO = PYTHON_DIR.parent

# Zip entries get a fixed date so that two builds of one tree are identical.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def _go():
    go = os.environ.get("GO") or shutil.which("go")
    if not go and os.access("/usr/local/go/bin/go", os.X_OK):
        go = "/usr/local/go/bin/go"
    if not go:
        raise RuntimeError(
            "tinywindow: the Go toolchain is needed to build the shared library, and no `go` "
            "command was found; install Go (https://go.dev/dl/) or set GO=/path/to/go"
        )
    return go


def _check_tree():
    gomod = REPO / "go.mod"
    try:
        first = gomod.read_text().splitlines()[0]
    except (OSError, IndexError):
        first = ""
    if first.strip() != "module " + GO_MODULE:
        raise RuntimeError(
            f"tinywindow: {gomod} is not the go.mod of {GO_MODULE}; build the package from "
            "the python/ directory of a TinyWindow checkout (python3 -m pip install ./python)"
        )


def _build_library(out_dir):
    _check_tree()
    lib = Path(out_dir) / LIBRARY
    env = dict(os.environ, CGO_ENABLED="1")
    # -buildvcs=false: the build must not depend on git being present or
    # on who owns the checkout.
    tags = ["-tags=twcloud"] if os.environ.get("TINYWINDOW_CLOUD") == "1" else []
    cmd = [_go(), "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-ldflags=-s -w",
           *tags, "-o", str(lib), "./bindings/capi"]
    print("tinywindow: " + " ".join(cmd), file=sys.stderr, flush=True)
    try:
        subprocess.run(cmd, cwd=REPO, env=env, check=True)
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"tinywindow: go build failed with exit status {e.returncode} (output above)") from e
    return lib


def _platform_tag(lib):
    """The manylinux tag of the built library, from bindings/manylinux."""
    cmd = [_go(), "run", "-buildvcs=false", "./bindings/manylinux", str(lib)]
    try:
        out = subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True).stdout
    except subprocess.CalledProcessError as e:
        raise RuntimeError(
            f"tinywindow: the library cannot carry a manylinux tag (exit status {e.returncode}, reason above)"
        ) from e
    return out.strip()


def _metadata():
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {VERSION}\n"
        f"Summary: {SUMMARY}\n"
        "Requires-Python: >=3.8\n"
    )


def _wheel_file(tag):
    return (
        "Wheel-Version: 1.0\n"
        f"Generator: tinywindow_build {VERSION}\n"
        "Root-Is-Purelib: false\n"
        f"Tag: {tag}\n"
    )


def _sources():
    """(archive name, path) of every file of the packages under src/."""
    out = []
    for path in sorted(SRC.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix in (".pyc", ".so", ".h"):
            continue
        out.append((path.relative_to(SRC).as_posix(), path))
    return out


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist_info = f"{NAME}-{VERSION}.dist-info"
    with tempfile.TemporaryDirectory(prefix="tinywindow-build-") as tmp:
        lib = _build_library(tmp)
        tag = f"py3-none-{_platform_tag(lib)}"
        wheel_name = f"{NAME}-{VERSION}-{tag}.whl"
        entries = [(name, path.read_bytes(), 0o644) for name, path in _sources()]
        entries.append((f"{NAME}/{LIBRARY}", lib.read_bytes(), 0o755))
        entries.append((f"{dist_info}/METADATA", _metadata().encode(), 0o644))
        entries.append((f"{dist_info}/WHEEL", _wheel_file(tag).encode(), 0o644))
        entries.append((f"{dist_info}/top_level.txt", b"tinywindow\ntinywindow_rust_encryption\n", 0o644))
        record = [_record_line(name, data) for name, data, _ in entries]
        record.append(f"{dist_info}/RECORD,,")
        entries.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), 0o644))
        os.makedirs(wheel_directory, exist_ok=True)
        target = Path(wheel_directory) / wheel_name
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data, mode in entries:
                info = zipfile.ZipInfo(name, date_time=_EPOCH)
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    return wheel_name
