"""Arrow IPC shards and atomic files: the storage contract every stage writes and reads.

Shards use the Arrow IPC *streaming* format, uncompressed: it is what ``datasets.Dataset.from_file``
opens, and it memory-maps. Every file is written under a temporary name in the same folder and
renamed into place, so a reader never sees half a file and a killed run leaves only ``.tmp-*``
leftovers, which the runner removes before it resumes a stage. On object storage (``s3://`` run
directories, see ``curation.storage``) the temporary file is local and is uploaded in one piece once
complete: an object appears only when its upload finishes, so the same holds there.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation.errors import ShardError
from curation.storage import as_path, is_remote, local_tmp_dir, publish

TMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a local temporary path; publish it as ``path`` only if the block succeeds.

    Locally the temporary file lies beside ``path`` and is renamed; for a remote ``path`` it lies in
    ``storage.local_tmp_dir()`` and is uploaded."""
    path = as_path(path)
    if is_remote(path):
        tmp = local_tmp_dir() / f"{TMP_PREFIX}{path.name}.{uuid.uuid4().hex[:8]}"
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{uuid.uuid4().hex[:8]}")
    try:
        yield tmp
        publish(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write JSON atomically (sorted keys, so equal content gives equal bytes)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(as_path(path).read_text(encoding="utf-8"))


def remove_tmp_files(folder: str | os.PathLike) -> int:
    """Delete the leftovers of interrupted writes below ``folder``; return how many there were."""
    n = 0
    if is_remote(folder):
        return 0  # temporary files are never uploaded: nothing half-written exists there
    folder = Path(folder)
    if folder.exists():
        for p in folder.rglob(f"{TMP_PREFIX}*"):
            if p.is_file():
                p.unlink()
                n += 1
    return n


class ShardWriter:
    """Stream record batches into one shard; ``commit`` renames it into place.

    Every batch is cast to the schema of the first one (or ``schema``), so a stage that yields an
    all-null column in one batch still writes one consistent schema.
    """

    def __init__(self, path: str | os.PathLike, schema: pa.Schema | None = None):
        self.path = as_path(path)
        self.schema = schema
        self.rows = 0
        self._ctx: contextlib.AbstractContextManager | None = None
        self._sink = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None

    def _open(self, schema: pa.Schema) -> None:
        self.schema = schema
        self._ctx = atomic_path(self.path)
        tmp = self._ctx.__enter__()
        self._sink = pa.OSFile(str(tmp), "wb")
        self._writer = pa.ipc.new_stream(self._sink, schema)

    def write(self, table: pa.Table | pa.RecordBatch) -> None:
        if table.num_rows == 0 and self._writer is not None:
            return
        if self._writer is None:
            self._open(self.schema or table.schema)
        if table.schema != self.schema:
            try:
                table = table.select(self.schema.names).cast(self.schema)
            except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise ShardError(
                    f"{self.path}: batch schema {table.schema} does not match the shard's {self.schema}: {e}"
                ) from e
        if isinstance(table, pa.Table):
            table = table.combine_chunks()
            for batch in table.to_batches():
                self._writer.write_batch(batch)
        else:
            self._writer.write_batch(table)
        self.rows += table.num_rows

    def commit(self, empty_schema: pa.Schema | None = None) -> None:
        """Finish the shard; with no batch written, write an empty shard of ``empty_schema``."""
        if self._writer is None:
            self._open(self.schema or empty_schema or pa.schema([]))
        self._writer.close()
        self._sink.close()
        self._ctx.__exit__(None, None, None)
        self._writer = None

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(pa.ArrowException, OSError):
                self._writer.close()
                self._sink.close()
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)
            self._writer = None


def write_table(path: str | os.PathLike, table: pa.Table) -> None:
    w = ShardWriter(path, table.schema)
    w.write(table)
    w.commit()


_UNREADABLE = "unreadable shard ({}); rerun the stage that wrote it with --force STAGE"


class ShardReader:
    """A memory-mapped shard whose read errors (a truncated or corrupt file) raise ``ShardError``
    naming it, whether they surface when the file is opened, iterated or read whole."""

    def __init__(self, path: str | os.PathLike):
        self.path = path = as_path(path)
        try:
            if is_remote(path):
                self._reader = pa.ipc.open_stream(path.fs.open(path.path, "rb", block_size=8 << 20))
            else:
                self._reader = pa.ipc.open_stream(pa.memory_map(str(path), "r"))
        except FileNotFoundError as e:
            raise ShardError(f"{path}: shard not found") from e
        except (pa.ArrowInvalid, OSError) as e:
            raise ShardError(f"{path}: {_UNREADABLE.format(e)}") from e
        self.schema = self._reader.schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._reader
        except (pa.ArrowInvalid, OSError) as e:
            raise ShardError(f"{self.path}: {_UNREADABLE.format(e)}") from e

    def read_all(self) -> pa.Table:
        return pa.Table.from_batches(list(self), schema=self.schema)


def open_shard(path: str | os.PathLike) -> ShardReader:
    """Open a shard memory-mapped; a missing or unreadable file raises ``ShardError`` naming it."""
    return ShardReader(path)


def read_table(path: str | os.PathLike, columns: list[str] | None = None) -> pa.Table:
    table = open_shard(path).read_all()
    return table.select(columns) if columns else table


def iter_batches(path: str | os.PathLike, batch_size: int) -> Iterator[pa.Table]:
    """Yield tables of at most ``batch_size`` rows; batch boundaries depend only on the file."""
    buffered: list[pa.RecordBatch] = []
    n = 0
    for batch in open_shard(path):
        while batch.num_rows:
            take = min(batch_size - n, batch.num_rows)
            buffered.append(batch.slice(0, take))
            batch = batch.slice(take)
            n += take
            if n == batch_size:
                yield pa.Table.from_batches(buffered)
                buffered, n = [], 0
    if n:
        yield pa.Table.from_batches(buffered)


def shard_schema(path: str | os.PathLike) -> pa.Schema:
    return open_shard(path).schema


def list_shards(folder: str | os.PathLike) -> list[str]:
    """Names (without ``.arrow``) of the finished shards in a stage folder, sorted."""
    folder = as_path(folder)
    return sorted(p.stem for p in folder.glob("part-*.arrow"))
