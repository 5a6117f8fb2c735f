import json

from trainer.cli import main
from trainer.testing import CONFIG_DIR

TINY = [str(CONFIG_DIR / "gpt-tiny.yaml"), "--set", "model.n_layer=2", "--set", "model.n_embd=64",
        "--set", "train.max_steps=4", "--set", "train.eval_every=4", "--set", "train.checkpoint_every=4",
        "--set", "train.tensorboard=false", "--sample-tokens", "5"]


def test_train_eval_sample(packed, tmp_path, capsys):
    assert main(["train", *TINY, "--data", str(packed), "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "final validation: loss" in out and "sample:" in out
    assert main(["eval", str(tmp_path / "run"), "--data", str(packed), "--batches", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "validation" and result["batches"] == 2 and result["perplexity"] > 1
    assert main(["sample", str(tmp_path / "run"), "--prompt", "The cat", "--max-new-tokens", "8",
                 "--num-samples", "2"]) == 0
    assert capsys.readouterr().out.count("The cat") == 2


def test_user_mistakes_are_one_line_errors(packed, tmp_path, capsys):
    assert main(["train", *TINY, "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "manifest.json not found" in err and "Traceback" not in err
    assert main(["train", *TINY, "--set", "optim.lr=-1", "--data", str(packed)]) == 2
    assert "optim.lr: Input should be greater than 0" in capsys.readouterr().err
    assert main(["sample", str(tmp_path)]) == 2
    assert "no checkpoint found" in capsys.readouterr().err
