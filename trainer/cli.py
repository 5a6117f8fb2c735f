"""`pretrain train | eval | sample | export`. A user's mistake prints `error: ...` and exits with status 2."""

import argparse
import json
import sys
from pathlib import Path


def _train(args: argparse.Namespace) -> None:
    import torch

    from trainer import distributed
    from trainer.config import load_config
    from trainer.loop import Trainer

    cfg = load_config(args.config, args.set)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out) if args.out else Path(args.data).resolve().parent / "train" / Path(args.config).stem
    dist = distributed.setup(cfg.train.device)
    try:
        trainer = Trainer(cfg, args.data, out, dist)
        val = trainer.fit()
    finally:
        distributed.teardown()
    if dist.is_main:
        if val:
            print(f"final validation: loss {val['loss']:.4f} | perplexity {val['perplexity']:.2f}")
        print(f"run folder: {out}")
        if cfg.model.family == "gpt2" and args.sample_tokens > 0:
            from trainer.sample import sample

            print("sample:", sample(out, max_new_tokens=args.sample_tokens)[0])


def _eval(args: argparse.Namespace) -> None:
    import torch

    from trainer.checkpoint import load_trained_model, read_state, resolve_checkpoint
    from trainer.config import resolve_for_data
    from trainer.data import Manifest, PackedSplit
    from trainer.distributed import DistInfo
    from trainer.errors import ConfigError
    from trainer.loop import evaluate
    from trainer.objectives import build_objective

    model, cfg, _ = load_trained_model(args.checkpoint)
    manifest = Manifest.load(args.data)
    trained_on = read_state(resolve_checkpoint(args.checkpoint)).get("tokenizer_sha256")
    if trained_on and trained_on != manifest.tokenizer_sha256:
        raise ConfigError(f"{manifest.root / 'manifest.json'}: tokenized with a different tokenizer than the "
                          f"checkpoint was trained with: evaluate on data packed with the run's tokenizer")
    cfg = resolve_for_data(cfg, manifest)
    rows = PackedSplit(manifest, args.split)
    result = evaluate(model, rows, build_objective(cfg.objective, manifest), cfg, DistInfo(0, 1, torch.device("cpu")),
                      args.batches)
    print(json.dumps({"split": args.split} | result))


def _sample(args: argparse.Namespace) -> None:
    from trainer.sample import sample

    for text in sample(args.checkpoint, args.prompt, args.max_new_tokens, args.temperature, args.top_k,
                       args.num_samples, args.seed):
        print(text)
        print("---")


def _export(args: argparse.Namespace) -> None:
    from trainer.export import export

    print(f"exported to {export(args.checkpoint, args.out)}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pretrain", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model on RUN_DIR/packed (resumes if --out holds checkpoints)")
    t.add_argument("config", help="YAML config, e.g. trainer/configs/gpt-tiny.yaml")
    t.add_argument("--data", required=True, help="the packed/ folder of a curation run")
    t.add_argument("--out", help="run folder (default: RUN_DIR/train/<config name>)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.max_steps=200 (repeatable)")
    t.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    t.add_argument("--sample-tokens", type=int, default=48, help="decoders: print a sample this long at the end")
    t.set_defaults(func=_train)

    e = sub.add_parser("eval", help="validation loss and perplexity of a checkpoint")
    e.add_argument("checkpoint", help="run folder (newest checkpoint) or checkpoints/step-N folder")
    e.add_argument("--data", required=True, help="the packed/ folder to evaluate on")
    e.add_argument("--split", default="validation")
    e.add_argument("--batches", type=int, default=None, help="at most this many micro-batches (default: all)")
    e.set_defaults(func=_eval)

    s = sub.add_parser("sample", help="sample text from a decoder checkpoint")
    s.add_argument("checkpoint")
    s.add_argument("--prompt", default="")
    s.add_argument("--max-new-tokens", type=int, default=100)
    s.add_argument("--temperature", type=float, default=0.8)
    s.add_argument("--top-k", type=int, default=50)
    s.add_argument("--num-samples", type=int, default=1)
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=_sample)

    x = sub.add_parser("export", help="export to a Hugging Face transformers folder (from_pretrained-ready)")
    x.add_argument("checkpoint")
    x.add_argument("--out", required=True)
    x.set_defaults(func=_export)
    return p


def main(argv: list[str] | None = None) -> int:
    from trainer.errors import ConfigError
    from trainer.loop import TrainingDiverged

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except TrainingDiverged as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
