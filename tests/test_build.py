import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import Executor
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
    set_default,
)

from earnings_brief import build, history, lock, pipeline, provenance
from earnings_brief.errors import DataError, StorageError

SCRIPT = Path(__file__).with_name("run_fixtures.py")


class NoKernels(Executor):
    def submit(self, *args, **kwargs):
        raise AssertionError("an up-to-date build started a notebook")


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "code_hash", lambda package_dir=None: "frozen")
    return {
        "out": tmp_path / "out",
        "data": copy_data(tmp_path / "data"),
        "notebooks": make_notebooks(tmp_path / "notebooks"),
    }


def run(env, *, executor=None, assemble=fake_assemble, render_pdf=fake_pdf, **options):
    opts = build.BuildOptions(
        company=COMPANY, period=PERIOD, data_dir=env["data"], out=env["out"],
        notebooks_dir=env["notebooks"], **options,
    )  # fmt: skip
    lines = []
    result = build.build(
        opts, executor=executor, assemble=assemble, render_pdf=render_pdf, echo=lines.append
    )
    return result, lines


def brief_dir(env):
    return env["out"] / COMPANY / PERIOD


def documents(env):
    return {
        name: (brief_dir(env) / name).read_bytes()
        for name in ("brief.html", "brief.pdf", "manifest.json")
    }


def edit_first_figure(env, value):
    path = figures_csv(env["data"])
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    old, cells[4] = cells[4], value
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return cells[0], old


def test_second_identical_run_is_up_to_date_and_starts_no_kernel(env):
    first, lines = run(env)
    assert first.status == "built" and first.reused == []
    assert sorted(first.executed) == sorted(["revenue", "segments", "infrastructure", "auto"])
    assert any(line.startswith("revenue: started") for line in lines)
    assert any(line.startswith("revenue: done in") for line in lines)
    before = documents(env)
    second, lines = run(env, executor=NoKernels())
    assert second.status == "up to date"
    assert any(line.startswith("up to date:") for line in lines)
    assert documents(env) == before


def test_manifest_records_hashes_parameters_versions_and_statuses(env):
    run(env)
    manifest = json.loads((brief_dir(env) / "manifest.json").read_text())
    assert set(manifest["notebooks"]) == {"revenue", "segments", "infrastructure", "auto"}
    revenue = manifest["notebooks"]["revenue"]
    assert revenue["status"] == "executed" and len(revenue["hash"]) == 64
    assert revenue["parameters"]["data_dir"] == str(env["data"].resolve())
    assert manifest["versions"]["papermill"] and manifest["timings"]["total"] > 0
    edition = history.latest_edition(brief_dir(env))
    assert json.loads((edition / "manifest.json").read_text()) == manifest
    assert (edition / "figures.json").exists() and (edition / "notebooks" / "auto.ipynb").exists()


def test_changed_figure_rebuilds_and_reports_old_and_new_values(env):
    run(env)
    metric, old = edit_first_figure(env, "1300")
    result, lines = run(env)
    assert result.status == "built"
    (change,) = result.changes
    assert (change["change"], change["metric"]) == ("changed", metric)
    assert (change["old"]["written"], change["new"]["written"]) == (old, "1300")
    assert any(line.startswith(f"what changed: changed {metric}") for line in lines)
    # The assembler received the changes, so the brief shows them.
    assert '"1300"' in (brief_dir(env) / "brief.html").read_text()


def test_one_changed_notebook_runs_alone(env):
    run(env)
    set_default(env["notebooks"] / "segments.ipynb", "delay", 0.1)
    result, lines = run(env)
    assert result.executed == ["segments"]
    assert sorted(result.reused) == ["auto", "infrastructure", "revenue"]
    assert "revenue: unchanged, reused" in lines
    manifest = json.loads((brief_dir(env) / "manifest.json").read_text())
    assert manifest["notebooks"]["revenue"]["status"] == "reused"


def test_force_runs_everything(env):
    run(env)
    result, _ = run(env, force=True)
    assert result.status == "built" and len(result.executed) == 4


def test_failing_notebook_names_cell_keeps_copy_and_leaves_brief_untouched(env):
    run(env)
    before = documents(env)
    make_notebooks(env["notebooks"], failing="infrastructure")
    with pytest.raises(pipeline.NotebookError) as caught:
        run(env)
    message = caught.value.one_line()
    assert caught.value.exit_code == 3
    assert "infrastructure.ipynb failed at cell In [4]: ValueError" in message
    kept = Path(message.split("executed copy: ")[1].rstrip(")"))
    assert kept.parent.parent == brief_dir(env) / "runs"
    assert "papermill-error-cell-tag" in kept.read_text()
    assert documents(env) == before
    assert history.runs(brief_dir(env))[-1]["status"] == "failed (3)"


def test_assembly_failure_exits_5_and_publishes_nothing(env):
    run(env)
    before = documents(env)
    edit_first_figure(env, "1400")

    def broken(*_args):
        raise RuntimeError("template missing")

    with pytest.raises(build.AssemblyError) as caught:
        run(env, assemble=broken)
    assert caught.value.exit_code == 5 and "template missing" in caught.value.one_line()
    assert documents(env) == before


def test_a_full_disk_while_writing_the_pdf_exits_6_and_publishes_nothing(env):
    run(env)
    before = documents(env)
    edit_first_figure(env, "1401")

    def full(_html, pdf_path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(pdf_path))

    with pytest.raises(StorageError) as caught:
        run(env, render_pdf=full)
    assert caught.value.exit_code == 6 and "no space left" in caught.value.one_line()
    assert documents(env) == before
    assert history.runs(brief_dir(env))[-1]["status"] == "failed (6)"


def test_bad_data_is_a_data_error_before_any_kernel(env):
    edit_first_figure(env, "lots")
    with pytest.raises(DataError) as caught:
        run(env, executor=NoKernels())
    assert caught.value.exit_code == 2 and "figures.csv" in caught.value.one_line()


def test_up_to_date_says_what_a_build_would_find_without_running_one(env):
    opts = build.BuildOptions(
        company=COMPANY, period=PERIOD, data_dir=env["data"], out=env["out"],
        notebooks_dir=env["notebooks"],
    )  # fmt: skip
    assert not build.up_to_date(opts)  # nothing published yet
    run(env)
    assert build.up_to_date(opts)
    assert not build.up_to_date(build.BuildOptions(**{**vars(opts), "force": True}))
    edit_first_figure(env, "lots")  # bad data: not up to date, so the build reports it
    assert not build.up_to_date(opts)


def test_interrupt_publishes_nothing_and_exits_130(env):
    run(env)
    before = documents(env)
    edit_first_figure(env, "1500")

    def interrupted(*_args):
        raise KeyboardInterrupt

    with pytest.raises(build.Interrupted) as caught:
        run(env, render_pdf=interrupted)
    assert caught.value.exit_code == 130
    assert documents(env) == before
    assert history.runs(brief_dir(env))[-1]["status"] == "interrupted"


def test_retention_bounds_editions(env):
    for value in ("1301", "1302", "1303"):
        edit_first_figure(env, value)
        run(env, keep=2)  # the default process pool: papermill's cwd is per process
    assert len(history.editions(brief_dir(env))) == 2
    assert len(history.runs(brief_dir(env))) == 2


def start(env, lock_timeout="60", tmp=None, **popen):
    args = [
        sys.executable,
        str(SCRIPT),
        str(env["out"]),
        str(env["data"]),
        str(env["notebooks"]),
        lock_timeout,
    ]
    environ = {**os.environ, "TMPDIR": str(tmp)} if tmp else None
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ, **popen
    )


def test_concurrent_runs_do_not_interleave(env):
    make_notebooks(env["notebooks"], delay=2.0)
    first, second = start(env), start(env)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0]
    said = sorted("up to date:" in out for out, _ in outputs)
    assert said == [False, True]  # one built, the other waited and found it up to date
    assert (brief_dir(env) / "brief.pdf").read_bytes().startswith(b"%PDF")
    assert len(history.editions(brief_dir(env))) == 1


def test_second_run_exits_with_lock_code_when_it_cannot_wait(env):
    with lock.acquire(brief_dir(env) / ".lock"):
        out, err = start(env, lock_timeout="0").communicate(timeout=60)
    assert "another run holds the lock" in err and f"pid {os.getpid()}" in err
    assert not (brief_dir(env) / "brief.html").exists()
    (gave_up,) = history.runs(brief_dir(env))
    assert gave_up["status"] == "gave up on lock (4)"
    assert "another run holds the lock" in gave_up["error"]


def test_run_killed_mid_execution_is_followed_by_a_run_that_succeeds(env, tmp_path):
    tmp = tmp_path / "tmp"  # the system's temporary folder, for these runs only
    tmp.mkdir()
    make_notebooks(env["notebooks"], delay=30.0)
    killed = start(env, tmp=tmp)
    for line in killed.stdout:
        if line.startswith("revenue: started"):
            break
    left = brief_dir(env) / "runs"
    deadline = time.monotonic() + 30
    while not list(left.glob("*/kernels/kernel-*.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(left.glob("*/kernels/kernel-*.json")), "no kernel started"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    make_notebooks(env["notebooks"])
    out, err = start(env, lock_timeout="30", tmp=tmp).communicate(timeout=120)
    assert "published" in out, err
    assert "recovered a stale lock" in out and f"pid {killed.pid}" in out
    statuses = [r["status"] for r in history.runs(brief_dir(env))]
    assert statuses == ["incomplete (killed or still running)", "published"]
    # No connection file (it holds the kernel's key) or socket outlives the runs.
    assert not list(brief_dir(env).rglob("kernels")) and list(tmp.iterdir()) == []


def _processes_naming(marker: str) -> list[int]:
    """Processes whose command line holds ``marker``: the kernel server and the kernels it forked
    (a fork keeps its parent's command line) name their folder in the run's TMPDIR."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "cmdline").read_bytes().decode():
                found.append(int(proc.name))
        except (OSError, UnicodeDecodeError):  # ended meanwhile
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_ctrl_c_stops_the_kernels_and_their_server(env, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    make_notebooks(env["notebooks"], delay=60.0)
    building = start(env, tmp=tmp, start_new_session=True)  # its own group, as at a terminal
    for line in building.stdout:
        if line.startswith("auto: done"):  # the other three have run: revenue.ipynb sleeps
            break
    deadline = time.monotonic() + 30
    while len(_processes_naming(str(tmp))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_processes_naming(str(tmp))) >= 2, "no kernel forked"  # the server, a kernel
    os.killpg(building.pid, signal.SIGINT)  # what Ctrl-C sends the foreground group
    building.communicate(timeout=60)
    assert building.returncode == 130
    deadline = time.monotonic() + 10
    while _processes_naming(str(tmp)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_naming(str(tmp)) == [] and list(tmp.iterdir()) == []


def test_real_notebooks_and_assembler_on_the_fixture_dataset(env):
    env["notebooks"] = pipeline.NOTEBOOKS_DIR
    first, _ = run(env, assemble=None, render_pdf=None)
    assert first.status == "built" and len(first.executed) == 4
    assert (brief_dir(env) / "brief.pdf").read_bytes().startswith(b"%PDF")
    assert run(env, executor=NoKernels(), assemble=None, render_pdf=None)[0].status == "up to date"
    metric, old = edit_first_figure(env, "1313")
    second, lines = run(env, assemble=None, render_pdf=None)
    assert second.executed and [c["metric"] for c in second.changes] == [metric]
    html = (brief_dir(env) / "brief.html").read_text()
    section = html[html.index('<div class="eb-changes">') :]
    section = section[: section.index("</div>")]
    assert "1,313" in section or "1313" in section
    assert f"{int(old):,}" in section or old in section


def test_the_same_inputs_give_byte_identical_documents_across_hash_seeds(tmp_path):
    """Two cold builds of the bundled brief, from two copies of the data into two folders with
    different PYTHONHASHSEED: brief.html, brief.pdf and figures.json must be the same bytes."""
    built = []
    for seed in ("1", "2"):
        out = tmp_path / f"out-{seed}"
        data = shutil.copytree(pipeline.NOTEBOOKS_DIR.parent / "data", tmp_path / f"data-{seed}")
        environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        done = subprocess.run(
            [
                sys.executable, "-m", "earnings_brief", "build", "--company", "sensetime",
                "--period", "FY2024", "--data-dir", str(data), "--out", str(out),
            ],
            env={**environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True,
            timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        brief = out / "sensetime" / "FY2024"
        (edition,) = history.editions(brief)
        built.append(
            {
                name: path.read_bytes()
                for name, path in {
                    "brief.html": brief / "brief.html",
                    "brief.pdf": brief / "brief.pdf",
                    "figures.json": edition / build.FIGURES,
                }.items()
            }
        )
    first, second = built
    assert all(first[name] for name in first)
    assert [n for n in first if first[n] != second[n]] == []


# ---------------------------------------------------------------------------------------------
# A second language: its own folder and manifest, its documents beside the English ones


def chinese_assemble(executed, ds, params, run_meta, changes, lang) -> str:
    return f"<html lang='{lang}'><body>{'|'.join(ds.facts['text'])}</body></html>"


def without_facts(env):
    (env["data"] / COMPANY / PERIOD / "facts.csv").unlink()  # facts are optional
    return env


def test_chinese_edition_is_published_beside_the_english_one(env):
    without_facts(env)
    run(env)
    english = documents(env)
    result, lines = run(env, language="zh-Hant", assemble=chinese_assemble)
    assert result.status == "built" and result.brief_dir == brief_dir(env) / "zh-Hant"
    beside = brief_dir(env) / "brief.zh-Hant.html"
    assert beside.read_text().startswith("<html lang='zh-Hant'>")
    assert (brief_dir(env) / "brief.zh-Hant.pdf").read_bytes().startswith(b"%PDF")
    assert documents(env) == english  # the English edition is untouched
    manifest = json.loads((brief_dir(env) / "zh-Hant" / "manifest.json").read_text())
    assert manifest["language"] == "zh-Hant"
    assert any(line.endswith("brief.zh-Hant.html") for line in lines)
    # Each edition is up to date on its own; a lost copy beside is put back without a kernel.
    beside.unlink()
    again, _ = run(env, language="zh-Hant", executor=NoKernels())
    assert again.status == "up to date" and beside.is_file()
    assert run(env, executor=NoKernels())[0].status == "up to date"


def test_chinese_edition_needs_every_fact_in_chinese(env):
    with pytest.raises(DataError) as info:
        run(env, language="zh-Hant")
    assert info.value.field == "text_zh" and info.value.file.endswith("facts.csv")
    assert not (brief_dir(env) / "brief.zh-Hant.html").exists()


def test_unknown_language_is_refused_before_any_folder(env):
    with pytest.raises(build.ParameterError, match="unknown language '../x'"):
        run(env, language="../x")
    assert not env["out"].exists()
