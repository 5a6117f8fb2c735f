"""Decoded pages held until their batch is built: batch completion, the memory budget, the stored form."""

from __future__ import annotations

from curation.fetch.buffer import PageBuffer, decode_page


def test_a_batch_is_complete_once_all_its_rows_are_finished_in_any_order():
    pages = PageBuffer(5, batch_size=2, finished=[1])  # row 1 finished by an earlier run
    pages.finish(3, b"<p>three</p>", "text/html")
    assert [pages.complete(b) for b in range(3)] == [False, False, False] and not pages.batch_done.is_set()
    pages.finish(2)  # a failed row: no body
    assert pages.complete(1) and pages.batch_done.is_set()
    pages.finish(0, b"<p>zero</p>", "text/html")
    pages.finish(4, b"<p>four</p>", "text/html")
    assert all(pages.complete(b) for b in range(3))
    assert pages.take(0) == (b"<p>zero</p>", "utf-8") and pages.take(0) is None  # taken once
    assert pages.take(1) is None and pages.take(2) is None  # nothing held for them


def test_pages_past_the_memory_budget_are_not_held():
    pages = PageBuffer(3, batch_size=3, memory_bytes=15)
    pages.finish(0, b"<p>0123456</p>", "text/html")  # 14 bytes: held
    pages.finish(1, b"<p>x</p>", "text/html")  # would pass 15: read back later instead
    assert pages.held == 14 and pages.not_held == [1] and pages.take(1) is None
    pages.take(0)
    assert pages.held == 0
    pages.finish(2, b"<p>x</p>", "text/html")  # room again
    assert pages.take(2) is not None


def test_pages_are_stored_as_utf8_bytes_and_binary_as_none():
    ascii_body = b"<html><p>plain</p></html>"
    assert decode_page(ascii_body, "text/html; charset=utf-8")[0] is ascii_body  # no copy
    html, charset = decode_page("<p>café</p>".encode("cp1252"), "text/html; charset=windows-1252")
    assert (html, charset) == ("<p>café</p>".encode(), "cp1252")
    assert decode_page(b"%PDF-1.4 binary", "text/html") == (None, None)
