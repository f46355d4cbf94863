"""The data check: its printed table, and the command as make and CI run it."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from earnings_brief import checks_cli, dataset, metrics
from earnings_brief.errors import DataError

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
FIXTURES = REPO / "tests" / "fixtures" / "data"
PACKAGE = REPO / "src" / "earnings_brief"


@pytest.fixture(scope="module")
def ds() -> dataset.Dataset:
    return dataset.load("sensetime", "FY2024", DATA)


@pytest.fixture(scope="module")
def report(ds) -> tuple[str, int]:
    return checks_cli.report(ds)


def status_lines(text: str) -> list[str]:
    return [t for t in text.splitlines() if t.startswith(("PASS ", "FLAG "))]


def test_report_lists_every_check(ds, report):
    text, flags = report
    checks = metrics.reconcile(ds)
    lines = status_lines(text)
    assert len(lines) == len(checks) == 11
    for line, c in zip(lines, checks.to_dict("records"), strict=True):
        assert line.startswith(c["status"].upper())
        label = dataset.figure_label(c["metric"], c["segment"], c["item"], c["period"])
        assert label in line
    assert flags == 0
    assert "11 passed, 0 flagged" in text


def test_report_header_counts(report):
    first = report[0].splitlines()[0]
    assert first.startswith("SenseTime Group FY2024: 55 reported figures, ")
    assert first.endswith("52 facts, 4 claims, 1 source")


def test_report_flags_a_conflicting_statement(conflicted):
    text, flags = checks_cli.report(conflicted)
    flagged = [t for t in status_lines(text) if t.startswith("FLAG")]
    assert flags == len(flagged) == 1
    (line,) = flagged
    assert "rd_expense_growth FY2024" in line
    assert "−13.70%" in line  # stated, with the formatter's minus sign
    assert "19.19%" in line  # recomputed from 41.31 / 34.66
    assert "−32.89 pp" in line  # difference
    assert "(conflicting statement)" in line
    after = text.splitlines()[text.splitlines().index(line) + 1]
    assert after.strip().startswith("note:") and "13.7" in after


def test_report_formats_values(report):
    text, _ = report
    by_label = {re.split(r"\s{2,}", t)[1]: t for t in status_lines(text) if "claim" not in t}
    gross = by_label["gross_margin FY2024"]
    assert "42.90%" in gross and "42.97%" in gross and "−0.07 pp" in gross
    total = by_label["revenue FY2024"]
    assert "RMB 3,770.0 m" in total and total.endswith("RMB −2.0 m")
    assert by_label["revenue FY2023"].endswith("RMB +1.7 m")  # differences carry their sign
    (deliveries,) = [t for t in status_lines(text) if "cumulative_vehicles_delivered" in t]
    assert "3.6 m" in deliveries and "1.67 m" in deliveries  # counts in the house style


def test_report_says_whether_each_claim_holds_and_keeps_columns_aligned(report):
    text, _ = report
    claims = [t for t in status_lines(text) if "claim:" in t]
    assert len(claims) == 4 and all(t.endswith("holds") for t in claims)
    assert "overseas revenue grew faster than the group" in text  # the claim's note, in full
    rows = [t for t in text.splitlines() if t.startswith(("status", "PASS", "FLAG"))]
    assert len({len(t) for t in rows}) == 1  # every row ends at the same column


def test_report_on_the_fixture_company_has_no_flags():
    text, flags = checks_cli.report(dataset.load("northwind", "H1-2025", FIXTURES))
    assert flags == 0
    assert text.splitlines()[0].startswith("Northwind Robotics H1-2025: 17 reported figures")
    assert "HKD 1,250.0 m" in text
    assert "FLAG" not in text


def test_run_prints_and_returns_zero(capsys):
    args = argparse.Namespace(company="sensetime", period="FY2024", data_dir=str(DATA))
    assert checks_cli.run(args) == 0
    out = capsys.readouterr().out
    assert "FLAG" not in out and "PASS" in out
    assert len(status_lines(out)) == 11


def test_run_raises_data_error_on_a_broken_copy(tmp_path):
    root = broken_copy(tmp_path)
    args = argparse.Namespace(company="sensetime", period="FY2024", data_dir=str(root))
    with pytest.raises(DataError) as info:
        checks_cli.run(args)
    assert info.value.field == "value"
    assert info.value.file.endswith("figures.csv")
    assert info.value.exit_code != 0


# ---------------------------------------------------------------------------------------------
# The command, as `make check` runs it


def broken_copy(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    path = root / "sensetime" / "FY2024" / "figures.csv"
    text = path.read_text("utf-8")
    assert text.count("revenue,,,FY2024,37.7,") == 1
    path.write_text(text.replace("revenue,,,FY2024,37.7,", "revenue,,,FY2024,abc,"), "utf-8")
    return root


needs_main = pytest.mark.skipif(
    not (PACKAGE / "__main__.py").exists(),
    reason="earnings_brief/__main__.py is not written yet (the CLI is another change)",
)


def run_check(*extra: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != dataset.DATA_ENV}
    return subprocess.run(
        [sys.executable, "-m", "earnings_brief", "check", "--company", "sensetime", *extra],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@needs_main
def test_check_command_on_the_bundled_dataset():
    result = run_check("--period", "FY2024")
    assert result.returncode == 0, result.stderr
    assert "FLAG" not in result.stdout
    assert len(status_lines(result.stdout)) == 11
    assert "rd_expense_growth FY2024" in result.stdout
    assert "Traceback" not in result.stderr


@needs_main
def test_check_command_with_a_data_dir(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    result = run_check("--period", "FY2024", "--data-dir", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "11 passed, 0 flagged" in result.stdout


@needs_main
def test_check_command_on_a_broken_value(tmp_path):
    root = broken_copy(tmp_path)
    result = run_check("--period", "FY2024", "--data-dir", str(root), cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    lines = [t for t in result.stderr.splitlines() if t.strip()]
    assert len(lines) == 1, result.stderr
    (message,) = lines
    assert "figures.csv" in message
    assert ":2" in message  # the line of the broken row
    assert "'value'" in message
    assert "abc" in message


@needs_main
def test_check_command_on_an_unknown_period_lists_the_available_ones():
    result = run_check("--period", "FY2030")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [t for t in result.stderr.splitlines() if t.strip()]
    assert len(lines) == 1, result.stderr
    assert "FY2030" in lines[0] and "FY2024" in lines[0]


def test_a_conflicting_statement_and_a_claim_name_both_sides(tmp_path):
    import mini_data as mini

    ds = mini.load(
        tmp_path,
        [
            mini.row("revenue", "200", "HKD m"),
            mini.row("revenue", "210", "HKD m", qual="conflicting"),
            mini.row("revenue", "150", "HKD m", segment="chips"),
            mini.row("revenue", "50", "HKD m", segment="licensing"),
        ],
        claims=["big,revenue[chips],>,revenue[licensing],FY2025,src,chips is the larger"],
    )
    text, flags = checks_cli.report(ds)
    (conflict,) = [t for t in status_lines(text) if "contradicts" in t]
    assert conflict.startswith("FLAG") and "(conflicting statement)" not in conflict
    assert "HKD 210.0 m" in conflict and "HKD 200.0 m" in conflict
    (claim,) = [t for t in status_lines(text) if "claim:" in t]
    assert "HKD 150.0 m" in claim and "> revenue[licensing] HKD 50.0 m" in claim
    assert flags == 1


def cfo_line() -> int:
    lines = (DATA / "sensetime" / "FY2024" / "facts.csv").read_text("utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.startswith("person_wang_zheng,"))


def untranslated_copy(tmp_path: Path) -> Path:
    """A copy of the SenseTime data in which one fact has lost its Chinese text."""
    root = tmp_path / "data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    path = root / "sensetime" / "FY2024" / "facts.csv"
    text = path.read_text("utf-8")
    assert text.count("officer,財務總監,tmtpost") == 1
    path.write_text(text.replace("officer,財務總監,tmtpost", "officer,,tmtpost"), "utf-8")
    return root


@needs_main
def test_check_warns_about_a_fact_without_chinese_for_the_english_edition(tmp_path):
    root = untranslated_copy(tmp_path)
    result = run_check("--period", "FY2024", "--data-dir", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "11 passed" in result.stdout
    (warning,) = [t for t in result.stderr.splitlines() if t.strip()]
    assert warning.startswith(f"warning: facts.csv line {cfo_line()}: fact 'person_wang_zheng'")


@needs_main
def test_check_fails_on_a_fact_without_chinese_for_the_chinese_edition(tmp_path):
    root = untranslated_copy(tmp_path)
    args = ("--period", "FY2024", "--data-dir", str(root), "--language", "en")
    result = run_check(*args, "--language", "zh-Hant", cwd=tmp_path)
    assert result.returncode == 2
    (message,) = [t for t in result.stderr.splitlines() if t.strip()]
    assert f"facts.csv:{cfo_line()}" in message and "'text_zh'" in message
    assert "person_wang_zheng" in message and "Traceback" not in message
    listed = run_check("--period", "FY2024", "--data-dir", str(root), "--language", "en,zh-Hant")
    assert listed.returncode == 2 and "'text_zh'" in listed.stderr  # as build reads the list


def test_bundled_data_checks_clean_for_both_editions(capsys):
    args = argparse.Namespace(
        company="sensetime", period="FY2024", data_dir=str(DATA), language=["en", "zh-Hant"]
    )
    assert checks_cli.run(args) == 0
    assert capsys.readouterr().err == ""
