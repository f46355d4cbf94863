import json

from earnings_brief import history


def fake_brief(brief):
    brief.mkdir(parents=True, exist_ok=True)
    for name in history.EDITION_FILES:
        (brief / name).write_text(name)


def test_run_ids_are_unique_and_sort_by_time(tmp_path):
    ids = [history.new_run(tmp_path)[0] for _ in range(5)]
    assert len(set(ids)) == 5
    assert ids == sorted(ids)
    assert all((tmp_path / "runs" / i).is_dir() for i in ids)


def test_an_edition_keeps_the_published_files_and_extras(tmp_path):
    fake_brief(tmp_path)
    (tmp_path / "figures.json").write_text("[]")
    edition = history.record_edition(
        tmp_path, "20250101T000000.000Z", {"figures.json": tmp_path / "figures.json"}
    )
    assert sorted(p.name for p in edition.iterdir()) == sorted(
        [*history.EDITION_FILES, "figures.json"]
    )
    assert history.latest_edition(tmp_path) == edition


def test_prune_keeps_the_newest_and_never_the_current_run(tmp_path):
    fake_brief(tmp_path)
    for i in range(4):
        history.record_edition(tmp_path, f"2025010{i}T000000.000Z", {})
        (tmp_path / "runs" / f"2025010{i}T000000.000Z").mkdir(parents=True)
    current = tmp_path / "runs" / "20250100T000000.000Z"  # oldest name, but still running
    history.prune(tmp_path, 2, current=current)
    assert [p.name for p in history.editions(tmp_path)] == [
        "20250102T000000.000Z",
        "20250103T000000.000Z",
    ]
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert runs == ["20250100T000000.000Z", "20250102T000000.000Z", "20250103T000000.000Z"]


def test_runs_list_every_status_and_mark_editions(tmp_path):
    fake_brief(tmp_path)
    records = {
        "published": {
            "status": "published",
            "seconds": 12.5,
            "notebooks": {"revenue": {"status": "executed"}},
        },
        "up to date": {"status": "up to date", "seconds": 0.1},
        "failed": {
            "status": "failed (3)",
            "error": "revenue.ipynb failed at cell In [4]: ValueError: x",
        },
    }
    for i, record in enumerate(records.values()):
        run_id, run_dir = history.new_run(tmp_path)
        history.write_run(run_dir, record)
        if i == 0:
            history.record_edition(tmp_path, run_id, {})
    history.new_run(tmp_path)  # a killed run leaves no record
    entries = history.runs(tmp_path)
    statuses = [r["status"] for r in records.values()]
    assert [e["status"] for e in entries] == [*statuses, "incomplete (killed or still running)"]
    assert [e["edition"] for e in entries] == [True, False, False, False]
    text = history.format_runs(entries)
    assert "published *" in text and "failed at cell In [4]" in text and "revenue executed" in text
    assert json.loads(json.dumps(entries)) == entries


def test_empty_history_says_so(tmp_path):
    assert history.runs(tmp_path) == []
    assert history.format_runs([]) == "no runs yet"


def test_languages_with_a_history_english_first(tmp_path):
    brief = tmp_path / "acme" / "FY2024"
    assert history.languages(brief, ["en", "zh-Hant"]) == ["en"]  # none yet: English, empty
    history.new_run(brief / "zh-Hant")
    assert history.languages(brief, ["zh-Hant", "en"]) == ["zh-Hant"]
    history.new_run(brief)
    assert history.languages(brief, ["zh-Hant", "en"]) == ["en", "zh-Hant"]
    assert history.languages(brief, ["en"]) == ["en"]  # a folder of no known language is no edition


def test_each_language_is_listed_under_its_name(tmp_path):
    _, run_dir = history.new_run(tmp_path)
    history.write_run(run_dir, {"status": "up to date", "seconds": 0.2})
    runs = history.runs(tmp_path)
    assert history.format_editions({"en": runs}) == history.format_runs(runs)
    both = history.format_editions({"en": runs, "zh-Hant": []})
    english, chinese = both.split("\n\n")
    assert english == "en:\n" + history.format_runs(runs)
    assert chinese == "zh-Hant:\nno runs yet"
    assert history.format_editions({"zh-Hant": runs}) == "zh-Hant:\n" + history.format_runs(runs)
