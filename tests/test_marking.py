"""Runs of the other language, marked as each string is escaped: Chinese in an English page,
English (and Chinese punctuation) in a Chinese one."""

from __future__ import annotations

from earnings_brief import blocks
from earnings_brief.marking import gap, text
from earnings_brief.render import render


def test_chinese_runs_keep_their_numbers_and_leave_entities_alone():
    out = text("TMTPost AGI (鈦媒體AGI) wrote 研發支出41.31億元，增長19.2% &上海 x")
    assert '(<span lang="zh-Hant">鈦媒體AGI</span>)' in out
    assert '<span lang="zh-Hant">研發支出41.31億元，增長19.2%</span>' in out
    assert '&amp;<span lang="zh-Hant">上海</span> x' in out
    assert text("<b>商湯</b>") == '&lt;b&gt;<span lang="zh-Hant">商湯</span>&lt;/b&gt;'


def test_english_runs_in_a_chinese_page_are_marked_english():
    out = text(
        "資料來源：TMTPost AGI (鈦媒體AGI)，SenseTime Group的生成式AI收入37.7億元；"
        "NVIDIA Thor與HiDream.ai。FY2024 PFLOPS & x",
        "zh-Hant",
    )
    assert '資料來源：<span lang="en">TMTPost AGI</span>（鈦媒體AGI），' in out
    assert '<span lang="en">SenseTime Group</span>的生成式AI收入37.7億元' in out
    assert '<span lang="en">NVIDIA Thor</span>與<span lang="en">HiDream.ai</span>。' in out
    assert out.endswith("。FY2024 PFLOPS &amp; x")  # codes and acronyms read the same in both
    assert text("TMTPost (鈦媒體AGI)", "zh-Hant").endswith("（鈦媒體AGI）")
    assert text("增長。 管理層", "zh-Hant") == "增長。管理層"
    assert text("工具: 金額; 交互", "zh-Hant") == "工具：金額；交互"
    assert text("R&D", "zh-Hant") == "R&amp;D"  # no run starts inside an entity
    statements = render(blocks.Statements((("策略。", "商湯"),), "x"), "zh-Hant")
    assert '<strong class="eb-kind">策略。</strong>商湯' in statements
    assert '<strong class="eb-kind">Strategy.</strong> SenseTime' in render(
        blocks.Statements((("Strategy.", "SenseTime"),), "x")
    )


def test_no_space_after_a_full_width_mark_in_a_chinese_page():
    assert gap("策略。", "zh-Hant") == "" and gap("策略", "zh-Hant") == " "
    assert gap("Strategy.", "en") == " "
