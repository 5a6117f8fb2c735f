import time

import pyarrow as pa
import pytest

from curation.stages.extract import Extract, ExtractConfig
from curation.testing import article_html


def _extract(html: list[str | None], **cfg):
    stage = Extract(ExtractConfig(**cfg))
    table = pa.table({"id": [str(i) for i in range(len(html))], "url": ["http://x.example/"] * len(html),
                      "html": pa.array(html, pa.string()), "score": list(range(len(html)))})
    return stage.process(table)


def test_main_text_title_and_date_are_kept_boilerplate_dropped():
    oc = _extract([article_html(3)])
    row = oc.kept.to_pylist()[0]
    assert "On day 3 we walked past" in row["text"]
    assert "All rights reserved" not in row["text"] and "Contact" not in row["text"]
    assert row["title"] == "Notes from page 3"
    assert "html" not in oc.kept.column_names and row["score"] == 0  # unknown columns pass through


@pytest.mark.parametrize(("html", "reason"), [
    (None, "not_html"),
    ("just some plain text, no markup at all", "not_html"),
    ("<html><body><p>Too short.</p></body></html>", "too_short"),
    ("<html><body><div>   </div></body></html>", "extraction_empty"),
])
def test_each_drop_reason(html, reason):
    oc = _extract([html])
    assert oc.kept.num_rows == 0
    assert oc.rejected.column("drop_reason").to_pylist() == [reason]


def test_timeout_drops_the_page_and_goes_on(monkeypatch):
    from curation import resources

    def slow(*args, **kwargs):
        time.sleep(5)

    monkeypatch.setitem(resources._cache, "trafilatura", slow)
    start = time.perf_counter()
    oc = _extract([article_html(1)], timeout_seconds=0.2)
    assert time.perf_counter() - start < 2
    assert oc.rejected.column("drop_reason").to_pylist() == ["extraction_timeout"]


def test_huge_html_is_cut_before_parsing():
    html = article_html(2) + "<p>" + "filler words here " * 200_000 + "</p>"
    oc = _extract([html], max_html_bytes=100_000)
    assert oc.notes == {"html_cut_to_max_bytes": 1}
    assert oc.kept.num_rows == 1


def test_recall_mode_keeps_at_least_what_precision_keeps():
    html = article_html(5)
    precise = _extract([html], mode="precision").kept.column("text")[0].as_py()
    recall = _extract([html], mode="recall").kept.column("text")[0].as_py()
    assert len(recall) >= len(precise)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed alarm, on purpose
def test_timeout_swallowed_by_a_destructor_still_stops_the_page(monkeypatch):
    from curation import resources

    class SlowToDie:
        def __del__(self):
            time.sleep(0.6)  # the first alarms land here; Python prints and swallows them

    def slow(*args, **kwargs):
        obj = SlowToDie()
        del obj
        time.sleep(5)

    monkeypatch.setitem(resources._cache, "trafilatura", slow)
    start = time.perf_counter()
    oc = _extract([article_html(1)], timeout_seconds=0.2)
    assert time.perf_counter() - start < 2
    assert oc.rejected.column("drop_reason").to_pylist() == ["extraction_timeout"]
