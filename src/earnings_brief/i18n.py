"""Every word a reader sees comes from here, keyed by language.

Strings live in ``locales/<lang>/*.toml``; each file is a namespace, so ``charts.toml``'s key
``revenue.title`` is ``t("charts.revenue.title")``. Values are ``str.format`` templates, except
a few house-style rules in ``format.toml`` (numbers, read with ``setting``).
A missing key in another language falls back to English, and a key missing everywhere is an error,
so a typo never reaches a reader as a raw key; tests/test_i18n.py fails on any key a language
lacks, so a shipped edition never falls back.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from .errors import ParameterError

LOCALES = Path(__file__).with_name("locales")
DEFAULT = "en"


def languages() -> list[str]:
    return sorted(p.name for p in LOCALES.iterdir() if p.is_dir())


@cache
def catalog(lang: str) -> dict[str, str]:
    """Flat key → template map for one language."""
    folder = LOCALES / lang
    if not folder.is_dir():
        raise ParameterError(
            f"unknown language '{lang}'",
            field="language",
            expected="one of " + ", ".join(languages()),
        )
    flat: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        _flatten(tomllib.loads(path.read_text(encoding="utf-8")), path.stem, flat)
    return flat


def _flatten(table: dict, prefix: str, out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(value, name, out)
        else:
            out[name] = value


def t(key: str, lang: str = DEFAULT, /, **values) -> str:
    """The text for ``key`` in ``lang``, filled with ``values``."""
    template = catalog(lang).get(key)
    if template is None and lang != DEFAULT:
        template = catalog(DEFAULT).get(key)
    if template is None:
        raise KeyError(f"no text for '{key}' in locales/{lang} or locales/{DEFAULT}")
    return template.format(**values) if values else template


def setting(key: str, lang: str = DEFAULT, /) -> float | str:
    """A house-style rule of ``lang`` (a number such as a scale's divisor), not a template."""
    return t(key, lang)


def has(key: str, lang: str = DEFAULT) -> bool:
    return key in catalog(lang) or key in catalog(DEFAULT)
