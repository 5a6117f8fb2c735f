import itertools
import string

import pyarrow as pa
import pytest

from curation.stages.gopher_repetition import GopherRepetition, GopherRepetitionConfig

THRESHOLDS = {2: 0.20, 3: 0.18, 4: 0.16, 5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}


def fillers(count: int, length: int = 6) -> list[str]:
    """``count`` distinct words of ``length`` letters, so filler never repeats an n-gram."""
    letters = itertools.product(string.ascii_lowercase, repeat=4)
    return ["".join(next(letters)).rjust(length, "q") for _ in range(count)]


def decide(texts: list[str | None], **params) -> tuple[pa.Table, pa.Table, dict]:
    oc = GopherRepetition(GopherRepetitionConfig(**params)).process(
        pa.table({"id": [str(i) for i in range(len(texts))], "text": pa.array(texts, pa.string())}))
    return oc.kept, oc.rejected, oc.notes


def reason_of(text: str, **params) -> tuple[str | None, float | None]:
    kept, rejected, _ = decide([text], **params)
    if kept.num_rows:
        return None, None
    return rejected.column("drop_reason")[0].as_py(), rejected.column("drop_signal")[0].as_py()


def test_text_without_repetition_is_kept():
    words = fillers(300)
    text = "\n".join(" ".join(words[i:i + 12]) + "." for i in range(0, 300, 12))
    assert reason_of(text) == (None, None)


def test_duplicate_lines():
    text = "\n".join(fillers(6)) + "\n" + "\n".join(["Subscribe now"] * 5)  # 4 of 11 lines repeat one
    assert reason_of(text) == ("gopher_duplicate_lines", pytest.approx(4 / 11))


def test_duplicate_paragraphs_where_lines_are_mostly_unique():
    words = fillers(40)
    long_paragraphs = ["\n".join(words[i * 10 + j] for j in range(10)) for i in range(2)]  # 20 unique lines
    text = "\n\n".join(long_paragraphs + ["Share this."] * 5)  # 4 of 7 paragraphs repeat; 4 of 25 lines
    assert reason_of(text) == ("gopher_duplicate_paragraphs", pytest.approx(4 / 7))


def test_duplicate_line_characters():
    words = fillers(60)
    long_line = " ".join(words[:40])
    text = "\n".join([long_line, *words[40:50], long_line])  # 1 of 12 lines repeats, but a long one
    got, value = reason_of(text)
    assert got == "gopher_duplicate_line_chars" and value > 0.2


def test_duplicate_paragraph_characters_once_the_line_rule_is_off():
    words = fillers(60)
    paragraph = " ".join(words[:40])
    text = "\n\n".join([paragraph, *words[40:50], paragraph])
    got, value = reason_of(text, max_duplicate_line_char_fraction=None)
    assert got == "gopher_duplicate_paragraph_chars" and value > 0.2


@pytest.mark.parametrize("n", [2, 3, 4])
def test_top_ngram(n):
    # an n-word phrase of 4-letter words, repeated with distinct filler between: the (n-1)-gram inside it
    # stays under its own threshold while the n-gram exceeds its one
    phrase = ["abcd", "efgh", "ijkl", "mnop"][:n]
    target = (THRESHOLDS[n] + (THRESHOLDS[n - 1] * n / (n - 1) if n > 2 else 0.3)) / 2
    per_copy = 4 * n / target  # characters per phrase + filler, so phrase chars / total = target
    filler_words = max(2, round((per_copy - 4 * n) / 6))
    words, pool = [], iter(fillers(20 * filler_words))
    for _ in range(20):
        words += phrase + [next(pool) for _ in range(filler_words)]
    got, _ = reason_of(" ".join(words))
    assert got == f"gopher_repeated_top_{n}gram"


@pytest.mark.parametrize("n", [5, 6, 7, 8, 9, 10])
def test_duplicate_ngrams(n):
    # one n-word phrase twice: its shorter n-grams cover as much, so aim between this n's threshold and
    # the one before it
    upper = THRESHOLDS[n - 1] if n > 5 else 0.2  # for n = 5 the top 4-gram covers 4/5 of it
    coverage = (THRESHOLDS[n] + upper) / 2
    total_words = round(2 * n / coverage)
    pool = fillers(total_words)
    phrase = pool[:n]
    words = phrase + pool[n:n + (total_words - 2 * n) // 2] + phrase + pool[n + (total_words - 2 * n) // 2:]
    words = words[:total_words]
    got, value = reason_of(" ".join(words))
    assert got == f"gopher_duplicate_{n}grams"
    assert THRESHOLDS[n] < value <= upper


def test_empty_and_blank_text_is_its_own_reason_and_symbols_only_text_is_scored():
    kept, rejected, _ = decide(["", None, " \n \n", "### *** ###"])
    assert rejected.column("drop_reason").to_pylist() == ["empty_text"] * 3
    assert kept.column("gopher_duplicate_5gram_char_fraction").to_pylist() == [None]  # no words at all


def test_cjk_text_keeps_line_rules_and_skips_ngram_rules():
    chinese = "\n".join(["我们今天去公园散步。", "天气很好。", "我们今天去公园散步。", "我们今天去公园散步。"])
    kept, rejected, notes = decide([chinese])
    assert rejected.column("drop_reason").to_pylist() == ["gopher_duplicate_lines"]
    assert rejected.column("gopher_top_2gram_char_fraction").to_pylist() == [None]
    assert notes == {"unsegmented_script": 1}


def test_a_50_mb_single_line_is_analysed_by_its_prefix():
    kept, rejected, notes = decide(["spam " * 10_000_000])
    assert notes == {"analysed_prefix_only": 1}
    assert rejected.column("drop_reason").to_pylist() == ["gopher_repeated_top_2gram"]
