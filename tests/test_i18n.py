"""The catalog of words: lookup, formatting, fallback to English, and errors."""

from __future__ import annotations

import pytest

from earnings_brief import i18n
from earnings_brief.errors import ParameterError


@pytest.fixture
def locales(tmp_path, monkeypatch):
    """A private locales folder with English and a partial Chinese catalog."""
    (tmp_path / "en").mkdir()
    (tmp_path / "zh").mkdir()
    (tmp_path / "en" / "format.toml").write_text(
        'na = "n/a"\npercent = "{number}%"\n[scale]\nbn = "bn"\n', encoding="utf-8"
    )
    (tmp_path / "en" / "brief.toml").write_text(
        'title = "{company} · {period} earnings brief"\nonly_en = "English only"\n',
        encoding="utf-8",
    )
    (tmp_path / "zh" / "brief.toml").write_text(
        'title = "{company} {period} 業績簡報"\n', encoding="utf-8"
    )
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n.catalog.cache_clear()
    yield tmp_path
    i18n.catalog.cache_clear()


def test_bundled_english_catalog():
    assert "en" in i18n.languages()
    assert i18n.t("format.na") == "n/a"
    assert i18n.t("format.percent", number="10.8") == "10.8%"
    assert i18n.t("format.scale.bn") == "bn"
    assert i18n.t("format.qualifier.more_than") == ">"
    assert i18n.t("brief.figure", n=3) == "Figure 3"


def test_nested_tables_become_dotted_keys(locales):
    assert i18n.catalog("en")["format.scale.bn"] == "bn"
    assert set(i18n.catalog("en")) == {
        "format.na",
        "format.percent",
        "format.scale.bn",
        "brief.title",
        "brief.only_en",
    }


def test_template_is_filled(locales):
    assert i18n.t("brief.title", company="SenseTime", period="FY2024") == (
        "SenseTime · FY2024 earnings brief"
    )
    assert i18n.t("brief.title", "zh", company="商湯", period="FY2024") == "商湯 FY2024 業績簡報"


def test_template_without_values_is_returned_as_is(locales):
    assert i18n.t("brief.title") == "{company} · {period} earnings brief"


def test_missing_key_falls_back_to_english(locales):
    assert i18n.t("brief.only_en", "zh") == "English only"
    assert i18n.t("format.percent", "zh", number="5") == "5%"
    assert i18n.has("brief.only_en", "zh")


def test_missing_key_raises(locales):
    with pytest.raises(KeyError, match="brief.nope"):
        i18n.t("brief.nope")
    with pytest.raises(KeyError, match=r"locales/zh or locales/en"):
        i18n.t("brief.nope", "zh")
    assert not i18n.has("brief.nope")
    assert not i18n.has("brief.nope", "zh")


def test_missing_key_in_bundled_catalog_raises():
    with pytest.raises(KeyError):
        i18n.t("format.no_such_key")


def test_unknown_language(locales):
    with pytest.raises(ParameterError) as info:
        i18n.t("brief.title", "fr")
    err = info.value
    assert err.field == "language"
    assert "unknown language 'fr'" in err.message
    assert err.expected == "one of en, zh"
    assert "\n" not in err.one_line()


def test_languages(locales):
    (locales / "README.md").write_text("not a language", encoding="utf-8")
    assert i18n.languages() == ["en", "zh"]


def _fields(template) -> set[str]:
    import string

    if not isinstance(template, str):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != i18n.DEFAULT])
def test_every_language_has_every_english_key(lang):
    """No silent fallback: an edition in another language never shows an English string."""
    english, other = i18n.catalog(i18n.DEFAULT), i18n.catalog(lang)
    assert sorted(set(english) - set(other)) == [], f"keys missing from locales/{lang}"
    assert sorted(set(other) - set(english)) == [], f"keys in locales/{lang} that en lacks"


@pytest.mark.parametrize("lang", [lang for lang in i18n.languages() if lang != i18n.DEFAULT])
def test_translations_take_the_same_values(lang):
    """A translated template may only use the values the English one is given."""
    english, other = i18n.catalog(i18n.DEFAULT), i18n.catalog(lang)
    wrong = {k: _fields(v) - _fields(english[k]) for k, v in other.items() if k in english}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_chinese_locale_speaks_chinese():
    assert i18n.t("brief.summary.chapter", "zh-Hant") == "摘要"
    assert i18n.t("brief.tile.growth", "zh-Hant", value="+10.8%") == "同比+10.8%"


def test_house_style_settings_are_numbers():
    assert i18n.setting("format.divisor.bn") == 1e9
    assert i18n.setting("format.divisor.bn", "zh-Hant") == 1e8
