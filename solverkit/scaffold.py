"""``solverkit new-plugin NAME``: render the plugin template into a new folder."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["render"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def render(name: str, directory: str | Path = ".") -> Path:
    """Create ``directory/solverkit-NAME`` from the template and return its path.

    Parameters
    ----------
    name : str
        Plugin and solver name: lowercase letters and digits, words joined by
        ``-`` (e.g. ``my-solver``); the package becomes ``solverkit_my_solver``.
    directory : path
        Parent folder; the target must not exist yet.
    """
    if not _NAME.match(name):
        raise ValueError(f"plugin name {name!r} must be lowercase letters/digits joined by '-', "
                         "e.g. 'my-solver'")
    package = "solverkit_" + name.replace("-", "_")
    target = Path(directory) / f"solverkit-{name}"
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose another name or --dir")
    values = {"name": name, "package": package}
    root = resources.files("solverkit") / "template" / "files"
    for parts, src in _walk(root):
        rel = Path(*(part.replace("PACKAGE", package) for part in parts))
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(string.Template(src.read_text(encoding="utf-8")).substitute(values),
                       encoding="utf-8")
    return target


def _walk(
    node: Traversable, parts: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Traversable]]:
    """(relative path parts, file) for every template file."""
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        if child.is_dir():
            yield from _walk(child, (*parts, child.name))
        else:
            yield (*parts, child.name), child
