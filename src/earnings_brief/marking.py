"""Text of the other language, marked as it is escaped: the one place every string of the brief
passes on its way into HTML (render.py), so a screen reader and the PDF's fonts know each run's
language without the assembler reading the HTML back.

In an English page each run of Chinese is ``<span lang="zh-Hant">``; in a Chinese page each run
of English words is ``<span lang="en">``, and the punctuation around Chinese text is Chinese
(full-width brackets, colons and commas; no space after a full-width mark). The expressions here
read plain text, before it is escaped; they never rewrite HTML.
"""

from __future__ import annotations

import html
import re

# Han, kana, bopomofo, CJK punctuation, full-width forms and the supplementary Han planes.
CJK = (
    "\u2e80-\u2fff\u3000-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff00-\uffef\U00020000-\U0002fa1f"
)
CJK_LANG = "zh-Hant"
_HAS_CJK = re.compile(f"[{CJK}]")
# A run is a word holding Chinese ("研發支出41.31億元", "鈦媒體AGI"): numbers and Latin letters
# written inside it belong to it; the punctuation around it belongs to the English sentence.
_RUN = re.compile(rf"[^\s<>&]*[{CJK}][^\s<>&]*")
_EDGE = "()[],.;:!?'\""
# In a Chinese page, a run of English is Latin words holding two lower-case letters ("SenseTime
# Group", "NVIDIA Thor"); acronyms and codes ("AI", "PFLOPS", "FY2024") read the same either way.
_TAIL = r"[A-Za-z0-9.&'’+/-]*"
_LATIN_RUN = re.compile(rf"[A-Za-z]{_TAIL}(?: [A-Za-z0-9]{_TAIL})*")
# Chinese punctuation: brackets around Chinese are full-width, a colon, semicolon or comma after
# Chinese is full-width, and no space follows a full-width mark (texts are joined with spaces).
_CJK_BRACKETS = re.compile(rf"\(([^()]*[{CJK}][^()]*)\)")
_HALF_MARK = re.compile(rf"(?<=[{CJK}])([:;,])[ ]?")
_FULL = {":": "：", ";": "；", ",": "，"}
CLOSING_MARKS = "，。；：！？、）」』"
_SPACE_AFTER_MARK = re.compile(rf"([{CLOSING_MARKS}])[ ]+|[ ]+([（「『])")


def text(plain: str, lang: str = "en") -> str:
    """``plain`` as HTML text in a page of ``lang``: escaped, with the other language's runs
    marked (and, in a Chinese page, Chinese punctuation)."""
    if lang.startswith("zh"):
        return _english_runs(chinese_punctuation(plain))
    return _chinese_runs(plain)


def chinese_punctuation(plain: str) -> str:
    plain = _HALF_MARK.sub(lambda m: _FULL[m.group(1)], _CJK_BRACKETS.sub(r"（\1）", plain))
    return _SPACE_AFTER_MARK.sub(r"\1\2", plain)


def gap(before: str, lang: str = "en") -> str:
    """The space between a text and the element after it: none in a Chinese page after a
    full-width mark ('策略。商湯…')."""
    return "" if lang.startswith("zh") and before.endswith(tuple(CLOSING_MARKS)) else " "


def _chinese_runs(plain: str) -> str:
    def wrap(run: str) -> str:
        core = run.strip(_EDGE)
        if not _HAS_CJK.search(core):
            return html.escape(run)
        start = run.index(core)
        before, after = run[:start], run[start + len(core) :]
        span = f'<span lang="{CJK_LANG}">{html.escape(core)}</span>'
        return html.escape(before) + span + html.escape(after)

    return _marked(plain, _RUN, wrap)


def _english_runs(plain: str) -> str:
    def wrap(whole: str) -> str:
        run = whole.rstrip(".'’-&+/")
        if sum(c.islower() for c in run) < 2:
            return html.escape(whole)
        rest = html.escape(whole[len(run) :])
        return f'<span lang="en">{html.escape(run)}</span>{rest}'

    return _marked(plain, _LATIN_RUN, wrap)


def _marked(plain: str, pattern: re.Pattern, wrap) -> str:
    """``plain`` escaped, each match of ``pattern`` written by ``wrap`` instead."""
    out, end = [], 0
    for match in pattern.finditer(plain):
        out += [html.escape(plain[end : match.start()]), wrap(match.group(0))]
        end = match.end()
    out.append(html.escape(plain[end:]))
    return "".join(out)
