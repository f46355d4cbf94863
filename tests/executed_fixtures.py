"""Small executed notebooks that follow the notebook contract (docs/architecture.md): each shows
its data block and typed blocks (HTML and payload), built with nbformat so that the assembler's
tests do not wait for the real notebooks to run."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

import nbformat

from earnings_brief import blocks, dataset, metrics
from earnings_brief.render import render

CHAPTERS = ("revenue", "segments", "infrastructure", "auto")
INPUT_CODE = "secret_input_code = compute_the_brief()"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" viewBox="0 0 320 120">'
    '<rect x="10" y="10" width="{w}" height="40" fill="#0072B2"/>'
    '<text x="10" y="90" font-size="14">{label}</text></svg>'
)


def _svg(width: int, label: str, *, phone: bool = False) -> str:
    svg = SVG.format(w=width // 2 if phone else width, label=label)
    if phone:  # the phone's narrower variant: 200 px wide instead of 320
        svg = svg.replace('width="320"', 'width="200"', 1)
        svg = svg.replace('viewBox="0 0 320 120"', 'viewBox="0 0 200 120"')
    return base64.b64encode(svg.encode()).decode()


def drawing(width: int, label: str) -> blocks.Drawing:
    """A chart as charts.drawing saves it: the screen, paper and phone variants, and its alt."""
    screen = _svg(width, label)
    return blocks.Drawing(screen, screen, _svg(width, label, phone=True), label)


def shown(*items: blocks.Block):
    """The outputs ``ctx.show`` displays: each block's HTML and its payload."""
    return [
        nbformat.v4.new_output(
            "display_data", data={blocks.MIME: blocks.payload(b), "text/html": render(b)}
        )
        for b in items
    ]


@cache
def data_output() -> dict:
    """The data block ``notebook.start`` displays: SenseTime FY2024's derived figures and checks."""
    ds = dataset.load("sensetime", "FY2024")
    frame = metrics.derive(ds)
    item = blocks.Data.of(frame, metrics.reconcile(ds, frame))
    return {blocks.MIME: blocks.payload(item), "text/html": ""}


def chapter_notebook(name: str, *, error: bool = False, title: str | None = None):
    """An executed chapter notebook: the data block, heading, a section, one chart, one table,
    noise to drop."""
    title = title or name.capitalize()
    code = nbformat.v4.new_code_cell
    cells = [
        nbformat.v4.new_markdown_cell("# Markdown that must not appear"),
        code("ctx = start(name)", outputs=[nbformat.v4.new_output("display_data", data_output())]),
        code(
            INPUT_CODE,
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="stdout noise\n"),
                nbformat.v4.new_output("stream", name="stderr", text="kernel warning noise\n"),
            ],
        ),
        code(
            "show(chapter)",
            outputs=shown(
                blocks.Heading(1, f"chapter-{name}", title),
                blocks.Heading(2, f"{name}-main", f"{title} main"),
            ),
        ),
        code(
            "show(chart)",
            outputs=shown(
                blocks.Figure(
                    f"{name}-chart", f"{title} chart", "RMB bn", drawing(200, name), "TMTPost AGI"
                )
            ),
        ),
        code(
            "show(table)",
            outputs=[
                *shown(
                    blocks.Table(
                        f"{name}-table",
                        f"{title} table",
                        "RMB bn",
                        (blocks.Column("A"),),
                        (("1",),),
                        "TMTPost AGI",
                    )
                ),
                nbformat.v4.new_output(
                    "display_data", data={"text/html": "<p>An output of no block: not shown</p>"}
                ),
                nbformat.v4.new_output(
                    "execute_result", data={"text/plain": "42"}, execution_count=4
                ),
            ],
        ),
    ]
    if error:
        cells.append(
            code(
                "1/0",
                outputs=[
                    nbformat.v4.new_output(
                        "error",
                        ename="ZeroDivisionError",
                        evalue="division by zero",
                        traceback=["Traceback (most recent call last)", "ZeroDivisionError"],
                    )
                ],
            )
        )
    return nbformat.v4.new_notebook(cells=cells)


def write_chapters(folder: Path, **kwargs) -> list[Path]:
    """The four chapter notebooks under ``folder``, in a scrambled order (the assembler sorts)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in reversed(CHAPTERS):
        path = folder / f"{name}.ipynb"
        nbformat.write(chapter_notebook(name, **kwargs.get(name, {})), path)
        paths.append(path)
    return paths


# What build.py hands the assembler (see build._run_meta): none of it may reach the brief.
HOST = "builder-42.internal"
RUN_META = {
    "run_id": "20261129T120000.000Z",
    "edition": "20261129T120000.000Z",
    "previous_edition": None,
    "generated_at": "2026-11-29T12:00:00+00:00",
    "host": HOST,
    "brief_hash": "eb520b847fef89ef7b82abf8be953d4003e228be0a314381808ddee0435ba508",
    "data_hash": "11ce234b388e90756a3de7ab86671f1034ab6dd35425d39b0f6866cc166d1578",
    "code_hash": "6b693178497e0a441e9f935edda4ab583ed2e267831e5801e3b1a8788b052ea7",
    "code_version": "0.1.0+1063d53",
    "versions": {"python": "3.11.7", "pandas": "3.1.1", "weasyprint": "70.0"},
    "notebooks": {"revenue": {"status": "executed", "seconds": 3.5}},
}
PARAMS = {
    "company": "sensetime",
    "period": "FY2024",
    "data_dir": "/home/analyst/briefs/data",
    "language": "en",
}


def build_brief(folder: Path, ds, *, changes=None, **kwargs) -> str:
    """The brief's HTML from fixture notebooks and a dataset."""
    from earnings_brief.assemble import assemble_html

    return assemble_html(write_chapters(folder, **kwargs), ds, PARAMS, RUN_META, changes)
