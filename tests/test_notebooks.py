"""The four chapter notebooks: committed clean, parameterised, and run by papermill without errors
or warnings, with defaults, against the fixture company, and from notebooks/ as JupyterLab does."""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest

from earnings_brief.params import NOTEBOOKS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
FIXTURE = {
    "company": "northwind",
    "period": "H1-2025",
    "data_dir": str(ROOT / "tests/fixtures/data"),
}
VARIANTS = {
    "defaults": ({}, ROOT),
    "fixture": (FIXTURE, None),  # cwd: a temporary folder outside the repository
    "lab_cwd": ({}, NOTEBOOK_DIR),
}


def _execute(job: tuple[str, str, dict, str, str]) -> str:
    """Run one notebook in its own process (papermill changes the process's working directory)."""
    import papermill as pm

    name, variant, params, cwd, out = job
    pm.execute_notebook(
        str(NOTEBOOK_DIR / f"{name}.ipynb"),
        out,
        parameters=params,
        cwd=cwd,
        kernel_name="python3",
        progress_bar=False,
    )
    return out


@pytest.fixture(scope="session")
def executed(tmp_path_factory) -> dict[tuple[str, str], nbformat.NotebookNode]:
    """Every notebook executed once per variant, in parallel processes."""
    base = tmp_path_factory.mktemp("executed")
    jobs = []
    for variant, (params, cwd) in VARIANTS.items():
        folder = base / variant
        folder.mkdir()
        for name in NOTEBOOKS:
            jobs.append((name, variant, params, str(cwd or folder), str(folder / f"{name}.ipynb")))
    with ProcessPoolExecutor(max_workers=3) as pool:
        paths = list(pool.map(_execute, jobs))
    return {(j[0], j[1]): nbformat.read(p, as_version=4) for j, p in zip(jobs, paths, strict=True)}


def _outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _html(nb) -> str:
    return "\n".join(o.get("data", {}).get("text/html", "") for o in _outputs(nb))


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_without_errors_or_warnings(executed, name, variant):
    nb = executed[(name, variant)]
    outputs = _outputs(nb)
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = [
        o.get("text", "") for o in outputs if o.output_type == "stream" and o.name == "stderr"
    ]
    assert stderr == []
    assert f'id="chapter-{name}"' in _html(nb)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_blocks_follow_the_contract(executed, name, variant):
    html = _html(executed[(name, variant)])
    blocks = re.findall(r"<figure\b[^>]*\beb-block\b.*?</figure>", html, flags=re.S)
    # Every chapter shows blocks, except auto and infrastructure for the fixture company, which
    # has no data on them and says so in one line (test_fixture_company_says_what_is_missing…).
    empty = {("auto", "fixture"), ("infrastructure", "fixture")}
    assert bool(blocks) == ((name, variant) not in empty), len(blocks)
    for block in blocks:
        assert re.match(
            r'<figure class="eb-block" data-kind="(figure|table)" id="[a-z0-9-]+">', block
        )
        assert '<span class="eb-label"></span>' in block
        assert '<span class="eb-title">' in block and '<span class="eb-subtitle">' in block
        analysis = '<span class="eb-analysis-label">Analysis</span>' in block
        assert ('<p class="eb-source">Source: ' in block) != analysis
        assert ('<p class="eb-analysis">' in block) == analysis
    ids = re.findall(r'<figure class="eb-block" data-kind="\w+" id="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_the_sensitivity_is_labelled_analysis_and_not_attributed_to_the_source(executed):
    """The brief's own extrapolation of management's remark: an Analysis label, its inputs and
    assumptions, and no Source line; management's stated cases keep theirs."""
    html = _html(executed[("infrastructure", "defaults")])
    blocks = re.findall(r"<figure\b[^>]*\beb-block\b.*?</figure>", html, flags=re.S)
    analysis = [b for b in blocks if "eb-analysis-label" in b]
    assert len(analysis) == 1
    (block,) = analysis
    assert "Source:" not in block and 'class="eb-source"' not in block
    line = re.search(r'<p class="eb-analysis">(.*?)</p>', block, re.S)[1]
    assert line.startswith("The brief&#x27;s own illustration")
    assert "Inputs: management&#x27;s stated cases" in line and "TMTPost AGI" in line
    assert "Assumptions:" in line and "13.0% at a 15% lead" in line
    stated = next(b for b in blocks if 'id="infrastructure-sensitivity-stated"' in b)
    assert '<p class="eb-source">Source: TMTPost AGI' in stated


def test_each_fact_is_said_once_across_the_chapters_and_the_outlook(executed):
    """Strategy, views and explanations appear once, as whole sentences, never as
    'Strategy: … Strategy: …' assembled from fields."""
    import html as html_lib

    from earnings_brief import dataset
    from earnings_brief.chapters import outlook
    from earnings_brief.render import render

    ds = dataset.load("sensetime", "FY2024")
    chapters = "\n".join(_html(executed[(name, "defaults")]) for name in NOTEBOOKS)
    text = html_lib.unescape(chapters + "".join(render(b) for b in outlook.render(ds)))
    assert "Strategy:" not in text and "Management's view —" not in text
    for fact in ds.facts.to_dict("records"):
        if fact["kind"] in ("strategy", "view", "explanation", "roadmap"):
            words = html_lib.unescape(fact["text"])[1:40]
            assert text.count(words) <= 1, fact["id"]


def test_defaults_show_charts_and_tables_for_every_chapter(executed):
    for name in NOTEBOOKS:
        html = _html(executed[(name, "defaults")])
        assert 'data-kind="figure"' in html, name
        assert "data:image/svg+xml;base64," in html, name
        assert "eb-missing" not in html, name


def test_fixture_company_says_what_is_missing_in_one_line(executed):
    """A chapter without data is its heading and one line: no section headings, no line per
    missing section; a chapter with data shows no "no data" line for its empty sections."""
    for name in ("auto", "infrastructure"):
        html = _html(executed[(name, "fixture")])
        assert html.count('class="eb-missing"') == 1, name
        assert "Northwind" in html and 'data-kind="figure"' not in html
        assert 'class="eb-section"' not in html, name
    for name in ("revenue", "segments"):
        assert 'class="eb-missing"' not in _html(executed[(name, "fixture")]), name
    segments = _html(executed[("segments", "fixture")])
    assert "Cloud services" in segments and "Generative AI" not in segments


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_output_is_a_block_whose_payload_renders_as_shown(executed, name, variant):
    """The assembler reads the payloads: each display output carries one, and it renders to the
    very HTML the notebook shows; no notebook records values on a channel of its own."""
    from earnings_brief import blocks, render

    nb = executed[(name, variant)]
    shown = [o for o in _outputs(nb) if o.output_type == "display_data"]
    assert shown and all(set(o.data) == {blocks.MIME, "text/html"} for o in shown)
    found = blocks.read_blocks(nb)
    assert [render.render(b) for b in found] == [o.data["text/html"] for o in shown]
    assert not [b for b in found if b.type == "headline"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs_and_with_a_parameters_cell(name):
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_markdown_cells_hold_no_numbers(name):
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\d", cell.source), cell.source


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_code_names_no_company_period_or_segment(name):
    from earnings_brief.dataset import load

    ds = load("sensetime", "FY2024", ROOT / "data")
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    code = "\n".join(
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
    )
    for literal in (*ds.company.segments, ds.period.label, ds.period.comparison, ds.company.key):
        assert literal not in code
