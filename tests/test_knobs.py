"""The chapter knobs of revenue, segments and auto: checked in params, passed by the pipeline
only to the notebooks that declare them, and changing what the chapter shows."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from earnings_brief import provenance, render
from earnings_brief.chapters import auto, revenue, segments
from earnings_brief.chapters.show import measures_table
from earnings_brief.errors import ParameterError
from earnings_brief.notebook import start
from earnings_brief.params import NOTEBOOKS, defaults, validate

ROOT = Path(__file__).resolve().parents[1]
MONEY_NOTEBOOKS = ("revenue", "segments", "auto")


def _run(module, block: str, notebook: str, **knobs) -> str:
    """The HTML of the blocks a chapter function returns with these knobs."""
    ctx = start(notebook, **knobs)
    return "\n".join(render.render(b, ctx.lang) for b in getattr(module, block)(ctx))


def _body_rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, flags=re.S)
    return re.findall(r"<tr>.*?</tr>", body[1], flags=re.S) if body else []


def test_knob_defaults_are_todays_brief():
    assert defaults("revenue")["checks_shown"] == "all"
    for name in MONEY_NOTEBOOKS:
        assert defaults(name)["money_scale"] == ""
    assert "money_scale" not in defaults("infrastructure")


@pytest.mark.parametrize(
    ("notebook", "name", "value", "allowed"),
    [
        ("revenue", "checks_shown", "some", "'all', 'flagged'"),
        *((nb, "money_scale", "k", "'' (automatic), 'bn', 'm'") for nb in MONEY_NOTEBOOKS),
    ],
)
def test_a_wrong_knob_value_names_the_parameter_and_the_choices(notebook, name, value, allowed):
    with pytest.raises(ParameterError) as err:
        validate(notebook, **{name: value})
    message = str(err.value)
    assert f"field '{name}': unknown value '{value}'" in message
    assert f"(expected one of {allowed})" in message
    assert "\n" not in message


def test_knobs_are_refused_where_not_declared():
    with pytest.raises(ParameterError, match="unknown parameter 'checks_shown'"):
        validate("segments", checks_shown="flagged")
    with pytest.raises(ParameterError, match="unknown parameter 'money_scale'"):
        validate("infrastructure", money_scale="m")


def test_checks_table_lists_only_the_flagged_checks(conflicted):
    data = str(conflicted.root)
    every = _run(revenue, "quality_flags", "revenue", data_dir=data)
    flagged = _run(revenue, "quality_flags", "revenue", checks_shown="flagged", data_dir=data)
    assert len(_body_rows(every)) == 8
    rows = _body_rows(flagged)
    assert len(rows) == 1 and "R&amp;D growth FY2024" in rows[0] and ">flag<" in rows[0]
    # The flag sentence and the count in the title stay; a note says where the rest are.
    for html in (every, flagged):
        assert "Flagged: the source states R&amp;D growth FY2024" in html
        assert "1 of 8 checks on these figures are flagged" in html
    assert "Only the flagged checks are listed; the appendix lists all 8." in flagged


def test_the_bundled_checks_all_pass():
    html = _run(revenue, "quality_flags", "revenue")
    assert _body_rows(html) == [] and "<table" not in html  # the appendix has the table
    assert "None of the 7 checks on these figures is flagged" in html


def test_revenue_money_in_millions(conflicted):
    data = str(conflicted.root)  # a flag, so that the chapter lists its checks
    html = _run(revenue, "quality_flags", "revenue", data_dir=data)
    assert "RMB 3.77 bn" in html and "RMB 3,770 m" not in html
    html = _run(revenue, "quality_flags", "revenue", money_scale="m", data_dir=data)
    assert "RMB 3,770 m" in html and "RMB 3.77 bn" not in html
    html = _run(revenue, "revenue_vs_prior", "revenue", money_scale="m")
    assert "RMB m" in html and "RMB bn" not in html
    html = _run(revenue, "spending_intensity", "revenue", money_scale="m")
    assert "FY2024 (RMB m)" in html and ">4,131</td>" in html


def test_segments_table_in_the_chosen_scale():
    html = _run(segments, "growth_table", "segments")
    assert "FY2024 (RMB bn)" in html
    html = _run(segments, "growth_table", "segments", money_scale="m")
    assert "FY2024 (RMB m)" in html and "FY2024 (RMB bn)" not in html
    assert re.search(r">3,770<", html) and re.search(r">256<", html)


def test_auto_tables_follow_the_scale_and_per_vehicle_stays_in_currency():
    ctx = start("auto", money_scale="bn")
    money = ctx.frame[
        (ctx.frame["metric"] == "revenue")
        & (ctx.frame["segment"] == "smart_auto")
        & (ctx.frame["period"] == ctx.period)
    ]
    table = measures_table(ctx, "product-x", money, texts="product", product="X", period=ctx.period)
    assert "RMB 0.26 bn" in render.render(table)
    default = _run(auto, "revenue_per_vehicle", "auto")
    assert _run(auto, "revenue_per_vehicle", "auto", money_scale="m") == default
    assert "RMB per vehicle" in default


def test_pipeline_passes_money_scale_only_to_the_notebooks_that_declare_it():
    notebooks = {n: ROOT / "notebooks" / f"{n}.ipynb" for n in NOTEBOOKS}
    inputs = provenance.brief_inputs(
        notebooks, [], {"money_scale": "m", "checks_shown": "flagged"}, versions={}
    )
    given = {n: nb["parameters"] for n, nb in inputs.notebooks.items()}
    assert given["revenue"] == {"money_scale": "m", "checks_shown": "flagged"}
    assert given["segments"] == given["auto"] == {"money_scale": "m"}
    assert given["infrastructure"] == {}


def test_papermill_runs_the_revenue_notebook_with_injected_knobs(tmp_path):
    import papermill as pm

    out = tmp_path / "revenue.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "revenue.ipynb"),
        str(out),
        parameters={"money_scale": "m"},
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "\n".join(o.get("data", {}).get("text/html", "") for o in outputs)
    spending = html.split('id="revenue-spending"')[-1]
    assert ">4,131<" in spending and ">4.13<" not in spending
    assert "Revenue of the group and each segment, FY2023 and FY2024, RMB m" in html
