from __future__ import annotations

from pathlib import Path

import pytest

from curation.errors import UserError
from curation.harvest.blocklists import DOMAIN_LISTS, EXTENSION_LISTS, Blocklist, bundled


def build(**kw) -> Blocklist:
    args = {"domain_lists": [], "extension_lists": [], "domains": [], "extensions": [], "domain_files": [],
            "extension_files": [], "where": "stages[0]"}
    args.update(kw)
    return Blocklist.build(**args)


def test_bundled_lists_load() -> None:
    for name in DOMAIN_LISTS:
        assert bundled("domains", name)
    for name in EXTENSION_LISTS:
        assert bundled("ext", name)
    assert "wikipedia.org" in bundled("domains", "wikipedia")


def test_domains_match_with_subdomains_only_on_label_boundaries() -> None:
    bl = build(domain_lists=["wikipedia", "media"])
    assert bl.blocked_domain("en.m.wikipedia.org") == "wikipedia.org"
    assert bl.blocked_domain("wikipedia.org") == "wikipedia.org"
    assert bl.blocked_domain("i.imgur.com") == "imgur.com"
    assert bl.blocked_domain("notwikipedia.org") is None
    assert bl.blocked_domain("wikipedia.org.evil.example") is None
    assert bl.blocked_domain("example.com") is None


def test_extensions_case_insensitive_path_only() -> None:
    bl = build(extension_lists=["images", "documents"], extensions=[".Foo"])
    assert bl.blocked_extension("/cat.JPG") == "jpg"
    assert bl.blocked_extension("/paper.pdf") == "pdf"
    assert bl.blocked_extension("/x.foo") == "foo"
    assert bl.blocked_extension("/jpg") is None
    assert bl.blocked_extension("/a.jpg/page") is None
    assert bl.blocked_extension("/story.html") is None
    assert bl.blocked_extension("/a.jpg/") is None  # the last segment is empty
    assert bl.blocked_extension("/.jpg") == "jpg"
    assert bl.blocked_extension("cat.jpg") == "jpg"  # no slash at all
    assert bl.blocked_extension("/cat.") is None


def test_user_entries_and_files(tmp_path: Path) -> None:
    dom = tmp_path / "domains.txt"
    dom.write_text("# my list\nExample.COM  # trailing comment\n\nhttps://www.spam.example/path\n*.bücher.de\n")
    ext = tmp_path / "ext.txt"
    ext.write_text("xyz\n")
    bl = build(domains=["extra.org"], domain_files=[str(dom)], extension_files=[str(ext)])
    assert bl.blocked_domain("a.example.com") == "example.com"
    assert bl.blocked_domain("www.spam.example") == "www.spam.example"
    assert bl.blocked_domain("spam.example") is None
    assert bl.blocked_domain("shop.xn--bcher-kva.de") == "xn--bcher-kva.de"
    assert bl.blocked_domain("extra.org") == "extra.org"
    assert bl.blocked_extension("/f.XYZ") == "xyz"


def test_config_mistakes_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"stages\[0\].domain_lists: unknown list 'porn'; bundled: wikipedia"):
        build(domain_lists=["porn"])
    with pytest.raises(UserError, match="extension_lists: unknown list"):
        build(extension_lists=["pictures"])
    with pytest.raises(UserError, match="cannot read blocklist file"):
        build(domain_files=[str(tmp_path / "missing.txt")])
    with pytest.raises(UserError, match="is not a domain"):
        build(domains=["exa mple.com"])
