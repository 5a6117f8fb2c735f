import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from curation.measure import count_words, measure

texts = st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab é日\n\t\r\x0c\x0b\x01\xa0\u3000")))),
                 max_size=30)
WORD = r"[^\x00-\x20]+"  # runs of characters that are neither whitespace nor ASCII control


@given(texts, st.integers(0, 5))
def test_word_count_equals_a_regex_over_the_same_definition(values, cut):
    arr = pa.array(values, pa.string())
    for a in (arr, arr.slice(min(cut, len(arr))), pa.array(values, pa.large_string())):
        assert count_words(a) == (pc.sum(pc.count_substring_regex(a, WORD)).as_py() or 0)


def test_measure_counts_text_or_html_bytes():
    assert measure(pa.table({"text": ["héllo world", None]})).as_dict() == {"records": 2, "bytes": 12, "words": 2}
    assert measure(pa.table({"html": ["<p>x</p>"]})).as_dict() == {"records": 1, "bytes": 8, "words": 0}
    assert measure(pa.table({"url": ["http://a"]})).as_dict() == {"records": 1, "bytes": 0, "words": 0}
