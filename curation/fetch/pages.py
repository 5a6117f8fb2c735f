"""The page columns that ``fetch`` and ``warc_join`` add to link records (the same schema from both)."""

from __future__ import annotations

import pyarrow as pa

PAGE_FIELDS = [
    ("final_url", pa.string()),  # the URL the page came from, after redirects
    ("status", pa.int32()),
    ("content_type", pa.string()),
    ("charset", pa.string()),
    ("html", pa.string()),  # decoded once; null for dropped and binary pages
    ("warc_file", pa.string()),
    ("warc_offset", pa.int64()),  # of the response record (its gzip member)
    ("warc_record_id", pa.string()),
    ("fetched_at", pa.string()),  # WARC-Date of the response
    ("fetch_error", pa.string()),  # the drop reason, null for kept pages
    ("fetch_detail", pa.string()),  # what exactly went wrong ("redirect to file:///etc/passwd: ...")
    ("elapsed_ms", pa.int64()),  # time spent in requests for this URL (hops and retries included)
    ("body_bytes", pa.int64()),  # stored body, after content decoding
    ("truncated", pa.bool_()),
    ("redirects", pa.int32()),
]


def add_page_columns(links: pa.Table, columns: dict[str, list]) -> pa.Table:
    """``links`` with every page column set from ``columns`` (missing ones null); link columns pass through."""
    table = links
    for name, typ in PAGE_FIELDS:
        arr = pa.array(columns.get(name, [None] * len(links)), type=typ)
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, arr)
        else:
            table = table.append_column(name, arr)
    return table


def page_schema(link_schema: pa.Schema) -> pa.Schema:
    schema = link_schema
    for name, typ in PAGE_FIELDS:
        if name in schema.names:
            schema = schema.set(schema.get_field_index(name), pa.field(name, typ))
        else:
            schema = schema.append(pa.field(name, typ))
    return schema
