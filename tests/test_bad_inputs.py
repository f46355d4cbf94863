"""Bad inputs, tried as an attacker and a careless user would (issue 11): each exits with its
documented code and one line naming the problem, and the published brief stays byte-identical.

One brief is published per session (fixture notebooks, stand-in assembler); every case then
runs the real command line against it. Cases are refused before any notebook starts.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from run_fixtures import (
    COMPANY,
    PERIOD,
    copy_data,
    fake_assemble,
    fake_pdf,
    figures_csv,
    make_notebooks,
)

from earnings_brief import build, cli, provenance

DOCUMENTS = ("brief.html", "brief.pdf", "manifest.json")


@dataclass
class World:
    root: Path  # everything a case may touch lives under here
    out: Path
    notebooks: Path
    published_data: Path  # the dataset the published brief was built from


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("bad-inputs")
    world = World(
        root, root / "out", make_notebooks(root / "notebooks"), copy_data(root / "published")
    )
    options = build.BuildOptions(
        company=COMPANY, period=PERIOD, data_dir=world.published_data, out=world.out,
        notebooks_dir=world.notebooks,
    )  # fmt: skip
    build.build(options, assemble=fake_assemble, render_pdf=fake_pdf, echo=lambda _line: None)
    return world


@dataclass
class Case:
    """A case gets its own copy of the data; ``prepare`` breaks something and returns argv."""

    id: str
    prepare: Callable[[World, Path, pytest.MonkeyPatch], list[str]]
    code: int
    message: str
    creates_nothing: bool = True  # refused before the lock: no file appears anywhere


def args(world: World, data: Path, *extra: str, company=COMPANY, period=PERIOD) -> list[str]:
    return [
        "build", "--company", company, "--period", period, "--data-dir", str(data),
        "--out", str(world.out), "--notebooks", str(world.notebooks), *extra,
    ]  # fmt: skip


def options(*extra: str, **names: str):
    return lambda world, data, _mp: args(world, data, *extra, **names)


def figure(old: str, new: str):
    """Replace one figure row's text in the case's figures.csv."""

    def prepare(world, data, _mp):
        path = figures_csv(data)
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new), encoding="utf-8")
        return args(world, data)

    return prepare


def fact(old: str, new: str):
    """Replace text in the case's facts.csv."""

    def prepare(world, data, _mp):
        path = figures_csv(data).with_name("facts.csv")
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new), encoding="utf-8")
        return args(world, data)

    return prepare


def out_at(where: Callable[[World, Path], Path]):
    def prepare(world, data, _mp):
        argv = args(world, data)
        argv[argv.index("--out") + 1] = str(where(world, data))
        return argv

    return prepare


def out_is_a_file(world, data, _mp):
    target = world.root / "cases" / "a-file"
    target.parent.mkdir(exist_ok=True)
    target.write_text("not a folder")
    argv = args(world, data)
    argv[argv.index("--out") + 1] = str(target)
    return argv


def machine_refuses(code: int, *, at: str):
    """The disk refuses the first write under ``out`` of the given kind (os.open or os.mkdir)."""

    def prepare(world, data, monkeypatch):
        figure("revenue,,,H1-2025,1250,", "revenue,,,H1-2025,1251,")(world, data, monkeypatch)
        real = getattr(os, at)

        def refuse(path, *rest, **kw):
            if str(path).startswith(str(world.out)):
                raise OSError(code, os.strerror(code), str(path))
            return real(path, *rest, **kw)

        monkeypatch.setattr(os, at, refuse)
        return args(world, data)

    return prepare


def toml_with_time(world, data, _mp):
    path = figures_csv(data).with_name("period.toml")
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^start = (.*)$", r"start = \1T00:00:00", text, flags=re.M))
    return args(world, data)


CASES = [
    Case("traversal-company", options(company="../../victim"), 2, "is not a company name"),
    Case("traversal-period", options(period="../../../victim"), 2, "is not a period name"),
    Case("absolute-company", options(company="/etc"), 2, "is not a company name"),
    Case("unknown-company", options(company="nobody"), 2, "unknown company 'nobody'"),
    Case("unknown-period", options(period="FY1999"), 2, "unknown period 'FY1999'"),
    Case(
        "missing-data-dir",
        lambda w, d, _mp: args(w, d.with_name("nowhere")),
        2,
        "data directory not found",
    ),
    Case("out-is-the-data-dir", out_at(lambda w, d: d), 2, "overlaps the data directory"),
    Case("out-inside-the-data-dir", out_at(lambda w, d: d / COMPANY), 2, "overlaps the data"),
    Case("out-is-a-file", out_is_a_file, 2, "not a folder"),
    Case("language-traversal", options("--language", "../../x"), 2, "unknown language"),
    Case("unknown-parameter", options("-p", "nonsense=1"), 2, "unknown notebook parameter"),
    Case("fixed-parameter", options("-p", "data_dir=/etc"), 2, "--data-dir"),
    Case(
        "unknown-comparison-period",
        options("-p", "comparison_period=../x"),
        2,
        "no figures for comparison period '../x'",
    ),
    Case("negative-timeout", options("--timeout", "-1"), 2, "--timeout"),
    Case("nan-timeout", options("--timeout", "nan"), 2, "--timeout"),
    Case("keep-none", options("--keep", "0"), 2, "--keep"),
    Case("no-jobs", options("--jobs", "0"), 2, "--jobs"),
    Case("period-date-with-a-time", toml_with_time, 2, "field 'start': a date with a time"),
    Case(
        "decimal-comma",
        figure("revenue,,,H1-2025,1250,", 'revenue,,,H1-2025,"37,7",'),
        2,
        "field 'value': '37,7' is not a number",
        creates_nothing=False,
    ),
    Case(
        "underscore-number",
        figure("revenue,,,H1-2025,1250,", "revenue,,,H1-2025,23_000,"),
        2,
        "field 'value': '23_000' is not a number",
        creates_nothing=False,
    ),
    Case(
        "money-1e308",
        figure("revenue,,,H1-2025,1250,", "revenue,,,H1-2025,1e308,"),
        2,
        "field 'value'",
        creates_nothing=False,
    ),
    Case(
        "huge-money-written-out",
        figure("revenue,,,H1-2025,1250,", f"revenue,,,H1-2025,{'9' * 30},"),
        2,
        "out of range",
        creates_nothing=False,
    ),
    Case(
        "nan-value",
        figure("revenue,,,H1-2025,1250,", "revenue,,,H1-2025,nan,"),
        2,
        "'nan' is not a number",
        creates_nothing=False,
    ),
    Case(
        "share-above-100",
        figure("revenue_share,cloud,,H1-2025,56,", "revenue_share,cloud,,H1-2025,156,"),
        2,
        "expected 0 to 100 %",
        creates_nothing=False,
    ),
    Case(
        "as-of-month-99",
        figure("revenue,,,H1-2025,1250,HKD m,,,", "revenue,,,H1-2025,1250,HKD m,,2025-99,"),
        2,
        "field 'as_of': bad date '2025-99'",
        creates_nothing=False,
    ),
    Case(
        "fact-date-2025-13-45",
        fact("2025-08-20", "2025-13-45"),
        2,
        "field 'date': bad date '2025-13-45'",
        creates_nothing=False,
    ),
    Case(
        "word-of-3000-characters",
        figure(
            "revenue,,,H1-2025,1250,HKD m,,,fixture,",
            f"revenue,,,H1-2025,1250,HKD m,,,fixture,{'w' * 3000}",
        ),
        2,
        "field 'note': 3000 characters",
        creates_nothing=False,
    ),
    Case(
        "text-of-21000-characters",
        fact("Interim results published", "lorem " * 3500),
        2,
        "field 'text'",
        creates_nothing=False,
    ),
    Case(
        "read-only-output",
        machine_refuses(errno.EROFS, at="open"),
        6,
        "the file system is read-only",
    ),
    Case(
        "full-disk",
        machine_refuses(errno.ENOSPC, at="mkdir"),
        6,
        "no space left on the device",
    ),
]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for folders)."""
    return {
        str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_with_its_code_one_line_and_the_brief_unchanged(
    world, case, tmp_path, monkeypatch, capsys
):
    brief = world.out / COMPANY / PERIOD
    data = shutil.copytree(world.published_data, world.root / "cases" / case.id)
    argv = case.prepare(world, data, monkeypatch)
    published = {name: (brief / name).read_bytes() for name in DOCUMENTS}
    before = snapshot(world.root)

    code = cli.main(argv)
    monkeypatch.undo()

    err = capsys.readouterr().err
    assert code == case.code, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert case.message in err and "Traceback" not in err
    assert {name: (brief / name).read_bytes() for name in DOCUMENTS} == published
    after = snapshot(world.root)
    if case.creates_nothing:
        assert after == before
    else:  # refused at load, under the lock: only run records change (new one, old pruned)
        runs = f"out/{COMPANY}/{PERIOD}/runs/"
        kept = {k: v for k, v in after.items() if not k.startswith(runs)}
        assert kept == {k: v for k, v in before.items() if not k.startswith(runs)}


def test_a_rejected_traversal_creates_no_file_anywhere(world, tmp_path):
    """--company ../../victim once took a lock, wrote a run folder and pruned victim/P/runs."""
    victim = tmp_path / "victim" / PERIOD
    for kind in ("runs", "editions"):
        for n in range(8):
            (victim / kind / f"2025010{n}T000000.00Z").mkdir(parents=True)
    out = tmp_path / "x" / "y"  # --out does not exist: its parent is where a lock would go
    watched = [tmp_path, world.published_data]
    before = [snapshot(p) for p in watched]
    code = cli.main(
        [
            "build", "--company", "../../victim", "--period", PERIOD,
            "--data-dir", str(world.published_data), "--out", str(out), "--keep", "1",
        ]
    )  # fmt: skip
    assert code == 2
    assert [snapshot(p) for p in watched] == before
    assert not out.exists() and not out.parent.exists()


def test_a_full_disk_at_kernel_start_is_not_reported_as_a_notebook_failure(
    world, tmp_path, monkeypatch, capsys
):
    """A full disk was once reported as "kernel did not start" (exit 3)."""
    import jupyter_client.connect

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "kernel.json")

    monkeypatch.setattr(jupyter_client.connect, "write_connection_file", full)
    monkeypatch.setattr(provenance, "code_hash", lambda package_dir=None: "frozen")
    data = copy_data(tmp_path / "data")
    out = shutil.copytree(world.out, tmp_path / "out", symlinks=True)
    brief = out / COMPANY / PERIOD
    published = {name: (brief / name).read_bytes() for name in DOCUMENTS}
    figures = figures_csv(data)
    figures.write_text(figures.read_text().replace("1250,", "1252,", 1))
    argv = args(World(tmp_path, out, world.notebooks, data), data)
    assert cli.main(argv) == 6
    err = capsys.readouterr().err
    assert "no space left on the device" in err and "kernel did not start" not in err
    assert {name: (brief / name).read_bytes() for name in DOCUMENTS} == published
