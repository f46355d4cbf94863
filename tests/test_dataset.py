"""Loading the bundled dataset, finding data directories, and every validation error."""

from __future__ import annotations

import csv
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from earnings_brief import dataset
from earnings_brief.dataset import DATA_ENV, available, default_data_dir, load
from earnings_brief.errors import BriefError, DataError

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
FIXTURES = REPO / "tests" / "fixtures" / "data"


# ---------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)


@pytest.fixture
def st_dir(tmp_path) -> Path:
    """A private copy of the SenseTime dataset (data/sensetime only)."""
    root = tmp_path / "data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    return root


@pytest.fixture
def nw_dir(tmp_path) -> Path:
    """A private copy of the made-up fixture company."""
    root = tmp_path / "fixture-data"
    shutil.copytree(FIXTURES, root)
    return root


def st_file(root: Path, name: str) -> Path:
    return Path(os.path.normpath(root / "sensetime" / "FY2024" / name))


def nw_file(root: Path, name: str) -> Path:
    return root / "northwind" / "H1-2025" / name


def line_of(path: Path, needle: str) -> int:
    """1-based number of the only line that contains ``needle``."""
    hits = [n for n, text in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in text]
    assert len(hits) == 1, f"{needle!r} is on lines {hits} of {path.name}"
    return hits[0]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, row: str) -> int:
    """Append one row; return its line number."""
    text = path.read_text("utf-8")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + row + "\n", encoding="utf-8")
    return len((text + row).splitlines())


def load_error(company: str, period: str, root: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load(company, period, root)
    return info.value


def assert_names(
    err: DataError,
    file: Path,
    *,
    line: int | None,
    field: str | None,
    expected: str | None,
    message: str,
) -> None:
    """The error names the file, the line, the field and what was expected, in one line."""
    text = err.one_line()
    assert "\n" not in text
    assert err.file == str(file)
    assert text.startswith(str(file) + (f":{line}" if line is not None else ""))
    assert err.line == line
    assert message in err.message
    assert message in text
    if field is None:
        assert err.field is None
    else:
        assert err.field == field
        assert f"field '{field}'" in text
    if expected is None:
        assert err.expected
    else:
        assert expected in err.expected
        assert f"(expected {err.expected})" in text


# ---------------------------------------------------------------------------------------------
# The bundled dataset


@pytest.fixture(scope="module")
def st() -> dataset.Dataset:
    return load("sensetime", "FY2024", DATA)


def row(ds: dataset.Dataset, metric: str, segment: str = "", item: str = "", period="FY2024"):
    f = ds.figures
    found = f[
        (f["metric"] == metric)
        & (f["segment"] == segment)
        & (f["item"] == item)
        & (f["period"] == period)
        & (f["qualifier"] != "conflicting")
    ]
    assert len(found) == 1, (metric, segment, item, period)
    return found.iloc[0]


def test_counts(st):
    assert len(st.figures) == 55
    assert len(st.facts) == 52  # "overseas grew faster" is a claim, checked, not a fact too
    assert len(st.claims) == 4
    assert list(st.sources) == ["tmtpost"]
    assert st.period.sources == ("tmtpost",)
    # the company's own catalog.toml is an input too: a label it changes must rebuild the brief
    assert len(st.files) == 7
    assert {p.name for p in st.files} == {
        "company.toml",
        "catalog.toml",
        "period.toml",
        "sources.toml",
        "figures.csv",
        "facts.csv",
        "claims.csv",
    }


def test_metadata(st):
    c = st.company
    assert (c.key, c.name_en, c.name_zh) == ("sensetime", "SenseTime Group", "商湯集團")
    assert (c.ticker, c.exchange, c.currency, c.fiscal_year_end) == (
        "0020.HK",
        "HKEX",
        "RMB",
        "12-31",
    )
    # traditional_ai is FY2023's name for vision AI, declared last so colours keep their order
    assert list(c.segments) == ["generative_ai", "vision_ai", "smart_auto", "traditional_ai"]
    assert c.segments["traditional_ai"].renamed_to == "vision_ai"
    assert c.segments["smart_auto"].name_zh == "智能汽車（絕影）"
    assert c.brands["sensenova"].name_zh == "日日新"
    p = st.period
    assert (p.label, p.kind, p.comparison) == ("FY2024", "annual", "FY2023")
    assert (str(p.start), str(p.end), str(p.results_date)) == (
        "2024-01-01",
        "2024-12-31",
        "2025-03-26",
    )
    assert p.revised is None  # optional; the edition stamp then falls back to the results date
    s = st.sources["tmtpost"]
    assert s.language == "zh-Hant"
    assert s.company == "sensetime"
    assert [seg.key for seg in st.segments] == ["generative_ai", "vision_ai", "smart_auto"]


def test_every_row_is_reported_and_sourced(st):
    f = st.figures
    assert set(f["basis"]) == {"reported"}
    assert set(f["source"]) == {"tmtpost"}
    assert set(f["period"]) == {"FY2024", "FY2023"}
    assert f["value"].map(math.isfinite).all()
    assert (f["lo"] <= f["value"]).all() and (f["value"] <= f["hi"]).all()
    assert f["inputs"].map(len).eq(0).all()
    assert set(st.facts["source"]) == {"tmtpost"}


def test_revenue_in_base_units(st):
    r = row(st, "revenue")
    assert r["written"] == "37.7"
    assert r["written_unit"] == "RMB 100m"
    assert r["value"] == pytest.approx(3.77e9, rel=1e-12)
    assert r["unit"] == "RMB"
    assert r["dimension"] == "money"
    assert r["basis"] == "reported"
    # '37.7' 億 is anything from 37.65 to 37.75 億
    assert r["lo"] == pytest.approx(3.765e9, rel=1e-12)
    assert r["hi"] == pytest.approx(3.775e9, rel=1e-12)
    assert r["line"] == 2  # the first row after the header


@pytest.mark.parametrize(
    ("key", "value", "lo", "hi", "unit"),
    [
        (("net_loss",), 4.307e9, 4.3065e9, 4.3075e9, "RMB"),
        (("revenue_growth",), 0.108, 0.1075, 0.1085, "ratio"),
        (("net_loss_growth",), -0.337, -0.3375, -0.3365, "ratio"),
        (("revenue", "generative_ai"), 2.404e9, 2.4035e9, 2.4045e9, "RMB"),
        (("rd_expense", "", "", "FY2023"), 3.466e9, 3.4655e9, 3.4665e9, "RMB"),
        (("vehicles_delivered", "smart_auto"), 1.67e6, 1.665e6, 1.675e6, "vehicles"),
        (("design_win_vehicles", "smart_auto"), 1.1e7, 1.0995e7, 1.1005e7, "vehicles"),
        (("compute_capacity",), 23000, 22999.5, 23000.5, "PFLOPS"),
        (("cycle_length_min", "", "chip_iteration"), 18, 17.4, 18.6, "months"),
        (("peer_capex_plan", "", "alibaba"), 1e11, 9.995e10, 1.0005e11, "USD"),
    ],
)
def test_values_in_base_units(st, key, value, lo, hi, unit):
    r = row(st, *key)
    assert r["value"] == pytest.approx(value, rel=1e-12)
    assert r["lo"] == pytest.approx(lo, rel=1e-12)
    assert r["hi"] == pytest.approx(hi, rel=1e-12)
    assert r["unit"] == unit


def test_qualifiers_and_as_of(st):
    assert row(st, "compute_capacity")["qualifier"] == "more_than"
    assert row(st, "compute_capacity")["as_of"] == "2025-03"
    assert row(st, "long_term_customer_share", "vision_ai")["qualifier"] == "approx"
    assert not (st.figures["qualifier"] == "conflicting").any()  # the source contradicts nothing
    # "34.66億, down 13.7%" is FY2023's own change, not a second FY2024 figure
    assert row(st, "rd_expense_growth", period="FY2023")["value"] == pytest.approx(-0.137)


def test_net_loss_definition_is_stated_in_the_data(st):
    note = row(st, "net_loss")["note"]
    assert "虧損淨額" in note
    assert "IFRS" in note


def test_fixture_company_loads(nw_dir):
    ds = load("northwind", "H1-2025", nw_dir)
    assert ds.company.currency == "HKD"
    assert ds.period.kind == "interim"
    assert len(ds.figures) == 17
    assert row(ds, "revenue", period="H1-2025")["value"] == pytest.approx(1.25e9)
    assert row(ds, "revenue_share", "licensing", period="H1-2024")["value"] == pytest.approx(0.1)
    assert [s.key for s in ds.segments] == ["cloud", "devices", "licensing", "consulting"]


# ---------------------------------------------------------------------------------------------
# Finding data


def test_default_data_dir_from_the_repository(monkeypatch):
    monkeypatch.chdir(REPO / "src")  # a subfolder: the data/ of a parent is found
    assert default_data_dir() == DATA.resolve()


def test_default_data_dir_from_another_cwd(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert default_data_dir() == DATA.resolve()
    ds = load("sensetime", "FY2024")
    assert ds.root == DATA.resolve()


def test_data_dir_from_environment(monkeypatch, nw_dir, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(nw_dir))
    monkeypatch.chdir(REPO)  # the variable wins over the data/ in the working directory
    assert default_data_dir() == nw_dir.resolve()
    assert available() == {"northwind": ["H1-2025"]}
    assert load("northwind", "H1-2025").company.name_en == "Northwind Robotics"


def test_available():
    found = available(DATA)
    assert "FY2024" in found["sensetime"]
    assert available(FIXTURES) == {"northwind": ["H1-2025"]}


def test_available_ignores_folders_that_are_not_companies(st_dir):
    (st_dir / "notes").mkdir()
    (st_dir / "sensetime" / "drafts").mkdir()
    assert available(st_dir) == {"sensetime": ["FY2023", "FY2024"]}


def test_load_from_a_user_named_directory(tmp_path, monkeypatch):
    root = tmp_path / "my data"
    shutil.copytree(DATA / "sensetime", root / "sensetime")
    replace(st_file(root, "figures.csv"), "revenue,,,FY2024,37.7,", "revenue,,,FY2024,38.1,")
    monkeypatch.chdir(REPO)
    ds = load("sensetime", "FY2024", str(root))  # a string path works as well as a Path
    assert ds.root == root.resolve()
    assert row(ds, "revenue")["value"] == pytest.approx(3.81e9)
    # the bundled dataset is untouched
    assert row(load("sensetime", "FY2024"), "revenue")["value"] == pytest.approx(3.77e9)


def test_dataset_files_lists_inputs(st_dir):
    files = dataset.dataset_files("sensetime", "FY2024", st_dir)
    assert files[0] == st_dir / "sensetime" / "company.toml"
    assert {p.name for p in files[1:]} == {
        "catalog.toml",
        "period.toml",
        "sources.toml",
        "figures.csv",
        "facts.csv",
        "claims.csv",
    }


# ---------------------------------------------------------------------------------------------
# Validation errors: each on a copy with one thing broken


# One line edited in one file of the SenseTime copy: the error names that file and, as the table
# says, the line, the field, what was expected and what went wrong.


@dataclass(frozen=True)
class LineOf:
    """The number of the line holding ``text``: looked up before the edit, or after it."""

    text: str
    after_edit: bool


def before(text: str) -> LineOf:
    return LineOf(text, after_edit=False)


def after(text: str) -> LineOf:
    return LineOf(text, after_edit=True)


@dataclass(frozen=True)
class Names:
    """What the error must name (see ``assert_names``)."""

    line: int | LineOf | None
    field: str | None
    expected: str
    message: str


@dataclass(frozen=True)
class Edit:
    id: str
    file: str  # in sensetime/FY2024
    old: str
    new: str
    names: Names


BAD_AS_OF = ["March 2025", "2025-3", "2025/03", "25-03"]

EDITS = [
    Edit(
        "csv-row-with-an-extra-field",
        "figures.csv",
        "gross_profit,,,FY2024,16.2,",
        "gross_profit,,,FY2024,16,2,",
        Names(
            before("gross_profit,,,FY2024,16.2,"),
            None,
            expected="quote text that holds a comma",
            message="12 fields instead of 11",
        ),
    ),
    Edit(
        "non-numeric-value",
        "figures.csv",
        "revenue,,,FY2024,37.7,",
        "revenue,,,FY2024,abc,",
        Names(2, "value", expected="a plain number such as 37.7", message="'abc' is not a number"),
    ),
    Edit(
        "unknown-unit",
        "figures.csv",
        "revenue,,,FY2024,37.7,RMB 100m",
        "revenue,,,FY2024,37.7,RMB 億",
        Names(2, "unit", expected="'RMB 100m'", message="unknown unit 'RMB 億'"),
    ),
    Edit(
        "unknown-source-in-figures",
        "figures.csv",
        "revenue,,,FY2024,37.7,RMB 100m,,,tmtpost",
        "revenue,,,FY2024,37.7,RMB 100m,,,wsj",
        Names(
            2, "source", expected="an id from sources.toml: tmtpost", message="unknown source 'wsj'"
        ),
    ),
    Edit(
        "unknown-source-in-facts",
        "facts.csv",
        "officer,財務總監,tmtpost",
        "officer,財務總監,reuters",
        Names(
            before("person_wang_zheng"),
            "source",
            expected="tmtpost",
            message="unknown source 'reuters'",
        ),
    ),
    Edit(
        "revised-not-a-date",
        "period.toml",
        "results_date = 2025-03-26",
        'results_date = 2025-03-26\nrevised = "April"',
        Names(None, "revised", expected="a TOML date like 2025-03-26", message="not a date"),
    ),
    Edit(
        "unknown-source-in-period",
        "period.toml",
        'sources = ["tmtpost"]',
        'sources = ["tmtpost", "ft"]',
        Names(None, "sources", expected="one of tmtpost", message="unknown source 'ft'"),
    ),
    Edit(
        "negative-value-where-none-can-be",
        "figures.csv",
        "net_loss,,,FY2024,43.07",
        "net_loss,,,FY2024,-43.07",
        Names(
            before("net_loss,,,FY2024,43.07"),
            "value",
            expected="a value of zero or more",
            message="negative value -43.07 for net_loss",
        ),
    ),
    Edit(
        "unknown-segment",
        "figures.csv",
        "revenue,smart_auto,,FY2024",
        "revenue,robotics,,FY2024",
        Names(
            after("revenue,robotics"),
            "segment",
            expected="generative_ai, vision_ai, smart_auto, traditional_ai from company.toml",
            message="unknown segment 'robotics'",
        ),
    ),
    Edit(
        "unknown-qualifier",
        "figures.csv",
        "23000,PFLOPS,more_than",
        "23000,PFLOPS,over",
        Names(
            after("23000,PFLOPS,over"),
            "qualifier",
            expected="approx, more_than, up_to, order_of, conflicting",
            message="unknown qualifier 'over'",
        ),
    ),
    *[
        Edit(
            f"bad-as-of-date-{bad}",
            "figures.csv",
            "23000,PFLOPS,more_than,2025-03",
            f"23000,PFLOPS,more_than,{bad}",
            Names(
                after(f"23000,PFLOPS,more_than,{bad}"),
                "as_of",
                expected="YYYY-MM or YYYY-MM-DD",
                message=f"bad date '{bad}'",
            ),
        )
        for bad in BAD_AS_OF
    ],
    Edit(
        "unknown-period-in-a-row",
        "figures.csv",
        "rd_expense,,,FY2023,",
        "rd_expense,,,FY2022,",
        Names(
            after("rd_expense,,,FY2022,"),
            "period",
            expected="one of FY2023, FY2024",
            message="unknown period 'FY2022'",
        ),
    ),
    Edit(
        "bad-claim-reference-syntax",
        "claims.csv",
        "revenue[generative_ai],>,revenue[vision_ai]",
        "revenue[generative_ai],>,Revenue(vision)",
        Names(
            after("Revenue(vision)"),
            "right",
            expected="metric, metric[segment] or metric[segment/item]",
            message="bad figure reference 'Revenue(vision)'",
        ),
    ),
    Edit(
        "claim-reference-to-a-missing-figure",
        "claims.csv",
        "overseas_revenue_growth,>",
        "overseas_revenue,>",
        Names(
            2,
            "left",
            expected="a figure present in figures.csv",
            message="no figure overseas_revenue in FY2024",
        ),
    ),
    Edit(
        "period-label-differs-from-folder",
        "period.toml",
        'label = "FY2024"',
        'label = "FY2025"',
        Names(None, "label", expected="FY2024", message="differs from its folder"),
    ),
]


# Values that once loaded and were published wrong, or failed the build late (issue 11).
VALUE_EDITS = [
    *[
        Edit(
            f"ambiguous-number-{bad}",
            "figures.csv",
            "revenue,,,FY2024,37.7,",
            f'revenue,,,FY2024,"{bad}",',
            Names(2, "value", expected="37.7 or 23,000", message=f"'{bad}' is not a number"),
        )
        for bad in ("37,7", "23_000", "1,2345", "1e3", "12,34.5", ",123", "0x1F")
    ],
    Edit(
        "decimal-comma-gets-a-hint",
        "figures.csv",
        "revenue,,,FY2024,37.7,",
        'revenue,,,FY2024,"37,7",',
        Names(2, "value", expected="a plain number", message="a decimal comma? write 37.7"),
    ),
    Edit(
        "money-beyond-any-company",
        "figures.csv",
        "revenue,,,FY2024,37.7,",
        f"revenue,,,FY2024,1{'0' * 40},",
        Names(2, "value", expected="at most 1e+15 RMB", message="is out of range"),
    ),
    Edit(
        "share-above-100",
        "figures.csv",
        "revenue_share,generative_ai,,FY2024,63.7,",
        "revenue_share,generative_ai,,FY2024,163.7,",
        Names(after("163.7"), "value", expected="0 to 100 %", message="share of 163.7 %"),
    ),
    Edit(
        "growth-of-minus-100",
        "figures.csv",
        "revenue_growth,,,FY2024,10.8,",
        "revenue_growth,,,FY2024,-100,",
        Names(3, "value", expected="above -100 %", message="a fall of 100 %"),
    ),
    *[
        Edit(
            f"unreal-as-of-{bad}",
            "figures.csv",
            "23000,PFLOPS,more_than,2025-03",
            f"23000,PFLOPS,more_than,{bad}",
            Names(after(bad), "as_of", expected="a real date", message=f"bad date '{bad}'"),
        )
        for bad in ("2025-99", "2025-00", "2025-02-30", "0000-01")
    ],
    *[
        Edit(
            f"unreal-fact-date-{bad}",
            "facts.csv",
            "thor_uniad,roadmap,smart_auto,2025-Q4",
            f"thor_uniad,roadmap,smart_auto,{bad}",
            Names(after("thor_uniad"), "date", expected="a real date", message=f"bad date '{bad}'"),
        )
        for bad in ("2025-13-45", "2025-13", "2025-Q5", "9999-01-01")
    ],
    Edit(
        "unreal-source-date",
        "sources.toml",
        'date = ""',
        'date = "2025-13-45"',
        Names(None, "tmtpost.date", expected="a real date", message="bad date '2025-13-45'"),
    ),
    Edit(
        "unreal-fiscal-year-end",
        "../company.toml",
        'fiscal_year_end = "12-31"',
        'fiscal_year_end = "02-30"',
        Names(None, "fiscal_year_end", expected="MM-DD", message="bad date '02-30'"),
    ),
    Edit(
        "word-too-long-to-wrap",
        "figures.csv",
        "revenue,,,FY2024,37.7,RMB 100m,,,tmtpost,",
        f"revenue,,,FY2024,37.7,RMB 100m,,,tmtpost,{'x' * 3000}",
        Names(2, "note", expected="at most 300", message="3000 characters"),
    ),
    Edit(
        "word-too-long-within-limits",
        "figures.csv",
        "revenue,,,FY2024,37.7,RMB 100m,,,tmtpost,",
        f"revenue,,,FY2024,37.7,RMB 100m,,,tmtpost,see {'x' * 61}",
        Names(2, "note", expected="words of at most 60", message="a word of 61 characters"),
    ),
    Edit(
        "fact-text-too-long",
        "facts.csv",
        "Chief financial officer,財務總監,tmtpost",
        f"{'word ' * 4200},財務總監,tmtpost",
        Names(before("person_wang_zheng"), "text", expected="at most 1000", message="20999"),
    ),
    Edit(
        "segment-name-too-long",
        "../company.toml",
        'name_en = "Generative AI"',
        f'name_en = "{"Generative " * 10}"',
        Names(None, "segments.generative_ai.name_en", expected="at most 80", message="110"),
    ),
    Edit(
        "control-character",
        "figures.csv",
        "revenue,,,FY2024,37.7,RMB 100m,,,tmtpost,",
        "revenue,,,FY2024,37.7,RMB 100m,,,tmtpost,a\x07b",
        Names(2, "note", expected="printable text", message="control character"),
    ),
]


@pytest.mark.parametrize("edit", VALUE_EDITS, ids=[e.id for e in VALUE_EDITS])
def test_a_value_that_could_mislead_or_fail_later_is_refused_at_load(st_dir, edit):
    test_one_edit_is_named_in_the_error(st_dir, edit)


@pytest.mark.parametrize(("written", "value"), [("23,000", 23000), ("1,234,567.5", 1234567.5)])
def test_a_comma_between_groups_of_three_is_a_thousands_separator(written, value):
    assert dataset.parse_number(written) == value


def test_a_toml_file_with_a_byte_order_mark_loads(st_dir):
    """Notepad saves UTF-8 with a byte-order mark; TOML itself does not allow one."""
    for name in ("period.toml", "sources.toml", "../company.toml"):
        path = st_file(st_dir, name)
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load("sensetime", "FY2024", st_dir).company.name_en


def test_dollar_signs_and_cjk_text_are_plain_text(st_dir):
    """'$' reaches charts and tables as text (charts turn mathtext off); CJK wraps anywhere."""
    replace(
        st_file(st_dir, "../company.toml"),
        'name_en = "Generative AI"',
        r'name_en = "$\\frac{a}{b}$"',
    )
    path = st_file(st_dir, "facts.csv")
    replace(path, "Chief financial officer,財務總監,tmtpost", f"{'財' * 900},財務總監,tmtpost")
    ds = load("sensetime", "FY2024", st_dir)
    assert ds.company.segments["generative_ai"].name_en == r"$\frac{a}{b}$"


@pytest.mark.parametrize("edit", EDITS, ids=[e.id for e in EDITS])
def test_one_edit_is_named_in_the_error(st_dir, edit):
    path = st_file(st_dir, edit.file)
    line = edit.names.line
    if isinstance(line, LineOf) and not line.after_edit:
        line = line_of(path, line.text)
    replace(path, edit.old, edit.new)
    if isinstance(line, LineOf):
        line = line_of(path, line.text)
    err = load_error("sensetime", "FY2024", st_dir)
    assert_names(
        err,
        path,
        line=line,
        field=edit.names.field,
        expected=edit.names.expected,
        message=edit.names.message,
    )


def test_missing_data_directory(tmp_path):
    missing = tmp_path / "nowhere"
    err = load_error("sensetime", "FY2024", missing)
    assert_names(
        err,
        missing.resolve(),
        line=None,
        field=None,
        expected="<company>/company.toml",
        message="data directory not found",
    )


@pytest.mark.parametrize("name", ["figures.csv", "sources.toml"])
def test_missing_file(st_dir, name):
    path = st_file(st_dir, name)
    path.unlink()
    err = load_error("sensetime", "FY2024", st_dir)
    expected = "metric,segment,item,period,value" if name == "figures.csv" else "a TOML file"
    assert_names(err, path, line=None, field=None, expected=expected, message="file not found")


def test_facts_and_claims_are_optional(st_dir):
    st_file(st_dir, "facts.csv").unlink()
    st_file(st_dir, "claims.csv").unlink()
    ds = load("sensetime", "FY2024", st_dir)
    assert ds.facts.empty and ds.claims.empty
    assert len(ds.figures) == 55


def test_malformed_toml(st_dir):
    path = st_file(st_dir, "sources.toml")
    number = line_of(path, 'language = "zh-Hant"')
    replace(path, 'language = "zh-Hant"', 'language = "zh-Hant')
    err = load_error("sensetime", "FY2024", st_dir)
    assert err.file == str(path)
    assert err.line == number
    assert "not valid TOML" in err.message
    assert err.one_line().startswith(f"{path}:{number}: not valid TOML")
    assert "\n" not in err.one_line()


def test_malformed_company_toml(st_dir):
    path = st_dir / "sensetime" / "company.toml"
    replace(path, 'ticker = "0020.HK"', "ticker = 0020.HK")
    err = load_error("sensetime", "FY2024", st_dir)
    assert err.file == str(path)
    assert err.line == line_of(path, "ticker = 0020.HK")
    assert "not valid TOML" in err.message


def test_unknown_company_lists_available(st_dir):
    shutil.copytree(FIXTURES / "northwind", st_dir / "northwind")
    err = load_error("acme", "FY2024", st_dir)
    assert_names(
        err,
        st_dir.resolve(),
        line=None,
        field="company",
        expected="one of northwind, sensetime",
        message="unknown company 'acme'",
    )


def test_unknown_period_lists_available(st_dir):
    shutil.copytree(st_dir / "sensetime" / "FY2024", st_dir / "sensetime" / "FY2025")
    replace(st_file(st_dir, "../FY2025/period.toml"), 'label = "FY2024"', 'label = "FY2025"')
    err = load_error("sensetime", "FY2022", st_dir)
    assert_names(
        err,
        st_dir.resolve() / "sensetime",
        line=None,
        field="period",
        expected="one of FY2023, FY2024, FY2025",
        message="unknown period 'FY2022' for sensetime",
    )


def test_missing_column(st_dir):
    path = st_file(st_dir, "figures.csv")
    text = path.read_text("utf-8").splitlines()
    rows = [",".join(v for i, v in enumerate(t.split(",")) if i != 5) for t in text[:1]]
    path.write_text("\n".join(rows + text[1:]) + "\n", encoding="utf-8")  # header loses 'unit'
    err = load_error("sensetime", "FY2024", st_dir)
    assert_names(
        err,
        path,
        line=1,
        field="unit",
        expected="header metric,segment,item,period,value,unit",
        message="missing column",
    )


@pytest.mark.parametrize("bad", ["nan", "inf", "37.7%", "約37.7"])
def test_other_non_numbers(st_dir, bad):
    path = st_file(st_dir, "figures.csv")
    replace(path, "revenue,,,FY2024,37.7,", f"revenue,,,FY2024,{bad},")
    err = load_error("sensetime", "FY2024", st_dir)
    assert (err.file, err.line, err.field) == (str(path), 2, "value")


def test_value_with_a_line_break_is_not_silently_joined(st_dir):
    """A quoted value spanning two lines must not be read as '37' + '7'."""
    path = st_file(st_dir, "figures.csv")
    replace(path, "revenue,,,FY2024,37.7,", 'revenue,,,FY2024,"3\n7.7",')
    err = load_error("sensetime", "FY2024", st_dir)
    assert err.file == str(path)
    assert err.field == "value"
    assert "is not a number" in err.message
    assert "\n" not in err.one_line()


def test_note_with_a_line_break_keeps_it_and_later_lines_stay_numbered(st_dir):
    path = st_file(st_dir, "figures.csv")
    replace(
        path,
        "revenue,,,FY2024,37.7,RMB 100m,,,tmtpost,",
        'revenue,,,FY2024,37.7,RMB 100m,,,tmtpost,"a\nb"',
    )
    ds = load("sensetime", "FY2024", st_dir)
    assert row(ds, "revenue")["note"] == "a\nb"
    assert row(ds, "revenue_growth")["line"] == 4  # the two-line row took lines 2 and 3


def test_duplicate_figure(st_dir):
    path = st_file(st_dir, "figures.csv")
    number = append(path, "revenue,,,FY2024,37.8,RMB 100m,,,tmtpost,")
    err = load_error("sensetime", "FY2024", st_dir)
    assert_names(
        err,
        path,
        line=number,
        field="metric",
        expected="first at line 2",
        message="duplicate figure revenue FY2024",
    )


def test_duplicate_figure_with_a_segment(nw_dir):
    path = nw_file(nw_dir, "figures.csv")
    first = line_of(path, "revenue,cloud,,H1-2025")
    number = append(path, "revenue,cloud,,H1-2025,701,HKD m,,,fixture,")
    err = load_error("northwind", "H1-2025", nw_dir)
    assert_names(
        err,
        path,
        line=number,
        field="metric",
        expected=f"first at line {first}",
        message="duplicate figure revenue[cloud] H1-2025",
    )


def test_duplicate_figure_that_differs_only_in_qualifier(st_dir):
    """Only a 'conflicting' statement may repeat a figure; 'approx' is not a second figure."""
    path = st_file(st_dir, "figures.csv")
    number = append(path, "revenue,,,FY2024,38,RMB 100m,approx,,tmtpost,")
    err = load_error("sensetime", "FY2024", st_dir)
    assert (err.file, err.line, err.field) == (str(path), number, "metric")
    assert "duplicate figure revenue FY2024" in err.message


def test_conflicting_statement_is_not_a_duplicate(st_dir):
    path = st_file(st_dir, "figures.csv")
    append(path, "revenue,,,FY2024,38,RMB 100m,conflicting,,tmtpost,")
    ds = load("sensetime", "FY2024", st_dir)
    assert len(ds.figures) == 56


@pytest.mark.parametrize("metric", ["vehicles_delivered", "capex_to_revenue"])
def test_negative_counts_and_ratios_are_refused(st_dir, metric):
    path = st_file(st_dir, "figures.csv")
    old = {
        "vehicles_delivered": "vehicles_delivered,smart_auto,,FY2024,167,",
        "capex_to_revenue": "capex_to_revenue,,,FY2024,29.9,",
    }[metric]
    number = line_of(path, old)
    replace(path, old, old.replace(",167,", ",-167,").replace(",29.9,", ",-29.9,"))
    err = load_error("sensetime", "FY2024", st_dir)
    assert (err.line, err.field) == (number, "value")
    assert f"for {metric}" in err.message


def test_negative_growth_is_accepted(st_dir):
    path = st_file(st_dir, "figures.csv")
    replace(path, "revenue_growth,,,FY2024,10.8,", "revenue_growth,,,FY2024,-10.8,")
    ds = load("sensetime", "FY2024", st_dir)
    assert row(ds, "revenue_growth")["value"] == pytest.approx(-0.108)
    assert row(ds, "net_loss_growth")["value"] == pytest.approx(-0.337)
    assert row(ds, "revenue_growth", "smart_auto")["value"] == pytest.approx(-0.332)


def test_unknown_claim_relation(st_dir):
    path = st_file(st_dir, "claims.csv")
    replace(path, "overseas_revenue_growth,>,", "overseas_revenue_growth,>>,")
    err = load_error("sensetime", "FY2024", st_dir)
    assert (err.file, err.line, err.field) == (str(path), 2, "relation")


def test_duplicate_fact_id(st_dir):
    path = st_file(st_dir, "facts.csv")
    first = line_of(path, "tech_day,")
    number = append(
        path, "tech_day,event,outlook,2025-04-11,expected,Tech day,,Another day,,tmtpost,"
    )
    err = load_error("sensetime", "FY2024", st_dir)
    assert_names(
        err,
        path,
        line=number,
        field="id",
        expected=f"a unique id (first at line {first})",
        message="duplicate fact 'tech_day'",
    )


def test_bad_fact_date(st_dir):
    path = st_file(st_dir, "facts.csv")
    replace(path, "thor_uniad,roadmap,smart_auto,2025-Q4", "thor_uniad,roadmap,smart_auto,Q4 2025")
    err = load_error("sensetime", "FY2024", st_dir)
    assert (err.file, err.line, err.field) == (str(path), line_of(path, "thor_uniad"), "date")


# ---------------------------------------------------------------------------------------------
# The error itself


def test_error_is_one_line_and_renders_without_traceback():
    err = DataError(
        "bad\nthing", file="data/x/figures.csv", line=3, field="value", expected="a\r\nnumber"
    )
    assert err.one_line() == ("data/x/figures.csv:3: field 'value': bad thing (expected a number)")
    assert str(err) == err.one_line()
    rendered = err._render_traceback_()
    assert rendered == [f"DataError: {err.one_line()}"]
    assert "\n" not in rendered[0]
    assert isinstance(err, BriefError)
    assert err.exit_code == 2


def test_error_without_location():
    err = DataError("something is wrong")
    assert err.one_line() == "something is wrong"
    assert DataError("x", file="f.toml").one_line() == "f.toml: x"
    assert DataError("x", field="sources").one_line() == "field 'sources': x"


def test_real_error_renders_one_line(st_dir):
    replace(st_file(st_dir, "figures.csv"), "revenue,,,FY2024,37.7,", "revenue,,,FY2024,abc,")
    err = load_error("sensetime", "FY2024", st_dir)
    (line,) = err._render_traceback_()
    assert line.startswith("DataError: ")
    assert "figures.csv:2: field 'value'" in line
    assert "\n" not in line


def test_a_field_over_the_csv_limit_is_a_data_error(st_dir):
    path = st_file(st_dir, "figures.csv")
    number = append(path, "revenue,,,FY2023,1,RMB 100m,,,tmtpost," + "x" * 200_000)
    err = load_error("sensetime", "FY2024", st_dir)
    assert (err.file, err.line) == (str(path), number) and "field larger" in err.message


def test_a_date_time_where_a_date_belongs_is_a_data_error(st_dir):
    path = st_file(st_dir, "period.toml")
    replace(path, "start = 2024-01-01", "start = 2024-01-01T00:00:00")
    err = load_error("sensetime", "FY2024", st_dir)
    assert (err.file, err.field) == (str(path), "start") and "a date with a time" in err.message


# ---------------------------------------------------------------------------------------------
# Chinese texts


def test_every_bundled_fact_has_chinese(st):
    assert dataset.untranslated(st) == []
    for company, period in (("sensetime", "FY2023"), ("horizon_robotics", "FY2024")):
        assert dataset.untranslated(load(company, period, DATA)) == []


def test_company_name_in_each_language(st):
    assert st.company.name() == "SenseTime Group" and st.company.name("zh-Hant") == "商湯集團"


def test_chinese_edition_reads_chinese_texts(st):
    zh = dataset.in_language(st, "zh-Hant")
    fact = zh.facts.set_index("id").loc["person_wang_zheng"]
    assert fact["text"] == "財務總監" and fact["name_en"] == "Wang Zheng"
    assert st.facts.set_index("id").loc["person_wang_zheng", "text"] == "Chief financial officer"
    assert dataset.in_language(st, "en") is st


def test_fact_without_chinese_is_named(st_dir):
    path = st_file(st_dir, "facts.csv")
    number = line_of(path, "person_wang_zheng,")
    replace(path, "officer,財務總監,tmtpost", "officer,,tmtpost")
    ds = load("sensetime", "FY2024", st_dir)
    assert dataset.untranslated(ds) == [("facts.csv", number, "person_wang_zheng")]
    zh = dataset.in_language(ds, "zh-Hant")
    assert zh.facts.set_index("id").loc["person_wang_zheng", "text"] == "Chief financial officer"
    with pytest.raises(DataError) as info:
        dataset.require_chinese(ds)
    assert_names(
        info.value,
        path,
        line=number,
        field="text_zh",
        expected="a name_zh and a text_zh for the Chinese edition",
        message="fact 'person_wang_zheng' has no Chinese text",
    )


def test_facts_without_a_text_zh_column_still_load(st_dir):
    path = st_file(st_dir, "facts.csv")
    rows = list(csv.reader(path.open(encoding="utf-8")))
    at = rows[0].index("text_zh")
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([r[:at] + r[at + 1 :] for r in rows])
    ds = load("sensetime", "FY2024", st_dir)
    assert len(dataset.untranslated(ds)) == len(ds.facts)


def test_chinese_edition_reads_the_sources_in_chinese(st):
    source = dataset.in_language(st, "zh-Hant").sources["tmtpost"]
    assert source.publisher == "鈦媒體AGI"
    assert source.date_note.startswith("未註明日期") and "2025年3月26日" in source.date_note
    assert st.sources["tmtpost"].publisher == "TMTPost AGI (鈦媒體AGI)"


def test_a_fact_explains_a_metric_the_catalog_names(st_dir):
    path = st_file(st_dir, "facts.csv")
    number = append(
        path, "odd_reason,explanation,group,,,Why,,It rose because of x,,tmtpost,revenu_growth"
    )
    err = load_error("sensetime", "FY2024", st_dir)
    assert_names(
        err,
        path,
        line=number,
        field="about",
        expected="empty, or the metric the fact explains, as the catalog names it",
        message="unknown metric 'revenu_growth'",
    )
