"""Bodies are decoded once, with the charset recorded: BOM, header, <meta>, then detection."""

from __future__ import annotations

import codecs

import pytest

from curation.charset import decode_body, header_charset, is_binary

FR = "<html><body><p>" + "Le café “noir” était très bon — merci. " * 10 + "</p></body></html>"
RU = "<html><body><p>" + "Привет, как дела? Сегодня хорошая погода. " * 10 + "</p></body></html>"


def test_declared_charset_is_used():
    assert decode_body(RU.encode("koi8-r"), "text/html; charset=KOI8-R") == (RU, "koi8-r")


def test_header_that_lies_falls_through_to_what_decodes():
    text, charset = decode_body(FR.encode("cp1252"), "text/html; charset=utf-8")
    assert (text, charset) == (FR, "cp1252")


def test_utf8_body_under_a_latin1_header_is_utf8():
    # old servers default to ISO-8859-1; decoding UTF-8 as windows-1252 would give "cafÃ©"
    assert decode_body(FR.encode("utf-8"), "text/html; charset=ISO-8859-1") == (FR, "utf-8")


def test_meta_charset_is_used_when_the_header_has_none():
    html = "<html><head><meta charset='windows-1251'></head><body>" + RU + "</body></html>"
    assert decode_body(html.encode("cp1251"), "text/html") == (html, "cp1251")
    jp = '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>日本語のページです。</p>'
    assert decode_body(jp.encode("shift_jis"), None) == (jp, "shift_jis")


def test_bom_wins():
    assert decode_body(codecs.BOM_UTF8 + FR.encode(), "text/html; charset=iso-8859-1") == (FR, "utf-8-sig")
    assert decode_body(codecs.BOM_UTF16_LE + RU.encode("utf-16-le"), None) == (RU, "utf-16")


def test_labels_map_like_browsers():
    assert decode_body(b"<p>plain</p>", "text/html; charset=iso-8859-1")[1] == "cp1252"
    assert decode_body("<p>señor</p>".encode("cp1252"), "text/html; charset=latin1") == ("<p>señor</p>", "cp1252")
    assert decode_body(b"<p>plain</p>", "text/html; charset=utf-16")[1] == "utf-8"  # no BOM: the label lies
    assert decode_body(b"<p>plain</p>", "text/html; charset=no-such-charset")[1] == "utf-8"


def test_a_body_cut_inside_a_character_still_decodes_as_utf8():
    body = ("<p>" + "日本語" * 100).encode()[:-1]  # the cap cut the last character in half
    text, charset = decode_body(body, "text/html; charset=utf-8")
    assert charset == "utf-8" and text == "<p>" + "日本語" * 99 + "日本"


def test_undeclared_legacy_text_is_detected():
    text, charset = decode_body(RU.encode("cp1251"), "text/html")
    assert text == RU and charset == "cp1251"
    text, charset = decode_body(FR.encode("cp1252"), None)
    assert text == FR and charset == "cp1252"


@pytest.mark.parametrize("body", [b"%PDF-1.4 ...", b"\x89PNG\r\n\x1a\n....", b"\x1f\x8b\x08\x00gz", b"text\x00with nul"])
def test_binary_bodies_are_not_decoded(body):
    assert is_binary(body) and decode_body(body, "text/html") == (None, None)


def test_empty_body_and_header_parsing():
    assert decode_body(b"", "text/html") == ("", "utf-8")
    assert header_charset('text/html; charset="UTF-8"') == "UTF-8"
    assert header_charset("text/html") is None and header_charset(None) is None
