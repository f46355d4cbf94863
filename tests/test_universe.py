"""Many briefs in one build: selection, one shared executor, failures kept apart, incremental
runs, interrupts, and the summary. Fixture notebooks and a stand-in assembler keep it quick; the
real assembler runs through Dask in test_executors.py."""

from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import Executor

import pytest
from run_fixtures import COMPANY, PERIOD, copy_data, fake_assemble, fake_pdf, make_notebooks

from earnings_brief import build, executors, provenance, universe
from earnings_brief.errors import ParameterError

OTHER = "southwind"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "code_hash", lambda package_dir=None: "frozen")
    data = copy_data(tmp_path / "data")
    shutil.copytree(data / COMPANY, data / OTHER)
    return {
        "out": tmp_path / "out",
        "data": data,
        "notebooks": make_notebooks(tmp_path / "notebooks"),
    }


def options(env, **extra) -> build.BuildOptions:
    return build.BuildOptions(
        data_dir=env["data"], out=env["out"], notebooks_dir=env["notebooks"], **extra
    )


def build_universe(
    env, executor=None, briefs=None, assemble=fake_assemble, languages=None, **extra
):
    briefs = briefs or universe.select(env["data"])
    lines: list[str] = []
    if executor is not None:
        outcomes = universe.build_all(
            options(env, **extra), briefs, executor, lines.append,
            languages=languages, assemble=assemble, render_pdf=fake_pdf,
        )  # fmt: skip
        return outcomes, lines
    with executors.open_executor("local", workers=2) as shared:
        outcomes = universe.build_all(
            options(env, **extra), briefs, shared, lines.append,
            languages=languages, assemble=assemble, render_pdf=fake_pdf,
        )  # fmt: skip
    return outcomes, lines


class NoJobs(Executor):
    """A backend that must not be used: an up-to-date universe starts nothing."""

    cancel_event = ""

    def submit(self, *args, **kwargs):
        raise AssertionError("an up-to-date brief started a job")

    def cancel(self):
        pass

    def close(self):
        pass


def test_select_lists_every_dataset_or_the_named_ones(env):
    assert universe.select(env["data"]) == [(COMPANY, PERIOD), (OTHER, PERIOD)]
    assert universe.select(env["data"], [f"{OTHER}/{PERIOD}"]) == [(OTHER, PERIOD)]
    with pytest.raises(ParameterError, match=r"unknown brief 'acme/FY2024'.*northwind/H1-2025"):
        universe.select(env["data"], ["acme/FY2024"])


def test_every_brief_is_built_through_one_pool_then_nothing_runs_again(env):
    outcomes, lines = build_universe(env)
    assert [(o.name, o.status) for o in outcomes] == [
        (f"{COMPANY}/{PERIOD}", "built"),
        (f"{OTHER}/{PERIOD}", "built"),
    ]
    for company in (COMPANY, OTHER):
        brief = env["out"] / company / PERIOD
        html = (brief / "brief.html").read_text()
        assert "revenue,segments,infrastructure,auto" in html
        manifest = json.loads((brief / "manifest.json").read_text())
        revenue = manifest["notebooks"]["revenue"]
        assert revenue["status"] == "executed" and revenue["worker"] == "local"
        assert revenue["versions"]["code_hash"] == "frozen"
        executed = (brief / "notebooks" / "revenue.ipynb").read_text()
        assert f"{company} {PERIOD} en" in executed  # the worker ran it with this brief's data
    assert any(line.startswith(f"{OTHER}/{PERIOD}: revenue: started") for line in lines)

    again, _ = build_universe(env, executors.Shipping(NoJobs()))
    assert [o.status for o in again] == ["up to date", "up to date"]


def test_one_failing_brief_does_not_stop_the_others(env):
    def assemble(executed, ds, *args):
        if ds.files[0].parent.name == OTHER:  # company.toml of the brief being assembled
            raise RuntimeError("no room on the page")
        return fake_assemble(executed, ds, *args)

    outcomes, _ = build_universe(env, assemble=assemble)
    status = {o.company: o for o in outcomes}
    assert status[COMPANY].status == "built"
    assert status[OTHER].status == "failed" and status[OTHER].exit_code == 5
    assert "no room on the page" in status[OTHER].detail
    assert not (env["out"] / OTHER / PERIOD / "brief.html").exists()
    assert universe.exit_code(outcomes) == 5
    assert universe.summary(outcomes) == [
        "2 briefs: 1 built, 1 failed",
        f"FAILED {OTHER}/{PERIOD}: {status[OTHER].detail}",
    ]


def test_a_worker_with_other_versions_is_an_error_not_a_rebuild(env):
    backend = executors.LocalBackend(2)
    shared = executors.Shipping(backend, expect={"code_hash": "frozen", "pandas": "0.0.1"})
    try:
        outcomes, _ = build_universe(env, shared, briefs=[(COMPANY, PERIOD)])
    finally:
        shared.shutdown()
    (only,) = outcomes
    assert only.status == "failed" and only.exit_code == 3
    assert "worker local cannot run this notebook: pandas" in only.detail
    assert "(build host 0.0.1)" in only.detail


def test_kernel_output_goes_to_the_run_log_not_the_console(env, capfd):
    notebook = env["notebooks"] / "auto.ipynb"
    nb = json.loads(notebook.read_text())
    nb["cells"].append(
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "import os\nos.write(2, b'kernel noise on stderr\\n')"}
    )  # fmt: skip
    notebook.write_text(json.dumps(nb))
    outcomes, lines = build_universe(env, briefs=[(COMPANY, PERIOD)])
    assert outcomes[0].status == "built"
    run_log = next((env["out"] / COMPANY / PERIOD / "editions").glob("*/run.log")).read_text()
    assert "auto: kernel log from worker local" in run_log
    assert "kernel noise on stderr" in run_log
    console = capfd.readouterr()
    assert "kernel noise" not in console.out + console.err
    assert not any("kernel noise" in line for line in lines)


def test_interrupt_stops_every_brief_and_publishes_nothing(env):
    from run_fixtures import set_default

    set_default(env["notebooks"] / "revenue.ipynb", "delay", 60.0)
    backend = executors.LocalBackend(2)
    shared = executors.Shipping(backend)
    timer = threading.Timer(6.0, shared.interrupt)
    started = time.monotonic()
    timer.start()
    try:
        outcomes, _ = build_universe(env, shared)
    finally:
        timer.cancel()
        shared.shutdown()
    assert time.monotonic() - started < 40
    assert [o.status for o in outcomes] == ["interrupted", "interrupted"]
    assert universe.exit_code(outcomes) == 130
    for company in (COMPANY, OTHER):
        assert not (env["out"] / company / PERIOD / "brief.html").exists()
        runs = list((env["out"] / company / PERIOD / "runs").glob("*/run.json"))
        assert [json.loads(r.read_text())["status"] for r in runs] == ["interrupted"]


def test_exit_code_and_summary():
    ok = universe.BriefOutcome("a", "FY1", "built")
    same = universe.BriefOutcome("b", "FY1", "up to date")
    bad = universe.BriefOutcome("c", "FY1", "failed", "c: data", 2)
    worse = universe.BriefOutcome("d", "FY1", "failed", "d: notebook", 3)
    assert universe.exit_code([ok, same]) == 0
    assert universe.exit_code([ok, bad, worse]) == 2
    assert (
        universe.exit_code([bad, universe.BriefOutcome("e", "FY1", "interrupted", "", 130)]) == 130
    )
    assert universe.summary([ok, same, worse]) == [
        "3 briefs: 1 built, 1 up to date, 1 failed",
        "FAILED d/FY1: d: notebook",
    ]


@pytest.mark.parametrize("where", ["data", "data/northwind", "file"])
def test_an_output_folder_in_the_data_or_on_a_file_is_refused_before_any_write(env, where):
    (env["data"].parent / "file").write_text("not a folder")
    env["out"] = env["data"].parent / where
    before = sorted(p for p in env["data"].parent.rglob("*"))
    with pytest.raises(ParameterError) as caught:
        universe.run(options(env), echo=lambda _line: None)
    assert caught.value.field == "--out"
    assert sorted(p for p in env["data"].parent.rglob("*")) == before


def test_an_up_to_date_universe_starts_no_executor_and_writes_the_index(env, monkeypatch):
    build_universe(env)

    def no_executor(*args, **kwargs):
        raise AssertionError("an up-to-date universe opened an executor")

    monkeypatch.setattr(executors, "open_executor", no_executor)
    lines: list[str] = []
    code = universe.run(options(env), executor="dask", echo=lines.append)
    assert code == 0
    assert lines[-1] == "2 briefs: 2 up to date"
    page = (env["out"] / "index.html").read_text(encoding="utf-8")
    assert f'data-brief="{OTHER}/{PERIOD}"' in page and f'data-brief="{COMPANY}/{PERIOD}"' in page
    stamp = (env["out"] / "index.html").stat().st_mtime_ns
    assert universe.run(options(env), echo=lines.append) == 0
    assert (env["out"] / "index.html").stat().st_mtime_ns == stamp  # nothing built: not redone
    # Each run starts universe.log afresh; with --keep 3, it and the two before it remain.
    for _ in range(3):
        assert universe.run(options(env, keep=3), echo=lines.append) == 0
    logs = sorted(p.name for p in env["out"].glob("universe.log*"))
    assert logs == ["universe.log", "universe.log.1", "universe.log.2"]
    for name in logs:
        text = (env["out"] / name).read_text(encoding="utf-8")
        assert text.count(" universe: 2 briefs in en from ") == 1  # one run per file
        assert text.rstrip().endswith("2 briefs: 2 up to date")


def test_rotate_keeps_the_newest_logs_and_drops_those_beyond_keep(tmp_path):
    log = tmp_path / "universe.log"
    for n, text in ((None, "now"), (1, "one"), (2, "two"), (5, "old"), ("x", "other")):
        (log if n is None else tmp_path / f"universe.log.{n}").write_text(text)
    universe.rotate(log, 3)
    found = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert found == {"universe.log.1": "now", "universe.log.2": "one", "universe.log.x": "other"}
    universe.rotate(log, 1)  # only the coming run's log
    assert sorted(p.name for p in tmp_path.iterdir()) == ["universe.log.x"]


def test_every_language_is_an_edition_built_on_its_own_and_linked_from_the_index(env):
    for company in (COMPANY, OTHER):
        (env["data"] / company / PERIOD / "facts.csv").unlink()  # facts are optional
    languages = ["en", "zh-Hant"]
    outcomes, lines = build_universe(env, languages=languages, briefs=[(COMPANY, PERIOD)])
    assert [(o.name, o.status) for o in outcomes] == [
        (f"{COMPANY}/{PERIOD}", "built"),
        (f"{COMPANY}/{PERIOD} (zh-Hant)", "built"),
    ]
    assert any(line.startswith(f"{COMPANY}/{PERIOD} (zh-Hant): revenue: started") for line in lines)
    brief = env["out"] / COMPANY / PERIOD
    assert (brief / "zh-Hant" / "manifest.json").is_file()
    assert (brief / "brief.zh-Hant.pdf").is_file()
    executed = (brief / "zh-Hant" / "notebooks" / "revenue.ipynb").read_text()
    assert f"{COMPANY} {PERIOD} zh-Hant" in executed
    # Each edition is up to date on its own: the other company's two are the only new ones.
    outcomes, _ = build_universe(env, languages=languages)
    assert [o.status for o in outcomes] == ["up to date", "up to date", "built", "built"]

    lines = []
    assert universe.run(options(env), languages=languages, echo=lines.append) == 0
    assert lines[-1] == "4 editions: 4 up to date"
    page = (env["out"] / "index.html").read_text(encoding="utf-8")
    for company in (COMPANY, OTHER):
        assert f'href="{company}/{PERIOD}/brief.zh-Hant.html" hreflang="zh-Hant"' in page
    log = (env["out"] / "universe.log").read_text(encoding="utf-8")
    assert " universe: 2 briefs in en, zh-Hant from " in log


def test_an_unknown_language_or_keep_is_refused_before_any_write(env):
    with pytest.raises(ParameterError, match="unknown language 'xx'"):
        universe.run(options(env), languages=["en", "xx"], echo=lambda _line: None)
    with pytest.raises(ParameterError) as caught:
        universe.run(options(env, keep=0), echo=lambda _line: None)
    assert caught.value.field == "--keep"
    assert not env["out"].exists()


def test_the_briefs_with_most_data_go_first_and_the_executor_ranks_them_so(env, monkeypatch):
    sources = env["data"] / OTHER / PERIOD / "sources.toml"
    sources.write_text(sources.read_text() + "# notes\n" * 50)
    briefs = universe.select(env["data"])
    assert briefs == [(COMPANY, PERIOD), (OTHER, PERIOD)]
    assert universe.heaviest_first(env["data"], briefs) == [(OTHER, PERIOD), (COMPANY, PERIOD)]
    ranked = []
    monkeypatch.setattr(executors.Shipping, "rank", lambda self, order: ranked.append(order))
    outcomes, _ = build_universe(env)
    assert ranked == [[(OTHER, PERIOD), (COMPANY, PERIOD)]]
    assert [o.name for o in outcomes] == [f"{COMPANY}/{PERIOD}", f"{OTHER}/{PERIOD}"]  # as asked
