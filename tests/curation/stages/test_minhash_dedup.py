from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from curation.config import parse_pipeline
from curation.dedup.minhash import MinHasher, estimated_jaccard
from curation.dedup.shingles import text_shingles
from curation.dedup.synthetic import make_corpus
from curation.errors import UserError
from curation.shards import list_shards, read_json, read_table
from curation.stage import Stage
from curation.testing import make_stage, run_stage, write_shards


def _write_input(run_dir: Path, table: pa.Table, shards: int = 1) -> None:
    write_shards(run_dir / "01-input", table, shards)


def _run(run_dir: Path, workers: int = 1, **params) -> Stage:
    return run_stage(make_stage("minhash_dedup", run_dir, run_dir / "01-input", "02-dedup", **params), workers)


def _outputs(run_dir: Path) -> tuple[pa.Table, pa.Table]:
    d = run_dir / "02-dedup"
    kept = pa.concat_tables([read_table(d / f"{k}.arrow") for k in list_shards(d)])
    rejected = [read_table(p) for p in sorted((d / "rejected").glob("part-*.arrow"))]
    return kept, pa.concat_tables(rejected) if rejected else None


def _clusters(run_dir: Path, urls: list[str]) -> dict[str, str | None]:
    kept, rejected = _outputs(run_dir)
    out = dict(zip(kept.column("url").to_pylist(), kept.column("dup_cluster").to_pylist(), strict=True))
    if rejected is not None:
        out.update(zip(rejected.column("url").to_pylist(), rejected.column("dup_cluster").to_pylist(), strict=True))
    assert set(out) == set(urls)  # every record accounted for
    return out


def _pair_found(clusters: dict, urls: list[str], pairs: pa.Table) -> np.ndarray:
    found = []
    for s, c in zip(pairs.column("source").to_pylist(), pairs.column("copy").to_pylist(), strict=True):
        a, b = clusters[urls[s]], clusters[urls[c]]
        found.append(a is not None and a == b)
    return np.array(found)


def test_with_exact_check_pairs_land_on_their_side_of_the_threshold(tmp_path):
    c = make_corpus(400, copies=0.25, targets=(0.5, 0.7, 0.75, 0.9, 0.95, 1.0), seed=4)
    _write_input(tmp_path, c.table, shards=3)
    _run(tmp_path, jaccard_check=0.8)
    urls = c.table.column("url").to_pylist()
    kept, rejected = _outputs(tmp_path)
    dropped = set(rejected.column("url").to_pylist())
    true = c.pairs.column("jaccard").to_numpy()
    for s, cp, j in zip(c.pairs.column("source").to_pylist(), c.pairs.column("copy").to_pylist(), true, strict=True):
        n_dropped = (urls[s] in dropped) + (urls[cp] in dropped)
        # The check is exact (64-bit shingle hashes): no tolerance beyond the LSH miss rate,
        # P(miss) <= 4e-4 at Jaccard >= 0.9, below 0.8 never dropped.
        assert n_dropped == (1 if j >= 0.8 else 0), (j, n_dropped)
    assert (rejected.column("drop_signal").to_numpy() >= 0.8).all()
    assert set(rejected.column("drop_reason").to_pylist()) == {"near_duplicate"}
    assert kept.num_rows + rejected.num_rows == 400


def test_without_check_detection_follows_the_s_curve(tmp_path):
    c = make_corpus(600, copies=0.3, targets=(0.3, 0.95, 1.0), seed=5)
    _write_input(tmp_path, c.table, shards=2)
    _run(tmp_path)
    urls = c.table.column("url").to_pylist()
    found = _pair_found(_clusters(tmp_path, urls), urls, c.pairs)
    true = c.pairs.column("jaccard").to_numpy()
    # P(candidate) = 1 - (1 - s^8)^14: >= 0.9996 for s >= 0.9 and <= 0.003 for s <= 0.35, so among
    # ~60 dissimilar pairs ~0.1 is expected to be found (this seed finds one); P(3 or more) < 2e-4.
    assert found[true >= 0.9].all()
    assert found[true <= 0.35].sum() <= 2


def _three_versions() -> pa.Table:
    base = ("the harbor master counted every boat that came in before the storm and wrote each name "
            "into a ledger that nobody else was allowed to read until the spring thaw opened the river")
    return pa.table({
        "id": ["c3", "a1", "b2", "d4"],
        "url": ["https://x.example/long", "https://x.example/karma", "https://x.example/early",
                "https://y.example/other"],
        "text": [base + " again and again", base, base + " again", "an unrelated page about cooking rice"],
        "score": [10, 300, 50, 999],
        "first_seen": ["2019-03-01", "2019-02-01", "2019-01-01", "2018-01-01"],
        "subreddits": [["a"], ["b"], ["c"], ["d"]],
    })


@pytest.mark.parametrize("keep,winner", [("highest_karma", "a1"), ("longest", "c3"), ("earliest", "b2"),
                                         ("first_id", "a1")])
def test_cluster_of_three_keeps_exactly_one_by_the_policy(tmp_path, keep, winner):
    _write_input(tmp_path, _three_versions())
    _run(tmp_path, keep=keep)
    kept, rejected = _outputs(tmp_path)
    assert sorted(kept.column("id").to_pylist()) == sorted([winner, "d4"])
    assert rejected.num_rows == 2 and set(rejected.column("dup_cluster").to_pylist()) == {winner}
    assert kept.column("dup_cluster").to_pylist()[kept.column("id").to_pylist().index(winner)] == winner
    assert kept.column("dup_cluster").to_pylist()[kept.column("id").to_pylist().index("d4")] is None
    assert kept.column("subreddits").to_pylist()[0]  # unknown columns pass through
    notes = read_json(tmp_path / "02-dedup" / "stats" / "part-00000.json")["notes"]
    assert notes["cluster_sizes"] == {"3": 1} and notes["duplicates"] == 2


def test_drop_signal_is_the_estimated_jaccard_with_the_kept_member(tmp_path):
    table = _three_versions()
    _write_input(tmp_path, table)
    _run(tmp_path, keep="highest_karma")
    _, rejected = _outputs(tmp_path)
    h, offsets = text_shingles(table.column("text"), 5)
    sig = MinHasher(112, 1).signatures((h >> np.uint64(32)).astype(np.uint32), offsets)
    expected = {u: float(estimated_jaccard(sig[i], sig[1])) for i, u in enumerate(table.column("url").to_pylist())}
    for url, signal in zip(rejected.column("url").to_pylist(), rejected.column("drop_signal").to_pylist(),
                           strict=True):
        assert signal == pytest.approx(expected[url])


def test_same_bytes_for_one_and_two_workers(tmp_path):
    c = make_corpus(300, copies=0.3, targets=(0.6, 0.8, 0.9, 1.0), seed=6)
    digests = []
    for workers in (1, 2):
        run = tmp_path / f"w{workers}"
        _write_input(run, c.table, shards=4)
        _run(run, workers=workers, jaccard_check=0.7, band_buckets=2)
        d = run / "02-dedup"
        digests.append({str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*.arrow"))})
    assert digests[0] == digests[1] and len(digests[0]) > 8


def test_documents_without_words_are_never_candidates(tmp_path):
    _write_input(tmp_path, pa.table({"url": list("abcd"), "text": ["", None, "!!! ...", ""]}))
    _run(tmp_path)
    kept, rejected = _outputs(tmp_path)
    assert kept.num_rows == 4 and rejected is None


def test_stage_folder_explains_itself(tmp_path, capsys):
    _write_input(tmp_path, _three_versions())
    _run(tmp_path, bands=20, rows=5)
    d = tmp_path / "02-dedup"
    assert read_json(d / "s_curve.json")["num_perm"] == 100
    assert "20 bands x 5 rows" in capsys.readouterr().err
    summary = read_json(d / "dedup.json")
    assert summary["cluster_sizes"] == {"3": 1} and summary["removed"]["records"] == 2
    assert 0 < summary["removed_fraction"]["words"] < 0.75


def test_needs_a_text_column(tmp_path):
    _write_input(tmp_path, pa.table({"url": ["a"], "html": ["<p>x</p>"]}))
    with pytest.raises(UserError, match="needs a `text` column"):
        _run(tmp_path)


def test_config_is_validated_with_the_field_name():
    with pytest.raises(UserError, match=r"stages\[0\].jaccard_check: must be <= 1"):
        parse_pipeline({"name": "t", "stages": [{"stage": "minhash_dedup", "jaccard_check": 1.5}]})
    with pytest.raises(UserError, match=r"stages\[0\].keep"):
        parse_pipeline({"name": "t", "stages": [{"stage": "minhash_dedup", "keep": "random"}]})
