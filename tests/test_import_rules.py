"""The layout's dependency rules, read from the source with `ast` (docs/architecture.md draws them).

Every import counts, including those under `TYPE_CHECKING` and inside functions: a rule that only held at
import time would still let the packages grow into each other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PACKAGES = ("tasks", "flows", "deployments", "sandbox", "bench")
CLIENTS = ("tasks.shopify", "tasks.hubspot")
STORE, RULES, CONTACTS = "tasks.store", "tasks.rules", "tasks.contacts"
SYNC, RECONCILE, SETUP = "tasks.sync", "tasks.reconcile", "tasks.setup"
PRIVACY = "tasks.privacy"
CAPABILITIES = (STORE, RULES, CONTACTS, SYNC, RECONCILE, SETUP, PRIVACY)
SHARED = (
    "tasks.errors",
    "tasks.settings",
    "tasks.retry",
    "tasks.rate_budget",
    "tasks.runtime",
    "tasks.credentials",
)
ENTRY_POINTS = ("flows", "deployments", "sandbox", "bench", "tests")

# (importer, imported, why): no module under `importer` may import one under `imported`.
FORBIDDEN: list[tuple[str, str, str]] = [
    *((client, "prefect", "clients know no orchestration") for client in CLIENTS),
    *(
        (client, other, "clients use only tasks.errors and tasks.retry")
        for client in CLIENTS
        for other in (*CAPABILITIES, *SHARED)
        if other not in ("tasks.errors", "tasks.retry")
    ),
    ("tasks.shopify", "tasks.hubspot", "one client per API"),
    ("tasks.hubspot", "tasks.shopify", "one client per API"),
    *((RULES, lib, "rules are pure Polars") for lib in ("prefect", "httpx", "sqlalchemy")),
    *((RULES, other, "rules are pure Polars") for other in (*CLIENTS, *CAPABILITIES) if other != RULES),
    (STORE, "prefect", "the store is plain SQLAlchemy"),
    *((STORE, other, "the store only keeps data") for other in CAPABILITIES if other != STORE),
    (CONTACTS, "prefect", "the shared contact pieces are plain functions"),
    *(
        (CONTACTS, other, "sync and reconcile share contacts, not the reverse")
        for other in (STORE, SYNC, RECONCILE, SETUP, PRIVACY)
    ),
    *(
        (PRIVACY, other, "privacy uses the store, the contacts and HubSpot, never another capability's flow")
        for other in (SYNC, RECONCILE, SETUP)
    ),
    *(
        (other, PRIVACY, "sync and reconcile consult the store's redacted customers, not the privacy package")
        for other in (SYNC, RECONCILE, SETUP)
    ),
    (PRIVACY, "tasks.shopify.client", "a privacy request carries what it needs: no Shopify reads"),
    (SYNC, RECONCILE, "sync and reconcile meet only in tasks.contacts"),
    (RECONCILE, SYNC, "sync and reconcile meet only in tasks.contacts"),
    *(
        (shared, cap, "shared modules sit below the capabilities")
        for shared in SHARED
        for cap in (CONTACTS, SYNC, RECONCILE, SETUP, PRIVACY)
    ),
    *(("tasks", entry, "tasks never reach up into what starts them") for entry in ENTRY_POINTS),
    *(("flows", lib, "flows only compose tasks") for lib in ("httpx", "polars", "sqlalchemy", "deployments")),
    *(
        ("sandbox", ours, "the sandbox is an independent stand-in")
        for ours in ("tasks", "flows", "deployments")
    ),
]
# The one sanctioned crossing: a sandbox portal seeded "as shopsync left it" needs shopsync's own property
# definitions (plain pydantic, no Prefect). The oracle, sandbox/expected.py, stays independent.
ALLOWED = {
    ("sandbox.hubspot.shopsync_schema", "tasks.rules.config"),
    ("sandbox.hubspot.shopsync_schema", "tasks.setup.hubspot_properties"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
    }


def _imported_names(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


@cache
def _imports() -> dict[str, frozenset[str]]:
    return {name: frozenset(_imported_names(path)) for name, path in _modules().items()}


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(importer: str, imported: str) -> list[str]:
    return [
        f"{module} imports {target}"
        for module, targets in _imports().items()
        if _under(module, importer)
        for target in sorted(targets)
        if _under(target, imported)
        and not any(_under(target, allowed) for m, allowed in ALLOWED if m == module)
    ]


@pytest.mark.parametrize(("importer", "imported", "why"), FORBIDDEN, ids=lambda v: str(v))
def test_dependency_rule(importer: str, imported: str, why: str) -> None:
    """No module of a layer imports what the layer must not see."""
    assert _violations(importer, imported) == [], why


def test_top_of_tasks_holds_only_the_shared_modules() -> None:
    """Behaviour lives in capability packages; the top of tasks/ keeps what every part uses."""
    top = {p.stem for p in (REPO_ROOT / "tasks").glob("*.py")} - {"__init__"}
    assert {f"tasks.{name}" for name in top} <= set(SHARED)


def test_package_inits_hold_no_logic() -> None:
    """An `__init__.py` is a docstring at most, so a module's code is where its name says."""
    inits = [path for path in _modules().values() if path.name == "__init__.py"]
    with_code = [
        str(path.relative_to(REPO_ROOT))
        for path in inits
        if any(not isinstance(node, ast.Expr) for node in ast.parse(path.read_text()).body)
    ]
    assert with_code == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                on_stack.discard(member)
                component.append(member)
            on_stack.discard(node)
            if component:
                found.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_anywhere() -> None:
    """Modules of the project import each other one way only."""
    modules = _modules()
    graph = {name: {target for target in _imports()[name] if target in modules} for name in modules}
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    """The check above can fail: a three-module loop is reported as one component."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
