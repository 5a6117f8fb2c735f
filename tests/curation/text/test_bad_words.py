import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from curation.errors import UserError
from curation.text.bad_words import load_words, pattern


def _hits(words: tuple[str, ...], texts: list[str]) -> list[int]:
    return pc.count_substring_regex(pa.array(texts), pattern(words)).to_pylist()


def test_entries_match_as_whole_words_only():
    words = ("porn", "xxx videos")
    texts = ["free porn here", "pornography", "watch xxx videos now", "xxx", "porn, porn."]
    assert _hits(words, texts) == [1, 0, 1, 0, 2]


def test_the_bundled_list_loads_and_skips_comments_and_is_usable_by_python_re_too():
    words = load_words()
    assert "porn" in words and not any(w.startswith("#") for w in words)
    assert re.search(pattern(words), "this is porn.")


def test_a_custom_list_file_is_used_and_a_missing_one_is_a_user_error(tmp_path):
    custom = tmp_path / "words.txt"
    custom.write_text("# mine\nBanana\n\n", encoding="utf-8")
    assert load_words(str(custom)) == ("banana",)
    with pytest.raises(UserError, match="c4.bad_words_file: cannot read"):
        load_words(str(tmp_path / "missing.txt"))
