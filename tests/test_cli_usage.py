"""The `cxreport` command's usage errors and help: unknown commands and options are one error line."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import assert_ok, assert_one_error_line, run


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["frobnicate"], "frobnicate"),
        (["tenants", "delete"], "delete"),
        (["keys", "rotate"], "rotate"),
        (["migrate", "--colour"], "--colour"),
        (["tenants", "create", "--name"], "--name"),
    ],
)
def test_unknown_commands_and_options_are_one_error_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = run(tmp_path, *args)
    assert_one_error_line(result, fragment)
    assert result.stdout == ""
    assert not (tmp_path / "cxreport.db").exists()


def test_help_works(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")
    assert_ok(result)
    for command in ("demo", "import", "keys", "migrate", "serve", "tenants"):
        assert command in result.stdout
    import_help = run(tmp_path, "import", "--help")
    assert_ok(import_help)
    assert "--strict" in import_help.stdout and "--batch-size" in import_help.stdout
    assert "CXREPORT_DATABASE_URL" in import_help.stdout
