"""The small API a chapter notebook calls: ``ctx = start("revenue", company=..., period=...)``.

``start`` validates the parameters, loads the dataset, derives the metrics and the checks, shows
them as a data block (which the assembler reads, so nothing is derived twice) and applies the
chart theme. Errors are BriefErrors, which IPython shows as one line. A cell shows what a chapter
function returns with ``ctx.show(ch.section(ctx))``; the context remembers what it showed (the
figures cited, for the chapter's "Further figures").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from . import blocks, charts, dataset, metrics
from .dataset import Dataset
from .i18n import t
from .params import Params, validate


@dataclass
class Context:
    """Everything a chapter needs: parameters, dataset, derived figures, checks, colours."""

    params: Params
    ds: Dataset
    frame: pd.DataFrame
    checks: pd.DataFrame
    colors: dict[str, str]
    shown: list[blocks.Block] = field(default_factory=list, repr=False)

    @property
    def notebook(self) -> str:
        return self.params.notebook

    @property
    def lang(self) -> str:
        return self.params.language

    @property
    def period(self) -> str:
        return self.ds.period.label

    @property
    def comparison(self) -> str:
        return self.params.comparison_period or self.ds.period.comparison

    @property
    def currency(self) -> str:
        return self.ds.company.currency

    @property
    def segment_order(self) -> list[str]:
        return self.ds.company.display_order()

    def t(self, key: str, **values) -> str:
        return t(key, self.lang, **values)

    def segment_name(self, key: str) -> str:
        """A segment's display name in the edition's language; a renamed segment names its
        former name too."""
        return self.ds.segment_name(key, self.lang)

    def row(self, metric: str, segment: str = "", item: str = "", period: str | None = None):
        return metrics.lookup(
            self.frame, metric, segment, item, self.period if period is None else period
        )

    def value(self, metric: str, segment: str = "", item: str = "", period: str | None = None):
        return metrics.value(
            self.frame, metric, segment, item, self.period if period is None else period
        )

    def block_id(self, name: str) -> str:
        return f"{self.notebook}-{name}"

    def show(self, items: Iterable[blocks.Block]) -> None:
        """Display a chapter function's blocks (HTML for the reader, the payload for the
        assembler) and remember them."""
        items = list(items)
        self.shown.extend(items)
        blocks.display_blocks(items, self.lang)

    @property
    def cited(self) -> set[tuple[str, str, str, str]]:
        """The figure keys (metric, segment, item, period) the blocks shown so far cite."""
        return {tuple(key) for item in self.shown for key in getattr(item, "cites", ())}


def start(notebook: str, **params) -> Context:
    """Validate parameters, load and derive the data, show it as a data block, apply the theme:
    a notebook's first call."""
    checked = validate(notebook, **params)
    ds = dataset.in_language(
        dataset.load(checked.company, checked.period, checked.data_dir), checked.language
    )
    comparison = dataset.comparison(checked.comparison_period, ds.period)
    frame = metrics.derive(ds, comparison)
    checks = metrics.reconcile(ds, frame)
    blocks.display_blocks([blocks.Data.of(frame, checks)], checked.language)
    charts.apply_theme()
    return Context(checked, ds, frame, checks, ds.company.colours(charts.PALETTE))
