"""Reading `packed/`: the manifest (validated), memory-mapped Arrow shards, and the deterministic row order.

Row order is a pure function of (seed, epoch): `global_batch_rows(step)` gives the same rows for a step whether
the run is fresh, resumed or split over ranks, which is what makes resume exact and DDP equal a single process.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from trainer.errors import ConfigError

SPECIAL_TOKENS = ("eos", "pad", "mask", "cls", "sep", "unk")
REQUIRED_FIELDS = ("format_version", "tokenizer", "vocab_size", "dtype", "seq_len", "special_tokens", "splits")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class Manifest:
    """The validated contents of packed/manifest.json."""

    root: Path
    vocab_size: int
    seq_len: int
    dtype: str
    mode: str
    special_tokens: dict[str, int | None]
    sentinel_ids: list[int]
    splits: dict[str, dict]
    tokenizer_path: Path
    tokenizer_sha256: str

    @property
    def tokenizer_dir(self) -> Path:
        return self.tokenizer_path.parent

    def special(self, name: str) -> int:
        """The id of a special token the objective needs, or a ConfigError saying the tokenizer lacks it."""
        token_id = self.special_tokens.get(name)
        if token_id is None:
            raise ConfigError(f"{self.root / 'manifest.json'}: special_tokens.{name} is null, but this objective "
                              f"needs a {name} token: retrain the tokenizer with one and re-pack")
        return token_id

    @classmethod
    def load(cls, packed_dir: str | Path, check_hash: bool = True) -> "Manifest":
        if "://" in str(packed_dir) and not str(packed_dir).startswith("file://"):
            raise ConfigError(f"--data {packed_dir}: the trainer memory-maps its rows and reads a local or shared "
                              "filesystem; copy the packed/ folder first (e.g. `aws s3 sync URL ./packed`)")
        root = Path(str(packed_dir).removeprefix("file://"))
        path = root / "manifest.json"
        if not path.is_file():
            hint = " (it is a file: pass the packed/ folder)" if root.is_file() else ""
            raise ConfigError(f"{path} not found{hint}: --data must point at the packed/ folder of a curation run "
                              f"(RUN_DIR/packed), produced by its packing stage")
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not valid JSON ({e}): re-run the packing stage") from None
        missing = [f for f in REQUIRED_FIELDS if f not in raw]
        if missing:
            raise ConfigError(f"{path}: missing field(s) {', '.join(missing)}: re-run the packing stage")
        if raw["format_version"] != 1:
            raise ConfigError(f"{path}: format_version {raw['format_version']} is not supported (this trainer "
                              f"reads version 1): update the trainer or re-pack")
        if raw["dtype"] not in ("uint16", "uint32"):
            raise ConfigError(f"{path}: dtype must be uint16 or uint32, got {raw['dtype']!r}")
        tok = raw["tokenizer"]
        tokenizer_path = (root / tok["path"]).resolve()
        if not tokenizer_path.is_file():
            raise ConfigError(f"{path}: tokenizer.path points at {tokenizer_path}, which does not exist: keep the "
                              f"run directory's tokenizer/ next to packed/")
        if check_hash and sha256_file(tokenizer_path) != tok.get("sha256"):
            raise ConfigError(f"{path}: tokenizer.sha256 does not match {tokenizer_path} (the tokenizer changed "
                              f"after packing): re-run the packing stage with this tokenizer")
        for split, info in raw["splits"].items():
            for shard in info.get("shards", []):
                if not (root / shard).is_file():
                    raise ConfigError(f"{path}: splits.{split}.shards lists {shard}, which is missing from {root}: "
                                      f"re-run the packing stage")
        return cls(root=root, vocab_size=int(raw["vocab_size"]), seq_len=int(raw["seq_len"]), dtype=raw["dtype"],
                   mode=raw.get("mode", "concat"),
                   special_tokens={k: raw["special_tokens"].get(k) for k in SPECIAL_TOKENS},
                   sentinel_ids=list(raw.get("sentinel_ids") or []), splits=raw["splits"],
                   tokenizer_path=tokenizer_path, tokenizer_sha256=tok.get("sha256", ""))


@dataclass
class RowBatch:
    """Rows as the objectives see them."""

    input_ids: np.ndarray  # (B, T) int64
    doc_starts: list[np.ndarray]  # per row, int32 positions where a document starts
    n_tokens: np.ndarray  # (B,) non-padding tokens per row
    row_ids: np.ndarray  # (B,) stable ids, for tracing a bad step back to its documents

    def segment_ids(self) -> np.ndarray:
        """(B, T) int64: number of doc_starts <= p at each position p; padding gets -1."""
        b, t = self.input_ids.shape
        starts = np.zeros((b, t), dtype=np.int64)
        for i, s in enumerate(self.doc_starts):
            starts[i, s] = 1
        seg = np.cumsum(starts, axis=1)
        seg[np.arange(t)[None, :] >= self.n_tokens[:, None]] = -1
        return seg

    def padding(self) -> np.ndarray:
        """(B, T) bool, True at padding positions."""
        return np.arange(self.input_ids.shape[1])[None, :] >= self.n_tokens[:, None]


class PackedSplit:
    """All rows of one split, memory-mapped: nothing is copied until a batch is gathered."""

    def __init__(self, manifest: Manifest, split: str):
        if split not in manifest.splits:
            raise ConfigError(f"{manifest.root / 'manifest.json'}: no split {split!r} (has: "
                              f"{', '.join(manifest.splits)})")
        self.manifest, self.split = manifest, split
        t = manifest.seq_len
        self._ids: list[np.ndarray] = []  # one (n, T) block per record batch
        self._starts: list[tuple[np.ndarray, np.ndarray]] = []  # (offsets, values) of doc_starts
        self._n_tokens: list[np.ndarray] = []
        self._row_ids: list[np.ndarray] = []
        self._doc_ids: list[pa.Array] = []
        for shard in manifest.splits[split].get("shards", []):
            path = manifest.root / shard
            try:
                table = pa.ipc.open_stream(pa.memory_map(str(path))).read_all()
            except pa.ArrowInvalid as e:
                raise ConfigError(f"{path}: not an Arrow IPC stream ({e}): re-run the packing stage") from None
            for name in ("input_ids", "doc_starts", "n_tokens", "row_id"):
                if name not in table.column_names:
                    raise ConfigError(f"{path}: no column {name!r}: re-run the packing stage")
            for batch in table.to_batches():
                ids = batch.column("input_ids")
                if ids.type.list_size != t:
                    raise ConfigError(f"{path}: rows have {ids.type.list_size} tokens but manifest.json says "
                                      f"seq_len {t}: re-run the packing stage")
                self._ids.append(ids.flatten().to_numpy().reshape(-1, t))  # (n, T), zero-copy from the map
                starts = batch.column("doc_starts")
                self._starts.append((starts.offsets.to_numpy(), starts.values.to_numpy()))
                self._n_tokens.append(batch.column("n_tokens").to_numpy())
                self._row_ids.append(batch.column("row_id").to_numpy())
                if "doc_ids" in batch.schema.names:
                    self._doc_ids.append(batch.column("doc_ids"))
        self._bounds = np.cumsum([0] + [len(a) for a in self._ids])  # block k holds rows [bounds[k], bounds[k+1])
        if len(self) == 0:
            raise ConfigError(f"{manifest.root / 'manifest.json'}: split {split!r} has no rows: pack more data "
                              f"(or a larger validation fraction)")

    def __len__(self) -> int:
        return int(self._bounds[-1])

    def _locate(self, i: int) -> tuple[int, int]:
        k = int(np.searchsorted(self._bounds, i, side="right")) - 1
        return k, i - int(self._bounds[k])

    def rows(self, indices: np.ndarray) -> RowBatch:
        """Gather rows by global index (B,) into a RowBatch."""
        ids, starts, n_tokens, row_ids = [], [], [], []
        for i in indices:
            k, j = self._locate(int(i))
            ids.append(self._ids[k][j])
            offsets, values = self._starts[k]
            starts.append(values[offsets[j]:offsets[j + 1]])
            n_tokens.append(self._n_tokens[k][j])
            row_ids.append(self._row_ids[k][j])
        return RowBatch(np.stack(ids).astype(np.int64), starts, np.asarray(n_tokens, dtype=np.int64),
                        np.asarray(row_ids, dtype=np.int64))

    def doc_ids(self, indices: np.ndarray) -> list[list[str]]:
        """Document ids of each row (empty lists when the shards carry none)."""
        out = []
        for i in indices:
            k, j = self._locate(int(i))
            out.append(self._doc_ids[k][j].as_py() if self._doc_ids else [])
        return out


@lru_cache(maxsize=4)
def epoch_permutation(n_rows: int, seed: int, epoch: int) -> np.ndarray:
    """Row order of one epoch: a permutation determined by (seed, epoch) alone."""
    return np.random.default_rng([seed, epoch]).permutation(n_rows)


def global_batch_rows(n_rows: int, seed: int, step: int, global_batch: int) -> np.ndarray:
    """Row indices (global_batch,) of optimizer step `step`: positions [step*G, (step+1)*G) of the endless
    stream formed by concatenating epoch permutations (a batch may straddle two epochs)."""
    pos = np.arange(step * global_batch, (step + 1) * global_batch)
    epochs, offsets = np.divmod(pos, n_rows)
    out = np.empty(global_batch, dtype=np.int64)
    for e in np.unique(epochs):
        sel = epochs == e
        out[sel] = epoch_permutation(n_rows, seed, int(e))[offsets[sel]]
    return out
