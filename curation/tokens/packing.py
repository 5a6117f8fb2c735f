"""Documents -> fixed-length rows of token ids, each document followed by end-of-text.

Two modes:
- ``concat`` (GPT-2, nanoGPT): the documents form one stream cut every ``seq_len`` tokens; no token is
  padding except in the last row of a split, and documents cross row boundaries.
- ``best_fit`` (best-fit decreasing bin packing, as in Ding et al. 2024, "Fewer Truncations Improve
  Language Modeling"): a document is never split unless it is longer than a row. An over-long one
  fills whole rows and its remainder (the *tail*) starts another row, like a concat row that begins
  mid-document; the rest of a row is filled with other documents, and what stays free is padding.
  Packing runs over a window of ``window_rows`` rows' worth of documents, so memory stays bounded.

A row records ``doc_starts`` (where a document's first token sits; a row that begins mid-document has
no 0), ``n_tokens`` (padding is the pad id after that) and ``doc_ids`` (every document with a token in
the row). The writer adds ``row_id``. Everything is vectorized except best_fit's per-document loop.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa


def row_schema(seq_len: int, dtype: str) -> pa.Schema:
    """The packed row format the trainer reads (``trainer/data.py``)."""
    return pa.schema([
        ("input_ids", pa.list_(pa.from_numpy_dtype(np.dtype(dtype)), seq_len)),
        ("doc_starts", pa.list_(pa.int32())),
        ("n_tokens", pa.int32()),
        ("row_id", pa.int64()),
        ("doc_ids", pa.list_(pa.string())),
    ])


def ids_dtype(vocab_size: int) -> str:
    return "uint16" if vocab_size <= 2**16 else "uint32"  # ids < vocab_size: uint16 holds 0..65535


def with_eos(tokens: pa.ListArray, eos: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """All documents' tokens, each followed by ``eos``, as one flat array; plus each document's start."""
    offsets = tokens.offsets.to_numpy().astype(np.int64)
    offsets -= offsets[0]
    values = tokens.flatten().to_numpy(zero_copy_only=False)
    n = len(tokens)
    starts = offsets[:-1] + np.arange(n)
    eos_at = offsets[1:] + np.arange(n)
    flat = np.empty(int(offsets[-1]) + n, dtype=dtype)
    body = np.ones(len(flat), dtype=bool)
    body[eos_at] = False
    flat[body] = values
    flat[eos_at] = eos
    return flat, starts


def _list_array(offsets: np.ndarray, values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)


def make_rows(tokens: np.ndarray, seq_len: int, n_tokens: np.ndarray, starts_offsets: np.ndarray,
              starts_values: np.ndarray, ids_offsets: np.ndarray, ids_values: pa.Array) -> pa.RecordBatch:
    """One record batch of rows (``row_id`` is added by the writer)."""
    ids = pa.FixedSizeListArray.from_arrays(pa.array(tokens.reshape(-1)), seq_len)
    return pa.RecordBatch.from_arrays(
        [ids, _list_array(starts_offsets, pa.array(starts_values.astype(np.int32))),
         pa.array(n_tokens.astype(np.int32)), _list_array(ids_offsets, ids_values)],
        names=["input_ids", "doc_starts", "n_tokens", "doc_ids"])


@dataclass
class PackStats:
    documents: int = 0
    rows: int = 0
    tokens: int = 0  # non-padding tokens, end-of-text included
    padding: int = 0

    def count(self, batch: pa.RecordBatch | None, seq_len: int) -> None:
        if batch is None or batch.num_rows == 0:
            return
        n = int(np.sum(batch.column("n_tokens").to_numpy()))
        self.rows += batch.num_rows
        self.tokens += n
        self.padding += batch.num_rows * seq_len - n


@dataclass
class ConcatPacker:
    """The stream of documents cut into rows; the partial row at the end waits for the next batch."""

    seq_len: int
    eos: int
    pad: int
    dtype: str
    stats: PackStats = field(default_factory=PackStats)

    def __post_init__(self) -> None:
        self._tokens = np.empty(0, dtype=self.dtype)
        self._seg_pos = np.empty(0, dtype=np.int64)  # where each segment (a piece of a document) begins
        self._seg_start = np.empty(0, dtype=bool)  # does the segment begin its document?
        self._seg_ids = pa.array([], pa.string())

    def add(self, ids: pa.Array, tokens: pa.ListArray) -> list[pa.RecordBatch]:
        if len(ids) == 0:
            return []
        flat, starts = with_eos(tokens, self.eos, self.dtype)
        self.stats.documents += len(ids)
        base = len(self._tokens)
        self._tokens = np.concatenate([self._tokens, flat])
        self._seg_pos = np.concatenate([self._seg_pos, starts + base])
        self._seg_start = np.concatenate([self._seg_start, np.ones(len(ids), dtype=bool)])
        self._seg_ids = pa.concat_arrays([self._seg_ids, ids.cast(pa.string())])
        n_rows = len(self._tokens) // self.seq_len
        if n_rows == 0:
            return []
        batch = self._cut(self._tokens, n_rows, np.full(n_rows, self.seq_len))
        self._keep_from(n_rows * self.seq_len)
        self.stats.count(batch, self.seq_len)
        return [batch]

    def finish(self) -> list[pa.RecordBatch]:
        """The last, partial row, padded (the only padding concat makes)."""
        n = len(self._tokens)
        if n == 0:
            return []
        tokens = np.full(self.seq_len, self.pad, dtype=self.dtype)
        tokens[:n] = self._tokens
        batch = self._cut(tokens, 1, np.array([n]))
        self._keep_from(n)
        self.stats.count(batch, self.seq_len)
        return [batch]

    def _cut(self, tokens: np.ndarray, n_rows: int, n_tokens: np.ndarray) -> pa.RecordBatch:
        t = self.seq_len
        bounds = np.arange(n_rows + 1, dtype=np.int64) * t
        doc_pos = self._seg_pos[self._seg_start]
        s_off = np.searchsorted(doc_pos, bounds, side="left")
        s_val = doc_pos[s_off[0]:s_off[-1]] - np.repeat(bounds[:-1], np.diff(s_off))
        first = np.searchsorted(self._seg_pos, bounds[:-1], side="right") - 1  # segment at the row's start
        last = np.searchsorted(self._seg_pos, bounds[1:], side="left") - 1  # segment at its last position
        counts = last - first + 1
        i_off = np.concatenate([[0], np.cumsum(counts)])
        take = np.repeat(first - i_off[:-1], counts) + np.arange(i_off[-1])
        return make_rows(tokens[:n_rows * t], t, n_tokens, s_off - s_off[0], s_val, i_off,
                         self._seg_ids.take(pa.array(take)))

    def _keep_from(self, pos: int) -> None:
        """Drop everything before stream position ``pos``; the segment crossing it starts the buffer."""
        self._tokens = self._tokens[pos:]
        if len(self._tokens) == 0:
            self._seg_pos = self._seg_pos[:0]
            self._seg_start = self._seg_start[:0]
            self._seg_ids = self._seg_ids.slice(0, 0)
            return
        j = int(np.searchsorted(self._seg_pos, pos, side="right")) - 1
        self._seg_start = self._seg_start[j:].copy()
        self._seg_start[0] &= bool(self._seg_pos[j] == pos)
        self._seg_pos = np.maximum(self._seg_pos[j:] - pos, 0)
        self._seg_ids = self._seg_ids.slice(j)


@dataclass
class _Item:
    tokens: np.ndarray
    doc_id: str
    is_tail: bool  # begins mid-document: must sit at the start of its row


@dataclass
class BestFitPacker:
    seq_len: int
    eos: int
    pad: int
    dtype: str
    window_rows: int = 4096
    stats: PackStats = field(default_factory=PackStats)

    def __post_init__(self) -> None:
        self._items: list[_Item] = []
        self._window_tokens = 0

    def add(self, ids: pa.Array, tokens: pa.ListArray) -> list[pa.RecordBatch]:
        if len(ids) == 0:
            return []
        t = self.seq_len
        flat, starts = with_eos(tokens, self.eos, self.dtype)
        ends = np.append(starts[1:], len(flat))
        self.stats.documents += len(ids)
        full_tokens: list[np.ndarray] = []
        full_ids: list[str] = []
        full_first: list[bool] = []
        for doc_id, s, e in zip(ids.to_pylist(), starts.tolist(), ends.tolist(), strict=True):
            n_full = (e - s) // t if e - s > t else 0
            for k in range(n_full):
                full_tokens.append(flat[s + k * t:s + (k + 1) * t])
                full_ids.append(doc_id)
                full_first.append(k == 0)
            if s + n_full * t < e:
                self._items.append(_Item(flat[s + n_full * t:e], doc_id, n_full > 0))
                self._window_tokens += e - s - n_full * t
        out = []
        if full_tokens:
            out.append(self._full_rows(full_tokens, full_ids, full_first))
        if self._window_tokens >= self.window_rows * t:
            out.append(self._pack_window())
        for b in out:
            self.stats.count(b, t)
        return out

    def finish(self) -> list[pa.RecordBatch]:
        if not self._items:
            return []
        batch = self._pack_window()
        self.stats.count(batch, self.seq_len)
        return [batch]

    def _full_rows(self, tokens: list[np.ndarray], ids: list[str], first: list[bool]) -> pa.RecordBatch:
        n = len(tokens)
        s_counts = np.asarray(first, dtype=np.int64)
        return make_rows(np.concatenate(tokens), self.seq_len, np.full(n, self.seq_len),
                         np.concatenate([[0], np.cumsum(s_counts)]), np.zeros(int(s_counts.sum())),
                         np.arange(n + 1), pa.array(ids, pa.string()))

    def _pack_window(self) -> pa.RecordBatch:
        """Best-fit decreasing: longest first, each into the open row it fills most tightly."""
        t = self.seq_len
        items, self._items, self._window_tokens = self._items, [], 0
        bins: list[list[int]] = []
        plain: list[tuple[int, int]] = []  # (free, bin) of open rows without a tail, sorted
        tailed: list[tuple[int, int]] = []  # the same for rows that already begin with a tail
        for k in sorted(range(len(items)), key=lambda k: (-len(items[k].tokens), k)):
            size, is_tail = len(items[k].tokens), items[k].is_tail
            pools = (plain,) if is_tail else (plain, tailed)
            best, where = None, None
            for pool in pools:
                i = bisect.bisect_left(pool, (size, -1))
                if i < len(pool) and (best is None or pool[i] < best):
                    best, where = pool[i], (pool, i)
            if best is None:
                b, free, has_tail = len(bins), t - size, is_tail
                bins.append([k])
            else:
                pool, i = where
                del pool[i]
                b, free = best[1], best[0] - size
                has_tail = is_tail or pool is tailed
                if is_tail:
                    bins[b].insert(0, k)  # a tail begins its row
                else:
                    bins[b].append(k)
            if free > 0:
                bisect.insort(tailed if has_tail else plain, (free, b))
        rows = np.full((len(bins), t), self.pad, dtype=self.dtype)
        n_tokens = np.empty(len(bins), dtype=np.int64)
        s_off, s_val, i_off, i_val = [0], [], [0], []
        for r, members in enumerate(bins):
            pos = 0
            for k in members:
                it = items[k]
                rows[r, pos:pos + len(it.tokens)] = it.tokens
                if not it.is_tail:
                    s_val.append(pos)
                i_val.append(it.doc_id)
                pos += len(it.tokens)
            n_tokens[r] = pos
            s_off.append(len(s_val))
            i_off.append(len(i_val))
        return make_rows(rows, t, n_tokens, np.asarray(s_off), np.asarray(s_val, dtype=np.int64),
                         np.asarray(i_off), pa.array(i_val, pa.string()))
