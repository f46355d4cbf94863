"""Notebook and command-line parameters: names, types, defaults and validation, in one place.

Every notebook takes the shared parameters; some add their own knobs. Papermill injects values
as Python literals, so a wrong type is caught here with a message that names the parameter and
what it expects (the notebook shows that one line, not a traceback).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ParameterError
from .i18n import languages


@dataclass(frozen=True)
class Parameter:
    name: str
    type: type
    default: Any
    help: str
    item_type: type | None = None  # element type of a list parameter
    choices: tuple[str, ...] = ()  # the values a string parameter may take; empty: any
    option: bool = False  # set by the build's own --option, never with -p


def _money_scale() -> Parameter:
    return Parameter(
        "money_scale",
        str,
        "",
        "scale of money in the chapter's charts and tables: 'bn' or 'm'; empty: picked per block",
        choices=("", "bn", "m"),
    )


# The one list of the parameters every notebook takes; the names below derive from it.
SHARED = (
    Parameter("company", str, "sensetime", "company folder under the data directory", option=True),
    Parameter(
        "period", str, "FY2024", "reporting period folder, e.g. FY2024 or H1-2025", option=True
    ),
    Parameter(
        "comparison_period", str, "", "period compared against; empty: the one in period.toml"
    ),
    Parameter("data_dir", str, "", "data directory; empty: the bundled data/ folder", option=True),
    Parameter(
        "language", str, "en", "language of every word in the brief (a folder in locales/)",
        option=True,
    ),
)  # fmt: skip
BASE = tuple(p.name for p in SHARED)  # what the build offers every notebook
FIXED = tuple(p.name for p in SHARED if p.option)  # what the build sets from its own options
KNOBS: dict[str, tuple[Parameter, ...]] = {
    "revenue": (
        Parameter(
            "checks_shown",
            str,
            "all",
            "data-quality checks the checks table lists: every check, or only the flagged ones",
            choices=("all", "flagged"),
        ),
        _money_scale(),
    ),
    "segments": (_money_scale(),),
    "infrastructure": (
        Parameter(
            "efficiency_scenarios",
            list,
            [],
            "inference-efficiency leads to show, as fractions (0.15 = 15%); "
            "empty: the leads stated in the data",
            item_type=float,
        ),
    ),
    "auto": (_money_scale(),),
}
NOTEBOOKS = tuple(KNOBS)


@dataclass(frozen=True)
class Params:
    notebook: str
    company: str
    period: str
    comparison_period: str
    data_dir: Path | None
    language: str
    knobs: dict[str, Any] = field(default_factory=dict)


def parameters(notebook: str) -> tuple[Parameter, ...]:
    if notebook not in KNOBS:
        raise ParameterError(
            f"unknown notebook '{notebook}'",
            field="notebook",
            expected="one of " + ", ".join(NOTEBOOKS),
        )
    return SHARED + KNOBS[notebook]


def defaults(notebook: str) -> dict[str, Any]:
    """Default values by name (lists copied, so a caller cannot change the defaults)."""
    return {
        p.name: list(p.default) if isinstance(p.default, list) else p.default
        for p in parameters(notebook)
    }


def _type_name(p: Parameter) -> str:
    if p.type is list:
        return f"a list of {_TYPE_WORDS[p.item_type]}s, e.g. [0.15, 0.25]"
    return _TYPE_WORDS[p.type]


def _choice_words(p: Parameter) -> str:
    return "one of " + ", ".join("'' (automatic)" if c == "" else f"'{c}'" for c in p.choices)


_TYPE_WORDS = {str: "string", float: "number", int: "whole number", list: "list"}


def _check_type(p: Parameter, value: Any) -> Any:
    if p.type is list:
        if not isinstance(value, (list, tuple)):
            raise ParameterError(
                f"wrong type {type(value).__name__}", field=p.name, expected=_type_name(p)
            )
        items = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise ParameterError(
                    f"item {item!r} is not a number", field=p.name, expected=_type_name(p)
                )
            items.append(float(item))
        return items
    if not isinstance(value, p.type) or isinstance(value, bool):
        raise ParameterError(
            f"wrong type {type(value).__name__} ({value!r})", field=p.name, expected=_type_name(p)
        )
    return value


def validate(notebook: str, **values: Any) -> Params:
    """Typed, checked parameters; unknown names, wrong types and bad values raise ParameterError.

    Whether the company and period exist is the dataset loader's call (it lists what does).
    """
    known = {p.name: p for p in parameters(notebook)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ParameterError(
            f"unknown parameter '{unknown[0]}' for the {notebook} notebook",
            field=unknown[0],
            expected="one of " + ", ".join(known),
        )
    merged = {**defaults(notebook), **values}
    checked = {name: _check_type(known[name], merged[name]) for name in known}
    for name in ("company", "period"):
        if not checked[name].strip():
            raise ParameterError("empty value", field=name, expected=known[name].help)
    if checked["language"] not in languages():
        raise ParameterError(
            f"unknown language '{checked['language']}'",
            field="language",
            expected="one of " + ", ".join(languages()),
        )
    for p in known.values():
        if p.choices and checked[p.name] not in p.choices:
            raise ParameterError(
                f"unknown value {checked[p.name]!r}", field=p.name, expected=_choice_words(p)
            )
    for lead in checked.get("efficiency_scenarios", []):
        if not 0 < lead < 1:
            raise ParameterError(
                f"scenario {lead:g} is outside (0, 1)",
                field="efficiency_scenarios",
                expected="fractions such as 0.15 for a 15% lead",
            )
    data_dir = Path(checked["data_dir"]).expanduser() if checked["data_dir"].strip() else None
    return Params(
        notebook=notebook,
        company=checked["company"].strip(),
        period=checked["period"].strip(),
        comparison_period=checked["comparison_period"].strip(),
        data_dir=data_dir,
        language=checked["language"],
        knobs={k: v for k, v in checked.items() if k not in BASE},
    )
