import json
import subprocess
import sys

import pytest
from run_fixtures import COMPANY, FIXTURES, PERIOD, python_says

from earnings_brief import cli, history, lock


def test_build_options_and_notebook_parameters_parse():
    args = cli.parser().parse_args([
        "build", "--company", "acme", "--period", "H1-2025", "--jobs", "2", "--keep", "3",
        "-p", "efficiency_scenarios=[0.15, 0.25]", "-p", "comparison_period=H1-2024", "--force",
    ])  # fmt: skip
    assert (args.company, args.period, args.jobs, args.keep, args.force) == (
        "acme",
        "H1-2025",
        2,
        3,
        True,
    )
    assert dict(args.parameter) == {
        "efficiency_scenarios": [0.15, 0.25],
        "comparison_period": "H1-2024",
    }
    assert (args.timeout, args.retries, args.language) == (300.0, 0, [])  # en, see _build


def test_a_parameter_without_value_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["build", "-p", "scenarios"])
    assert caught.value.code == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_errors_print_one_line_and_exit_with_their_code(tmp_path, capsys):
    code = cli.main(
        [
            "build",
            "--company",
            "nobody",
            "--data-dir",
            str(FIXTURES / "data"),
            "--out",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "unknown company 'nobody'" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_fixed_parameters_must_use_their_options(tmp_path, capsys):
    code = cli.main(["build", "-p", "company=acme", "--out", str(tmp_path)])
    assert code == 2 and "--company" in capsys.readouterr().err


def test_held_lock_exits_with_4(tmp_path, capsys):
    argv = ["build", "--company", COMPANY, "--period", PERIOD, "--data-dir", str(FIXTURES / "data"),
            "--out", str(tmp_path), "--lock-timeout", "0"]  # fmt: skip
    with lock.acquire(tmp_path / COMPANY / PERIOD / ".lock"):
        assert cli.main(argv) == 4
    assert "another run holds the lock" in capsys.readouterr().err


def test_history_lists_runs(tmp_path, capsys):
    brief = tmp_path / COMPANY / PERIOD
    _, run_dir = history.new_run(brief)
    history.write_run(
        run_dir, {"status": "failed (3)", "error": "revenue.ipynb failed at cell In [2]"}
    )
    assert (
        cli.main(["history", "--company", COMPANY, "--period", PERIOD, "--out", str(tmp_path)]) == 0
    )
    out = capsys.readouterr().out
    assert "failed (3)" in out and "In [2]" in out


def test_history_lists_every_language_built_or_those_named(tmp_path, capsys):
    brief = tmp_path / COMPANY / PERIOD
    for folder, status in ((brief, "published"), (brief / "zh-Hant", "failed (2)")):
        history.write_run(history.new_run(folder)[1], {"status": status})
    argv = ["history", "--company", COMPANY, "--period", PERIOD, "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("en:\n") and "\n\nzh-Hant:\n" in out
    assert out.index("published") < out.index("zh-Hant:") < out.index("failed (2)")
    assert cli.main([*argv, "--language", "zh-Hant", "--json"]) == 0
    (only,) = json.loads(capsys.readouterr().out)
    assert (only["language"], only["status"]) == ("zh-Hant", "failed (2)")
    assert cli.main([*argv, "--language", "en,xx"]) == 2
    err = capsys.readouterr().err
    assert "unknown language 'xx'" in err and err.count("\n") == 1


def test_build_makes_each_language_in_turn_and_the_universe_gets_them_all(monkeypatch):
    from earnings_brief import build, universe

    built, universes = [], []
    monkeypatch.setattr(build, "build", lambda options, echo: built.append(options))
    monkeypatch.setattr(universe, "run", lambda options, **kw: universes.append(kw) or 0)
    argv = ["build", "--company", COMPANY, "--period", PERIOD, "--notebooks", "nb"]
    assert cli.main([*argv, "--language", "zh-Hant,en"]) == 0
    assert [(o.company, o.language) for o in built] == [(COMPANY, "zh-Hant"), (COMPANY, "en")]
    assert all(str(o.notebooks_dir) == "nb" for o in built)
    assert cli.main(argv) == 0 and built[-1].language == "en"  # the default edition
    assert cli.main(["build", "--all", "--language", "en", "--language", "zh-Hant"]) == 0
    assert (universes[0]["only"], universes[0]["languages"]) == (None, ["en", "zh-Hant"])


def test_languages_repeat_or_take_commas_once_each():
    assert cli._languages(["en,zh-Hant", " zh-Hant ", "en"]) == ["en", "zh-Hant"]
    assert cli._languages([]) == []


def test_check_is_wired_to_the_check_command(capsys):
    assert (
        cli.main(
            [
                "check",
                "--company",
                COMPANY,
                "--period",
                PERIOD,
                "--data-dir",
                str(FIXTURES / "data"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("Northwind Robotics H1-2025: 17 reported figures")
    assert "5 passed, 0 flagged" in out and "FLAG" not in out


def test_module_entry_point_from_another_directory(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "earnings_brief", "history", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0 and "no runs yet" in done.stdout


def test_the_command_freezes_the_collector_before_exit_and_exit_handlers_still_run(tmp_path):
    """The shutdown does not go over a build's objects again (about 1 s); nothing else is lost."""
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen' if gc.get_freeze_count() else 'not frozen'))\n"
        f"sys.argv = ['earnings-brief', 'history', '--out', {str(tmp_path)!r}]\n"
        "from earnings_brief.cli import console\n"
        "console()\n"
    )
    assert python_says(code) == ["no runs yet", "frozen"]


def test_the_cli_skips_the_iri_grammar_and_notebooks_still_validate():
    """jsonschema's optional IRI checker costs 1.6 s per process; nbformat does not need it."""
    code = (
        "import sys\n"
        "from earnings_brief.cli import _skip_iri_grammar\n"
        "_skip_iri_grammar()\n"
        "import nbformat, papermill\n"
        "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]))\n"
        "print(sys.modules['rfc3987_syntax'] is None)\n"
    )
    assert python_says(code) == ["True"]


def test_history_refuses_a_path_for_a_name(tmp_path, capsys):
    code = cli.main(["history", "--company", "../..", "--out", str(tmp_path)])
    assert code == 2 and "is not a company name" in capsys.readouterr().err


def test_universe_options_parse():
    args = cli.parser().parse_args(
        ["build", "--only", "sensetime/FY2024, northwind/H1-2025", "--executor", "dask",
         "--scheduler", "tcp://10.0.0.5:8786"]
    )  # fmt: skip
    assert args.only == ["sensetime/FY2024", "northwind/H1-2025"]
    assert (args.all, args.executor, args.scheduler) == (False, "dask", "tcp://10.0.0.5:8786")
    assert cli.parser().parse_args(["build", "--all"]).all


def test_only_needs_company_slash_period(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["build", "--only", "sensetime"])
    assert caught.value.code == 2
    assert "COMPANY/PERIOD" in capsys.readouterr().err


def test_universe_errors_are_one_line(tmp_path, capsys, monkeypatch):
    data = str(FIXTURES / "data")
    code = cli.main(["build", "--only", "acme/FY2024", "--data-dir", data, "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "unknown brief 'acme/FY2024'" in err and f"{COMPANY}/{PERIOD}" in err
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    out = str(tmp_path)
    code = cli.main(["build", "--all", "--executor", "dask", "--data-dir", data, "--out", out])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "--executor dask needs a scheduler" in err
