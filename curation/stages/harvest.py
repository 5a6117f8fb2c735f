"""Stage `harvest`: outbound links from Reddit / Hacker News / generic dumps, WebText's first step.

Two phases. ``map`` (task *i* = input file *i*) streams the file, applies the per-post rules
(``curation.harvest.rules``), writes the dropped posts to ``rejected/map-part-i.arrow`` with their
reasons, and hash-partitions the surviving posts by normalized URL into
``_work/map/part-i/bucket-j.arrow``. ``reduce`` (task *j* = partition *j*) merges bucket *j* of every
map task into one link per normalized URL (``curation.harvest.merge``) and writes ``part-j.arrow``.
Memory is bounded by one block of a file plus the zstd window the file declares (map) and by one
partition (reduce, about 1.2 KB per post): raise ``partitions`` when a partition holds more posts
than fit comfortably.

Stage-level funnel: posts read (the map stats' ``in``) = links kept (the reduce stats' ``out``) +
every drop (map and reduce stats' ``drops``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import pyarrow as pa
from pydantic import Field, model_validator

from curation.errors import ShardError
from curation.harvest.blocklists import DOMAIN_LISTS, EXTENSION_LISTS, Blocklist
from curation.harvest.formats import ColumnMap, FileReport, read_posts
from curation.harvest.merge import LINK_SCHEMA, merge_posts
from curation.harvest.partition import PartitionWriter, read_bucket
from curation.harvest.posts import POST_OUT_SCHEMA
from curation.harvest.rules import DROP_REASONS, PostRules, judge
from curation.registry import register
from curation.stage import REASON, SIGNAL, Outcome, SourceConfig, SourceStage, StageConfig
from curation.storage import sha256_file

MAP_PREFIX = "map-"


class HarvestConfig(SourceConfig):
    format: Literal["auto", "pushshift", "hn", "jsonl", "csv", "parquet"] = Field(
        "auto", description="Dump format; `auto` decides per file (Parquet magic, else the first line).")
    columns: ColumnMap = Field(default_factory=ColumnMap,
                               description="Column names of generic dumps (jsonl, csv, parquet).")
    # WebText (Radford et al. 2019, section 2.2): outbound links of Reddit posts with at least 3 karma.
    min_karma: int | None = Field(3, ge=0, description="Minimum score (WebText: 3); null: no karma rule.")
    # WebText: per submission. OpenWebText2 (Gao et al. 2020, the Pile): summed over a URL's submissions.
    karma_rule: Literal["per_submission", "summed"] = Field(
        "per_submission", description="Apply min_karma to each submission, or to the score summed over "
                                      "every submission of the same normalized URL.")
    exclude_nsfw: bool = Field(True, description="Drop posts marked over_18 (OpenWebText2 does).")
    exclude_self_posts: bool = Field(True, description="Drop text posts: they link to the aggregator itself.")
    subreddits: list[str] | None = Field(None, description="Keep only these subreddits (case-insensitive).")
    exclude_subreddits: list[str] = Field(default_factory=list, description="Drop these subreddits.")
    start: datetime | None = Field(None, description="Keep posts created at or after this time (UTC).")
    end: datetime | None = Field(None, description="Keep posts created before this time (UTC).")
    domain_lists: list[str] = Field(list(DOMAIN_LISTS), description=f"Bundled domain blocklists: {DOMAIN_LISTS}.")
    extension_lists: list[str] = Field(list(EXTENSION_LISTS),
                                       description=f"Bundled extension blocklists: {EXTENSION_LISTS}.")
    block_domains: list[str] = Field(default_factory=list, description="More domains to block (with subdomains).")
    block_extensions: list[str] = Field(default_factory=list, description="More file extensions to block.")
    domain_files: list[str] = Field(default_factory=list, description="Files of domains to block, one a line.")
    extension_files: list[str] = Field(default_factory=list, description="Files of extensions to block.")
    # The sitemap protocol (sitemaps.org) and most crawlers cap URLs at 2,048 characters.
    max_url_length: int | None = Field(2048, ge=1, description="Longer URLs are dropped; null: no limit.")
    max_malformed_fraction: float | None = Field(
        0.01, ge=0, le=1, description="A file with a larger fraction of malformed lines fails its shard; null: never.")
    partitions: int = Field(16, ge=1, le=65536, description="Hash partitions of the dedup (= output shards).")

    @model_validator(mode="after")
    def _check(self) -> HarvestConfig:
        if self.start and self.end and _utc(self.start) >= _utc(self.end):
            raise ValueError(f"start ({self.start}) must come before end ({self.end})")
        if self.min_karma is not None and self.columns.score is None:
            raise ValueError("columns.score is null but min_karma is set; set min_karma: null to harvest "
                             "a dump without scores")
        return self


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _file_digest(path: str) -> str:
    try:
        return sha256_file(path)
    except OSError:
        return "missing"


@register
class Harvest(SourceStage):
    name = "harvest"
    Config: ClassVar[type[StageConfig]] = HarvestConfig
    summary = "Outbound links of Reddit / HN / generic dumps with enough karma, normalized, blocklisted, deduplicated"
    #: the funnel's drop reasons in the order the rules apply them (the last one is the reduce phase's)
    drop_reasons: ClassVar[tuple[str, ...]] = DROP_REASONS

    # -- phases and tasks ------------------------------------------------------------------------
    def phases(self) -> list[str]:
        return ["map", "reduce"]

    def task_keys(self, phase: str) -> list[str]:
        if phase == "map":
            return [f"{MAP_PREFIX}part-{i:05d}" for i in range(len(self._files()))]
        return [f"part-{j:05d}" for j in range(self.config.partitions)]

    def describe_input(self, key: str) -> str:
        index = int(key.rsplit("-", 1)[1])
        if key.startswith(MAP_PREFIX):
            return self._files()[index]
        return f"partition {index} of {self.config.partitions} (bucket {index} of every map task)"

    def input_fingerprint(self) -> Any:
        c = self.config
        lists = {p: _file_digest(p) for p in [*c.domain_files, *c.extension_files]}
        return {"inputs": super().input_fingerprint(), "lists": lists} if lists else super().input_fingerprint()

    def empty_schema(self) -> pa.Schema:
        return LINK_SCHEMA

    def write_outputs(self, key: str, outcomes: Iterator[Outcome], input_desc: str, **kw: Any) -> dict[str, Any]:
        # Posts are counted in once, by the map phase; the reduce phase adds links out and its drops.
        if not key.startswith(MAP_PREFIX):
            kw.setdefault("counts_in", False)
        return super().write_outputs(key, outcomes, input_desc, **kw)

    # -- map: one input file -> rejected posts + partitioned survivors -----------------------------
    def _rules(self) -> PostRules:
        c = self.config
        where = self.ctx.label if self.ctx else "harvest"
        blocklist = Blocklist.build(c.domain_lists, c.extension_lists, c.block_domains, c.block_extensions,
                                    c.domain_files, c.extension_files, where)
        return PostRules(
            min_karma=c.min_karma, summed_karma=c.karma_rule == "summed",
            exclude_nsfw=c.exclude_nsfw, exclude_self_posts=c.exclude_self_posts,
            subreddits=frozenset(s.lower() for s in c.subreddits) if c.subreddits is not None else None,
            exclude_subreddits=frozenset(s.lower() for s in c.exclude_subreddits),
            start=_utc(c.start) if c.start else None, end=_utc(c.end) if c.end else None,
            max_url_length=c.max_url_length, blocklist=blocklist)

    def run_phase_task(self, phase: str, key: str) -> int:
        index = int(key.rsplit("-", 1)[1])
        path = self._files()[index]
        writer = PartitionWriter(self.ctx.stage_dir / "_work" / "map", index, self.config.partitions, POST_OUT_SCHEMA)
        try:
            stats = self.write_outputs(key, self._map(path, writer), path, write_kept=False, counts_out=False)
        except BaseException:
            writer.abort()
            raise
        return stats["in"]["records"]

    def _map(self, path: str, writer: PartitionWriter) -> Iterator[Outcome]:
        rules = self._rules()
        report = FileReport(self.config.format)
        source_file = path  # as listed in inputs.json
        url_cache: dict = {}  # URL -> its verdict, for this file: reposts are normalized once
        for parsed in read_posts(path, self.config.format, self.config.columns, source_file, report):
            judged = judge(parsed, rules, self.config.partitions, url_cache)
            oc = Outcome.split(judged.table, judged.reasons, judged.signals, notes=judged.notes)
            writer.add(oc.kept, judged.buckets)
            yield oc
        self._check_malformed(path, report)
        writer.commit()
        yield Outcome(None, notes={"files": {source_file: report.as_note()}})

    def _check_malformed(self, path: str, report: FileReport) -> None:
        if report.read_error and not report.lines:
            raise ShardError(f"stage {self.ctx.label}: {path}: no post could be read ({report.read_error}); "
                             "is it a complete dump in a supported format?")
        limit = self.config.max_malformed_fraction
        if limit is None or not report.lines or report.malformed / report.lines <= limit:
            return
        first = "; ".join(report.first_malformed[:3])
        raise ShardError(
            f"stage {self.ctx.label}: {path}: {report.malformed:,} of {report.lines:,} lines are malformed "
            f"({report.malformed / report.lines:.2%}), above max_malformed_fraction={limit} "
            f"(first: {first}); check the file (format: {report.format}) or raise max_malformed_fraction")

    # -- reduce: one partition -> links ---------------------------------------------------------
    def produce(self, key: str) -> Iterator[Outcome]:
        bucket = int(key.rsplit("-", 1)[1])
        posts = read_bucket(self.ctx.stage_dir / "_work" / "map", len(self._files()), bucket)
        if posts is None:
            yield Outcome(LINK_SCHEMA.empty_table())
            return
        c = self.config
        merged = merge_posts(posts, c.min_karma, c.karma_rule == "summed")
        rejected = merged.rejected.append_column(REASON, merged.reasons).append_column(SIGNAL, merged.signals)
        yield Outcome(merged.links, rejected,
                      notes={"posts_merged": posts.num_rows, "links": merged.links.num_rows})
