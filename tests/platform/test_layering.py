"""The dependency table of `api`: which part may import which, enforced on the source.

Every `import` in `api/` is found by walking the AST (imports inside functions and under
`if TYPE_CHECKING:` included) and mapped to a *unit*: a domain package (`api/incidents/…` is
`incidents`), a bottom module (`api/db.py` is `db`), `routes` for every HTTP face
(`api/<domain>/routes.py` and `api/health.py`), or `main` for the composition root
(`api/main.py`, `api/demo.py`, `api/models.py`). The layers, top to bottom (README, Layout);
inside a row a unit may import only those to its left:

    routes main                       (and `workers`, outside `api`, on top of everything)
    flows
    rota paging support handover places referrals search hubs
    triage people incidents monitoring partners reports
    audit jobs events auth teams
    platform db errors settings migrations deps

The tests fail on an import the table does not list, on a cycle (in the table or in the
code), on an edge of the table that points up or right, and on any import inside a function.
`workers` builds on `api`; `api` never imports `workers`, not even lazily.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"

# Bottom to top; inside a layer, a unit may import only those before it (as the README draws).
LAYERS: list[list[str]] = [
    ["platform", "db", "errors", "settings", "migrations", "deps", "textinput", "timewindows"],
    ["audit", "jobs", "events", "auth", "teams"],
    ["triage", "people", "incidents", "monitoring", "partners", "reports"],
    ["rota", "paging", "support", "handover", "places", "referrals", "search", "hubs"],
    ["flows"],
    ["routes", "main"],
    # Retention reaches every table (it loads them all to follow foreign keys); only the
    # worker and the CLI (outside api) call it.
    ["retention"],
]

CORE = {"db", "errors", "settings", "platform", "textinput", "timewindows"}

# unit -> the units it may import. Inside a layer the order is the table's (no cycles).
ALLOWED: dict[str, set[str]] = {
    "db": set(),
    "errors": set(),
    "settings": set(),
    "platform": set(),
    "migrations": set(),
    "deps": {"db", "settings"},
    "textinput": set(),
    "timewindows": {"settings"},
    "audit": CORE,
    "jobs": CORE,
    "events": CORE,
    "auth": CORE | {"deps", "audit"},
    "teams": CORE | {"auth"},
    "triage": CORE,
    "people": CORE | {"auth"},
    "incidents": CORE | {"deps", "audit", "auth", "events", "teams", "triage", "people"},
    "partners": CORE | {"audit", "auth", "teams"},
    "monitoring": CORE,
    # The partnership reports' shapes, tables and CSV (their queries are in flows).
    "reports": CORE | {"people", "monitoring"},
    "rota": CORE | {"deps", "auth", "teams"},
    "paging": CORE | {"deps", "audit", "auth", "events", "jobs", "teams", "incidents", "rota"},
    "support": CORE | {"deps", "audit", "auth", "events", "incidents", "paging"},
    "handover": CORE
    | {"deps", "audit", "auth", "events", "jobs", "teams", "triage", "people", "incidents"}
    | {"rota", "paging", "support"},
    # Places and the people seen at incidents: they link to incidents and young people; a
    # strategy meeting's review date is a clock of handover's rules (and its London dates).
    "places": CORE | {"deps", "audit", "auth", "teams", "triage", "people", "incidents", "rota", "handover"},
    # The referral to the front door: made from an incident, its clock and the NRM action are
    # handover's, its PDF is set by handover's machinery.
    "referrals": CORE
    | {"deps", "audit", "auth", "events", "teams", "triage", "people", "incidents", "rota", "handover"},
    "search": CORE | {"audit", "auth", "teams", "triage", "people", "incidents", "places"},
    # Hub meetings' decisions: each starts a handover clock; the pack (a flow) reads them.
    "hubs": CORE
    | {"deps", "audit", "auth", "teams", "triage", "people", "incidents", "rota", "handover", "places"},
    "flows": CORE
    | {"audit", "auth", "events", "jobs", "teams", "triage", "people", "incidents", "monitoring"}
    | {"partners", "reports", "rota", "paging", "support", "handover", "places", "referrals", "hubs"},
    "routes": {unit for layer in LAYERS[:-2] for unit in layer} | {"migrations"},
    "main": {unit for layer in LAYERS[:-1] for unit in layer} - {"main"},
    "retention": {unit for layer in LAYERS[:-1] for unit in layer} - {"routes"},
}


def unit_of(module: str) -> str | None:
    """The unit of a dotted module name inside `api` (None outside it, and for `api` itself)."""
    parts = module.split(".")
    if parts[0] != "api" or len(parts) == 1:
        return None
    if parts[1] == "health" or (len(parts) > 2 and parts[2] == "routes"):
        return "routes"
    if parts[1] in {"main", "demo", "models"}:
        return "main"
    return parts[1]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(API.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    path = API.parent.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").exists()


def imports_in(source: str, module: str, is_package: bool = False) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function or class) for every import in `source`.

    `from a.b import c` counts as `a.b.c` when that is a module or package, else as `a.b`.
    """
    found: list[tuple[str, int, bool]] = []
    package = module.split(".") if is_package else module.split(".")[:-1]

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package[: len(package) - child.level + 1] + ([base] if base else []))
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    found.append((full if _is_module(full) else base, child.lineno, inner))
            visit(child, inner)

    visit(ast.parse(source), False)
    return found


@cache
def _imports(path: Path) -> list[tuple[str, int, bool]]:
    return imports_in(path.read_text(), _module_name(path), path.name == "__init__.py")


@cache
def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(API.rglob("*.py")):
        source = unit_of(_module_name(path))
        for module, line, _ in _imports(path):
            target = unit_of(module)
            if target is not None and target != source:
                edges[(source, target)].append(f"{path.relative_to(API.parent)}:{line} {module}")
    return edges


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_every_api_unit_is_in_the_table():
    units = {unit_of(_module_name(p)) for p in API.rglob("*.py") if p != API / "__init__.py"}
    assert units <= set(ALLOWED), sorted(units - set(ALLOWED))
    assert {u for layer in LAYERS for u in layer} == set(ALLOWED)


def test_imports_follow_the_dependency_table():
    edges = _edges()
    assert len(edges) > 40  # the walk found the imports
    outside = [
        f"{source} -> {target}: {where}"
        for (source, target), places in sorted(edges.items())
        if target not in ALLOWED[source]
        for where in places
    ]
    assert outside == []


def test_no_package_cycle_in_the_code_or_the_table():
    code: dict[str, set[str]] = defaultdict(set)
    for source, target in _edges():
        code[source].add(target)
    assert _cycle(code) is None
    assert _cycle(ALLOWED) is None


def test_the_table_only_points_down_or_left():
    place = {unit: (i, j) for i, layer in enumerate(LAYERS) for j, unit in enumerate(layer)}
    upwards = [(s, t) for s, targets in ALLOWED.items() for t in targets if place[t] >= place[s]]
    assert upwards == []


def test_no_import_inside_a_function_or_class():
    nested = [
        f"{path.relative_to(API.parent)}:{line} {module}"
        for path in sorted(API.rglob("*.py"))
        for module, line, inner in _imports(path)
        if inner
    ]
    assert nested == []


def test_the_walk_sees_function_level_and_type_checking_imports():
    sample = (
        "from typing import TYPE_CHECKING\n"
        "from api import flows\n"
        "if TYPE_CHECKING:\n    from api.flows import intake\n"
        "def f():\n    from api.paging import service\n"
        "class C:\n    from .models import Page\n"
    )
    found = imports_in(sample, "api.incidents.service")
    assert ("api.flows", 2, False) in found
    assert ("api.flows.intake", 4, False) in found
    assert ("api.paging.service", 6, True) in found
    assert ("api.incidents.models", 8, True) in found
    assert unit_of("api.incidents.routes") == "routes" and unit_of("api.flows.intake") == "flows"
    assert unit_of("api.health") == "routes" and unit_of("api.db") == "db" and unit_of("api") is None
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


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
