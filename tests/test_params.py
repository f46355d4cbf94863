"""Parameters: defaults, types, unknown names and values, each with a clear one-line message."""

from __future__ import annotations

from pathlib import Path

import pytest

from earnings_brief.errors import DataError, ParameterError
from earnings_brief.notebook import start
from earnings_brief.params import BASE, FIXED, NOTEBOOKS, defaults, parameters, validate
from earnings_brief.provenance import declared_parameters

ROOT = Path(__file__).resolve().parents[1]


def test_every_notebook_declares_exactly_its_parameters_in_its_parameters_cell():
    for name in NOTEBOOKS:
        declared = declared_parameters(ROOT / "notebooks" / f"{name}.ipynb")
        assert declared[: len(BASE)] == list(BASE)  # the shared ones first, in one order
        assert declared == [p.name for p in parameters(name)]
    assert defaults("infrastructure")["efficiency_scenarios"] == []


def test_the_build_sets_every_base_parameter_but_the_comparison_from_its_options():
    assert set(BASE) - set(FIXED) == {"comparison_period"}


def test_defaults_validate():
    p = validate("revenue")
    assert (p.company, p.period, p.comparison_period, p.data_dir, p.language) == (
        "sensetime",
        "FY2024",
        "",
        None,
        "en",
    )


def test_wrong_type_names_the_parameter():
    with pytest.raises(ParameterError, match="field 'period'.*expected string"):
        validate("revenue", period=2024)


def test_unknown_parameter_is_refused():
    with pytest.raises(ParameterError, match="unknown parameter 'efficiency_scenarios'"):
        validate("revenue", efficiency_scenarios=[0.1])


def test_scenarios_must_be_fractions():
    assert validate("infrastructure", efficiency_scenarios=[0.1, 1 / 5]).knobs[
        "efficiency_scenarios"
    ] == [0.1, 0.2]
    with pytest.raises(ParameterError, match="fractions"):
        validate("infrastructure", efficiency_scenarios=[15])
    with pytest.raises(ParameterError, match="not a number"):
        validate("infrastructure", efficiency_scenarios=["0.1"])


def test_unknown_language_and_notebook():
    with pytest.raises(ParameterError, match="unknown language"):
        validate("revenue", language="xx")
    with pytest.raises(ParameterError, match="unknown notebook"):
        validate("summary")


def test_unknown_company_or_period_is_a_data_error():
    with pytest.raises(DataError, match="unknown company 'nobody'"):
        start("revenue", company="nobody", data_dir=str(ROOT / "data"))
    with pytest.raises(DataError, match="unknown period 'FY1999'"):
        start("revenue", period="FY1999", data_dir=str(ROOT / "data"))


def test_comparison_period_must_be_the_one_the_data_has():
    with pytest.raises(ParameterError, match="comparison_period"):
        start("revenue", comparison_period="FY2020", data_dir=str(ROOT / "data"))


def test_errors_render_as_one_line_in_ipython():
    err = ParameterError("wrong type int", field="period", expected="a string")
    assert err._render_traceback_() == [
        "ParameterError: field 'period': wrong type int (expected a string)"
    ]
