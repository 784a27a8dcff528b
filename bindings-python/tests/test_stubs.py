"""The type stubs (_native.pyi) match the built module: same public names, same members, same
parameter names; and every public item has a docstring."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from custfit import _native

STUB = Path(_native.__file__).with_name("_native.pyi")
if not STUB.exists():  # editable installs keep the stub next to the sources
    STUB = Path(__file__).resolve().parents[1] / "python" / "custfit" / "_native.pyi"

TREE = ast.parse(STUB.read_text())


def is_stub_only(node: ast.stmt) -> bool:
    """TypedDicts and type aliases exist only for type checkers."""
    if isinstance(node, ast.ClassDef):
        return any(isinstance(b, ast.Name) and b.id == "TypedDict" for b in node.bases)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.annotation, ast.Name) and node.annotation.id == "TypeAlias"
    return False


def stub_names() -> dict[str, ast.stmt]:
    out = {}
    for node in TREE.body:
        if is_stub_only(node):
            continue
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            out[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node
    return out


STUBS = stub_names()
CLASSES = [n for n, node in STUBS.items() if isinstance(node, ast.ClassDef)]
FUNCTIONS = [n for n, node in STUBS.items() if isinstance(node, ast.FunctionDef)]


def test_module_names_match():
    runtime = {n for n in dir(_native) if not n.startswith("_")} | {"__version__"}
    assert set(STUBS) == runtime
    all_node = next(n for n in TREE.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__")
    assert set(ast.literal_eval(all_node.value)) == set(_native.__all__) == runtime


def members(node: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {m.name: m for m in node.body if isinstance(m, ast.FunctionDef)}


@pytest.mark.parametrize("name", CLASSES)
def test_class_members_match(name):
    cls = getattr(_native, name)
    stub = members(STUBS[name])
    if issubclass(cls, BaseException):
        return  # attributes are declared as annotations; checked in test_error.py
    runtime = {m for m in vars(cls) if not m.startswith("_")}
    assert {m for m in stub if not m.startswith("_")} == runtime
    for m in stub:
        if m.startswith("__") and m != "__init__":
            assert hasattr(cls, m), f"{name}.{m} is in the stub but not the module"


def params(node: ast.FunctionDef) -> list[str]:
    a = node.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    return [n for n in names if n != "self"]


def runtime_params(obj) -> list[str]:
    return [p for p in inspect.signature(obj).parameters if p != "self"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_signatures_match(name):
    assert params(STUBS[name]) == runtime_params(getattr(_native, name))
    assert getattr(_native, name).__doc__


@pytest.mark.parametrize("name", [c for c in CLASSES if not c.endswith("Error")])
def test_method_signatures_and_docs(name):
    cls = getattr(_native, name)
    assert cls.__doc__
    for m, node in members(STUBS[name]).items():
        attr = inspect.getattr_static(cls, m)
        if m.startswith("__"):
            continue
        assert attr.__doc__, f"{name}.{m} has no docstring"
        is_property = any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list)
        if is_property:
            assert not callable(attr) or hasattr(attr, "__get__"), f"{name}.{m} should be a property"
            continue
        assert params(node) == runtime_params(getattr(cls, m)), f"{name}.{m}"
