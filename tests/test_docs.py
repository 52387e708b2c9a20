"""docs/plugins.md must document every hook with its exact signature."""

import inspect
import pathlib

from solverkit import hookspecs

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def hook_signatures():
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("solverkit_"):
            sig = inspect.signature(fn)
            params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
            yield name, f"{name}({params}) -> {sig.return_annotation}"


def test_every_hook_documented_with_exact_signature():
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    signatures = dict(hook_signatures())
    assert len(signatures) == 5
    missing = [sig for sig in signatures.values() if sig not in text]
    assert not missing, "docs/plugins.md lacks these exact hook signatures:\n" + "\n".join(missing)


def test_every_hook_has_a_docstring():
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("solverkit_"):
            assert fn.__doc__ and "Parameters" in fn.__doc__, name
