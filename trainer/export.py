"""Export a checkpoint to Hugging Face transformers (weights renamed to the HF layout, config, tokenizer):
GPT2LMHeadModel, BertForMaskedLM, AlbertForMaskedLM, ElectraForPreTraining or T5ForConditionalGeneration,
loadable with `from_pretrained(out_dir)`."""

import json
from pathlib import Path

import torch
from torch import nn

from trainer.checkpoint import load_trained_model
from trainer.errors import ConfigError

Tensors = dict[str, torch.Tensor]


def _require(ok: bool, what: str, target: str) -> None:
    if not ok:
        raise ConfigError(f"model: {what}, which {target} cannot represent: export needs the standard architecture")


def _linear(sd: Tensors, hf: str, mod: nn.Linear | nn.LayerNorm | nn.RMSNorm, transpose: bool = False) -> None:
    sd[f"{hf}.weight"] = mod.weight.detach().t() if transpose else mod.weight.detach()
    if getattr(mod, "bias", None) is not None:
        sd[f"{hf}.bias"] = mod.bias.detach()


def _split_qkv(sd: Tensors, prefix: str, names: tuple[str, str, str], qkv: nn.Linear) -> None:
    for name, w, b in zip(names, qkv.weight.detach().chunk(3, 0), qkv.bias.detach().chunk(3, 0), strict=True):
        sd[f"{prefix}.{name}.weight"], sd[f"{prefix}.{name}.bias"] = w, b


def _bert_embeddings(sd: Tensors, prefix: str, emb: nn.Module) -> None:
    sd[f"{prefix}.word_embeddings.weight"] = emb.word.weight.detach()
    sd[f"{prefix}.position_embeddings.weight"] = emb.position.weight.detach()
    sd[f"{prefix}.token_type_embeddings.weight"] = emb.token_type.weight.detach()
    _linear(sd, f"{prefix}.LayerNorm", emb.ln)


def _bert_layer(sd: Tensors, p: str, block: nn.Module) -> None:
    _split_qkv(sd, f"{p}.attention.self", ("query", "key", "value"), block.attn.qkv)
    _linear(sd, f"{p}.attention.output.dense", block.attn.proj)
    _linear(sd, f"{p}.attention.output.LayerNorm", block.ln_1)
    _linear(sd, f"{p}.intermediate.dense", block.mlp.fc)
    _linear(sd, f"{p}.output.dense", block.mlp.proj)
    _linear(sd, f"{p}.output.LayerNorm", block.ln_2)


def _hf_act(activation: str) -> str:
    return "gelu_new" if activation == "gelu_tanh" else "gelu"


def gpt2_to_hf(model: nn.Module, special: dict) -> tuple[object, Tensors]:
    from transformers import GPT2Config, GPT2LMHeadModel

    c = model.cfg
    _require(c.norm == "pre" and c.bias, "GPT-2 with norm=post or bias=false", "GPT2LMHeadModel")
    config = GPT2Config(vocab_size=c.vocab_size, n_positions=c.n_positions, n_embd=c.n_embd, n_layer=c.n_layer,
                        n_head=c.n_head, n_inner=4 * c.n_embd, activation_function="gelu_new",
                        resid_pdrop=c.dropout, embd_pdrop=c.dropout, attn_pdrop=c.dropout,
                        layer_norm_epsilon=c.layer_norm_eps, bos_token_id=special["eos"],
                        eos_token_id=special["eos"], pad_token_id=special["pad"], tie_word_embeddings=True)
    sd: Tensors = {"transformer.wte.weight": model.wte.weight.detach(),
                   "transformer.wpe.weight": model.wpe.weight.detach()}
    for i, b in enumerate(model.blocks):
        p = f"transformer.h.{i}"
        _linear(sd, f"{p}.ln_1", b.ln_1)
        _linear(sd, f"{p}.attn.c_attn", b.attn.qkv, transpose=True)  # HF Conv1D stores (in, out)
        _linear(sd, f"{p}.attn.c_proj", b.attn.proj, transpose=True)
        _linear(sd, f"{p}.ln_2", b.ln_2)
        _linear(sd, f"{p}.mlp.c_fc", b.mlp.fc, transpose=True)
        _linear(sd, f"{p}.mlp.c_proj", b.mlp.proj, transpose=True)
    _linear(sd, "transformer.ln_f", model.ln_f)
    return GPT2LMHeadModel(config), sd


def bert_to_hf(model: nn.Module, special: dict) -> tuple[object, Tensors]:
    from transformers import BertConfig, BertForMaskedLM

    c = model.cfg
    _require(c.norm == "post", "norm=pre", "BertForMaskedLM")
    _require(not c.share_layers and c.embed_dim == c.hidden_size,
             "shared layers or a factorized embedding (use family: albert)", "BertForMaskedLM")
    config = BertConfig(vocab_size=c.vocab_size, hidden_size=c.hidden_size, num_hidden_layers=c.n_layers,
                        num_attention_heads=c.n_heads, intermediate_size=c.intermediate_size,
                        hidden_act=_hf_act(c.activation), hidden_dropout_prob=c.dropout,
                        attention_probs_dropout_prob=c.dropout, max_position_embeddings=c.max_positions,
                        type_vocab_size=c.type_vocab_size, layer_norm_eps=c.layer_norm_eps,
                        pad_token_id=special["pad"], tie_word_embeddings=True)
    sd: Tensors = {}
    _bert_embeddings(sd, "bert.embeddings", model.embeddings)
    for i, b in enumerate(model.encoder.layers):
        _bert_layer(sd, f"bert.encoder.layer.{i}", b)
    _linear(sd, "cls.predictions.transform.dense", model.mlm_head.dense)
    _linear(sd, "cls.predictions.transform.LayerNorm", model.mlm_head.ln)
    sd["cls.predictions.bias"] = sd["cls.predictions.decoder.bias"] = model.mlm_head.bias.detach()
    sd["cls.predictions.decoder.weight"] = model.embeddings.word.weight.detach()
    return BertForMaskedLM(config), sd


def albert_to_hf(model: nn.Module, special: dict) -> tuple[object, Tensors]:
    from transformers import AlbertConfig, AlbertForMaskedLM

    c = model.cfg
    _require(c.norm == "post", "norm=pre", "AlbertForMaskedLM")
    groups = len(model.encoder.layers)  # 1 when shared, else one group per layer
    config = AlbertConfig(vocab_size=c.vocab_size, embedding_size=c.embed_dim, hidden_size=c.hidden_size,
                          num_hidden_layers=c.n_layers, num_hidden_groups=groups, inner_group_num=1,
                          num_attention_heads=c.n_heads, intermediate_size=c.intermediate_size,
                          hidden_act=_hf_act(c.activation), hidden_dropout_prob=c.dropout,
                          attention_probs_dropout_prob=c.dropout, classifier_dropout_prob=c.dropout,
                          max_position_embeddings=c.max_positions, type_vocab_size=c.type_vocab_size,
                          layer_norm_eps=c.layer_norm_eps, pad_token_id=special["pad"],
                          bos_token_id=special["cls"], eos_token_id=special["sep"], tie_word_embeddings=True)
    sd: Tensors = {}
    _bert_embeddings(sd, "albert.embeddings", model.embeddings)
    _linear(sd, "albert.encoder.embedding_hidden_mapping_in", model.encoder.in_proj)
    for g, b in enumerate(model.encoder.layers):
        p = f"albert.encoder.albert_layer_groups.{g}.albert_layers.0"
        _split_qkv(sd, f"{p}.attention", ("query", "key", "value"), b.attn.qkv)
        _linear(sd, f"{p}.attention.dense", b.attn.proj)
        _linear(sd, f"{p}.attention.LayerNorm", b.ln_1)
        _linear(sd, f"{p}.ffn", b.mlp.fc)
        _linear(sd, f"{p}.ffn_output", b.mlp.proj)
        _linear(sd, f"{p}.full_layer_layer_norm", b.ln_2)
    _linear(sd, "predictions.dense", model.mlm_head.dense)
    _linear(sd, "predictions.LayerNorm", model.mlm_head.ln)
    sd["predictions.bias"] = sd["predictions.decoder.bias"] = model.mlm_head.bias.detach()
    sd["predictions.decoder.weight"] = model.embeddings.word.weight.detach()
    return AlbertForMaskedLM(config), sd


def electra_to_hf(model: nn.Module, special: dict) -> tuple[object, Tensors]:
    """The discriminator (what ELECTRA fine-tunes) as ElectraForPreTraining."""
    from transformers import ElectraConfig, ElectraForPreTraining

    c = model.cfg
    _require(c.norm == "post", "norm=pre", "ElectraForPreTraining")
    config = ElectraConfig(vocab_size=c.vocab_size, embedding_size=c.embedding_size, hidden_size=c.hidden_size,
                           num_hidden_layers=c.n_layers, num_attention_heads=c.n_heads,
                           intermediate_size=c.intermediate_size, hidden_act=_hf_act(c.activation),
                           hidden_dropout_prob=c.dropout, attention_probs_dropout_prob=c.dropout,
                           max_position_embeddings=c.max_positions, type_vocab_size=c.type_vocab_size,
                           layer_norm_eps=c.layer_norm_eps, pad_token_id=special["pad"])
    sd: Tensors = {}
    _bert_embeddings(sd, "electra.embeddings", model.embeddings)
    if model.discriminator.in_proj is not None:
        _linear(sd, "electra.embeddings_project", model.discriminator.in_proj)
    for i, b in enumerate(model.discriminator.layers):
        _bert_layer(sd, f"electra.encoder.layer.{i}", b)
    _linear(sd, "discriminator_predictions.dense", model.discriminator_head.dense)
    _linear(sd, "discriminator_predictions.dense_prediction", model.discriminator_head.out)
    return ElectraForPreTraining(config), sd


def t5_to_hf(model: nn.Module, special: dict) -> tuple[object, Tensors]:
    from transformers import T5Config, T5ForConditionalGeneration

    c = model.cfg
    _require(c.encoder_norm == "pre" and c.decoder_norm == "pre", "norm=post", "T5ForConditionalGeneration")
    config = T5Config(vocab_size=c.vocab_size, d_model=c.d_model, d_kv=c.d_kv, d_ff=c.d_ff, num_layers=c.n_layers,
                      num_decoder_layers=c.n_decoder_layers or c.n_layers, num_heads=c.n_heads,
                      relative_attention_num_buckets=c.relative_attention_num_buckets,
                      relative_attention_max_distance=c.relative_attention_max_distance, dropout_rate=c.dropout,
                      layer_norm_epsilon=c.layer_norm_eps, feed_forward_proj="relu", is_encoder_decoder=True,
                      tie_word_embeddings=True, pad_token_id=special["pad"], eos_token_id=special["eos"],
                      decoder_start_token_id=special["pad"])
    shared = model.shared.weight.detach()
    sd: Tensors = {"shared.weight": shared, "encoder.embed_tokens.weight": shared,
                   "decoder.embed_tokens.weight": shared, "lm_head.weight": shared}
    for stack_name, stack in (("encoder", model.encoder), ("decoder", model.decoder)):
        for i, b in enumerate(stack.blocks):
            p = f"{stack_name}.block.{i}.layer"
            subs = [("SelfAttention", b.self_attn)]
            if b.cross_attn is not None:
                subs.append(("EncDecAttention", b.cross_attn))
            for j, (name, sub) in enumerate(subs):
                for proj in ("q", "k", "v", "o"):
                    sd[f"{p}.{j}.{name}.{proj}.weight"] = getattr(sub.fn, proj).weight.detach()
                if sub.fn.relative_attention_bias is not None:
                    sd[f"{p}.{j}.{name}.relative_attention_bias.weight"] = sub.fn.relative_attention_bias.weight
                sd[f"{p}.{j}.layer_norm.weight"] = sub.norm.weight.detach()
            j = len(subs)
            sd[f"{p}.{j}.DenseReluDense.wi.weight"] = b.ff.fn.wi.weight.detach()
            sd[f"{p}.{j}.DenseReluDense.wo.weight"] = b.ff.fn.wo.weight.detach()
            sd[f"{p}.{j}.layer_norm.weight"] = b.ff.norm.weight.detach()
        sd[f"{stack_name}.final_layer_norm.weight"] = stack.final_norm.weight.detach()
    return T5ForConditionalGeneration(config), sd


CONVERTERS = {"gpt2": gpt2_to_hf, "bert": bert_to_hf, "albert": albert_to_hf, "electra": electra_to_hf,
              "t5": t5_to_hf}


def to_hf(model: nn.Module, special: dict) -> nn.Module:
    """A transformers model holding our weights (eval mode)."""
    hf, sd = CONVERTERS[model.cfg.family](model, special)
    missing, unexpected = hf.load_state_dict({k: v.detach().clone() for k, v in sd.items()}, strict=False)
    # Only tied copies of an exported tensor may be missing (transformers re-ties them).
    missing = [k for k in missing if not k.endswith(("lm_head.weight", "decoder.weight", "embed_tokens.weight"))]
    if missing or unexpected:
        raise RuntimeError(f"export of {model.cfg.family}: missing {missing}, unexpected {unexpected}")
    return hf.eval()


def save_tokenizer(run_dir: Path, out_dir: Path, special: dict, sentinels: list[int], max_len: int) -> None:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    tok_file = run_dir / "tokenizer" / "tokenizer.json"
    if not tok_file.is_file():
        raise ConfigError(f"{tok_file} not found: the run folder keeps a copy of the tokenizer; re-run training "
                          f"or copy RUN_DIR/tokenizer/ there")
    raw = Tokenizer.from_file(str(tok_file))
    names = {f"{k}_token": raw.id_to_token(v) for k, v in special.items() if v is not None}
    extra = [raw.id_to_token(i) for i in sentinels]
    tok = PreTrainedTokenizerFast(tokenizer_file=str(tok_file), model_max_length=max_len,
                                  **names,
                                  **({"additional_special_tokens": extra} if extra else {}))
    tok.save_pretrained(str(out_dir))


def export(checkpoint: str | Path, out_dir: str | Path) -> Path:
    model, cfg, run_dir = load_trained_model(checkpoint)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    special = manifest["special_tokens"]
    hf = to_hf(model, special)
    out = Path(out_dir)
    hf.save_pretrained(str(out))
    sentinels = manifest.get("sentinel_ids", []) if cfg.model.family == "t5" else []
    save_tokenizer(run_dir, out, special, sentinels, manifest["seq_len"])
    return out
