"""The metric catalog: what each metric is called, what kind of figure it is, and where it is shown.

The package ships ``catalog.toml``; a dataset may add metrics, or override fields of bundled ones,
in ``<data_dir>/<company>/catalog.toml`` of the same shape. Chapters ask the catalog rather than
knowing metric names: ``label``, ``kind``, ``noun``, ``is_signed``, ``parent``, ``topic``,
``metrics_for_topic`` and ``peer_metrics``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path

from .errors import DataError

BUNDLED = Path(__file__).with_name("catalog.toml")
KINDS = (
    "money",
    "share",
    "growth",
    "margin",
    "count",
    "capacity",
    "duration",
    "multiple",
    "ratio",
    "change",
)
CHAPTERS = ("revenue", "segments", "infrastructure", "auto", "context")
# Suffixes that define a metric by implication from the metric they are appended to.
IMPLIED = {
    "_growth": ("{} growth", "{}增長", "growth"),
    "_change": ("{} change", "{}變動", "change"),
}

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_TOPIC = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Metric:
    key: str
    label_en: str
    label_zh: str = ""
    kind: str = "ratio"
    signed: bool = False
    negates: str = ""
    parent: str = ""
    topic: str = ""
    noun_en: str = ""
    noun_zh: str = ""
    peer: bool = False


_TYPES = {f.name: (bool if f.type == "bool" else str) for f in fields(Metric) if f.name != "key"}


class Catalog:
    """Metric definitions in catalog order (the bundled file, then a dataset's additions)."""

    def __init__(self, metrics: dict[str, Metric], files: tuple[Path, ...]):
        self.metrics = metrics
        self.files = files

    def get(self, metric: str) -> Metric | None:
        """A metric's definition, or one implied by a '_growth' / '_change' suffix."""
        if metric in self.metrics:
            return self.metrics[metric]
        for suffix, (en, zh, kind) in IMPLIED.items():
            base = (
                self.metrics.get(metric.removesuffix(suffix)) if metric.endswith(suffix) else None
            )
            if base is not None:
                zh_label = zh.format(base.label_zh) if base.label_zh else ""
                return Metric(
                    metric, en.format(base.label_en), zh_label, kind, True, "", "", base.topic
                )
        return None

    def __contains__(self, metric: str) -> bool:
        return self.get(metric) is not None

    def label(self, metric: str, lang: str = "en") -> str:
        """The reader's name; the Chinese one in a Chinese edition when the catalog has it."""
        m = self.get(metric)
        if m is None:
            return metric.replace("_", " ").capitalize()
        return m.label_zh if lang.startswith("zh") and m.label_zh else m.label_en

    def kind(self, metric: str) -> str:
        m = self.get(metric)
        return m.kind if m else ""

    def noun(self, metric: str, lang: str = "en") -> str:
        """A count's noun ('vehicles', '輛'); empty for anything that is not a count."""
        m = self.get(metric)
        if m is None:
            return ""
        return m.noun_zh if lang.startswith("zh") and m.noun_zh else m.noun_en

    def is_signed(self, metric: str) -> bool:
        """Whether the figure may be negative (a profit, EBITDA, a cash flow, a change)."""
        m = self.get(metric)
        return bool(m and m.signed)

    def parent(self, metric: str) -> str:
        m = self.get(metric)
        return m.parent if m else ""

    def topic(self, metric: str) -> str:
        m = self.get(metric)
        return m.topic if m else ""

    def negation(self, metric: str) -> str:
        """The metric that is this one negated ('net_loss' ↔ 'net_profit'), or ''."""
        m = self.get(metric)
        if m and m.negates:
            return m.negates
        return next((k for k, o in self.metrics.items() if o.negates == metric), "")

    def metrics_for_topic(self, topic: str) -> list[str]:
        """Metrics a section shows, in catalog order; a chapter name gives all its sections'."""
        whole = "." not in topic
        return [
            k
            for k, m in self.metrics.items()
            if m.topic == topic or (whole and m.topic.split(".")[0] == topic)
        ]

    def peer_metrics(self) -> list[str]:
        return [k for k, m in self.metrics.items() if m.peer]


@cache
def _bundled() -> dict[str, Metric]:
    return _read(BUNDLED, {})


def load(extension: Path | None = None) -> Catalog:
    """The bundled catalog, extended by ``extension`` (a dataset's catalog.toml) when it exists."""
    metrics = dict(_bundled())
    files = [BUNDLED]
    if extension is not None and extension.is_file():
        metrics = _read(extension, metrics)
        files.append(extension)
    return Catalog(metrics, tuple(files))


def _read(path: Path, known: dict[str, Metric]) -> dict[str, Metric]:
    """Entries of one catalog file over ``known``: new metrics, or fields overriding known ones."""
    from .dataset import read_toml  # imported here: dataset imports this module

    table = read_toml(path)  # BOM, errors and text limits as for the other data files
    entries = table.get("metrics", {})
    unknown = sorted(set(table) - {"metrics"})
    if unknown or not isinstance(entries, dict):
        raise DataError(
            f"unexpected table '{(unknown or ['metrics'])[0]}'",
            file=path,
            expected="only [metrics.<key>] tables",
        )
    out = dict(known)
    for key, entry in entries.items():
        out[key] = _metric(path, key, entry, known.get(key))
    for key, metric in out.items():
        _check_links(path, key, metric, out)
    return out


def _metric(path: Path, key: str, entry, base: Metric | None) -> Metric:
    where = f"metrics.{key}"
    if not _KEY.match(key):
        raise DataError(f"bad metric name '{key}'", file=path, field=where, expected="snake_case")
    if not isinstance(entry, dict):
        raise DataError("not a table", file=path, field=where, expected=f"a [{where}] table")
    for name, value in entry.items():
        kind = _TYPES.get(name)
        if kind is None:
            raise DataError(
                f"unknown field '{name}'",
                file=path,
                field=f"{where}.{name}",
                expected="one of " + ", ".join(_TYPES),
            )
        if not isinstance(value, kind):
            raise DataError(
                f"wrong type {type(value).__name__}",
                file=path,
                field=f"{where}.{name}",
                expected=f"a {kind.__name__}",
            )
    if base is None:
        for name in ("label_en", "kind"):
            if not entry.get(name):
                raise DataError(
                    "missing field", file=path, field=f"{where}.{name}", expected="a string"
                )
        metric = Metric(key, **entry)
    else:
        metric = replace(base, **entry)
    if metric.kind not in KINDS:
        raise DataError(
            f"unknown kind '{metric.kind}'",
            file=path,
            field=f"{where}.kind",
            expected="one of " + ", ".join(KINDS),
        )
    if metric.topic and (
        not _TOPIC.match(metric.topic) or metric.topic.split(".")[0] not in CHAPTERS
    ):
        raise DataError(
            f"bad topic '{metric.topic}'",
            file=path,
            field=f"{where}.topic",
            expected="<chapter>.<section> with chapter one of " + ", ".join(CHAPTERS),
        )
    if metric.kind == "count" and (not metric.noun_en or " " in metric.noun_en.strip()):
        raise DataError(
            "a count needs a one-word noun",
            file=path,
            field=f"{where}.noun_en",
            expected="a plural noun such as 'units' or 'customers'",
        )
    return metric


def _check_links(path: Path, key: str, metric: Metric, metrics: dict[str, Metric]) -> None:
    """A parent or a negated metric must be defined too."""
    for name in ("parent", "negates"):
        target = getattr(metric, name)
        if target and target not in metrics:
            raise DataError(
                f"unknown metric '{target}'",
                file=path,
                field=f"metrics.{key}.{name}",
                expected="a metric defined in this catalog or the bundled one",
            )
