import pyarrow as pa

from curation.text.lines import duplicates, split_lines, split_paragraphs


def test_lines_are_stripped_and_blank_lines_are_not_lines():
    lines = split_lines(pa.array(["  one \r\n\n \ntwo", "", "three"]))
    assert lines.values.to_pylist() == ["one", "two", "three"]
    assert lines.count().tolist() == [2, 0, 1]


def test_paragraphs_are_separated_by_blank_lines_even_with_spaces_on_them():
    paragraphs = split_paragraphs(pa.array(["a\nb\n\nc\n  \n\nd", "single"]))
    assert paragraphs.values.to_pylist() == ["a\nb", "c", "d", "single"]


def test_duplicates_count_every_repeat_after_the_first_within_one_document():
    lines = split_lines(pa.array(["x\nyy\nx\nx\nyy\nz", "x\nq", ""]))
    count, chars = duplicates(lines)
    assert count.tolist() == [3, 0, 0]  # x twice more, yy once more; doc 2's x is not doc 1's
    assert chars.tolist() == [1 + 1 + 2, 0, 0]
