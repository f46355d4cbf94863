"""The project's own files agree: dependencies, package data, make targets and CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "earnings_brief"
REQUIRED = {"jupyterlab", "pandas", "seaborn", "papermill", "nbconvert"}
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> tuple[str, str]:
    """'pandas >= 2.1' → ('pandas', '>=2.1'); the specifier loses its spaces."""
    text = text.split("#", 1)[0].split(";", 1)[0]
    match = _REQUIREMENT.match(text)
    assert match, f"cannot read requirement {text!r}"
    return _normalise(match[1]), re.sub(r"\s+", "", match[3])


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def pyproject_requirements() -> dict[str, str]:
    project = pyproject()["project"]
    listed = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    found = dict(parse_requirement(r) for r in listed)
    assert len(found) == len(listed), "a package is listed twice in pyproject.toml"
    return found


def environment_requirements() -> dict[str, str]:
    """The `- name>=x` items under `dependencies:` (a nested `- pip:` list is read too)."""
    found: dict[str, str] = {}
    in_deps = False
    for raw in (REPO / "environment.yml").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw.startswith((" ", "\t", "-")):
            in_deps = line.strip() == "dependencies:"
            continue
        item = re.match(r"^\s*-\s*(.+)$", line)
        if not in_deps or not item or item[1].strip().endswith(":"):
            continue
        name, spec = parse_requirement(item[1].strip().strip("'\""))
        assert name not in found, f"{name} is listed twice in environment.yml"
        found[name] = spec
    return found


def test_parsers():
    assert parse_requirement("pandas>=2.1") == ("pandas", ">=2.1")
    assert parse_requirement("Jupyter_Lab >= 4   # why") == ("jupyter-lab", ">=4")
    assert parse_requirement("weasyprint") == ("weasyprint", "")
    assert parse_requirement("uvicorn[standard]>=0.30,<1") == ("uvicorn", ">=0.30,<1")


def test_environment_yml_is_read():
    env = environment_requirements()
    assert env["python"].startswith(">=3.")
    assert "pandas" in env
    assert "conda-forge" not in env  # channels are not dependencies


def test_pyproject_and_environment_list_the_same_packages():
    env = environment_requirements()
    env.pop("python")
    pyp = pyproject_requirements()
    assert sorted(env) == sorted(pyp)
    assert env == pyp  # the same version specifiers too


def test_python_versions_agree():
    env_python = environment_requirements()["python"]
    assert env_python == pyproject()["project"]["requires-python"]


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_required_dependency(name):
    assert name in pyproject_requirements()
    assert name in environment_requirements()
    assert name in {parse_requirement(r)[0] for r in pyproject()["project"]["dependencies"]}


def test_dev_extras_hold_the_test_tools():
    dev = {parse_requirement(r)[0] for r in pyproject()["project"]["optional-dependencies"]["dev"]}
    assert {"pytest", "ruff"} <= dev


def test_console_script():
    """The command runs ``cli.console``: ``main``, then an exit that skips the collector's
    walk over everything a build imported."""
    scripts = pyproject()["project"]["scripts"]
    assert scripts["earnings-brief"] == "earnings_brief.cli:console"


def test_package_data_covers_every_resource_file():
    """A non-editable install must carry the locales, templates and assets."""
    patterns = pyproject()["tool"]["setuptools"]["package-data"]["earnings_brief"]
    shipped = {p for pattern in patterns for p in PACKAGE.glob(pattern) if p.is_file()}
    for folder in ("locales", "templates", "assets"):
        for path in (PACKAGE / folder).rglob("*"):
            if path.is_file() and path.name != ".gitkeep":
                assert path in shipped, f"{path.relative_to(PACKAGE)} is not package data"
    assert any(p.suffix == ".toml" for p in shipped)


def test_ruff_config():
    ruff = pyproject()["tool"]["ruff"]
    assert ruff["line-length"] == 100


def makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, flags=re.MULTILINE))


@pytest.mark.parametrize("target", ["report", "reports", "test", "check", "lab"])
def test_makefile_target(target):
    assert target in makefile_targets()


def test_makefile_recipes():
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    check = re.search(r"^check:.*\n((?:\t.*\n)+)", text, flags=re.MULTILINE)
    assert check, "no recipe for check"
    for part in ("earnings_brief check", "$(COMPANY)", "$(PERIOD)", "$(DATA_DIR)"):
        assert part in check[1]
    assert re.search(r"^COMPANY \?= sensetime$", text, flags=re.MULTILINE)
    assert re.search(r"^PERIOD \?= FY2024$", text, flags=re.MULTILINE)
    assert re.search(r"^DATA_DIR \?= data$", text, flags=re.MULTILINE)
    lab = re.search(r"^lab:.*\n((?:\t.*\n)+)", text, flags=re.MULTILINE)
    assert lab and "jupyter lab" in lab[1] and "notebooks" in lab[1]
    test = re.search(r"^test:.*\n((?:\t.*\n)+)", text, flags=re.MULTILINE)
    assert test and "pytest" in test[1]


def test_makefile_reports_builds_every_brief_on_the_chosen_executor():
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    reports = re.search(r"^reports:.*\n((?:\t.*\n)+)", text, flags=re.MULTILINE)
    assert reports, "no recipe for reports"
    for part in ("earnings_brief build --all", "$(DATA_DIR)", "$(OUT)", "$(EXECUTOR)"):
        assert part in reports[1]
    assert re.search(r"^EXECUTOR \?= local$", text, flags=re.MULTILINE)


def test_ci_runs_make_test():
    ci = REPO / ".ci" / "run"
    text = ci.read_text(encoding="utf-8")
    assert text.startswith("#!")
    commands = [line.split("#", 1)[0].strip() for line in text.splitlines()[1:]]
    assert "make test" in commands
    assert ci.stat().st_mode & 0o111, ".ci/run is not executable"
