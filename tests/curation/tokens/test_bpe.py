import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from curation.tokens.bpe import save_tokenizer_dir, train_bpe
from curation.tokens.files import corpus_encoder, sha256_file, special_ids
from curation.tokens.specials import SpecialTokens

SPECIALS = SpecialTokens("<|endoftext|>", "<pad>", "<mask>", "<cls>", "<sep>", sentinels=4, extra=("<x>",))
CORPUS = ["The quick brown fox jumps over the lazy dog. " * 3, "Über naïve café — 日本語のテキスト 🤗 ok",
          "def f(x):\n    return x + 1\n", "Numbers 12345 and 3.14159, spaces   and\ttabs."] * 30


def _train(vocab_size: int = 400) -> Tokenizer:
    return train_bpe(iter([CORPUS[i:i + 10] for i in range(0, len(CORPUS), 10)]), vocab_size, SPECIALS, 2)


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("t") / "tokenizer"
    save_tokenizer_dir(_train(), SPECIALS, out, {"training.json": {"x": 1}})
    return out


def test_special_tokens_take_the_first_ids_in_order(tok_dir):
    tok = Tokenizer.from_file(str(tok_dir / "tokenizer.json"))
    assert [tok.token_to_id(t) for t in SPECIALS.ordered()] == list(range(len(SPECIALS.ordered())))
    ids = special_ids(tok_dir / "tokenizer.json", tok)
    assert ids.ids == {"eos": 0, "pad": 1, "mask": 2, "cls": 3, "sep": 4, "unk": None}
    assert ids.sentinel_ids == [5, 6, 7, 8]
    assert ids.vocab_size == tok.get_vocab_size()


def test_special_tokens_are_never_split(tok_dir):
    tok = Tokenizer.from_file(str(tok_dir / "tokenizer.json"))
    text = "a<mask>b <extra_id_3>c<|endoftext|><sep>"
    enc = tok.encode(text, add_special_tokens=False)
    for special in ("<mask>", "<extra_id_3>", "<|endoftext|>", "<sep>"):
        assert special in enc.tokens and tok.token_to_id(special) in enc.ids
    assert tok.decode(enc.ids, skip_special_tokens=False) == text


def test_corpus_encoder_spells_out_special_strings_found_in_text(tok_dir):
    """A web page that contains '<|endoftext|>' must not inject a real document boundary."""
    raw = (tok_dir / "tokenizer.json").read_text()
    enc = corpus_encoder(Tokenizer.from_str(raw)).encode("before <|endoftext|> after <mask>", add_special_tokens=False)
    assert not set(enc.ids) & set(range(len(SPECIALS.ordered())))
    assert Tokenizer.from_str(raw).decode(enc.ids) == "before <|endoftext|> after <mask>"


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)  # Arrow strings are valid UTF-8


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_round_trip_on_arbitrary_unicode(text):
    ids = _ENCODER.encode(text, add_special_tokens=False).ids
    assert _FULL.decode(ids, skip_special_tokens=False) == text


_FULL = _train()
_ENCODER = corpus_encoder(_FULL)


def test_transformers_loads_it_with_the_special_tokens_set(tok_dir):
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    for cls in (PreTrainedTokenizerFast, AutoTokenizer):
        t = cls.from_pretrained(str(tok_dir))
        assert (t.eos_token_id, t.pad_token_id, t.mask_token_id, t.cls_token_id, t.sep_token_id) == (0, 1, 2, 3, 4)
        assert t.unk_token_id is None
        assert t.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_3>", "<x>"]) == [5, 8, 9]
        assert set(t.all_special_ids) >= set(range(10))
        text = "  Grüße,\n\nWelt!  <extra_id_1> "
        ids = t(text)["input_ids"]
        assert 6 in ids and t.decode(ids) == text


def test_training_is_deterministic(tmp_path):
    for name in ("a", "b"):
        save_tokenizer_dir(_train(), SPECIALS, tmp_path / name)
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        assert sha256_file(tmp_path / "a" / f) == sha256_file(tmp_path / "b" / f)


def test_saving_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "tokenizer"
    save_tokenizer_dir(_train(400), SPECIALS, out, {"stale.json": {}})
    save_tokenizer_dir(_train(300), SPECIALS, out)
    assert not (out / "stale.json").exists()
    assert json.loads((out / "tokenizer.json").read_text())["model"]["vocab"].__len__() <= 300
    assert [p.name for p in tmp_path.iterdir()] == ["tokenizer"]  # no temporary folder left

