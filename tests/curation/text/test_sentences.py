import pyarrow as pa

from curation.text.sentences import count_sentences


def test_sentences_end_at_terminal_marks_followed_by_a_capital_or_the_line_end():
    lines = pa.array([
        "It rained. Then it poured! Did it stop?",
        "Mr. Smith met J. Doe at noon.",
        "See e.g. the manual, version 3.5 of it.",
        'He said "stop." Then he left.',
        "no terminal mark at all",
        "",
    ])
    assert count_sentences(lines).tolist() == [3, 1, 1, 2, 1, 0]
