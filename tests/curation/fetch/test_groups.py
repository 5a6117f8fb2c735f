from pathlib import Path

import pyarrow as pa

from curation.fetch.groups import group_of, read_group, write_groups


def test_groups_keep_input_order_and_empty_groups(tmp_path: Path):
    table = pa.table({"k": ["a", "b", "a", "c", "b"], "row": [0, 1, 2, 3, 4]})
    group = group_of(table.column("k").to_pylist(), 4)
    assert group.tolist() == group_of(["a", "b", "a", "c", "b"], 4).tolist()  # stable
    write_groups(tmp_path / "0.arrow", table, group, 4)
    write_groups(tmp_path / "1.arrow", table.slice(0, 2), group[:2], 4)
    rows = []
    for j in range(4):
        part = read_group([tmp_path / "0.arrow", tmp_path / "1.arrow"], j)
        keys = set(part.column("k").to_pylist())
        assert len(keys) <= 3 and all(group_of([k], 4)[0] == j for k in keys)
        first = [r for r in part.column("row").to_pylist()][: sum(group == j)]
        assert first == sorted(first)  # input order within the first file
        rows += part.column("row").to_pylist()
    assert sorted(rows) == [0, 0, 1, 1, 2, 3, 4]
