"""CSV and Parquet link lists -> post tables, through the user's column mapping.

Columns are read as they are and converted here in Arrow: scores must be integers, times Unix
seconds or ISO 8601, flags true/false/1/0/yes/no. A value that does not convert makes its row
malformed (with the column named in the message); a CSV row with the wrong number of fields is
malformed too (pyarrow hands it over instead of failing the file).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from curation.errors import UserError
from curation.harvest.posts import MAX_PROBLEMS, TIME, Parsed, build_table, epoch_seconds, raw_text
from curation.harvest.readers import open_dump
from curation.storage import open_input

ROWS_PER_BATCH = 65536
_INT = r"^\s*[+-]?\d+(\.0*)?\s*$"
_NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
_TRUE = ["true", "1", "yes", "t", "y"]
_FALSE = ["false", "0", "no", "f", "n", ""]


def parse_time(value: object) -> float | None:
    """Unix seconds from a number, a numeric string or an ISO 8601 string; None if it is none of these."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    s = str(value).strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def parse_times(values: list) -> pa.Array:
    return epoch_seconds([parse_time(v) for v in values])


def _as_strings(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return col.cast(pa.string())


def _convert(col: pa.Array, kind: str) -> tuple[pa.Array, pa.Array]:
    """(converted column, mask of rows whose value did not convert)."""
    if kind == "str":
        return _as_strings(col), pa.array([False] * len(col))
    if kind == "int":
        if pa.types.is_integer(col.type):
            return col.cast(pa.int64()), pa.array([False] * len(col))
        s = _as_strings(col)
        ok = pc.match_substring_regex(s, _INT)
        bad = pc.and_(pc.is_valid(s), pc.invert(pc.fill_null(ok, False)))
        clean = pc.if_else(pc.fill_null(ok, False), s, pa.scalar(None, pa.string()))
        return pc.cast(pc.cast(pc.utf8_trim_whitespace(clean), pa.float64()), pa.int64()), bad
    if kind == "bool":
        if pa.types.is_boolean(col.type):
            return col, pa.array([False] * len(col))
        s = pc.utf8_lower(pc.utf8_trim_whitespace(_as_strings(col)))
        true, false = pc.is_in(s, pa.array(_TRUE)), pc.is_in(s, pa.array(_FALSE))
        bad = pc.and_(pc.is_valid(s), pc.invert(pc.or_(true, false)))
        return pc.if_else(pc.is_valid(s), true, pa.scalar(None, pa.bool_())), bad
    # time
    if pa.types.is_timestamp(col.type):
        return col.cast(TIME, safe=False), pa.array([False] * len(col))  # sub-second part dropped
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        return epoch_seconds(col), pa.array([False] * len(col))
    values = _as_strings(col).to_pylist()
    times = parse_times(values)
    bad = pc.and_(pc.is_valid(pa.array(values, pa.string())), pc.is_null(times))
    return times, bad


# post field -> (mapping key, kind)
_FIELDS = {"url": ("url", "str"), "score": ("score", "int"), "subreddit": ("source", "str"),
           "created": ("time", "time"), "title": ("title", "str"), "post_id": ("id", "str"),
           "over_18": ("nsfw", "bool"), "is_self": ("self_post", "bool")}


def convert_batch(table: pa.Table, columns: dict[str, str | None], source_file: str,
                  first_row: int) -> Parsed:
    n = table.num_rows
    out: dict[str, pa.Array] = {}
    bad_any = pa.array([False] * n)
    messages: dict[int, str] = {}
    for field, (key, kind) in _FIELDS.items():
        name = columns.get(key)
        if not name:
            continue
        col, bad = _convert(table.column(name).combine_chunks(), kind)
        out[field] = col
        if pc.any(bad).as_py():
            for i in pc.indices_nonzero(bad).to_pylist():
                messages.setdefault(i, f"column {name!r}: cannot read {table.column(name)[i].as_py()!r} as {kind}")
            bad_any = pc.or_(bad_any, bad)
    missing = pc.is_null(out["url"])
    if columns.get("score"):
        missing = pc.or_(missing, pc.is_null(out["score"]))
    for i in pc.indices_nonzero(pc.and_(missing, pc.invert(bad_any))).to_pylist():
        messages[i] = "missing url" if out["url"][i].as_py() is None else "missing score"
    line_nos = list(range(first_row, first_row + n))
    raw: list[str | None] = [None] * n
    reasons: list[str | None] = [None] * n
    for i in messages:
        reasons[i] = "malformed"
        raw[i] = raw_text(str({k: v for k, v in table.slice(i, 1).to_pylist()[0].items()}).encode())
    parsed = Parsed(build_table(out, source_file, line_nos, raw), reasons)
    parsed.problems = [(line_nos[i], m) for i, m in sorted(messages.items())[:MAX_PROBLEMS]]
    return parsed


def _check_columns(available: list[str], columns: dict[str, str | None], path: str) -> list[str]:
    wanted = [v for v in columns.values() if v]
    missing = [v for v in wanted if v not in available]
    if missing:
        keys = [k for k, v in columns.items() if v in missing]
        raise UserError(f"{path}: no column {missing[0]!r} (columns.{keys[0]}); its columns are "
                        f"{', '.join(available[:30])}; set `columns:` in the harvest stage to match")
    return wanted


def read_csv(path: str, columns: dict[str, str | None], source_file: str) -> Iterator[Parsed]:
    invalid: list[tuple[int, str]] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        invalid.append((row.number or 0, row.text))
        return "skip"

    with open_dump(path) as f:
        reader = pcsv.open_csv(
            f, read_options=pcsv.ReadOptions(use_threads=False, block_size=4 << 20),
            parse_options=pcsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
            # every mapped column as text: types are converted (and bad values counted) per batch
            convert_options=pcsv.ConvertOptions(column_types={v: pa.string() for v in columns.values() if v},
                                                strings_can_be_null=True,
                                                quoted_strings_can_be_null=False, auto_dict_encode=False))
        wanted = _check_columns(reader.schema.names, columns, path)
        row = 1
        for batch in reader:
            table = pa.Table.from_batches([batch]).select(wanted)
            parsed = convert_batch(table, columns, source_file, row)
            row += table.num_rows
            if invalid:
                parsed = _with_invalid_rows(parsed, invalid, source_file)
                invalid.clear()
            yield parsed
        if invalid:
            yield _with_invalid_rows(None, invalid, source_file)


def _with_invalid_rows(parsed: Parsed | None, invalid: list[tuple[int, str]], source_file: str) -> Parsed:
    bad = build_table({}, source_file, [n for n, _ in invalid], [raw_text(t.encode()) for _, t in invalid])
    problems = [(n, "wrong number of fields") for n, _ in invalid]
    if parsed is None:
        return Parsed(bad, ["malformed"] * len(invalid), problems[:MAX_PROBLEMS])
    return Parsed(pa.concat_tables([parsed.table, bad]), parsed.reasons + ["malformed"] * len(invalid),
                  (parsed.problems + problems)[:MAX_PROBLEMS], parsed.counts)


def read_parquet(path: str, columns: dict[str, str | None], source_file: str) -> Iterator[Parsed]:
    pf = pq.ParquetFile(open_input(path))
    wanted = _check_columns(pf.schema_arrow.names, columns, path)
    row = 1
    for batch in pf.iter_batches(batch_size=ROWS_PER_BATCH, columns=wanted):
        table = pa.Table.from_batches([batch])
        yield convert_batch(table, columns, source_file, row)
        row += table.num_rows
