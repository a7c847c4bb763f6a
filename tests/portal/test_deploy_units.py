"""The example systemd units in deploy/ start commands that exist, with options those commands accept."""
from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def units():
    return sorted(p for p in DEPLOY.iterdir() if p.suffix == ".service")


def exec_start(path: Path) -> list[str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(path)
    return shlex.split(parser["Service"]["ExecStart"])


@pytest.mark.parametrize("unit", units(), ids=lambda p: p.name)
def test_every_flask_command_of_a_unit_is_a_command_of_the_portal(app, unit):
    argv = exec_start(unit)
    if not argv[0].endswith("/flask"):
        assert argv[0].endswith("/gunicorn"), argv
        return
    assert argv[1:3] == ["--app", "wsgi"], argv
    result = app.test_cli_runner().invoke(args=[*argv[3:], "--help"])
    assert result.exit_code == 0, (unit.name, result.output)
    for option in (a.split("=")[0] for a in argv[3:] if a.startswith("--")):
        assert option in result.output, (unit.name, option)


def test_the_orphan_clean_up_has_a_timer():
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(DEPLOY / "tyndau-clean-orphans.timer")
    assert timer["Timer"]["OnCalendar"] and (DEPLOY / "tyndau-clean-orphans.service").exists()
    assert exec_start(DEPLOY / "tyndau-clean-orphans.service")[3:5] == ["documents", "clean-orphans"]
