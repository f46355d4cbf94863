"""Shared helpers for the run-side tests: fixture notebooks as a brief, a copied dataset, and a
stand-in assembler (the real one is tested on its own). Run as a script it builds one brief, so
tests can start real concurrent or killed runs in other processes."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from earnings_brief.params import NOTEBOOKS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OK = FIXTURES / "notebooks" / "ok.ipynb"
FAIL = FIXTURES / "notebooks" / "fail.ipynb"
COMPANY, PERIOD = "northwind", "H1-2025"


def make_notebooks(folder: Path, failing: str | None = None, delay: float | None = None) -> Path:
    """The four notebooks of a brief, each a copy of ok.ipynb (``failing`` one of fail.ipynb)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in NOTEBOOKS:
        shutil.copy(FAIL if name == failing else OK, folder / f"{name}.ipynb")
    if delay is not None:
        set_default(folder / "revenue.ipynb", "delay", delay)
    return folder


def set_default(notebook: Path, name: str, value) -> None:
    """Change a default in the parameters cell, as an analyst editing the notebook would."""
    nb = json.loads(notebook.read_text())
    for cell in nb["cells"]:
        if "parameters" in cell["metadata"].get("tags", []):
            lines = "".join(cell["source"]).splitlines()
            lines = [f"{name} = {value!r}" if ln.startswith(f"{name} =") else ln for ln in lines]
            cell["source"] = "\n".join(lines)
    notebook.write_text(json.dumps(nb))


def copy_data(folder: Path) -> Path:
    shutil.copytree(FIXTURES / "data", folder)
    return folder


def figures_csv(data_dir: Path) -> Path:
    return data_dir / COMPANY / PERIOD / "figures.csv"


def freeze_code_hash() -> None:
    """Pin the package's hash: teammates editing src/ must not turn an up-to-date run stale."""
    from earnings_brief import provenance

    provenance.code_hash = lambda package_dir=None: "frozen"


def fake_assemble(executed, ds, params, run_meta, changes, lang) -> str:
    names = ",".join(Path(p).stem for p in executed)
    return f"<html><body data-notebooks='{names}'>{json.dumps(changes)}</body></html>"


def fake_pdf(html: str, pdf_path: Path) -> None:
    Path(pdf_path).write_bytes(b"%PDF-1.7 stand-in\n" + html.encode())


if __name__ == "__main__":
    from earnings_brief.build import BuildOptions, build
    from earnings_brief.errors import BriefError

    freeze_code_hash()
    out, data, notebooks, lock_timeout = sys.argv[1:5]
    options = BuildOptions(
        company=COMPANY,
        period=PERIOD,
        data_dir=Path(data),
        out=Path(out),
        notebooks_dir=Path(notebooks),
        lock_timeout=float(lock_timeout),
    )
    try:
        build(
            options,
            assemble=fake_assemble,
            render_pdf=fake_pdf,
            echo=lambda s: print(s, flush=True),
        )
    except BriefError as err:
        print(f"error: {err.one_line()}", file=sys.stderr)
        sys.exit(err.exit_code)


def python_says(code: str) -> list[str]:
    """What ``code`` prints, run by this interpreter in a fresh process that must exit with 0:
    for what only a new process shows (imports, exit handlers)."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()
