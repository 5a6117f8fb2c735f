"""The polite, safe HTTP fetcher behind the ``fetch`` stage, one idea per module:

- ``ssrf``: which addresses may be contacted, and a resolver that looks each host up once;
- ``robots``: robots.txt rules per origin (protego);
- ``frontier``: per-host queues, concurrency and delays;
- ``body``: reading a body under a size cap that also holds after gzip/deflate/br/zstd decoding;
- ``client``: one HTTP request-response exchange, errors classified;
- ``outcomes``: the error class of a URL, a redirect or a response, and what is retried;
- ``crawler``: the event loop tying them together (robots, redirects, retries, error budget);
- ``archive``: WARC/1.1 files (request + response records, per-record gzip, digests);
- ``journal``: what a shard task has finished, so a killed fetch resumes without refetching;
- ``writer``: the thread that writes the archive's and the journal's bytes, in order;
- ``buffer``: decoded pages held until their batch of the page shard is built;
- ``groups``, ``pages``: host/key groups on disk and the page columns, shared with ``warc_join``;
- ``testserver``: a local server with hostile routes, for the tests and the benchmark.
"""
