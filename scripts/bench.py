"""`make bench`: the build against the naive baseline, medians of several runs, side by side.

Scenarios, each timed as a whole command from a fresh process, as cron or make would start it:
  cold build           environment ready, no outputs
  no-change rebuild    nothing changed since the last build (target: at most 1 s, no kernel)
  one notebook changed one notebook's source edited, the others reused
  naive baseline       per notebook, papermill's CLI then `jupyter nbconvert --to html`, in turn
Targets for a 2-core machine: cold build at most 0.3 x the naive baseline.

With --universe N (default 12; 0 skips it), a universe of N briefs (the datasets under --data-dir
and the fixture company, then renamed copies of them), each scenario from empty outputs:
  separate builds      one `build --company C --period P` per brief, in turn, as N `make report`s
  universe, local      `build --all` on the local process pool     (target <= 0.5 x separate)
  universe, dask       `build --all --executor dask` on a scheduler and one single-threaded
                       worker per core started here, as docs/cluster.md starts them
                                                                    (target <= 1.2 x local)
CPU s is the user + system time of a scenario's processes (for Dask, the scheduler's and the
workers' too, from their start to their stop): the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from earnings_brief.params import NOTEBOOKS  # noqa: E402

BIN = Path(sys.executable).parent
# CPU seconds (user + system) of each scenario's processes, by scenario: the machine is shared, so
# wall time alone says as much about the neighbours as about the build.
CPU: dict[str, list[float]] = {}


@contextmanager
def _cpu(scenario: str):
    """Add the CPU time of the processes started (and waited for) in the block to ``scenario``."""

    def used() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = used()
    try:
        yield
    finally:
        CPU.setdefault(scenario, []).append(used() - before)


def main() -> None:
    args = _arguments()
    work = Path(tempfile.mkdtemp(prefix="brief-bench-"))
    notebooks = work / "notebooks"
    shutil.copytree(args.notebooks, notebooks)
    data = args.data_dir.resolve()
    build = [
        sys.executable,
        "-m",
        "earnings_brief",
        "build",
        "--company",
        args.company,
        "--period",
        args.period,
        "--data-dir",
        str(data),
        "--notebooks",
        str(notebooks),
    ]
    results: dict[str, list[float]] = {}
    try:
        for i in range(args.runs):
            out = work / f"out-{i}"
            with _cpu("cold build"):
                results.setdefault("cold build", []).append(_time([*build, "--out", str(out)]))
            with _cpu("no-change rebuild"):
                results.setdefault("no-change rebuild", []).append(
                    _time([*build, "--out", str(out)], expect="up to date")
                )
            _touch(notebooks / f"{NOTEBOOKS[-1]}.ipynb", i)
            with _cpu("one notebook changed"):
                results.setdefault("one notebook changed", []).append(
                    _time([*build, "--out", str(out)])
                )
            print(f"run {i + 1}/{args.runs} of the build done", file=sys.stderr, flush=True)
        for i in range(args.runs):
            with _cpu("naive baseline"):
                results.setdefault("naive baseline", []).append(
                    _naive(args, notebooks, data, work / f"naive-{i}")
                )
            print(f"run {i + 1}/{args.runs} of the baseline done", file=sys.stderr, flush=True)
        brief = work / "out-0" / args.company / args.period
        print(_table(results, args.runs, brief))
        if args.universe:
            print(_universe(args, work, notebooks))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--company", default="sensetime")
    parser.add_argument("--period", default="FY2024")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (median reported)")
    parser.add_argument("--universe", type=int, default=12, help="briefs in the universe (0: skip)")
    return parser.parse_args()


FIXTURE_DATA = ROOT / "tests" / "fixtures" / "data"


def _universe_data(args, folder: Path) -> list[tuple[str, str]]:
    """N datasets: the real ones and the fixture company, then renamed copies of them."""
    originals = [
        d for root in (args.data_dir, FIXTURE_DATA) for d in sorted(root.iterdir())
        if (d / "company.toml").is_file()
    ]  # fmt: skip
    briefs: list[tuple[str, str]] = []
    copy = 0
    while len(briefs) < args.universe:
        source = originals[copy % len(originals)]
        name = source.name if copy < len(originals) else f"{source.name}-v{copy}"
        shutil.copytree(source, folder / name)
        toml = folder / name / "company.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace(
            f'key = "{source.name}"', f'key = "{name}"'), encoding="utf-8")  # fmt: skip
        periods = sorted(p.parent.name for p in (folder / name).glob("*/period.toml"))
        briefs += [(name, p) for p in periods][: args.universe - len(briefs)]
        copy += 1
    for extra in {c for c, _ in briefs} ^ {d.name for d in folder.iterdir()}:
        shutil.rmtree(folder / extra)
    return briefs


def _universe(args, work: Path, notebooks: Path) -> str:
    data = work / "universe-data"
    data.mkdir()
    briefs = _universe_data(args, data)
    build = [sys.executable, "-m", "earnings_brief", "build", "--data-dir", str(data),
             "--notebooks", str(notebooks)]  # fmt: skip
    print(f"universe of {len(briefs)} briefs: separate builds", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with _cpu("separate builds"):
        for company, period in briefs:
            _time([*build, "--company", company, "--period", period, "--out", str(work / "u-sep")])
    times = {"separate builds": time.perf_counter() - started}
    print("universe: one build on the local pool", file=sys.stderr, flush=True)
    with _cpu("universe, local"):
        times["universe, local"] = _time([*build, "--all", "--out", str(work / "u-local")])
    print("universe: one build on a local Dask cluster", file=sys.stderr, flush=True)
    # Its CPU counts the scheduler's and the workers' too, from their start to their stop.
    with _cpu("universe, dask"), _dask_cluster(work / "dask") as address:
        times["universe, dask"] = _time(
            [*build, "--all", "--executor", "dask", "--scheduler", address,
             "--out", str(work / "u-dask")]
        )  # fmt: skip
    return _universe_table(times, len(briefs), work / "u-local")


def _universe_table(times: dict[str, float], n: int, out: Path) -> str:
    ratios = {
        "universe, local": (times["universe, local"] / times["separate builds"], "separate",
                            "<= 0.5"),
        "universe, dask": (times["universe, dask"] / times["universe, local"], "local", "<= 1.2"),
    }  # fmt: skip
    lines = [
        f"universe of {n} briefs, one run each",
        f"{'scenario':<22} {'s':>9} {'CPU s':>8}  ratio",
    ]
    for name, seconds in times.items():
        ratio, base, target = ratios.get(name, (None, "", ""))
        told = f"{ratio:.2f} x {base} (target {target})" if ratio is not None else ""
        lines.append(f"{name:<22} {seconds:>9.2f} {_cpu_text(name):>8}  {told}")
    lines.append(_split(out))
    return "\n".join(lines)


def _split(out: Path) -> str:
    """Where the universe's job time went, summed over its briefs' run logs (jobs overlap)."""
    kinds = {"kernels": r": done in ([\d.]+) s", "assembly": r"assembled brief.html in ([\d.]+) s",
             "PDF": r"rendered brief.pdf in ([\d.]+) s"}  # fmt: skip
    totals = dict.fromkeys(kinds, 0.0)
    for log in out.glob("*/*/editions/*/run.log"):
        text = log.read_text(encoding="utf-8")
        for kind, pattern in kinds.items():
            totals[kind] += sum(float(x) for x in re.findall(pattern, text))
    whole = sum(totals.values()) or 1.0
    parts = ", ".join(f"{k} {v:.0f} s ({v / whole:.0%})" for k, v in totals.items())
    return f"job time in the local universe: {parts}"


@contextmanager
def _dask_cluster(folder: Path):
    """A scheduler and one single-threaded worker per core, as docs/cluster.md starts them."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    folder.mkdir()
    dask = str(BIN / "dask")
    log = open(folder / "cluster.log", "wb")  # noqa: SIM115  closed below
    once_more = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    processes = [subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        cwd=folder, stdout=log, stderr=log, start_new_session=True, env=once_more)]  # fmt: skip
    try:
        processes.append(subprocess.Popen(
            [dask, "worker", address, "--nworkers", str(os.cpu_count() or 1), "--nthreads", "1",
             "--no-dashboard", "--local-directory", str(folder),
             "--preload", "earnings_brief.worker"],
            cwd=folder, stdout=log, stderr=log, start_new_session=True))  # fmt: skip
        from distributed import Client

        with Client(address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(os.cpu_count() or 1, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


def _cpu_text(scenario: str) -> str:
    """The median CPU seconds of a scenario's processes, or n/a."""
    spent = CPU.get(scenario)
    return f"{statistics.median(spent):.1f}" if spent else "n/a"


def _time(command: list[str], expect: str = "") -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout}{done.stderr}")
    if expect not in done.stdout:
        # Someone edited the package or data meanwhile: the timing measures a rebuild, say so.
        print(
            f"warning: expected '{expect}' from {' '.join(command[3:5])}; got:\n{done.stdout}",
            file=sys.stderr,
        )
    return seconds


def _touch(notebook: Path, n: int) -> None:
    """Edit a notebook as an analyst would (its metadata), so exactly that notebook is stale."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb["metadata"]["bench_edit"] = n
    notebook.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _naive(args, notebooks: Path, data: Path, out: Path) -> float:
    out.mkdir(parents=True)
    started = time.perf_counter()
    for name in NOTEBOOKS:
        executed = out / f"{name}.ipynb"
        _time(
            [
                str(BIN / "papermill"),
                str(notebooks / f"{name}.ipynb"),
                str(executed),
                "-p",
                "company",
                args.company,
                "-p",
                "period",
                args.period,
                "-p",
                "data_dir",
                str(data),
                "--cwd",
                str(notebooks),
                "--no-progress-bar",
            ]
        )
        _time([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)])
    return time.perf_counter() - started


def _table(results: dict[str, list[float]], runs: int, brief: Path) -> str:
    naive = statistics.median(results["naive baseline"])
    targets = {"cold build": "<= 0.30 x naive", "no-change rebuild": "<= 1 s, no kernel"}
    lines = [
        f"median of {runs} runs on {os.cpu_count()} cores",
        f"{'scenario':<22} {'median s':>9} {'x naive':>8} {'CPU s':>8}  {'runs (s)':<24} target",
    ]
    for name in ("cold build", "no-change rebuild", "one notebook changed", "naive baseline"):
        times = results[name]
        median = statistics.median(times)
        runs_text = " ".join(f"{t:.2f}" for t in times)
        target = targets.get(name, "")
        lines.append(
            f"{name:<22} {median:>9.2f} {median / naive:>8.2f} {_cpu_text(name):>8}  "
            f"{runs_text:<24} {target}"
        )
    for name in ("brief.html", "brief.pdf"):
        if (brief / name).exists():
            lines.append(
                f"{name} size: {(brief / name).stat().st_size / 1e6:.2f} MB (target <= 2 MB)"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
