"""Layering read from the source with `ast`: only the store speaks SQL, and the store imports
nothing above it (so the old store -> privacy -> ingest -> store cycle cannot come back)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "epitrace"

SQL_ALLOWED: set[str] = set()
"""Modules outside store/ still allowed to import SQLAlchemy (path under src/epitrace). It held
the files other owners were converting (api/queries.py, cli/sightings_cmd.py, ingest/stream.py,
ingest/segments.py, cli/demo_cmd.py); all of them were converted, so it is empty and must stay so.
A file listed here that no longer imports SQLAlchemy fails the test too."""

ABOVE_STORE = ("privacy", "tracing", "contacts", "ingest", "app", "api", "cli", "web", "reports",
               "evaluation", "media", "vision", "tracking")
"""Packages the store must never import (it may use `config`, `geometry` and itself)."""


def _imports(path: Path) -> set[str]:
    """Every module name `path` imports, at any depth (function-local and TYPE_CHECKING too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules() -> dict[str, set[str]]:
    return {p.relative_to(SRC).as_posix(): _imports(p) for p in sorted(SRC.rglob("*.py"))}


def test_the_walk_sees_the_store_speak_sql() -> None:
    """The check below can fail: the walk finds SQLAlchemy where it is known to be imported."""
    modules = _modules()
    assert "sqlalchemy.orm" in modules["store/repo.py"]
    assert any(n.startswith("sqlalchemy") for n in modules["store/db.py"])


def test_only_the_store_imports_sqlalchemy() -> None:
    offenders = sorted(
        path for path, names in _modules().items()
        if not path.startswith("store/") and any(n == "sqlalchemy" or n.startswith("sqlalchemy.") for n in names)
    )
    assert [p for p in offenders if p not in SQL_ALLOWED] == []
    assert sorted(SQL_ALLOWED - set(offenders)) == [], "converted: remove these from SQL_ALLOWED"


def _package(module: str) -> str | None:
    """`privacy` for `epitrace.privacy.users`; None outside epitrace."""
    parts = module.split(".")
    return parts[1] if parts[0] == "epitrace" and len(parts) > 1 else None


def test_the_store_imports_nothing_above_it() -> None:
    edges = sorted((path, name) for path, names in _modules().items() if path.startswith("store/")
                   for name in names if _package(name) in ABOVE_STORE)
    assert edges == []


def test_privacy_is_not_imported_by_the_store_at_run_time() -> None:
    """Importing the store (and its migrations' tables) loads no module of `privacy`."""
    import subprocess
    import sys

    code = ("import sys, epitrace.store, epitrace.store.orm_access, epitrace.store.cases; "
            "print(sorted(m for m in sys.modules if m.startswith(('epitrace.privacy', 'epitrace.ingest'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_front_ends_go_through_the_application_layer() -> None:
    """No module of cli/, api/ or web/ imports the store: they parse, call `epitrace.app`, format."""
    offenders = sorted(
        (path, name) for path, names in _modules().items()
        if path.split("/")[0] in ("cli", "api", "web") for name in names
        if name == "epitrace.store" or name.startswith("epitrace.store.")
    )
    assert offenders == []
    assert any(n.startswith("epitrace.app") for n in _modules()["cli/case_cmd.py"])  # the walk sees imports
