from curation.fetch.robots import ALLOW_ALL, agent_token, origin_of, parse_robots


def test_rules_for_our_agent_and_the_wildcard():
    rules = parse_robots(b"User-agent: *\nDisallow: /private\nCrawl-delay: 2\n\nUser-agent: mybot\nDisallow: /\n")
    assert rules.allowed("http://a.test/public", "otherbot") and not rules.allowed("http://a.test/private/x", "otherbot")
    assert not rules.allowed("http://a.test/public", "mybot")
    assert rules.crawl_delay("otherbot") == 2.0 and rules.crawl_delay("mybot") is None
    assert ALLOW_ALL.allowed("http://a.test/x", "mybot") and ALLOW_ALL.crawl_delay("mybot") is None


def test_garbage_robots_allows_everything():
    rules = parse_robots(b"\x00\xff<html>not robots</html>")
    assert rules.allowed("http://a.test/x", "mybot")


def test_agent_token_and_origin():
    assert agent_token("MyBot/1.0 (+https://example.org)") == "MyBot"
    assert agent_token("webtext-curation/0.1 (research)") == "webtext-curation"
    assert origin_of("https", "a.test", 443) == "https://a.test"
    assert origin_of("http", "a.test", 8080) == "http://a.test:8080"
    assert origin_of("http", "2001:db8::1", None) == "http://[2001:db8::1]"
    assert origin_of("http", "::1", 8080) == "http://[::1]:8080"
