import pyarrow as pa
import pytest

from curation.config import parse_pipeline
from curation.errors import UserError
from curation.stages.langid import LangID, LangIDConfig

SENTENCES = {
    "en": "The weather is nice today and we are going to the park.",
    "de": "Das Wetter ist heute schön und wir gehen in den Park.",
    "fr": "Il fait beau aujourd'hui et nous allons au parc.",
    "es": "Hoy hace buen tiempo y vamos al parque con los niños.",
    "it": "Oggi il tempo è bello e andiamo al parco con i bambini.",
    "nl": "Het weer is vandaag mooi en we gaan naar het park.",
    "ru": "Сегодня хорошая погода, и мы идём в парк с детьми.",
    "zh": "今天天气很好，我们和孩子们一起去公园。",
    "ja": "今日は天気が良いので、子供たちと公園に行きます。",
    "ar": "الطقس جميل اليوم ونحن ذاهبون إلى الحديقة مع الأطفال.",
    "he": "מזג האוויר יפה היום ואנחנו הולכים לפארק עם הילדים.",
    "hi": "आज मौसम अच्छा है और हम बच्चों के साथ पार्क जा रहे हैं।",
}


def run(texts: list[str | None], **params):
    stage = LangID(LangIDConfig(**params))
    return stage.process(pa.table({"id": [str(i) for i in range(len(texts))],
                                   "text": pa.array(texts, pa.string())}))


def langs(oc) -> dict[str, str | None]:
    table = pa.concat_tables([oc.kept, oc.rejected.drop_columns(["drop_reason", "drop_signal"])])
    return dict(zip(table.column("id").to_pylist(), table.column("lang").to_pylist(), strict=True))


@pytest.mark.parametrize("repeat", [1, 30], ids=["one sentence", "long text with newlines"])
def test_languages_are_identified_in_short_and_long_texts(repeat):
    texts = ["\n".join([s] * repeat) for s in SENTENCES.values()]
    oc = run(texts, languages=None)
    assert list(langs(oc).values()) == list(SENTENCES)
    assert oc.kept.num_rows == len(SENTENCES)  # languages: null keeps every confident language
    assert min(oc.kept.column("lang_score").to_pylist()) >= 0.65


def test_english_is_kept_and_other_languages_are_dropped_as_wrong_language():
    oc = run(list(SENTENCES.values()))
    assert oc.kept.column("lang").to_pylist() == ["en"]
    assert set(oc.rejected.column("drop_reason").to_pylist()) == {"wrong_language"}
    assert oc.rejected.column("drop_signal").to_pylist() == oc.rejected.column("lang_score").to_pylist()


def test_top_k_languages_are_stored_best_first():
    oc = run([SENTENCES["en"]], top_k=3)
    top = oc.kept.column("lang_top")[0].as_py()
    assert len(top) == 3 and top[0]["lang"] == "en" and top[0]["score"] >= top[1]["score"] >= top[2]["score"]


def test_unsure_predictions_empty_text_and_symbols_get_their_own_reasons():
    oc = run(["Hello", "", None, "   \n\t", "!!! ### ???", "12345 67890"])
    reasons = oc.rejected.column("drop_reason").to_pylist()
    assert reasons == ["low_lang_score", "empty_text", "empty_text", "empty_text", "low_lang_score",
                       "low_lang_score"]


def test_a_wanted_language_below_the_top_guess_is_kept_when_it_reaches_the_threshold():
    mixed = SENTENCES["de"] + " " + SENTENCES["en"] * 3
    oc = run([mixed], languages=["de", "en"], min_lang_score=0.1)
    assert oc.kept.num_rows == 1


def test_decisions_can_be_retuned_from_the_stored_columns():
    oc = run([SENTENCES["en"], SENTENCES["de"], "Hello"])
    stored = pa.concat_tables([oc.kept, oc.rejected.drop_columns(["drop_reason", "drop_signal"])])
    reasons, _ = LangID(LangIDConfig(languages=["en", "de"], min_lang_score=0.2)).reasons(stored)
    assert reasons.to_pylist() == [None, None, None]
    reasons, _ = LangID(LangIDConfig(languages=["de"], min_lang_score=None)).reasons(stored)
    assert reasons.to_pylist() == ["wrong_language", None, "wrong_language"]


def test_an_unknown_language_code_is_a_user_error():
    with pytest.raises(UserError, match="langid.languages: english not among the model's labels"):
        run([SENTENCES["en"]], languages=["english"])
    with pytest.raises(UserError, match=r"stages\[0\].min_lang_score: must be <= 1"):
        parse_pipeline({"name": "t", "stages": [{"stage": "langid", "min_lang_score": 65}]})


def test_a_50_mb_line_and_invalid_utf8_are_handled_and_counted():
    huge = SENTENCES["en"] * 900_000  # about 50 MB, no newline
    broken = pa.array([SENTENCES["fr"].encode() + b"\xed\xa0\x80"], pa.binary()).view(pa.string())
    oc = run([huge])
    assert oc.kept.column("lang").to_pylist() == ["en"]
    assert oc.notes == {"analysed_prefix_only": 1}
    oc = LangID(LangIDConfig()).process(pa.table({"text": broken}))
    assert oc.rejected.column("lang").to_pylist() == ["fr"]
    assert oc.notes == {"invalid_utf8_repaired": 1}
