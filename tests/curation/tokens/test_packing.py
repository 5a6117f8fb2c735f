import numpy as np
import pyarrow as pa
import pytest

from curation.tokens.packing import BestFitPacker, ConcatPacker, ids_dtype

EOS, PAD = 0, 1


def _docs(seed: int, n: int, max_len: int) -> dict[str, list[int]]:
    """Documents of random length (0 included) whose tokens never equal eos or pad."""
    rng = np.random.default_rng(seed)
    return {f"d{i}": rng.integers(2, 500, size=int(rng.integers(0, max_len))).tolist() for i in range(n)}


def _pack(packer, docs: dict[str, list[int]], batch: int) -> pa.Table:
    names = list(docs)
    out = []
    for i in range(0, len(names), batch):
        ids = pa.array(names[i:i + batch], pa.string())
        out += packer.add(ids, pa.array([docs[k] for k in names[i:i + batch]], pa.list_(pa.uint16())))
    out += packer.finish()
    table = pa.Table.from_batches(out)
    return table.append_column("row_id", pa.array(np.arange(table.num_rows)))


def _pieces(table: pa.Table, seq_len: int) -> dict[str, list[tuple[int, int, list[int], bool]]]:
    """Cut every row at its end-of-text tokens into pieces, matched in order with ``doc_ids``:
    doc id -> [(row_id, position, tokens, recorded as a document start)]."""
    pieces: dict[str, list] = {}
    for row in table.to_pylist():
        assert len(row["input_ids"]) == seq_len
        n = row["n_tokens"]
        assert all(t == PAD for t in row["input_ids"][n:])
        toks = row["input_ids"][:n]
        cuts = [0] + [i + 1 for i, t in enumerate(toks) if t == EOS and i + 1 < n] + [n]
        segs = [(cuts[j], toks[cuts[j]:cuts[j + 1]]) for j in range(len(cuts) - 1)]
        assert len(segs) == len(row["doc_ids"]), row
        for (pos, seg), doc in zip(segs, row["doc_ids"], strict=True):
            pieces.setdefault(doc, []).append((row["row_id"], pos, seg, pos in row["doc_starts"]))
        assert set(row["doc_starts"]) <= {pos for pos, _ in segs}
    return pieces


def _check_every_token_once(docs: dict[str, list[int]], pieces: dict) -> None:
    for doc, toks in docs.items():
        got = sorted(pieces[doc])
        assert [t for p in got for t in p[2]] == toks + [EOS]  # every token once, in order, then eos
        assert [p[3] for p in got] == [True] + [False] * (len(got) - 1)  # only the first piece starts it
    assert set(pieces) == set(docs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_concat_keeps_every_token_once_rows_full_boundaries_right(seed):
    docs = _docs(seed, 60, 300)
    table = _pack(ConcatPacker(64, EOS, PAD, "uint16"), docs, batch=7)
    pieces = _pieces(table, 64)
    _check_every_token_once(docs, pieces)
    n_tokens = table.column("n_tokens").to_pylist()
    assert all(n == 64 for n in n_tokens[:-1]) and 0 < n_tokens[-1] <= 64  # only the last row pads
    assert sum(n_tokens) == sum(len(t) + 1 for t in docs.values())
    # a concat stream: consecutive rows continue each other
    for doc, got in pieces.items():
        rows = sorted(p[0] for p in got)
        assert rows == list(range(rows[0], rows[0] + len(rows))), doc


def test_concat_row_that_starts_mid_document_has_no_zero_start():
    table = _pack(ConcatPacker(8, EOS, PAD, "uint16"), {"a": list(range(2, 12)), "b": [5, 6]}, batch=1)
    rows = table.to_pylist()
    assert rows[0]["doc_starts"] == [0] and rows[0]["doc_ids"] == ["a"]
    assert rows[1]["input_ids"][:rows[1]["n_tokens"]] == [10, 11, EOS, 5, 6, EOS]
    assert rows[1]["doc_starts"] == [3] and rows[1]["doc_ids"] == ["a", "b"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_fit_splits_only_documents_longer_than_a_row(seed):
    seq_len = 64
    docs = _docs(seed, 80, 200)
    packer = BestFitPacker(seq_len, EOS, PAD, "uint16", window_rows=8)
    table = _pack(packer, docs, batch=9)
    pieces = _pieces(table, seq_len)
    _check_every_token_once(docs, pieces)
    for doc, toks in docs.items():
        got = sorted(pieces[doc])
        if len(toks) + 1 <= seq_len:
            assert len(got) == 1  # not split
        else:
            full, rest = divmod(len(toks) + 1, seq_len)
            assert [len(p[2]) for p in got] == [seq_len] * full + ([rest] if rest else [])
            if rest:
                assert got[-1][1] == 0  # the tail begins its row, like a concat row
    stats = packer.stats
    assert stats.padding == table.num_rows * seq_len - sum(table.column("n_tokens").to_pylist())
    assert stats.documents == len(docs)


def test_best_fit_pads_less_than_one_document_per_row():
    docs = _docs(5, 400, 40)  # short documents: one per row would waste most of each row
    packer = BestFitPacker(64, EOS, PAD, "uint16", window_rows=64)
    _pack(packer, docs, batch=50)
    naive = len(docs) * 64 - sum(len(t) + 1 for t in docs.values())
    assert packer.stats.padding < 0.05 * naive
    assert packer.stats.padding / (packer.stats.rows * 64) < 0.02


def test_packing_is_deterministic():
    docs = _docs(3, 50, 150)
    a = _pack(BestFitPacker(32, EOS, PAD, "uint16", window_rows=4), docs, batch=5)
    b = _pack(BestFitPacker(32, EOS, PAD, "uint16", window_rows=4), docs, batch=5)
    assert a.equals(b)


def test_row_dtype_switches_at_65536():
    assert ids_dtype(65536) == "uint16"  # ids 0..65535
    assert ids_dtype(65537) == "uint32"
    packer = ConcatPacker(8, EOS, PAD, "uint32")
    assert packer.add(pa.array(["a"]), pa.array([[70000, 2, 3]], pa.list_(pa.uint32()))) == []
    [batch] = packer.finish()
    assert batch.schema.field("input_ids").type == pa.list_(pa.uint32(), 8)
    assert batch.column("input_ids").to_pylist()[0][:4] == [70000, 2, 3, EOS]
