"""The command line that make, cron and CI call: ``earnings-brief build|history|check``.

Exit codes (docs/operations.md): 0 built or up to date, 2 data or parameter error, 3 notebook
failure, 4 lock held, 5 assembly or PDF failure, 6 a full or read-only disk, 130 interrupted.
Errors print one line, no traceback. Imports stay light here so that an up-to-date build returns
quickly.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from .errors import BriefError, ParameterError, storage_failure


def main(argv: list[str] | None = None) -> int:
    _skip_iri_grammar()
    args = parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except BriefError as err:
        print(f"error: {err.one_line()}", file=sys.stderr)
        return err.exit_code
    except OSError as err:
        failure = storage_failure(err)
        if failure is None:
            raise
        print(f"error: {failure.one_line()}", file=sys.stderr)
        return failure.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def console() -> None:
    """``earnings-brief`` and ``python -m earnings_brief``: ``main``, then exit with its code.

    The collector's view is frozen first: the interpreter's shutdown would otherwise go over the
    objects a build leaves (pandas, nbconvert, WeasyPrint: some 330,000) again and again as it
    clears the modules, about 1 s after the brief is published. Exit handlers still run, files
    are still flushed and closed.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


def _skip_iri_grammar() -> None:
    """Keep jsonschema from building rfc3987_syntax's IRI grammar: 1.6 s of every build here.

    jupyter-server pulls the package in; jsonschema imports it, when present, only to check the
    "iri" string format, which no notebook schema uses (nbformat validates with fastjsonschema).
    A None entry makes that optional import fail fast, for this process and its forked workers.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="earnings-brief", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build the brief, or say it is up to date")
    _brief_options(build)
    build.add_argument("--out", type=Path, default=Path("outputs"), help="output folder")
    build.add_argument(
        "--language", action="append", default=[], metavar="LANG[,LANG…]",
        help="an edition to build (repeatable; default: en); each is built or up to date alone",
    )  # fmt: skip
    build.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=_parameter,
        help="notebook parameter; VALUE is read as JSON, else text",
    )
    build.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds a notebook cell may run (default: 300)",
    )
    build.add_argument(
        "--retries", type=int, default=0, help="retries when a kernel fails to start (default: 0)"
    )
    build.add_argument(
        "--keep",
        type=int,
        default=10,
        help="editions and run folders (and with --all, universe logs) to keep (default: 10)",
    )
    build.add_argument(
        "--jobs", type=int, default=None, help="notebooks run at once (default: number of CPUs)"
    )
    build.add_argument(
        "--lock-timeout",
        type=float,
        default=300.0,
        help="seconds to wait for another run of the same brief (default: 300)",
    )
    build.add_argument("--notebooks", type=Path, default=None, help="folder of the notebooks")
    build.add_argument("--force", action="store_true", help="run every notebook again")
    _universe_options(build)
    build.set_defaults(run=_build)

    hist = commands.add_parser("history", help="list the runs and editions of a brief")
    hist.add_argument("--company", default="sensetime")
    hist.add_argument("--period", default="FY2024")
    hist.add_argument("--out", type=Path, default=Path("outputs"), help="output folder")
    hist.add_argument(
        "--language", action="append", default=[], metavar="LANG[,LANG…]",
        help="an edition to list (repeatable; default: every language built)",
    )  # fmt: skip
    hist.add_argument("--json", action="store_true", help="print the history as JSON")
    hist.set_defaults(run=_history)

    check = commands.add_parser("check", help="validate a dataset and print its checks")
    _brief_options(check)
    check.add_argument(
        "--language",
        action="append",
        default=[],
        metavar="LANG[,LANG…]",
        help="an edition to be built (repeatable); zh-Hant makes a fact without Chinese an error",
    )
    check.set_defaults(run=_check)
    return top  # fmt: skip


def _brief_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--company", default="sensetime", help="company folder (default: sensetime)"
    )
    command.add_argument("--period", default="FY2024", help="period folder (default: FY2024)")
    command.add_argument("--data-dir", type=Path, default=None, help="data folder (default: data/)")


def _universe_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--all", action="store_true", help="every brief under --data-dir, and the index"
    )
    command.add_argument(
        "--only", type=_brief_list, default=None, metavar="COMPANY/PERIOD,…",
        help="these briefs (comma-separated), and the index",
    )  # fmt: skip
    command.add_argument(
        "--executor", choices=("local", "dask"), default="local",
        help="where notebooks run: a local process pool (default) or a Dask cluster",
    )  # fmt: skip
    command.add_argument(
        "--scheduler", default=None, metavar="tcp://HOST:8786",
        help="the Dask scheduler (default: $DASK_SCHEDULER_ADDRESS)",
    )  # fmt: skip


def _brief_list(text: str) -> list[str]:
    names = [n.strip().strip("/") for n in text.split(",") if n.strip()]
    bad = [n for n in names if n.count("/") != 1]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"'{text}' is not COMPANY/PERIOD[,COMPANY/PERIOD…]")
    return names


def _parameter(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=VALUE")
    try:
        return name.strip(), json.loads(value)
    except ValueError:
        return name.strip(), value


def _languages(given: list[str]) -> list[str]:
    """``--language en --language zh-Hant`` or ``--language en,zh-Hant``, in order, once each."""
    named = (lang.strip() for arg in given for lang in arg.split(","))
    return list(dict.fromkeys(lang for lang in named if lang))


def _build(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from . import build

    names = [name for name, _ in args.parameter]
    if len(set(names)) != len(names):
        raise ParameterError("a parameter is given twice", field="-p")
    languages = _languages(args.language) or ["en"]
    notebooks = {"notebooks_dir": args.notebooks} if args.notebooks else {}
    options = build.BuildOptions(
        company=args.company, period=args.period, data_dir=args.data_dir, out=args.out,
        language=languages[0], parameters=dict(args.parameter), timeout=args.timeout,
        retries=args.retries, keep=args.keep, jobs=args.jobs, force=args.force,
        lock_timeout=args.lock_timeout, **notebooks,
    )  # fmt: skip
    echo = lambda line: print(line, flush=True)  # noqa: E731
    if args.all or args.only or args.executor != "local":
        from . import universe

        only = args.only or (None if args.all else [f"{args.company}/{args.period}"])
        return universe.run(
            options, only=only, languages=languages, executor=args.executor,
            scheduler=args.scheduler, echo=echo,
        )  # fmt: skip
    if not all(build.up_to_date(replace(options, language=lang)) for lang in languages):
        from . import kernels

        kernels.ensure(os.devnull)  # the kernels' imports, while the build checks and loads
    for lang in languages:  # one after the other; the first error stops
        build.build(replace(options, language=lang), echo=echo)
    return 0


def _history(args: argparse.Namespace) -> int:
    from . import history, i18n
    from .dataset import check_name
    from .publish import language_dir

    check_name("company", args.company)
    check_name("period", args.period)
    brief_dir = Path(args.out).resolve() / args.company / args.period
    languages = _languages(args.language) or history.languages(brief_dir, i18n.languages())
    unknown = [lang for lang in languages if lang not in i18n.languages()]
    if unknown:
        expected = "one of " + ", ".join(i18n.languages())
        raise ParameterError(
            f"unknown language '{unknown[0]}'", field="--language", expected=expected
        )
    by_language = {lang: history.runs(language_dir(brief_dir, lang)) for lang in languages}
    if args.json:
        found = [{"language": lang, **r} for lang, runs in by_language.items() for r in runs]
        print(json.dumps(found, indent=1))
    else:
        print(history.format_editions(by_language))
    return 0


def _check(args: argparse.Namespace) -> int:
    from . import checks_cli

    args.language = _languages(args.language)  # as build reads it: en,zh-Hant is two
    return checks_cli.run(args)
