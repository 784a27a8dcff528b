"""The export manifest (tests/exports.json): Python exports exactly the listed names, with the
TypedDicts of the shared result types; the Rust and Node suites check the same file."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import custfit
import custfit.types

MANIFEST = json.loads((Path(__file__).resolve().parents[2] / "tests" / "exports.json").read_text())


def test_exports_are_the_manifest():
    listed = set(MANIFEST["classes"]) | {py for py, _ in MANIFEST["functions"]} | set(MANIFEST["python_only"])
    exported = {n for n in custfit.__all__ if not n.startswith("__")}
    assert exported == listed, f"not in the manifest: {exported - listed}; missing: {listed - exported}"
    for name in listed:
        assert hasattr(custfit, name), name


def test_result_types_are_the_manifest():
    typed = set(custfit.types.__all__)
    assert {n for n, v in vars(custfit.types).items() if typing.is_typeddict(v)} <= typed
    listed = set(MANIFEST["types"]) | set(MANIFEST["binding_types"]) | set(MANIFEST["python_only_types"])
    assert typed == listed, f"not in the manifest: {typed - listed}; missing: {listed - typed}"
