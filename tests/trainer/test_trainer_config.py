import pytest

from trainer.config import load_config, parse_config, resolve_for_data
from trainer.data import Manifest
from trainer.errors import ConfigError
from trainer.testing import CONFIG_DIR as CONFIGS

GPT = {"family": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 32, "n_positions": 64}


def test_every_bundled_config_is_valid():
    names = sorted(p.stem for p in CONFIGS.glob("*.yaml"))
    assert {"gpt2-small", "gpt-tiny", "bert-base", "albert-base", "electra-small", "t5-small"} <= set(names)
    for name in names:
        load_config(CONFIGS / f"{name}.yaml")


@pytest.mark.parametrize(("data", "message"), [
    ({"model": GPT, "objective": {"name": "causal_lm"}, "optim": {"lr": -1}}, "optim.lr: Input should be greater than 0"),
    ({"model": GPT, "objective": {"name": "causal_lm"}, "optim": {"lrr": 1}}, "optim.lrr: unknown key"),
    ({"model": GPT | {"n_head": 3}, "objective": {"name": "causal_lm"}}, "model: n_embd .* multiple of n_head"),
    ({"model": GPT, "objective": {"name": "mlm"}}, "objective.name 'mlm' does not train a gpt2 model"),
    ({"model": {"family": "gpt3"}, "objective": {"name": "causal_lm"}}, "model: .*'gpt2'"),
])
def test_errors_name_the_key(data, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(data, "x.yaml")


def test_overrides_and_yaml_errors(tmp_path):
    cfg = load_config(CONFIGS / "gpt-tiny.yaml", ["train.max_steps=7", "optim.lr=1e-4"])
    assert (cfg.train.max_steps, cfg.optim.lr) == (7, 1e-4)
    with pytest.raises(ConfigError, match="train.max_steps: Input should be greater than 0"):
        load_config(CONFIGS / "gpt-tiny.yaml", ["train.max_steps=0"])
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_data_must_fit_the_model(packed):
    m = Manifest.load(packed)
    base = {"model": GPT, "objective": {"name": "causal_lm"}}
    assert resolve_for_data(parse_config(base), m).model.vocab_size == 384  # 384 is a multiple of 64
    with pytest.raises(ConfigError, match="seq_len 64 is larger than the model's context .model.n_positions = 32"):
        resolve_for_data(parse_config(base | {"model": GPT | {"n_positions": 32}}), m)
    with pytest.raises(ConfigError, match="vocab_size 384 is larger than model.vocab_size 100"):
        resolve_for_data(parse_config(base | {"model": GPT | {"vocab_size": 100}}), m)
