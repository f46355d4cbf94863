"""`make bench`: the build against the naive baseline, medians of several runs, side by side.

Scenarios, each timed as a whole command from a fresh process, as cron or make would start it:
  cold build           environment ready, no outputs
  no-change rebuild    nothing changed since the last build (target: at most 1 s, no kernel)
  one notebook changed one notebook's source edited, the others reused
  naive baseline       per notebook, papermill's CLI then `jupyter nbconvert --to html`, in turn
Targets for a 2-core machine: cold build at most 0.3 x the naive baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from earnings_brief.params import NOTEBOOKS  # noqa: E402

BIN = Path(sys.executable).parent


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
            results.setdefault("cold build", []).append(_time([*build, "--out", str(out)]))
            results.setdefault("no-change rebuild", []).append(
                _time([*build, "--out", str(out)], expect="up to date")
            )
            _touch(notebooks / f"{NOTEBOOKS[-1]}.ipynb", i)
            results.setdefault("one notebook changed", []).append(
                _time([*build, "--out", str(out)])
            )
            print(f"run {i + 1}/{args.runs} of the build done", file=sys.stderr, flush=True)
        for i in range(args.runs):
            results.setdefault("naive baseline", []).append(
                _naive(args, notebooks, data, work / f"naive-{i}")
            )
            print(f"run {i + 1}/{args.runs} of the baseline done", file=sys.stderr, flush=True)
        brief = work / "out-0" / args.company / args.period
        print(_table(results, args.runs, brief))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--company", default="sensetime")
    parser.add_argument("--period", default="FY2024")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (median reported)")
    return parser.parse_args()


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
        f"{'scenario':<22} {'median s':>9} {'x naive':>8}  {'runs (s)':<24} target",
    ]
    for name in ("cold build", "no-change rebuild", "one notebook changed", "naive baseline"):
        times = results[name]
        median = statistics.median(times)
        runs_text = " ".join(f"{t:.2f}" for t in times)
        target = targets.get(name, "")
        lines.append(f"{name:<22} {median:>9.2f} {median / naive:>8.2f}  {runs_text:<24} {target}")
    for name in ("brief.html", "brief.pdf"):
        if (brief / name).exists():
            lines.append(
                f"{name} size: {(brief / name).stat().st_size / 1e6:.2f} MB (target <= 2 MB)"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
