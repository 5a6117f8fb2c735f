import pyarrow as pa

from curation.text import langid


def test_newlines_are_folded_into_spaces():
    assert langid.fold_lines(pa.array(["a\nb\r\n\nc"])).to_pylist() == ["a b c"]


def test_predict_returns_codes_best_first_and_survives_lone_surrogates():
    model = langid.load_model(None)
    labels, probs = langid.predict(model, ["This is an English sentence about the weather.",
                                           "Ceci est une phrase \ud800 en français sur la météo."], k=2)
    assert [row[0] for row in labels] == ["en", "fr"]
    assert all(len(p) == 2 and p[0] >= p[1] for p in probs)
    assert langid.predict(model, [], k=1) == ([], [])
    assert {"en", "de", "zh"} <= langid.model_languages(model)
