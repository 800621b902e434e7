"""The suite runs against the installed wheel, which carries its stubs and py.typed."""

from __future__ import annotations

from pathlib import Path

import kvcsi
from conftest import REPO


def test_imported_from_the_installed_wheel() -> None:
    package = Path(kvcsi.__file__).resolve().parent
    assert REPO / "bindings-python" / "python" not in package.parents and package != REPO / "bindings-python" / "python" / "kvcsi"
    assert "site-packages" in package.parts


def test_native_module_is_private_and_abi3() -> None:
    native = Path(kvcsi._kvcsi.__file__)
    assert native.parent == Path(kvcsi.__file__).parent
    assert native.name.startswith("_kvcsi.") and native.name.endswith(".abi3.so")
    assert kvcsi._kvcsi.__name__ == "kvcsi._kvcsi"


def test_typing_files_are_installed() -> None:
    package = Path(kvcsi.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_kvcsi.pyi").is_file()


def test_version_matches_the_crate() -> None:
    cargo = (REPO / "Cargo.toml").read_text()
    assert f'version = "{kvcsi.__version__}"' in cargo
