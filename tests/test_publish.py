import os
import signal

import pytest

from earnings_brief import publish
from earnings_brief.errors import AssemblyError


def stage(folder, html=b"<html>new</html>", pdf=b"%PDF new"):
    folder.mkdir(parents=True)
    (folder / "brief.html").write_bytes(html)
    (folder / "brief.pdf").write_bytes(pdf)
    (folder / "manifest.json").write_text('{"new": true}')
    (folder / "notebooks").mkdir()
    (folder / "notebooks" / "revenue.ipynb").write_text("{}")
    return folder


def published(brief):
    return {
        p.relative_to(brief).as_posix(): p.read_bytes() for p in brief.rglob("*") if p.is_file()
    }


def test_publish_moves_every_staged_file_into_place(tmp_path):
    brief = tmp_path / "brief"
    stage(brief)  # an earlier edition
    (brief / "notebooks" / "stale.ipynb").write_text("{}")
    publish.publish(stage(tmp_path / "staging", html=b"<html>2</html>"), brief)
    files = published(brief)
    assert files["brief.html"] == b"<html>2</html>"
    assert files["manifest.json"] == b'{"new": true}'
    assert "notebooks/revenue.ipynb" in files and "notebooks/stale.ipynb" not in files
    assert not any(name.startswith(".") for name in os.listdir(brief))


@pytest.mark.parametrize("missing", ["brief.html", "brief.pdf"])
def test_incomplete_staging_publishes_nothing(tmp_path, missing):
    brief = stage(tmp_path / "brief")
    before = published(brief)
    staging = stage(tmp_path / "staging")
    (staging / missing).unlink()
    with pytest.raises(AssemblyError) as caught:
        publish.publish(staging, brief)
    assert caught.value.exit_code == 5
    assert published(brief) == before


def test_empty_document_is_incomplete(tmp_path):
    staging = stage(tmp_path / "staging", pdf=b"")
    with pytest.raises(AssemblyError):
        publish.check_staged(staging)


def test_write_atomic_replaces_content_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("old")
    publish.write_atomic(path, "new")
    assert path.read_text() == "new"
    assert os.listdir(tmp_path) == ["manifest.json"]


def test_signals_wait_until_the_block_is_done():
    received = []
    previous = signal.signal(signal.SIGTERM, lambda n, _f: received.append(("handler", n)))
    try:
        with publish.deferred_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            received.append("block done")
        assert received == ["block done", ("handler", signal.SIGTERM)]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_editions_are_named_and_kept_by_language(tmp_path):
    assert publish.edition_file("en", "html") == "brief.html"
    assert publish.edition_file("zh-Hant", "pdf") == "brief.zh-Hant.pdf"
    assert publish.language_dir(tmp_path, "en") == tmp_path
    assert publish.language_dir(tmp_path, "zh-Hant") == tmp_path / "zh-Hant"


def test_a_second_language_is_copied_beside_only_when_it_changed(tmp_path):
    stage(tmp_path / "zh-Hant", html=b"<html lang='zh-Hant'>1</html>")
    assert publish.publish_beside(tmp_path, "zh-Hant") == [
        "brief.zh-Hant.pdf",
        "brief.zh-Hant.html",
    ]
    assert (tmp_path / "brief.zh-Hant.html").read_bytes() == b"<html lang='zh-Hant'>1</html>"
    assert publish.publish_beside(tmp_path, "zh-Hant") == []
    assert publish.publish_beside(tmp_path, "en") == []
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())
