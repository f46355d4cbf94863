"""One seaborn theme and the chart kinds of the brief, rendered as self-contained SVG.

Chart functions take a small frame of what to draw (labels already translated, values in the unit
the axis shows, a ``basis`` per mark, a colour per mark) and return a matplotlib Figure;
``drawing`` saves it as a block's SVG drawings and closes the figure. Nothing here knows a
segment, a company or a period: colours come from the company's segment order.

Conventions: bars start at zero, values are labelled on the marks, derived values are lighter
and hatched and a legend says so, no gridlines or frames that carry no information.
"""

from __future__ import annotations

import base64
import glob
import io
import textwrap
import weakref
from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .errors import BriefError  # noqa: E402

# Traditional Chinese face of Noto Sans CJK; the JP/SC faces draw different glyph forms.
CJK_FAMILY = "Noto Sans CJK TC"
FONT_GLOBS = ("/usr/share/fonts/**/NotoSansCJK-*.ttc", "/usr/share/fonts/**/NotoSansCJKtc-*.otf")
LATIN_FALLBACK = "DejaVu Sans"

# Okabe–Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
GROUP_COLOR = "#4D4D4D"
INK = "#222222"
# Mix chart: bar thickness, and the share under which a segment's label goes under its bar.
MIX_BAR, MIX_INSIDE = 0.6, 0.08
MUTED = "#6B6B6B"
DERIVED_HATCH = "////"
WIDTH = 6.4  # inches; the HTML column and the A4 text block both fit it
# A phone's variant: drawn this wide, it shows at about 80 % of its size on a 390 px screen, so
# its 8.5 pt labels stay about 9 px high instead of shrinking with the whole chart; its category
# labels wrap at about this many characters.
PHONE_WIDTH = 4.6
PHONE_WRAP = {"x": 11, "y": 20, "legend": 24, "over": 9, "beside": 28}
PHONE_LEGEND_COLUMNS = 2

_theme_applied = False
# What each chart shows, in words, for its alt text: a screen reader gets the values, not only the
# title. Filled by each chart function, read (and dropped) by ``drawing``.
_VALUES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# The entries of each legend above a chart, in reading order, so the phone's variant can lay them
# out again in fewer columns.
_LEGENDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _describe(fig: plt.Figure, items: Iterable[str]) -> None:
    _VALUES[fig] = "; ".join(str(item) for item in items if str(item).strip())


def _font_known(family: str) -> bool:
    return any(entry.name == family for entry in font_manager.fontManager.ttflist)


def ensure_cjk_font() -> str:
    """The pinned CJK family, found even when matplotlib's cache predates the font's install.

    A stale cache is rebuilt once; failing that, the font files are added directly. Without any CJK
    font the Chinese product names would print as empty boxes, so that is an error, not a warning.
    """
    if _font_known(CJK_FAMILY):
        return CJK_FAMILY
    font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
    font_manager.findfont = font_manager.fontManager.findfont
    if not _font_known(CJK_FAMILY):
        for pattern in FONT_GLOBS:
            for path in glob.glob(pattern, recursive=True):
                font_manager.fontManager.addfont(path)
    if not _font_known(CJK_FAMILY):
        raise BriefError(
            f"font '{CJK_FAMILY}' not found",
            expected="the Debian package fonts-noto-cjk (scripts/system-deps.sh installs it)",
        )
    return CJK_FAMILY


def apply_theme() -> None:
    """The one look of every chart: seaborn 'white' style, pinned fonts, SVG with text as paths."""
    global _theme_applied
    family = ensure_cjk_font()
    sns.set_theme(
        context="paper",
        style="white",
        palette=list(PALETTE),
        font="sans-serif",
        rc={
            "font.family": "sans-serif",
            "font.sans-serif": [family, LATIN_FALLBACK],
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.labelsize": 9,
            "axes.labelcolor": INK,
            "axes.edgecolor": MUTED,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "xtick.color": INK,
            "ytick.color": INK,
            "xtick.labelsize": 8.5,
            "ytick.labelsize": 8.5,
            "legend.fontsize": 8,
            "legend.frameon": False,
            "hatch.linewidth": 0.8,
            "figure.dpi": 100,
            "figure.max_open_warning": 0,
            "svg.fonttype": "path",
            "svg.hashsalt": "earnings-brief",
            "axes.unicode_minus": True,
            # Labels come from data files: '$' is a dollar sign, never the start of TeX math.
            "text.parse_math": False,
        },
    )
    _theme_applied = True


def lighter(color: str, amount: float = 0.55) -> tuple[float, float, float]:
    r, g, b = to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _style(basis: str, color: str) -> dict:
    if basis == "derived":
        return {
            "facecolor": lighter(color),
            "edgecolor": color,
            "hatch": DERIVED_HATCH,
            "linewidth": 0.8,
        }
    return {"facecolor": color, "edgecolor": color, "linewidth": 0.8}


def _figure(height: float) -> tuple[plt.Figure, plt.Axes]:
    if not _theme_applied:
        apply_theme()
    fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained")
    return fig, ax


def _row_major(handles: list, ncols: int) -> list:
    """Matplotlib fills legend columns first; reorder so the entries read left to right, row by
    row, in their given order (segments in company order, then the derived key)."""
    rows = -(-len(handles) // ncols)
    grid = [handles[r * ncols : (r + 1) * ncols] for r in range(rows)]
    return [row[c] for c in range(ncols) for row in grid if c < len(row)]


def _legend(ax, frame: pd.DataFrame, derived_label: str, extra: list | None = None) -> None:
    handles = list(extra or [])
    if (frame["basis"] == "derived").any() and derived_label:
        handles.append(
            Patch(
                facecolor=lighter(GROUP_COLOR),
                edgecolor=GROUP_COLOR,
                hatch=DERIVED_HATCH,
                label=derived_label,
            )
        )
    if handles:
        _legend_above(ax, handles, min(len(handles), 4))


def _legend_above(ax, handles: list, ncols: int) -> None:
    """The legend above the plot, in as many columns as fit the figure's width: a wider one
    makes the constrained layout squeeze the plot into a fraction of the width."""
    renderer = ax.figure.canvas.get_renderer()
    room = ax.figure.bbox.width * 0.96
    for n in range(ncols, 0, -1):
        legend = ax.legend(
            handles=_row_major(handles, n),
            loc="lower left",
            bbox_to_anchor=(0, 1.01),
            ncols=n,
            borderaxespad=0.2,
            handlelength=1.6,
            columnspacing=1.2,
        )
        if legend.get_window_extent(renderer).width <= room:
            break
    _LEGENDS[legend] = handles


def _hide_value_axis(ax, axis: str) -> None:
    """Values are printed on the marks, so the value axis itself is noise."""
    if axis == "x":
        ax.xaxis.set_visible(False)
        ax.spines["bottom"].set_visible(False)
    else:
        ax.yaxis.set_visible(False)
        ax.spines["left"].set_visible(False)


def bars(frame: pd.DataFrame, *, derived_label: str = "") -> plt.Figure:
    """Horizontal bars from zero, one per row: columns label, value, text, basis, color.

    Negative values (a fall) extend left of the zero line; labels sit at the end of each bar.
    """
    fig, ax = _figure(0.6 + 0.42 * len(frame))
    low = min(float(frame["value"].min()), 0.0)
    high = max(float(frame["value"].max()), 0.0)
    span = (high - low) or 1.0
    for i, row in enumerate(frame.itertuples()):
        ax.barh(i, row.value, height=0.62, **_style(row.basis, row.color))
        if abs(row.value) < span * 0.004:
            # A zero (or near-zero) bar has no length: a short stroke in its colour shows it is
            # there, and its label sits clear of the zero line.
            ax.plot([0, 0], [i - 0.31, i + 0.31], color=row.color, lw=3, solid_capstyle="butt")
        right = row.value >= 0
        ax.text(
            row.value + span * (0.02 if right else -0.012),
            i,
            row.text,
            va="center",
            ha="left" if right else "right",
            color=INK,
            fontsize=8.5,
        )
    ax.set_yticks(range(len(frame)), labels=list(frame["label"]))
    ax.invert_yaxis()
    ax.set_xlim(low - (span * 0.22 if low < 0 else 0), high + span * 0.22)
    ax.tick_params(axis="y", length=0)
    _hide_value_axis(ax, "x")
    ax.spines["left"].set_visible(False)
    ax.axvline(0, color=MUTED, lw=0.8)
    _legend(ax, frame, derived_label)
    _describe(fig, (f"{r.label} {r.text}" for r in frame.itertuples()))
    return fig


def compare(frame: pd.DataFrame, *, derived_label: str = "") -> plt.Figure:
    """Grouped columns: for each group (a segment or the group total) one bar per series (period).

    Columns: group, series, value, text, basis, color. Series in order of appearance.
    A NaN value is a slot the data does not fill: no bar, its text ("n/a") in grey on the baseline
    over a dotted outline, so it cannot be read as zero.
    """
    groups = list(dict.fromkeys(frame["group"]))
    series = list(dict.fromkeys(frame["series"]))
    width = min(0.8 / len(series), 0.4)
    fig, ax = _figure(2.9)
    top = max(float(frame["value"].max(skipna=True)) if frame["value"].notna().any() else 0, 0.0)
    top = top or 1.0
    minor, minor_labels = [], []
    for row in frame.itertuples():
        x = groups.index(row.group) + (series.index(row.series) - (len(series) - 1) / 2) * width
        if pd.isna(row.value):
            ax.bar(
                x,
                top * 0.1,
                width=width * 0.9,
                facecolor="none",
                edgecolor=MUTED,
                linewidth=0.6,
                linestyle=":",
            )
            ax.text(x, top * 0.05, row.text, ha="center", va="center", color=MUTED, fontsize=8)
        else:
            ax.bar(x, row.value, width=width * 0.9, **_style(row.basis, row.color))
            ax.text(
                x, row.value + top * 0.02, row.text, ha="center", va="bottom", color=INK, fontsize=8
            )
        minor.append(x)
        minor_labels.append(row.series)
    ax.xaxis.remove_overlapping_locs = False  # one series: its period sits on the group's tick
    ax.set_xticks(minor, labels=minor_labels, minor=True)
    ax.set_xticks(range(len(groups)), labels=groups)
    ax.tick_params(axis="x", which="major", length=0, pad=16, labelsize=9)
    ax.tick_params(axis="x", which="minor", length=0, labelsize=7.5, labelcolor=MUTED)
    ax.set_ylim(0, top * 1.18)
    pad = max(0.0, (2.5 - len(groups)) / 2)
    ax.set_xlim(-0.6 - pad, len(groups) - 0.4 + pad)
    _hide_value_axis(ax, "y")
    _legend(ax, frame, derived_label)
    _describe(fig, _grouped(frame, "group", "series", "text"))
    return fig


def _grouped(frame: pd.DataFrame, outer: str, inner: str, text: str) -> list[str]:
    """'Generative AI: FY2023 1.18, FY2024 2.40' for each value of ``outer``, in order."""
    return [
        f"{key}: " + ", ".join(f"{getattr(r, inner)} {getattr(r, text)}" for r in part.itertuples())
        for key, part in frame.groupby(outer, sort=False)
    ]


def mix(frame: pd.DataFrame, *, derived_label: str = "") -> plt.Figure:
    """100 % stacked bars, one per period: columns period, segment, share, text, basis, color."""
    periods = list(dict.fromkeys(frame["period"]))
    narrow = (frame["share"] < MIX_INSIDE).any()
    fig, ax = _figure(0.9 + (0.75 if narrow else 0.55) * len(periods))
    handles, outside = {}, []
    for i, period in enumerate(periods):
        left, small = 0.0, []
        for row in frame[frame["period"] == period].itertuples():
            ax.barh(i, row.share, left=left, height=MIX_BAR, **_style(row.basis, row.color))
            if row.share >= MIX_INSIDE:
                ax.text(
                    left + row.share / 2,
                    i,
                    row.text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if row.basis == "reported" else INK,
                )
            else:
                small.append((left + row.share / 2, row.text))
            left += row.share
            handles.setdefault(row.segment, Patch(facecolor=row.color, label=row.segment))
        outside.append(small)
    ax.set_yticks(range(len(periods)), labels=periods)
    ax.set_ylim(len(periods) - 0.5 + (0.35 if narrow else 0.0), -0.5)
    ax.set_xlim(0, 1)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    _hide_value_axis(ax, "x")
    _legend(ax, frame, derived_label, list(handles.values()))
    for i, small in enumerate(outside):
        _labels_below(ax, i + MIX_BAR / 2, small)
    _describe(fig, _grouped(frame, "period", "segment", "text"))
    return fig


def _labels_below(ax, edge: float, labels: list[tuple[float, str]]) -> None:
    """Labels of segments too narrow to hold them: under the bar, each joined to its segment by
    a leader, pushed apart left to right so that no two overlap and none leaves the axis."""
    if not labels:
        return
    to_data = ax.transData.inverted()
    renderer = ax.figure.canvas.get_renderer()
    y = edge + 0.16
    texts = [
        ax.text(mid, y, text, ha="center", va="top", fontsize=8, color=INK) for mid, text in labels
    ]
    half = []
    for text in texts:
        box = text.get_window_extent(renderer)
        (x0, _), (x1, _) = to_data.transform([(box.x0, box.y0), (box.x1, box.y1)])
        half.append((x1 - x0) * 0.6 + 0.006)  # the layout still narrows the axes a little
    xs = [mid for mid, _ in labels]
    for k in range(1, len(xs)):
        xs[k] = max(xs[k], xs[k - 1] + half[k - 1] + half[k])
    xs[-1] = min(xs[-1], 1 - half[-1])
    for k in range(len(xs) - 2, -1, -1):
        xs[k] = min(xs[k], xs[k + 1] - half[k + 1] - half[k])
    for (mid, _), text, x in zip(labels, texts, xs, strict=True):
        text.set_x(x)
        ax.plot([mid, mid, x], [edge, edge + 0.06, y - 0.02], color=MUTED, lw=0.6)


def bridge(frame: pd.DataFrame, *, derived_label: str = "") -> plt.Figure:
    """Waterfall from one total to the next: columns label, start, end, text, basis, color, kind.

    ``kind`` is 'total' (a bar from zero) or 'step' (a floating bar from start to end).
    """
    fig, ax = _figure(3.0)
    top = float(max(frame["start"].max(), frame["end"].max())) or 1.0
    previous_end = None
    for i, row in enumerate(frame.itertuples()):
        low, high = (0.0, row.end) if row.kind == "total" else sorted((row.start, row.end))
        ax.bar(
            i, max(high - low, top * 0.004), bottom=low, width=0.62, **_style(row.basis, row.color)
        )
        ax.text(i, high + top * 0.02, row.text, ha="center", va="bottom", fontsize=8, color=INK)
        if previous_end is not None:
            ax.plot(
                [i - 1 + 0.31, i - 0.31], [previous_end, previous_end], color=MUTED, lw=0.6, ls=":"
            )
        previous_end = row.end
    ax.set_xticks(range(len(frame)), labels=list(frame["label"]))
    ax.tick_params(axis="x", length=0)
    ax.set_ylim(0, top * 1.15)
    _hide_value_axis(ax, "y")
    _legend(ax, frame, derived_label)
    _describe(fig, (f"{r.label} {r.text}" for r in frame.itertuples()))
    return fig


def ranges(frame: pd.DataFrame, *, axis_label: str = "", derived_label: str = "") -> plt.Figure:
    """Range bars on one axis (e.g. cycles in months): columns label, lo, hi, text, basis, color.

    A row whose lo equals hi is a single value and shows as a marker.
    """
    fig, ax = _figure(0.6 + 0.45 * len(frame))
    top = float(frame["hi"].max()) or 1.0
    for i, row in enumerate(frame.itertuples()):
        style = _style(row.basis, row.color)
        if row.hi > row.lo:
            ax.barh(i, row.hi - row.lo, left=row.lo, height=0.5, **style)
        else:
            ax.plot([row.lo], [i], marker="D", markersize=7, color=row.color, linestyle="none")
        offset = top * (0.015 if row.hi > row.lo else 0.03)
        ax.text(row.hi + offset, i, row.text, va="center", ha="left", fontsize=8.5, color=INK)
    ax.set_yticks(range(len(frame)), labels=list(frame["label"]))
    ax.set_ylim(len(frame) - 0.4, -0.6)
    ax.set_xlim(0, top * 1.25)
    ax.set_xlabel(axis_label)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="#E5E5E5", lw=0.6)
    ax.set_axisbelow(True)
    _legend(ax, frame, derived_label)
    _describe(fig, (f"{r.label} {r.text}" for r in frame.itertuples()))
    return fig


def sensitivity(
    lines: pd.DataFrame,
    points: pd.DataFrame,
    *,
    x_label: str,
    y_label: str,
    derived_label: str = "",
) -> plt.Figure:
    """Lines of y against x, one per series (columns x, y, series, basis, color), with marked points
    (columns x, y, text, basis). Both axes are ratios shown as percentages and start at zero."""
    fig, ax = _figure(3.0)
    for name, part in lines.groupby("series", sort=False):
        basis = part["basis"].iloc[0]
        ax.plot(
            part["x"],
            part["y"],
            color=part["color"].iloc[0],
            lw=1.8,
            ls="--" if basis == "derived" else "-",
            label=name,
        )
    for row in points.itertuples():
        if "y2" in points.columns:
            ax.plot(
                [row.x],
                [row.y2],
                marker="o",
                markersize=5,
                color=INK,
                markerfacecolor="white",
                linestyle="none",
            )
        ax.plot([row.x], [row.y], marker="o", markersize=6, color=INK, linestyle="none")
        ax.annotate(
            row.text,
            (row.x, row.y),
            xytext=(-6, 5),
            textcoords="offset points",
            fontsize=8,
            color=INK,
            ha="right",
        )
    top = float(max(lines["x"].max(), lines["y"].max())) * 1.1 or 1.0
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    percent = matplotlib.ticker.PercentFormatter(1.0, decimals=0)
    ax.xaxis.set_major_formatter(percent)
    ax.yaxis.set_major_formatter(percent)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(color="#E5E5E5", lw=0.6)
    handles, _ = ax.get_legend_handles_labels()
    if derived_label and (lines["basis"] == "derived").any():
        handles.append(plt.Line2D([], [], color=MUTED, ls="--", label=derived_label))
    ax.legend(handles=handles, loc="upper left", frameon=False)
    where = [f"{x_label} {percent(row.x)}: {row.text}" for row in points.itertuples()]
    _describe(fig, [*dict.fromkeys(lines["series"]), *where])
    return fig


def _save_svg(fig: plt.Figure, text_as_paths: bool) -> bytes:
    buffer = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "path" if text_as_paths else "none"}):
        fig.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None},
            bbox_inches="tight",
            pad_inches=0.05,
        )
    return buffer.getvalue()


def svg(fig: plt.Figure, *, text_as_paths: bool = True) -> bytes:
    """The figure as SVG with no dates, then closed; glyphs as paths unless told otherwise."""
    try:
        return _save_svg(fig, text_as_paths)
    finally:
        plt.close(fig)


def drawing(fig: plt.Figure, alt: str):
    """The chart as a block's ``Drawing``: base64 SVG with text as paths (screen), with text as
    text (the PDF) and laid out for a phone; closes the figure. The alt text is ``alt`` (the
    block's title) followed by the values the chart draws."""
    from .blocks import Drawing

    values = _VALUES.pop(fig, "")
    try:
        screen, paper = (_base64(_save_svg(fig, mode)) for mode in (True, False))
        phone = _base64(_save_svg(_for_phone(fig), True))
    finally:
        plt.close(fig)
    return Drawing(screen, paper, phone, f"{alt}: {values}" if values else alt)


def _for_phone(fig: plt.Figure) -> plt.Figure:
    """The figure narrowed to ``PHONE_WIDTH``, its long category labels, value labels and
    annotations wrapped onto lines, and its legend in at most two columns."""
    fig.set_size_inches(PHONE_WIDTH, fig.get_size_inches()[1])
    for ax in fig.axes:
        for text in ax.texts:  # a label over a column is as wide as its slot; one beside runs on
            width = PHONE_WRAP["over" if text.get_horizontalalignment() == "center" else "beside"]
            text.set_text(textwrap.fill(text.get_text(), width, break_long_words=False))
        legend = ax.get_legend()
        handles = _LEGENDS.get(legend) if legend is not None else None
        if handles:
            for handle in handles:
                handle.set_label(textwrap.fill(handle.get_label(), PHONE_WRAP["legend"]))
            _legend_above(ax, handles, min(len(handles), PHONE_LEGEND_COLUMNS))
        for axis in ("x", "y"):
            width = PHONE_WRAP[axis]
            ticks = getattr(ax, f"{axis}axis")
            labels = [label.get_text() for label in ticks.get_majorticklabels()]
            if any(len(text) > width for text in labels):
                wrapped = [textwrap.fill(text, width, break_long_words=False) for text in labels]
                ticks.set_ticks(ticks.get_majorticklocs(), labels=wrapped)
    return fig


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
