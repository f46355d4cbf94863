"""Find, load and validate one company-period dataset: the only module that knows the file format.

Layout (documented for analysts in data/README.md)::

    <data_dir>/<company>/company.toml
    <data_dir>/<company>/<period>/period.toml, sources.toml, figures.csv, facts.csv, claims.csv

Every problem raises a DataError naming the file, the line, the field and what was expected.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import catalog as metric_catalog
from . import i18n
from .catalog import Catalog
from .errors import DataError, ParameterError
from .units import parse_unit, rounding_half_width, to_base

# pandas is imported where frames are built, so dataset_files() stays cheap for the build's
# up-to-date check (importing pandas alone takes about a second here).
if TYPE_CHECKING:
    import pandas as pd

DATA_ENV = "EARNINGS_BRIEF_DATA"

FIGURE_COLUMNS = [
    "metric",
    "segment",
    "item",
    "period",
    "value",
    "unit",
    "qualifier",
    "as_of",
    "source",
    "note",
]
FACT_COLUMNS = ["id", "kind", "topic", "date", "status", "name_en", "name_zh", "text", "source"]
CLAIM_COLUMNS = ["id", "left", "relation", "right", "period", "source", "note"]

QUALIFIERS = {
    "": "as stated",
    "approx": "about (約)",
    "more_than": "more than (超過)",
    "up_to": "up to (可達)",
    "order_of": "of the order of (級)",
    "conflicting": "a second statement of the same figure that contradicts the first",
}
FACT_KINDS = {
    "event",
    "roadmap",
    "strategy",
    "view",
    "outlook",
    "explanation",
    "customer",
    "partner",
    "person",
}
FACT_STATUSES = {"", "done", "expected"}
RELATIONS = {">", "<", ">=", "<="}

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_AS_OF = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})(-(?P<day>\d{2}))?$")
_FACT_DATE = re.compile(r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2}))?|-Q[1-4]|-H[12])?$")
_SOURCE_DATE = re.compile(r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2}))?)?$")
# A range as sources print it: '107-108' (low-high, each may carry a sign).
_RANGE = re.compile(r"^(?P<lo>[+-]?[\d,]*\.?\d+)\s*[-–~]\s*(?P<hi>[+-]?[\d,]*\.?\d+)$")
_REFERENCE = re.compile(
    r"^(?P<metric>[a-z][a-z0-9_]*)(\[(?P<segment>[a-z0-9_]*)(/(?P<item>[a-z0-9_]+))?\])?$"
)


@dataclass(frozen=True)
class Segment:
    key: str
    name_en: str
    name_zh: str = ""
    renamed_to: str = ""  # the key this segment was renamed to in a later period


@dataclass(frozen=True)
class Company:
    key: str
    name_en: str
    name_zh: str
    ticker: str
    exchange: str
    currency: str
    fiscal_year_end: str
    segments: dict[str, Segment]
    brands: dict[str, Segment] = field(default_factory=dict)

    def name(self, lang: str = "en") -> str:
        """The company's name in ``lang``: the Chinese one in a Chinese edition when it has one."""
        return self.name_zh if lang.startswith("zh") and self.name_zh else self.name_en

    def display_order(self) -> list[str]:
        """Segment keys in display order, a former name right after the segment it became, so
        FY2023's traditional AI stands where vision AI does (and takes its colour)."""
        current = [k for k, s in self.segments.items() if not s.renamed_to]
        rank = {k: i for i, k in enumerate(current)}
        return sorted(self.segments, key=lambda k: (rank[_latest(self, k)], k not in rank))

    def colours(self, palette: list[str]) -> dict[str, str]:
        """One colour per segment; a former name shares the colour of the segment it became."""
        current = [k for k, s in self.segments.items() if not s.renamed_to]
        base = {k: palette[i % len(palette)] for i, k in enumerate(current)}
        return {k: base[_latest(self, k)] for k in self.segments}


@dataclass(frozen=True)
class Period:
    label: str
    kind: str
    start: date
    end: date
    comparison: str
    results_date: date | None
    sources: tuple[str, ...]
    revised: date | None = None  # when the data was last corrected; dates the edition stamp


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    title: str = ""
    description: str = ""
    language: str = ""
    date: str = ""
    company: str = ""
    covers: str = ""
    date_note: str = ""
    file: str = ""
    sha256: str = ""
    url: str = ""
    publisher_zh: str = ""  # the Chinese edition's publisher, description, date note, coverage
    description_zh: str = ""
    date_note_zh: str = ""
    covers_zh: str = ""


@dataclass
class Dataset:
    """A validated company-period: metadata, sources, and tidy frames of figures, facts, claims."""

    root: Path
    company: Company
    period: Period
    sources: dict[str, Source]
    figures: pd.DataFrame
    facts: pd.DataFrame
    claims: pd.DataFrame
    files: list[Path]
    catalog: Catalog = field(default_factory=metric_catalog.load)

    @property
    def segments(self) -> list[Segment]:
        """Segments with figures in this dataset, in the company's display order."""
        used = set(self.figures["segment"]) - {""}
        return [s for k, s in self.company.segments.items() if k in used]

    def former_names(self, segment: str) -> list[str]:
        """Keys this dataset's figures wrote for ``segment`` before it was renamed to it."""
        if "segment_written" not in self.figures:
            return []
        # A plain pass over two columns: a masked frame per call cost 3 ms, and the appendix
        # names a segment some seventy times.
        pairs = zip(self.figures["segment"], self.figures["segment_written"], strict=True)
        written = dict.fromkeys(w for s, w in pairs if s == segment)
        return [k for k in written if k and k != segment]

    def segment_name(self, segment: str, lang: str = "en") -> str:
        """A segment's name; a renamed one names its former name too: 'Vision AI (formerly
        Traditional AI)' when the comparison period used the old key."""

        def name(key: str) -> str:
            seg = self.company.segments.get(key)
            if seg is None:
                return key.replace("_", " ")
            return seg.name_zh if lang.startswith("zh") and seg.name_zh else seg.name_en

        former = [name(k) for k in self.former_names(segment)]
        if not former:
            return name(segment)
        return i18n.t("narrative.renamed", lang, name=name(segment), former=", ".join(former))


def default_data_dir() -> Path:
    """The bundled data/ folder, wherever the code is started (a notebook, the CLI, a test).

    Order: the EARNINGS_BRIEF_DATA variable, a data/ folder in the working directory or any parent,
    then the one beside the source tree.
    """
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser().resolve()
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "data").is_dir() and any((folder / "data").glob("*/company.toml")):
            return (folder / "data").resolve()
    return Path(__file__).resolve().parents[2] / "data"


def available(data_dir: Path | str | None = None) -> dict[str, list[str]]:
    """Companies and their periods under a data directory."""
    root = Path(data_dir) if data_dir else default_data_dir()
    found: dict[str, list[str]] = {}
    for company_file in sorted(root.glob("*/company.toml")):
        periods = sorted(p.parent.name for p in company_file.parent.glob("*/period.toml"))
        found[company_file.parent.name] = periods
    return found


def dataset_files(company: str, period: str, data_dir: Path | str | None = None) -> list[Path]:
    """The files a dataset is made of, without parsing them (cheap: used for change detection)."""
    root = Path(data_dir) if data_dir else default_data_dir()
    folder = root / company / period
    extension = [root / company / CATALOG_FILE] if (root / company / CATALOG_FILE).is_file() else []
    return [
        root / company / "company.toml",
        *extension,
        *sorted(p for p in folder.iterdir() if p.is_file()),
    ]


def load(company: str, period: str, data_dir: Path | str | None = None) -> Dataset:
    """Load and validate one dataset; raise DataError with file, line, field and expectation."""
    root = locate(company, period, data_dir)
    folder = root / company / period
    comp = _company(root / company / "company.toml")
    cat = metric_catalog.load(root / company / CATALOG_FILE)
    per = _period(folder / "period.toml", period)
    sources = _sources(folder / "sources.toml", per)
    figures = _figures(folder / "figures.csv", comp, per, sources, cat)
    facts = _facts(folder / "facts.csv", sources, cat)
    facts["topic"] = [_shown_segment(t, figures) for t in facts["topic"]]
    claims = _claims(folder / "claims.csv", per, sources, figures)
    files = [
        root / company / "company.toml",
        *cat.files[1:],
        *(folder / n for n in _PERIOD_FILES if (folder / n).exists()),
    ]
    return Dataset(root, comp, per, sources, figures, facts, claims, files, cat)


# A company or period is a folder name, never a path: no separator, no "..", no leading dot.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
NAME_MAX = 64


def check_name(kind: str, value: str) -> None:
    """Refuse a company or period that is not a plain folder name (say ``../../victim``)."""
    if not NAME.match(value) or ".." in value or len(value) > NAME_MAX:
        raise DataError(
            f"'{value}' is not a {kind} name",
            field=kind,
            expected=f"a folder name of letters, digits, '_', '-' or '.' (at most {NAME_MAX})",
        )


def data_root(data_dir: Path | str | None = None) -> Path:
    """The data folder: ``data_dir``, else the bundled one; it must exist."""
    root = Path(data_dir).expanduser().resolve() if data_dir else default_data_dir()
    if not root.is_dir():
        raise DataError(
            "data directory not found",
            file=root,
            expected="a folder holding <company>/company.toml",
        )
    return root


def locate(company: str, period: str, data_dir: Path | str | None = None) -> Path:
    """The data directory, once it holds this company and period; reads nothing else.

    The build calls this before it takes a lock or creates a folder, so bad names touch nothing.
    """
    check_name("company", company)
    check_name("period", period)
    root = data_root(data_dir)
    known = available(root)
    if company not in known:
        raise DataError(
            f"unknown company '{company}'",
            file=root,
            field="company",
            expected=f"one of {_listing(known)}",
        )
    if period not in known[company]:
        raise DataError(
            f"unknown period '{period}' for {company}",
            file=root / company,
            field="period",
            expected=f"one of {_listing(known[company])}",
        )
    return root


def read_period(company: str, period: str, data_dir: Path) -> Period:
    """period.toml alone, checked (cheap: no CSV, no pandas), for the build's first checks."""
    return _period(Path(data_dir) / company / period / "period.toml", period)


def comparison(requested: str, period: Period) -> str:
    """The comparison period a brief uses: the requested one, which must be period.toml's."""
    if requested and requested != period.comparison:
        raise ParameterError(
            f"no figures for comparison period '{requested}'",
            field="comparison_period",
            expected=f"empty or '{period.comparison}' (the comparison in period.toml)",
        )
    return requested or period.comparison


CATALOG_FILE = "catalog.toml"
_PERIOD_FILES = ("period.toml", "sources.toml", "figures.csv", "facts.csv", "claims.csv")


def _listing(names) -> str:
    names = list(names)
    return ", ".join(names) if names else "none (the folder is empty)"


def read_toml(path: Path) -> dict:
    if not path.is_file():
        raise DataError("file not found", file=path, expected="a TOML file")
    try:
        # utf-8-sig: Notepad starts a UTF-8 file with a byte-order mark, which TOML does not allow.
        table = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as err:
        line = re.search(r"line (\d+)", str(err))
        raise DataError(
            f"not valid TOML: {err}", file=path, line=int(line.group(1)) if line else None
        ) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=path, expected="a UTF-8 encoded file") from None
    check_toml_text(table, path)
    return table


def _require(table: dict, key: str, path: Path, kind: type = str, where: str = ""):
    name = f"{where}.{key}" if where else key
    if key not in table:
        raise DataError("missing field", file=path, field=name, expected=f"a {kind.__name__}")
    value = table[key]
    if not isinstance(value, kind):
        raise DataError(
            f"wrong type {type(value).__name__}",
            file=path,
            field=name,
            expected=f"a {kind.__name__}",
        )
    return value


def _company(path: Path) -> Company:
    t = read_toml(path)
    segs = _require(t, "segments", path, dict)
    if not segs:
        raise DataError(
            "no segments", file=path, field="segments", expected="at least one [segments.<key>]"
        )

    def named(table: dict, group: str) -> dict[str, Segment]:
        out = {}
        for key, value in table.items():
            if not _KEY.match(key):
                raise DataError(
                    f"bad key '{key}'", file=path, field=group, expected="lower_snake_case"
                )
            if not isinstance(value, dict):
                raise DataError(
                    "not a table", file=path, field=f"{group}.{key}", expected="a table"
                )
            name_en = _require(value, "name_en", path, str, f"{group}.{key}")
            renamed = str(value.get("renamed_to", "")) if group == "segments" else ""
            out[key] = Segment(key, name_en, str(value.get("name_zh", "")), renamed)
        return out

    segments = named(segs, "segments")
    _check_renames(path, segments)
    return Company(
        key=path.parent.name,
        name_en=_require(t, "name_en", path),
        name_zh=str(t.get("name_zh", "")),
        ticker=_require(t, "ticker", path),
        exchange=str(t.get("exchange", "")),
        currency=_require(t, "currency", path),
        fiscal_year_end=_fiscal_year_end(t, path),
        segments=segments,
        brands=named(t.get("brands", {}), "brands"),
    )


def _check_renames(path: Path, segments: dict[str, Segment]) -> None:
    """Each ``renamed_to`` names another segment, and renames never go round in a circle."""
    for key, seg in segments.items():
        seen = {key}
        target = seg.renamed_to
        while target:
            if target not in segments or target in seen:
                why = "unknown segment" if target not in segments else "a circle of renames"
                raise DataError(
                    f"{why} '{target}'",
                    file=path,
                    field=f"segments.{key}.renamed_to",
                    expected="the key of the segment it was renamed to, from this file",
                )
            seen.add(target)
            target = segments[target].renamed_to


def _canonical_segments(company: Company, used_now: set[str]) -> dict[str, str]:
    """Each segment key → the key a dataset shows it under: renamed segments are one segment,
    shown under the name the current period uses (else the latest name)."""
    out = {}
    for key in company.segments:
        latest = _latest(company, key)
        group = [k for k in company.segments if _latest(company, k) == latest]
        out[key] = next((k for k in group if k in used_now), latest)
    return out


def _latest(company: Company, key: str) -> str:
    while company.segments[key].renamed_to:
        key = company.segments[key].renamed_to
    return key


def _period(path: Path, label: str) -> Period:
    t = read_toml(path)
    written = _require(t, "label", path)
    if written != label:
        raise DataError(
            f"label '{written}' differs from its folder", file=path, field="label", expected=label
        )
    start, end = _require(t, "start", path, date), _require(t, "end", path, date)
    for key, value in (("start", start), ("end", end), ("results_date", t.get("results_date"))):
        if isinstance(value, datetime):  # a TOML date-time is a date too, but not comparable
            raise DataError(
                "a date with a time", file=path, field=key, expected="a TOML date like 2025-03-26"
            )
    if end <= start:
        raise DataError(
            "period ends before it starts", file=path, field="end", expected=f"a date after {start}"
        )
    results, revised = t.get("results_date"), t.get("revised")
    for name, value in (("results_date", results), ("revised", revised)):
        if value is not None and not isinstance(value, date):
            raise DataError(
                "not a date", file=path, field=name, expected="a TOML date like 2025-03-26"
            )
    sources = _require(t, "sources", path, list)
    return Period(
        written,
        _require(t, "kind", path),
        start,
        end,
        str(t.get("comparison", "")),
        results,
        tuple(sources),
        revised,
    )


def _sources(path: Path, period: Period) -> dict[str, Source]:
    t = read_toml(path)
    out = {}
    for sid, s in t.items():
        if not isinstance(s, dict):
            raise DataError("not a table", file=path, field=sid, expected=f"a [{sid}] table")
        out[sid] = _source(path, sid, s)
    for sid in period.sources:
        if sid not in out:
            raise DataError(
                f"unknown source '{sid}'",
                file=path.with_name("period.toml"),
                field="sources",
                expected=f"one of {_listing(out)}",
            )
    return out


def _source(path: Path, sid: str, table: dict) -> Source:
    """One source: a publisher and a title or a description; everything else is optional."""
    _require(table, "publisher", path, str, sid)
    if table.get("date") and not real_date(str(table["date"]), _SOURCE_DATE):
        raise DataError(
            f"bad date '{table['date']}'",
            file=path,
            field=f"{sid}.date",
            expected="empty or a real date as YYYY-MM-DD (put anything else in date_note)",
        )
    if not (table.get("title") or table.get("description")):
        raise DataError(
            "no title or description", file=path, field=f"{sid}.title", expected="either field"
        )
    known = {k: str(v) for k, v in table.items() if k in Source.__dataclass_fields__}
    known.pop("id", None)
    return Source(sid, **known)


def _rows(
    path: Path, columns: list[str], *, required: bool = True
) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with their line numbers; checks the header and each row's width."""
    if not path.is_file():
        if required:
            raise DataError(
                "file not found", file=path, expected="a CSV file with header " + ",".join(columns)
            )
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=path, expected="a UTF-8 encoded CSV file") from None
    # A StringIO keeps line breaks inside quoted fields (splitlines() would drop them and join
    # '3<newline>7' into 37); line_num still counts physical lines.
    reader = csv.reader(io.StringIO(text, newline=""))
    records = _records(reader, path)
    header = next(records, None)
    if header is None:
        raise DataError(
            "empty file", file=path, line=1, expected="a header row " + ",".join(columns)
        )
    header = [h.strip() for h in header]
    for col in columns:
        if col not in header:
            raise DataError(
                "missing column",
                file=path,
                line=1,
                field=col,
                expected="header " + ",".join(columns),
            )
    rows = []
    for values in records:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) < len(header) and set(header[len(values) :]) <= _CHINESE_ONLY:
            values = [*values, *[""] * (len(header) - len(values))]  # a row without its Chinese
        if len(values) != len(header):
            raise DataError(
                f"{len(values)} fields instead of {len(header)}",
                file=path,
                line=line,
                expected="one value per column; quote text that holds a comma",
            )
        row = {k: v.strip() for k, v in zip(header, values, strict=True)}
        for key, value in row.items():
            check_text(value, key, path, line)
        rows.append((line, row))
    return rows


def _records(reader, path: Path):
    """The reader's records; a malformed one (a field over csv's 128 KiB limit) is a DataError."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataError(
                f"unreadable CSV: {err}", file=path, line=reader.line_num, expected="a CSV file"
            ) from None


def _check_source(value: str, sources: dict, path: Path, line: int) -> None:
    if value not in sources:
        raise DataError(
            f"unknown source '{value}'",
            file=path,
            line=line,
            field="source",
            expected=f"an id from sources.toml: {_listing(sources)}",
        )


def _figures(
    path: Path, company: Company, period: Period, sources: dict, cat: Catalog
) -> pd.DataFrame:
    records, seen = [], {}
    periods = {period.label, period.comparison} - {""}
    rows = _rows(path, FIGURE_COLUMNS)
    canonical = _canonical_segments(
        company, {r["segment"] for _, r in rows if r["period"] == period.label}
    )
    for line, r in rows:
        for key in ("metric", "period", "value", "unit", "source"):
            if not r[key]:
                raise DataError("empty value", file=path, line=line, field=key, expected="a value")
        if not _KEY.match(r["metric"]):
            raise DataError(
                f"bad metric name '{r['metric']}'",
                file=path,
                line=line,
                field="metric",
                expected="lower_snake_case",
            )
        _check_metric(r["metric"], cat, path, line)
        if r["segment"] and r["segment"] not in company.segments:
            raise DataError(
                f"unknown segment '{r['segment']}'",
                file=path,
                line=line,
                field="segment",
                expected=f"empty (group) or one of {_listing(company.segments)} from company.toml",
            )
        if r["period"] not in periods:
            raise DataError(
                f"unknown period '{r['period']}'",
                file=path,
                line=line,
                field="period",
                expected=f"one of {_listing(sorted(periods))}",
            )
        bounds = _range(r["value"], path, line)
        if bounds is None:
            number = parse_number(r["value"], file=path, line=line)
        else:
            number = sum(bounds) / 2
        noun = cat.noun(r["metric"])
        unit = parse_unit(r["unit"], file=path, line=line, currency=company.currency, noun=noun)
        _check_unit(r["metric"], unit, cat, path, line)
        for end in bounds or (number,):
            _check_bounds(end, unit, r["metric"], path, line)
        _check_sign(
            r["metric"], r["value"], number if bounds is None else bounds[0], cat, path, line
        )
        if r["qualifier"] not in QUALIFIERS:
            raise DataError(
                f"unknown qualifier '{r['qualifier']}'",
                file=path,
                line=line,
                field="qualifier",
                expected="empty or one of " + ", ".join(q for q in QUALIFIERS if q),
            )
        if r["as_of"] and not real_date(r["as_of"], _AS_OF):
            raise DataError(
                f"bad date '{r['as_of']}'",
                file=path,
                line=line,
                field="as_of",
                expected="a real date as YYYY-MM or YYYY-MM-DD",
            )
        _check_source(r["source"], sources, path, line)
        # Only a 'conflicting' statement may repeat a figure; another qualifier does not make
        # a second figure.
        segment = canonical.get(r["segment"], r["segment"])
        key = (r["metric"], segment, r["item"], r["period"], r["qualifier"] == "conflicting")
        if key in seen:
            raise DataError(
                f"duplicate figure {figure_label(*key[:4])}",
                file=path,
                line=line,
                field="metric",
                expected=f"one row per metric, segment, item, period (first at line {seen[key]})",
            )
        seen[key] = line
        value = to_base(number, unit)
        lo, hi, range_lo, range_hi = _interval(r["value"], bounds, unit)
        records.append(
            {
                "metric": r["metric"],
                "segment": segment,
                "segment_written": r["segment"],
                "item": r["item"],
                "period": r["period"],
                "value": value,
                "unit": unit.base,
                "dimension": unit.dimension,
                "written": r["value"],
                "written_unit": r["unit"],
                "qualifier": r["qualifier"],
                "as_of": r["as_of"],
                "basis": "reported",
                "source": r["source"],
                "note": r["note"],
                "lo": lo,
                "hi": hi,
                "range_lo": range_lo,
                "range_hi": range_hi,
                "inputs": (),
                "line": line,
            }
        )
    if not records:
        raise DataError("no figures", file=path, line=2, expected="at least one figure row")
    import pandas as pd

    return pd.DataFrame.from_records(records)


def _check_metric(metric: str, cat: Catalog, path: Path, line: int) -> None:
    """A metric must be defined in the bundled catalog or the dataset's own catalog.toml."""
    if metric in cat:
        return
    extension = path.parent.parent / CATALOG_FILE
    raise DataError(
        f"unknown metric '{metric}'",
        file=path,
        line=line,
        field="metric",
        expected=f"a metric the catalog defines; add [metrics.{metric}] to {extension}",
    )


def _check_unit(metric: str, unit, cat: Catalog, path: Path, line: int) -> None:
    """Money is written in a currency and a count in its catalog noun."""
    kind, noun = cat.kind(metric), cat.noun(metric)
    if (kind == "money") != (unit.dimension == "money"):
        expected = "a currency unit such as 'RMB 100m'" if kind == "money" else f"a {kind} unit"
        raise DataError(
            f"unit '{unit.base}' does not fit {metric} (a {kind} figure)",
            file=path,
            line=line,
            field="unit",
            expected=expected,
        )
    if kind == "count" and unit.dimension == "count" and noun and unit.base != noun:
        raise DataError(
            f"unit '{unit.base}' is not the noun of {metric}",
            file=path,
            line=line,
            field="unit",
            expected=f"'{noun}' or '{noun} <scale>' (the catalog's noun_en for {metric})",
        )


def _check_sign(metric: str, written: str, low: float, cat: Catalog, path: Path, line: int):
    """Only a signed metric (a profit, a change, EBITDA …) may be negative."""
    if low >= 0 or cat.is_signed(metric):
        return
    negation = cat.negation(metric)
    hint = f"; a negative {metric} is a positive {negation}" if negation else ""
    raise DataError(
        f"negative value {written} for {metric}",
        file=path,
        line=line,
        field="value",
        expected=f"a value of zero or more (the catalog does not mark {metric} signed{hint})",
    )


def _range(written: str, path: Path, line: int) -> tuple[float, float] | None:
    """'107-108' → (107.0, 108.0); None for a single number. The low end comes first."""
    m = _RANGE.match(written.strip())
    if not m:
        return None
    lo, hi = (parse_number(m[k], file=path, line=line) for k in ("lo", "hi"))
    if lo >= hi:
        raise DataError(
            f"range '{written}' does not rise",
            file=path,
            line=line,
            field="value",
            expected="low-high, e.g. 107-108",
        )
    return lo, hi


def _interval(written: str, bounds, unit) -> tuple[float, float, float, float]:
    """[lo, hi] in base units from the written rounding, and the range's ends (NaN if none)."""
    if bounds is None:
        number = float(written.replace(",", ""))
        half = rounding_half_width(written, unit)
        value = to_base(number, unit)
        return value - half, value + half, math.nan, math.nan
    m = _RANGE.match(written.strip())
    ends = [to_base(b, unit) for b in bounds]
    halves = [rounding_half_width(m[k], unit) for k in ("lo", "hi")]
    return ends[0] - halves[0], ends[1] + halves[1], ends[0], ends[1]


def _facts(path: Path, sources: dict, cat: Catalog | None = None) -> pd.DataFrame:
    records, seen = [], {}
    for line, r in _rows(path, FACT_COLUMNS, required=False):
        if not _KEY.match(r["id"]):
            raise DataError(
                f"bad id '{r['id']}'", file=path, line=line, field="id", expected="lower_snake_case"
            )
        if r["id"] in seen:
            raise DataError(
                f"duplicate fact '{r['id']}'",
                file=path,
                line=line,
                field="id",
                expected=f"a unique id (first at line {seen[r['id']]})",
            )
        seen[r["id"]] = line
        if r["kind"] not in FACT_KINDS:
            raise DataError(
                f"unknown kind '{r['kind']}'",
                file=path,
                line=line,
                field="kind",
                expected="one of " + ", ".join(sorted(FACT_KINDS)),
            )
        if r["date"] and not real_date(r["date"], _FACT_DATE):
            raise DataError(
                f"bad date '{r['date']}'",
                file=path,
                line=line,
                field="date",
                expected="a real date as YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Qn or YYYY-Hn",
            )
        if r["status"] not in FACT_STATUSES:
            raise DataError(
                f"unknown status '{r['status']}'",
                file=path,
                line=line,
                field="status",
                expected="empty, done or expected",
            )
        if not (r["name_en"] or r["name_zh"]) or not r["text"]:
            raise DataError(
                "empty fact", file=path, line=line, field="text", expected="a name and a text"
            )
        _check_source(r["source"], sources, path, line)
        about = r.get("about", "")
        if about and cat is not None and cat.get(about) is None:
            raise DataError(
                f"unknown metric '{about}'",
                file=path,
                line=line,
                field="about",
                expected="empty, or the metric the fact explains, as the catalog names it",
            )
        records.append({**{k: r[k] for k in FACT_COLUMNS}, "about": about, "line": line})
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=[*FACT_COLUMNS, "about", "line"])


def parse_reference(text: str) -> tuple[str, str, str] | None:
    """'revenue[generative_ai]' → ('revenue', 'generative_ai', ''); 'x[/item]' names an item."""
    m = _REFERENCE.match(text.strip())
    return (m["metric"], m["segment"] or "", m["item"] or "") if m else None


def figure_label(metric: str, segment: str = "", item: str = "", period: str = "") -> str:
    inner = "/".join(p for p in (segment, item) if p) if not item else f"{segment}/{item}"
    ref = f"{metric}[{inner}]" if (segment or item) else metric
    return f"{ref} {period}".strip()


def _shown_segment(segment: str, figures: pd.DataFrame) -> str:
    """The key the figures show a segment under, when a claim or fact names it by another."""
    written = figures[figures["segment_written"] == segment]
    return str(written["segment"].iloc[0]) if segment and len(written) else segment


def _claims(path: Path, period: Period, sources: dict, figures: pd.DataFrame) -> pd.DataFrame:
    known = set(
        zip(figures["metric"], figures["segment"], figures["item"], figures["period"], strict=True)
    )
    records, seen = [], set()
    for line, r in _rows(path, CLAIM_COLUMNS, required=False):
        if r["id"] in seen:
            raise DataError(
                f"duplicate claim '{r['id']}'",
                file=path,
                line=line,
                field="id",
                expected="a unique id",
            )
        seen.add(r["id"])
        written = dict(r)
        if r["relation"] not in RELATIONS:
            raise DataError(
                f"unknown relation '{r['relation']}'",
                file=path,
                line=line,
                field="relation",
                expected="one of " + " ".join(sorted(RELATIONS)),
            )
        for side in ("left", "right"):
            ref = parse_reference(r[side])
            if ref is None:
                raise DataError(
                    f"bad figure reference '{r[side]}'",
                    file=path,
                    line=line,
                    field=side,
                    expected="metric, metric[segment] or metric[segment/item]",
                )
            ref = (ref[0], _shown_segment(ref[1], figures), ref[2])
            r[side] = figure_label(*ref)  # a renamed segment under the key the figures use
            if (*ref, r["period"]) not in known:
                raise DataError(
                    f"no figure {written[side]} in {r['period']}",
                    file=path,
                    line=line,
                    field=side,
                    expected="a figure present in figures.csv",
                )
        _check_source(r["source"], sources, path, line)
        records.append({**{k: r[k] for k in CLAIM_COLUMNS}, "line": line})
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=[*CLAIM_COLUMNS, "line"])


# --- value checks: what passes here cannot fail the build later (limits in data/README.md) ------

# A number as written: digits, an optional decimal point, commas only between groups of three.
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
# Largest magnitude per dimension, in base units: beyond it a figure is a typo, and charts fail.
VALUE_MAX = {"money": 1e15, "ratio": 1e3}
VALUE_MAX_OTHER = 1e12
YEARS = (1900, 2199)
# Longest text per field (characters); other fields get TEXT_MAX.
TEXT_LIMITS = {
    "text": 1000,
    "note": 300,
    "description": 300,
    "covers": 300,
    "date_note": 200,
    "title": 200,
    "publisher": 120,
    "name_en": 80,
    "name_zh": 40,
    "text_zh": 1000,  # the Chinese edition's texts (end of this module)
    "publisher_zh": 120,
    "note_zh": 300,
    "description_zh": 300,
    "covers_zh": 300,
    "date_note_zh": 200,
    "url": 500,  # the appendix breaks a link anywhere
}
TEXT_MAX = 80
# Longest unbroken word (a run without spaces outside CJK text, which wraps anywhere): longer
# ones run off a PDF page. Fields that hold a path, a link, a hash or a figure reference are exempt.
WORD_MAX = 60
WORD_EXEMPT = {"file", "url", "sha256", "left", "right"}
_WORD = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_number(text: str, *, file: object = None, line: int | None = None) -> float:
    """'1,234.5' → 1234.5. A comma must separate groups of three: '37,7' is refused, not 377."""
    if not _NUMBER.match(text.strip()):
        hint = " (a decimal comma? write 37.7)" if re.fullmatch(r"[+-]?\d+,\d{1,2}", text) else ""
        raise DataError(
            f"'{text}' is not a number{hint}",
            file=file,
            line=line,
            field="value",
            expected="a plain number such as 37.7 or 23,000, in the row's unit",
        )
    return float(text.replace(",", ""))


def _check_bounds(number: float, unit, metric: str, path: Path, line: int) -> None:
    value = to_base(number, unit)
    if "share" in metric.split("_") and unit.dimension == "ratio" and not 0 <= value <= 1:
        raise DataError(
            f"share of {number:g} %", file=path, line=line, field="value", expected="0 to 100 %"
        )
    if metric.endswith("_growth") and value <= -1:
        raise DataError(
            f"a fall of {-number:g} %", file=path, line=line, field="value", expected="above -100 %"
        )
    limit = VALUE_MAX.get(unit.dimension, VALUE_MAX_OTHER)
    if not math.isfinite(value) or abs(value) > limit:
        raise DataError(
            f"{number:g} {unit.base} is out of range",
            file=path,
            line=line,
            field="value",
            expected=f"at most {limit:g} {unit.base} in size (data/README.md)",
        )


def real_date(text: str, form: re.Pattern) -> bool:
    """Whether ``text`` has the form and names a day, month or year that exists."""
    m = form.match(text)
    if not m or not YEARS[0] <= int(m["year"]) <= YEARS[1]:
        return False
    try:
        date(int(m["year"]), int(m["month"] or 1), int(m["day"] or 1))
    except ValueError:
        return False
    return True


def check_text(value: str, key: str, path: Path, line: int | None = None, field: str = "") -> None:
    """A text field: no control characters, within its length, no word too long to wrap."""
    limit = TEXT_LIMITS.get(key, TEXT_MAX)
    problem = None
    if _CONTROL.search(value):
        problem, expected = "control character", "printable text"
    elif len(value) > limit:
        problem, expected = f"{len(value)} characters", f"at most {limit}"
    elif key not in WORD_EXEMPT:
        word = max(_WORD.findall(value), key=len, default="")
        if len(word) > WORD_MAX:
            problem = f"a word of {len(word)} characters ('{word[:20]}…')"
            expected = f"words of at most {WORD_MAX} characters"
    if problem:
        raise DataError(problem, file=path, line=line, field=field or key, expected=expected)


def check_toml_text(table: dict, path: Path, where: str = "") -> None:
    for key, value in table.items():
        name = f"{where}.{key}" if where else key
        if isinstance(value, dict):
            check_toml_text(value, path, name)
        elif isinstance(value, str):
            check_text(value, key, path, field=name)


def _fiscal_year_end(table: dict, path: Path) -> str:
    text = str(table.get("fiscal_year_end", "12-31"))
    if not real_date(f"2000-{text}", _SOURCE_DATE) or len(text) != 5:
        raise DataError(
            f"bad date '{text}'", file=path, field="fiscal_year_end", expected="MM-DD, e.g. 12-31"
        )
    return text


# --- Chinese texts ---------------------------------------------------------------------------
# Facts, figures' and claims' notes and sources may carry a Chinese text beside the English one:
# optional columns (facts.csv text_zh, figures.csv and claims.csv note_zh) and source fields
# (publisher_zh, description_zh, date_note_zh, covers_zh). The Chinese edition reads them; the
# English never.

CHINESE_COLUMNS = {"facts.csv": ("text", "text_zh"), "figures.csv": ("note", "note_zh")}
CHINESE_COLUMNS["claims.csv"] = ("note", "note_zh")
# A row may stop before these last columns (an English-only row in a file that has them).
_CHINESE_ONLY = {"text_zh", "note_zh"}
_FRAMES = {"facts.csv": "facts", "figures.csv": "figures", "claims.csv": "claims"}


def chinese_texts(ds: Dataset) -> dict[str, dict[int, str]]:
    """Per file, the Chinese text of each row that has one, by line number."""
    folder = ds.root / ds.company.key / ds.period.label
    found: dict[str, dict[int, str]] = {}
    for name, (_, column) in CHINESE_COLUMNS.items():
        rows = _rows(folder / name, [], required=False)
        found[name] = {line: r[column] for line, r in rows if r.get(column)}
    return found


def untranslated(ds: Dataset) -> list[tuple[str, int, str]]:
    """(file, line, id) of each fact with no Chinese name or no text_zh."""
    texts = chinese_texts(ds)["facts.csv"]
    missing = ds.facts[~ds.facts["line"].isin(texts.keys()) | (ds.facts["name_zh"] == "")]
    return [("facts.csv", int(r["line"]), r["id"]) for _, r in missing.iterrows()]


def require_chinese(ds: Dataset) -> None:
    """A Chinese edition needs every fact in Chinese: raise a DataError naming the first gap."""
    gaps = untranslated(ds)
    if gaps:
        name, line, fid = gaps[0]
        more = f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else ""
        raise DataError(
            f"fact '{fid}' has no Chinese text{more}",
            file=ds.root / ds.company.key / ds.period.label / name,
            line=line,
            field="text_zh",
            expected="a name_zh and a text_zh for the Chinese edition",
        )


def in_language(ds: Dataset, lang: str) -> Dataset:
    """The dataset as an edition in ``lang`` reads it: in Chinese, the facts' texts, the notes and
    the sources' descriptions in Chinese where the data gives them; unchanged in English."""
    if not lang.startswith("zh"):
        return ds
    texts = chinese_texts(ds)
    frames = {}
    for name, (column, _) in CHINESE_COLUMNS.items():
        frame = getattr(ds, _FRAMES[name]).copy()
        chinese = frame["line"].map(texts[name])
        frame[column] = chinese.where(chinese.notna(), frame[column])
        frames[_FRAMES[name]] = frame
    sources = {k: _source_in_chinese(s) for k, s in ds.sources.items()}
    return replace(ds, sources=sources, **frames)


def _source_in_chinese(source: Source) -> Source:
    fields = ("publisher", "description", "date_note", "covers")
    return replace(source, **{f: getattr(source, f"{f}_zh") or getattr(source, f) for f in fields})
