"""What users typed is printed as typed by the CLI, never read as Rich markup.

As found (AUDIT, 2026-12-06): `audit show` escaped its cells, but every other table (cases,
cameras, sightings, contacts, users) and several messages passed user text to Rich, which reads
"[link=...]", "[conceal]" or "[/]" as markup. A camera named "[conceal]Ward 7[/conceal] Gate"
showed as "Gate" in an operator's list; an unmatched "[/x]" crashed the command.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epitrace.cli.main import app
from epitrace.config import get_settings

runner = CliRunner()
NAME = "[conceal]Ward 7[/conceal] Gate [link=https://evil.example]x[/link] [/unmatched]"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.delenv("EPITRACE_TOKEN", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def test_a_camera_name_with_markup_is_listed_as_typed() -> None:
    added = runner.invoke(app, ["cameras", "add", "gate-7", "--name", NAME, "--place", "[bold]back[/bold] door"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["cameras", "list"])
    assert listed.exit_code == 0, listed.output
    assert NAME in listed.output and "[bold]back[/bold] door" in listed.output, listed.output


def test_an_error_quoting_markup_is_printed_as_typed() -> None:
    out = runner.invoke(app, ["cameras", "check", "[/oops]"])
    assert out.exit_code != 0
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert "[/oops]" in out.output, out.output
