"""The fetch loop against a real local server: politeness, safety, redirects, retries, bodies."""

from __future__ import annotations

import gzip
import re
import socket
import subprocess
import sys

import pytest


def test_normal_pages_are_fetched_and_archived(web, crawl):
    r = crawl([web.url("a.test", "/page/1"), web.url("b.test", "/page/2")])
    assert r.errors() == [None, None]
    assert [e["status"] for e in r.entries] == [200, 200]
    assert all(e["warc_record_id"].startswith("<urn:uuid:") and e["body_bytes"] > 500 for e in r.entries)
    assert r.stats["requests"] == 2 and r.stats["robots_requests"] == 2


def test_redirect_chain_is_followed_hop_by_hop(web, crawl):
    r = crawl([web.url("a.test", "/redirect/3"), web.url("a.test", "/redirect/9")], max_redirects=5)
    ok, too_long = r.entries
    assert ok["fetch_error"] is None and ok["redirects"] == 4 and ok["final_url"].endswith("/page/end")
    assert too_long["fetch_error"] == "too_many_redirects" and too_long["status"] == 302
    # five redirects followed (9 -> 8 -> 7 -> 6 -> 5 -> 4); the sixth (4 -> 3) is refused
    assert too_long["redirects"] == 5 and too_long["final_url"].endswith("/redirect/4")
    assert web.hits["/redirect/4"] == 1 and web.hits["/redirect/3"] == 1


def test_redirect_loop_is_detected(web, crawl):
    r = crawl([web.url("a.test", "/loop/a")])
    assert r.errors() == ["redirect_loop"]
    assert web.hits["/loop/a"] == 1 and web.hits["/loop/b"] == 1


def test_redirects_to_file_and_private_addresses_are_refused(web, crawl):
    targets = ["file:///etc/passwd", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
               "http://private.test/", "http://[::ffff:10.0.0.1]/", "http://metadata.test/"]
    r = crawl([web.url("a.test", f"/to?url={t}") for t in targets])
    assert r.errors() == ["unsupported_scheme", "ssrf", "ssrf", "ssrf", "ssrf", "ssrf"]
    # refused at the redirect (scheme, IP literal): the 302 is the row's last response
    assert [e["status"] for e in r.entries[:3]] + [r.entries[4]["status"]] == [302] * 4
    # refused when the target name resolved to an internal address: nothing reached it
    assert r.entries[3]["final_url"] == "http://private.test/" and r.entries[3]["status"] is None
    assert "private.test" in r.resolver.calls and "metadata.test" in r.resolver.calls


@pytest.mark.parametrize("name", ["loopback.test", "private.test", "metadata.test", "mapped.test", "mixed.test"])
def test_guard_refuses_names_that_resolve_to_internal_addresses(web, crawl, name):
    r = crawl([web.url(name, "/page/1"), web.url(name, "/page/2")], allowed_networks=[])
    assert r.errors() == ["ssrf", "ssrf"]
    assert web.requests(name) == []  # nothing reached the server
    assert r.resolver.calls == [name]  # looked up once; the second URL failed without a lookup


def test_guard_refuses_ip_literals_without_a_lookup(web, crawl):
    r = crawl([f"http://127.0.0.1:{web.port}/page/1", "http://[::1]/", "http://169.254.169.254/"],
              allowed_networks=[])
    assert r.errors() == ["ssrf", "ssrf", "ssrf"]
    assert web.arrivals == [] and r.resolver.calls == []


def test_allow_private_networks_opens_the_guard(web, crawl):
    r = crawl([web.url("loopback.test", "/page/1")], allowed_networks=[], allow_private_networks=True)
    assert r.errors() == [None]


def test_each_host_is_resolved_once_and_connections_use_the_checked_address(web, crawl):
    # "a.test" exists only in the stub table: reaching the server proves the connection went to the
    # address the guard checked, not to a second (system) lookup.
    r = crawl([web.url("a.test", f"/page/{i}") for i in range(5)])
    assert r.errors() == [None] * 5
    assert r.resolver.calls == ["a.test"]
    assert r.stats["dns_lookups"] == 1


def test_unresolvable_host_fails_as_dns_once(web, crawl):
    r = crawl([web.url("nowhere.test", "/1"), web.url("nowhere.test", "/2")])
    assert r.errors() == ["dns", "dns"]
    assert r.resolver.calls == ["nowhere.test"]


def test_http_errors_are_classified(web, crawl):
    r = crawl([web.url("a.test", "/status/404"), web.url("a.test", "/status/500"),
               web.url("a.test", "/status/204")], max_retries=1)
    assert r.errors() == ["http_4xx", "http_5xx", None]
    assert web.hits["/status/500"] == 2  # retried once
    assert web.hits["/status/404"] == 1  # a 404 is not retried


def test_429_then_200_waits_for_retry_after(web, crawl):
    r = crawl([web.url("a.test", "/retry-after/k")])
    assert r.errors() == [None]
    first, second = web.times("a.test", "/retry-after")
    assert second - first >= 0.95  # Retry-After: 1
    assert r.stats["retries"] == 1


def test_retry_after_longer_than_the_cap_is_not_waited_for(web, crawl):
    r = crawl([web.url("a.test", "/retry-after/k")], max_retry_after=0.5)
    assert r.errors() == ["http_4xx"] and r.entries[0]["status"] == 429
    assert web.hits["/retry-after/k"] == 1


def test_slow_drip_body_hits_the_total_timeout(web, crawl):
    r = crawl([web.url("a.test", "/slow-drip")], total_timeout=0.5, read_timeout=5, max_retries=0)
    assert r.errors() == ["timeout"]
    assert 400 <= r.entries[0]["elapsed_ms"] < 3000


def test_endless_body_is_truncated_at_the_cap(web, crawl):
    r = crawl([web.url("a.test", "/endless")], max_body_bytes=200_000)
    e = r.entries[0]
    assert e["fetch_error"] is None and e["truncated"] is True and e["body_bytes"] == 200_000


@pytest.mark.parametrize("kind", ["gzip", "zstd", "br"])
def test_decompression_bombs_stop_at_the_cap(web, crawl, kind):
    r = crawl([web.url("a.test", f"/{kind}-bomb")], max_body_bytes=100_000)
    e = r.entries[0]
    assert e["truncated"] is True and e["body_bytes"] == 100_000
    assert e["wire_bytes"] < 2_000_000  # stopped reading long before the 200 MB it expands to


def test_binary_content_type_is_not_downloaded(web, crawl):
    r = crawl([web.url("a.test", "/doc.pdf")])
    assert r.errors() == ["not_html"] and r.entries[0]["wire_bytes"] == 0


def test_robots_disallow_is_obeyed(web, crawl):
    web.robots["robots.test"] = [(200, "User-agent: *\nDisallow: /page/secret\n\nUser-agent: otherbot\nDisallow: /\n")]
    r = crawl([web.url("robots.test", "/page/secret"), web.url("robots.test", "/page/open")])
    assert r.errors() == ["robots", None]
    assert web.requests("robots.test") == ["/robots.txt", "/page/open"]


def test_robots_groups_match_the_configured_agent(web, crawl):
    web.robots["robots.test"] = [(200, "User-agent: pickybot\nDisallow: /\n")]
    r = crawl([web.url("robots.test", "/page/1")], user_agent="PickyBot/2.0 (+https://example.org/bot)")
    assert r.errors() == ["robots"]


def test_robots_5xx_defers_the_host_then_fetches(web, crawl):
    web.robots["robots.test"] = [(503, ""), (200, "User-agent: *\nAllow: /\n")]
    r = crawl([web.url("robots.test", "/page/1")], robots_retry_delay=0.3)
    assert r.errors() == [None]
    times = [t for t, h, p in web.arrivals if h == "robots.test"]
    assert times[1] - times[0] >= 0.3


def test_unreachable_robots_drops_the_host(web, crawl):
    web.robots["robots.test"] = [(500, "")]
    r = crawl([web.url("robots.test", f"/page/{i}") for i in range(3)], robots_attempts=2, robots_retry_delay=0.05)
    assert r.errors() == ["robots_unavailable"] * 3
    assert web.requests("robots.test") == ["/robots.txt", "/robots.txt"]


def test_unreachable_robots_drops_that_origin_only(web, crawl):
    with socket.socket() as s:  # a port nothing listens on: the same host name, another origin
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    urls = [f"http://a.test:{dead}/page/1", web.url("a.test", "/page/2"), f"http://a.test:{dead}/page/3"]
    r = crawl(urls, robots_attempts=2, robots_retry_delay=0.05)
    assert r.errors() == ["robots_unavailable", None, "robots_unavailable"]
    assert r.entries[0]["detail"] == f"http://a.test:{dead}/robots.txt unreachable"
    assert r.stats["origins_unavailable"] == 1 and not r.stats.get("hosts_retired")


def test_a_host_aiohttp_refuses_ends_its_urls_without_waiting_for_robots(web, crawl):
    r = crawl(["http://256.256.256.256/x", "http://256.256.256.256/y"], robots_attempts=2, robots_retry_delay=0.05)
    assert r.errors() == ["invalid_url"] * 2
    assert "is not a canonical IPv4 address" in r.entries[1]["detail"]
    assert r.stats["robots_requests"] == 1 and not r.stats.get("requests")


def test_links_are_requested_in_their_wire_form(web, crawl):
    r = crawl([web.url("a.test", "/page/with space"), web.url("a.test", "/page/caf\u00e9")])
    assert r.errors() == [None, None]
    assert web.requests("a.test")[1:] == ["/page/with%20space", "/page/caf%C3%A9"]
    assert r.entries[0]["final_url"] == web.url("a.test", "/page/with%20space")


def test_credentials_in_a_link_are_neither_sent_nor_stored(web, crawl):
    url = web.url("a.test", "/page/1").replace("//", "//user:secret@")
    r = crawl([url])
    assert r.errors() == [None] and r.entries[0]["final_url"] == web.url("a.test", "/page/1")
    warc = b"".join(gzip.decompress(p.read_bytes()) for p in r.warcs())
    assert b"secret" not in warc and b"Authorization" not in warc and b"dXNlcjpzZWNyZXQ" not in warc


def test_a_utf8_location_is_followed_percent_encoded(web, crawl):
    r = crawl([web.url("a.test", "/to?url=/page/caf%C3%A9")])
    assert r.errors() == [None]
    assert r.entries[0]["final_url"] == web.url("a.test", "/page/caf%C3%A9")
    assert web.requests("a.test")[-1] == "/page/caf%C3%A9"


def test_a_long_crawl_prints_progress(web, crawl, capsys):
    urls = [web.url("paced.test", f"/page/{i}") for i in range(3)] + [web.url("a.test", "/status/404")]
    crawl(urls, per_host_delay=0.2, progress_seconds=0.1)
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("fetch: ") for line in lines)
    assert re.search(r"\d/4 links finished \(\d pages, \d failed\) in .* links/s; \d hosts? left$", lines[0])
    assert any("1 failed" in line for line in lines)
    crawl(urls, per_host_delay=0.2, progress_seconds=0)
    assert capsys.readouterr().err == ""


def test_robots_4xx_allows_everything(web, crawl):
    web.robots["robots.test"] = [(403, "forbidden")]
    r = crawl([web.url("robots.test", "/page/1")])
    assert r.errors() == [None]


def test_per_host_delay_is_kept_between_requests(web, crawl):
    urls = [web.url("paced.test", f"/page/{i}") for i in range(4)] + [web.url(f"{h}.test", "/page/x") for h in "abc"]
    r = crawl(urls, per_host_delay=0.25, concurrency=8)
    assert r.errors() == [None] * 7
    times = [t for t, h, p in web.arrivals if h == "paced.test"]  # robots.txt first, then the pages
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 5 and min(gaps) >= 0.24
    # other hosts did not wait for paced.test: all three were served before its second page
    others = [t for t, h, p in web.arrivals if h in ("a.test", "b.test", "c.test") and p.startswith("/page")]
    assert max(others) < times[2]


def test_crawl_delay_is_honoured_up_to_the_cap(web, crawl):
    web.robots["slow.test"] = [(200, "User-agent: *\nCrawl-delay: 0.4\n")]
    web.robots["robots.test"] = [(200, "User-agent: *\nCrawl-delay: 3600\n")]
    urls = [web.url("slow.test", f"/page/{i}") for i in range(3)] + [web.url("robots.test", f"/page/{i}") for i in range(3)]
    r = crawl(urls, per_host_delay=0.0, max_crawl_delay=0.3)
    assert r.errors() == [None] * 6
    slow = web.times("slow.test", "/page")
    capped = web.times("robots.test", "/page")
    assert min(b - a for a, b in zip(slow, slow[1:], strict=False)) >= 0.29  # min(0.4, cap 0.3)
    assert min(b - a for a, b in zip(capped, capped[1:], strict=False)) >= 0.29
    assert max(b - a for a, b in zip(capped, capped[1:], strict=False)) < 2  # not an hour


def test_host_error_budget_skips_a_failing_host(web, crawl):
    urls = [web.url("flaky.test", f"/flaky/99/{i}") for i in range(6)]
    r = crawl(urls, max_retries=0, host_error_budget=2)
    assert r.errors() == ["http_5xx", "http_5xx"] + ["host_errors"] * 4
    assert len(web.times("flaky.test", "/flaky")) == 2


def test_every_exchange_passes_warcio_check(web, crawl):
    r = crawl([web.url("a.test", "/page/1"), web.url("a.test", "/redirect/2"), web.url("a.test", "/gzip-bomb"),
               web.url("a.test", "/doc.pdf"), web.url("a.test", "/status/404")], max_body_bytes=50_000)
    assert len(r.warcs()) == 1
    out = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(r.warcs()[0])],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("digest pass") >= 8  # 5 URLs + 2 hops + robots.txt, each response + request


def test_an_untrusted_certificate_is_refused_as_tls_at_once(crawl, tmp_path):
    import ssl

    import trustme

    from curation.fetch.testserver import TestWeb

    ca = trustme.CA()  # a certificate authority nobody trusts: the client must refuse the server
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("a.test").configure_cert(context)
    web = TestWeb(ssl_context=context).start()
    try:
        r = crawl([web.url("a.test", "/page/1"), web.url("a.test", "/page/2")], robots_retry_delay=30)
        assert r.errors() == ["tls", "tls"]
        assert "certificate verify failed" in r.entries[0]["detail"]
        assert r.stats["robots_requests"] == 1 and web.arrivals == []  # one handshake, no request served
    finally:
        web.stop()
