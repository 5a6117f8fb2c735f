import pytest
import torch

from trainer.checkpoint import load_trained_model
from trainer.errors import ConfigError
from trainer.export import export, to_hf
from trainer.loop import Trainer
from trainer.models import build_model
from trainer.testing import tiny_config

HF_CLASS = {"gpt2": "GPT2LMHeadModel", "bert": "BertForMaskedLM", "albert": "AlbertForMaskedLM",
            "electra": "ElectraForPreTraining", "t5": "T5ForConditionalGeneration"}


@pytest.mark.parametrize("family", list(HF_CLASS))
def test_exported_model_matches_ours(family, packed, tmp_path, quiet):
    import transformers
    from tokenizers import Tokenizer

    trainer = Trainer(tiny_config(family, max_steps=3, checkpoint_every=3), packed, tmp_path / "run",
                      log=quiet.append)
    trainer.fit()
    out = export(tmp_path / "run", tmp_path / "hf")
    hf = getattr(transformers, HF_CLASS[family]).from_pretrained(out).eval()
    ours, _, _ = load_trained_model(tmp_path / "run")
    ids = torch.randint(5, 384, (2, 64), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        if family == "t5":
            dec = ids[:, :17]
            a, b = ours(ids, dec)["logits"], hf(input_ids=ids, decoder_input_ids=dec).logits
        else:
            a, b = ours(ids)["logits"], hf(input_ids=ids).logits
    assert a.shape == b.shape
    torch.testing.assert_close(a, b, rtol=0, atol=1e-4)
    tok = transformers.AutoTokenizer.from_pretrained(out)
    raw = Tokenizer.from_file(str(tmp_path / "run" / "tokenizer" / "tokenizer.json"))
    assert tok("The cat sees a dog.")["input_ids"] == raw.encode("The cat sees a dog.").ids
    assert tok.pad_token_id == 1 and tok.eos_token_id == 0


def test_non_standard_architecture_is_refused():
    cfg = tiny_config("bert").model.model_copy(update={"norm": "pre", "vocab_size": 64})
    with pytest.raises(ConfigError, match="norm=pre, which BertForMaskedLM cannot represent"):
        to_hf(build_model(cfg), {"pad": 1, "eos": 0})
