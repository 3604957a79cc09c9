"""`workers` builds on `api`; `api` never imports `workers`, not even lazily."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).resolve().parent.parent / "api"


def test_api_never_imports_workers():
    offenders = []
    for path in API.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.startswith("workers.") else []
            offenders += [
                f"{path.relative_to(API.parent)}: {n}" for n in names if n.split(".")[0] == "workers"
            ]
    assert len(list(API.rglob("*.py"))) > 20
    assert offenders == []
