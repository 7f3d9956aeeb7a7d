"""requirements.lock pins every dependency of pyproject.toml (with the dev extras) to one version, and
``make setup`` installs from it (ASVS V10.3 / V14.2: reproducible installs)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    return {canonical(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec).group(0)) for spec in wanted}


def pinned() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            out[canonical(match.group(1))] = match.group(2)
    return out


def test_every_declared_dependency_is_pinned_to_one_version():
    pins = pinned()
    missing = declared() - set(pins)
    assert not missing, f"in pyproject.toml but not in requirements.lock (run `make lock`): {sorted(missing)}"
    assert len(pins) > len(declared())  # the transitive dependencies are pinned too


def test_every_line_of_the_lock_is_a_pin_or_a_comment():
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        assert not line.strip() or line.lstrip().startswith("#") or PIN.match(line), line


def test_setup_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -q -r requirements.lock" in makefile and "pip install -q -e . --no-deps" in makefile
    assert "uv pip compile pyproject.toml --extra dev" in makefile
