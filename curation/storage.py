"""Where runs and inputs live: a local folder, or any filesystem fsspec reaches (``s3://``, ``gs://``,
``memory://``), so a cluster's workers, which share no local disk, read and write the same run.

``as_path`` turns a location into a path object: a plain ``pathlib.Path`` for a local one (nothing
changes for local runs) and a ``upath.UPath`` for a URL, which has the same methods (``/``, ``open``,
``exists``, ``glob``, ``read_text`` ...) backed by fsspec. Code that hands a path to a library that
only opens local files (numpy memory maps, tokenizers, fastText, warcio offsets) goes through
``local_copy`` (read) or ``shards.atomic_path`` (write), which stage through a local temporary file.

Publishing is "write, then publish": a file is written in full to a local temporary file first, then
renamed into place (local) or uploaded in one PUT / multipart upload (object storage, where the object
only becomes visible once the upload completes). So no reader ever sees half a file on either.

Credentials and endpoints come from the usual places of each filesystem (for S3: the AWS environment
variables and config files, ``AWS_ENDPOINT_URL`` for S3-compatible servers such as MinIO).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from curation.errors import UserError

#: listings are read fresh: workers on other machines add files between two listings of the driver
_STORAGE_OPTIONS: dict[str, dict[str, Any]] = {
    "s3": {"use_listings_cache": False},
    "s3a": {"use_listings_cache": False},
    "gs": {"use_listings_cache": False},
    "gcs": {"use_listings_cache": False},
}
_LOCAL_PROTOCOLS = ("", "file", "local")


def is_url(location: str) -> bool:
    """``s3://bucket/key`` and the like; ``file://`` and plain paths are local."""
    scheme, sep, _ = location.partition("://")
    return bool(sep) and scheme.replace("+", "").isalnum() and scheme not in _LOCAL_PROTOCOLS


def as_path(location: str | os.PathLike) -> Path:
    """A ``pathlib.Path`` for a local location, a ``UPath`` for a URL (``s3://bucket/run``)."""
    if not isinstance(location, str):
        return location  # already a Path or a UPath
    if location.startswith("file://"):
        return Path(location.removeprefix("file://"))
    if not is_url(location):
        return Path(location)
    protocol = location.split("://", 1)[0]
    try:
        from upath import UPath

        return UPath(location, **_STORAGE_OPTIONS.get(protocol, {}))
    except (ImportError, ValueError) as e:
        raise UserError(f"{location}: cannot open this filesystem ({e}); for s3:// install s3fs "
                        "(`pip install s3fs`), for gs:// gcsfs") from e


def is_remote(path: Any) -> bool:
    """True for a URL or a path on an fsspec filesystem other than the local disk."""
    if isinstance(path, str):
        return is_url(path)
    protocol = getattr(path, "protocol", None)
    return bool(protocol) and protocol not in _LOCAL_PROTOCOLS


def local_tmp_dir() -> Path:
    """Where files bound for object storage are staged before they are uploaded."""
    d = Path(os.environ.get("CURATION_STAGING_DIR") or tempfile.gettempdir()) / "curation-staging"
    d.mkdir(parents=True, exist_ok=True)
    return d


def publish(tmp: Path, dest: Path) -> None:
    """Move the finished local file ``tmp`` to ``dest``: a rename, or a single upload then delete."""
    if is_remote(dest):
        try:
            dest.fs.put_file(str(tmp), dest.path)
        except (FileNotFoundError, PermissionError) as e:  # s3fs's names for NoSuchBucket, AccessDenied
            raise UserError(f"{dest}: cannot write ({e}); check that the bucket exists and that these "
                            "credentials may write to it") from e
        tmp.unlink()
    else:
        os.replace(tmp, dest)


@contextlib.contextmanager
def local_copy(path: Path, suffix: str = "") -> Iterator[Path]:
    """A local file with the content of ``path`` for libraries that open files by name (read only)."""
    if not is_remote(path):
        yield path
        return
    fd, name = tempfile.mkstemp(prefix="in-", suffix=suffix or path.suffix, dir=local_tmp_dir())
    os.close(fd)
    try:
        try:
            path.fs.get_file(path.path, name)
        except FileNotFoundError as e:
            raise FileNotFoundError(f"{path}: no such file") from e
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def upload_dir(src: Path, dest: Path) -> None:
    """Upload the files of the local folder ``src`` below ``dest`` (recursively), one object each."""
    for f in sorted(src.rglob("*")):
        if f.is_file():
            target = dest / f.relative_to(src).as_posix()
            dest.fs.put_file(str(f), target.path)


def rmtree(path: Path) -> None:
    """Delete a folder and everything below it (a prefix, on object storage)."""
    if is_remote(path):
        if path.fs.exists(path.path):
            path.fs.rm(path.path, recursive=True)
    elif path.exists():
        shutil.rmtree(path)


def glob_files(pattern: str) -> list[str]:
    """Files matching a pattern, sorted: local (``~`` expanded, ``**`` recursive) or a URL."""
    if not is_url(pattern):
        return [m for m in sorted(glob.glob(os.path.expanduser(pattern), recursive=True)) if os.path.isfile(m)]
    root = as_path(pattern.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0])
    fs, protocol = root.fs, pattern.split("://", 1)[0]
    path = pattern.split("://", 1)[1]
    matches = fs.glob(path, detail=True) if any(c in path for c in "*?[") else (
        {path: fs.info(path)} if fs.exists(path) else {})
    return sorted(f"{protocol}://{p}" for p, info in matches.items() if info.get("type") == "file")


def file_size(location: str) -> int:
    if is_url(location):
        p = as_path(location)
        return int(p.fs.size(p.path))
    return os.path.getsize(location)


def open_input(location: str | os.PathLike, block_size: int = 16 << 20):
    """A binary file object to read ``location`` (a path or a URL) sequentially or with seeks."""
    p = as_path(location) if isinstance(location, str) and is_url(location) else location
    if is_remote(p):
        return p.fs.open(p.path, "rb", block_size=block_size, cache_type="readahead")
    return open(p, "rb")  # noqa: SIM115 (the caller closes it)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` for a local folder; nothing on object storage (no folders there, and a missing bucket
    must not be created)."""
    if not is_remote(path):
        path.mkdir(parents=True, exist_ok=True)


def sha256_file(location: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file, local or remote, read 1 MiB at a time."""
    h = hashlib.sha256()
    with open_input(location, 1 << 20) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def staging_dir(dest: Path) -> Iterator[Path]:
    """A new local folder to build the folder ``dest`` in (publish it with ``publish_dir``); removed
    on exit. Locally it lies beside ``dest``, so publishing is a rename; for a remote ``dest`` it lies
    in ``local_tmp_dir()``."""
    import uuid

    if is_remote(dest):
        tmp = local_tmp_dir() / f".tmp-{dest.name}-{uuid.uuid4().hex[:8]}"
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".tmp-{dest.name}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def publish_dir(tmp: Path, dest: Path) -> None:
    """Replace the folder ``dest`` by the finished local folder ``tmp``.

    Locally: the old folder is renamed aside, ``tmp`` renamed into place, the old one removed, so a
    reader sees the old folder, the new one, or (between two renames) none, never a mix. Object
    storage has no folder rename: the old objects are deleted and the new ones uploaded one by one
    (each upload atomic), so readers must wait for the stage's done marker, which is written after
    this returns (the runner only starts a stage once the one before it is complete)."""
    import uuid

    if is_remote(dest):
        rmtree(dest)
        upload_dir(tmp, dest)
        return
    old = None
    if dest.exists():
        old = dest.with_name(f".tmp-{dest.name}-old-{uuid.uuid4().hex[:8]}")
        os.replace(dest, old)
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old)


def relpath(path: Path, start: Path) -> str:
    """``path`` relative to the folder ``start`` (both local, or both on the same filesystem)."""
    if is_remote(path) or is_remote(start):
        return os.path.relpath("/" + path.path, "/" + start.path)
    return os.path.relpath(path.resolve(), start.resolve())


def link_file(src: Path, dst: Path) -> None:
    """Make ``dst`` a copy of the finished file ``src``, atomically: a hard link where the filesystem
    has them (shards are never modified in place), else a copy (server-side on object storage)."""
    import uuid

    if is_remote(dst):
        dst.fs.copy(src.path, dst.path) if is_remote(src) else dst.fs.put_file(str(src), dst.path)
        return
    tmp = dst.with_name(f".tmp-{dst.name}.{uuid.uuid4().hex[:8]}")
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def is_file(location: str) -> bool:
    if is_url(location):
        p = as_path(location)
        return bool(p.fs.isfile(p.path))
    return os.path.isfile(location)


def cached_local_file(location: str) -> str:
    """A local path holding ``location``'s content, downloaded once per machine for a URL (for models
    that libraries load by file name, such as fastText's); the local path itself otherwise. The
    cached copy is keyed by URL, size and modification time, so a replaced object is fetched again."""
    if not is_url(location):
        return location
    import hashlib

    p = as_path(location)
    info = p.fs.info(p.path)
    tag = hashlib.sha256(f"{location}|{info.get('size')}|{info.get('LastModified') or info.get('mtime')}".encode())
    dest = local_tmp_dir() / "cache" / f"{tag.hexdigest()[:16]}-{p.name}"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".tmp-{dest.name}.{os.getpid()}")
        p.fs.get_file(p.path, str(tmp))
        os.replace(tmp, dest)
    return str(dest)


_STORAGE_MODULES = ("botocore", "aiobotocore", "s3fs", "gcsfs", "adlfs", "google.auth", "google.api_core", "azure")


def is_storage_error(e: BaseException) -> bool:
    """An error of an object-storage client (unreachable endpoint, bad credentials, missing bucket)."""
    return any(c.__module__.startswith(_STORAGE_MODULES) for c in type(e).__mro__)
