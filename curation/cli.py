"""`curate`: run pipelines, read their funnel, look at what each stage kept and dropped."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curation.errors import ShardError, UserError
from curation.storage import as_path, is_storage_error


def _cmd_run(args: argparse.Namespace) -> None:
    from curation.config import load_pipeline
    from curation.report import build_report, format_report
    from curation.runner import Runner, RunOptions

    cfg = load_pipeline(args.pipeline)
    runner = Runner(cfg, args.run_dir, Path(args.pipeline))
    runner.run(RunOptions(workers=args.workers, force=args.force, from_stage=args.from_stage,
                          until_stage=args.until_stage, progress=_progress(args), executor=args.executor))
    print(format_report(build_report(runner.run_dir)))
    print(f"\nrun directory: {runner.run_dir}  (data card: {runner.run_dir / 'data_card.md'})")


def _progress(args: argparse.Namespace) -> bool:
    return sys.stderr.isatty() if args.progress is None else args.progress


def _cmd_report(args: argparse.Namespace) -> None:
    from curation.report import build_report, format_report, report_json

    if args.what_if:
        from curation.whatif import format_what_if, what_if

        for expr in args.what_if:
            print(format_what_if(what_if(as_path(args.run_dir), expr)))
        return
    report = build_report(args.run_dir)
    print(report_json(report) if args.json else format_report(report))


def _cmd_inspect(args: argparse.Namespace) -> None:
    if args.clusters:
        from curation.dedup.inspect import format_clusters
        from curation.inspect import find_stage

        candidates = [d for d in _dedup_stages(as_path(args.run_dir)) if args.stage in d.name]
        stage = candidates[-1] if candidates else find_stage(as_path(args.run_dir), args.stage)
        print(format_clusters(stage, args.n, args.width))
        return
    from curation.inspect import inspect_stage

    print(inspect_stage(args.run_dir, args.stage, args.rejected, args.reason, args.n, args.seed))


def _dedup_stages(run_dir: Path) -> list[Path]:
    """Stage folders that have duplicate clusters to show (they write dedup.json)."""
    from curation.report import stage_folders

    return [d for d in stage_folders(run_dir) if (d / "dedup.json").exists()] if run_dir.is_dir() else []


def _cmd_sample(args: argparse.Namespace) -> None:
    import json

    from curation.sample import generate

    if args.scale <= 0:
        raise UserError(f"--scale {args.scale}: must be > 0")
    summary = generate(args.out_dir, scale=args.scale, seed=args.seed)
    print(json.dumps({k: v for k, v in summary.items() if k != "pages"}, indent=2, default=str)[:4000])


def _cmd_stages(args: argparse.Namespace) -> None:
    from curation.registry import available

    for name, cls in available().items():
        print(f"{name:<20} {cls.summary}")


def _cmd_train_classifier(args: argparse.Namespace) -> None:
    from curation.classifier import train_classifier

    report = train_classifier(
        args.output, jsonl=args.jsonl or (), positive=args.positive or (), negative=args.negative or (),
        positive_label=args.positive_label, negative_label=args.negative_label,
        valid_fraction=args.valid_fraction, max_per_class=args.max_per_class, max_chars=args.max_chars,
        epoch=args.epoch, lr=args.lr, dim=args.dim, word_ngrams=args.word_ngrams, min_count=args.min_count,
        bucket=args.bucket, threads=args.threads, seed=args.seed, quantize=args.quantize)
    print(report.format())


def _cmd_demo(args: argparse.Namespace) -> None:
    from curation.demo import run_demo

    run_demo(args.run_dir, args.workers, args.scale, _progress(args), train=not args.no_train)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="curate", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def progress_flags(sp: argparse.ArgumentParser) -> None:
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="progress bars (default: when stderr is a terminal)")
        g.add_argument("--no-progress", dest="progress", action="store_false")

    r = sub.add_parser("run", help="run (or resume) a pipeline YAML into its run directory")
    r.add_argument("pipeline", help="pipeline YAML, e.g. pipelines/demo.yaml")
    r.add_argument("--run-dir", help="default: the YAML's run_dir, else runs/<name>")
    r.add_argument("--workers", type=int, help="parallel shard workers (default: executor.workers, else cores)")
    r.add_argument("--executor", choices=["local", "ray"], help="override the pipeline's executor.type")
    r.add_argument("--force", nargs="?", const="all", metavar="STAGE",
                   help="redo STAGE and every later stage (no STAGE: every stage in the --from/--until range)")
    r.add_argument("--from", dest="from_stage", metavar="STAGE", help="start at STAGE (earlier ones must be done)")
    r.add_argument("--until", dest="until_stage", metavar="STAGE", help="stop after STAGE")
    progress_flags(r)
    r.set_defaults(func=_cmd_run)

    rep = sub.add_parser("report", help="print a run's funnel, per stage and cumulatively")
    rep.add_argument("run_dir")
    rep.add_argument("--json", action="store_true", help="machine-readable output")
    rep.add_argument("--what-if", action="append", metavar="STAGE.SETTING=VALUE",
                     help="recompute a filter's kept fraction from stored signals with another setting")
    rep.set_defaults(func=_cmd_report)

    ins = sub.add_parser("inspect", help="print sample records a stage kept or rejected")
    ins.add_argument("run_dir")
    ins.add_argument("stage", help="stage name (extract), folder (03-extract) or number (3)")
    ins.add_argument("--rejected", action="store_true", help="sample rejected records instead of kept ones")
    ins.add_argument("--reason", help="only rejected records with this drop reason (implies --rejected)")
    ins.add_argument("-n", type=int, default=5, help="how many records (default 5)")
    ins.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    ins.add_argument("--clusters", action="store_true", help="dedup stages: print duplicate clusters side by side")
    ins.add_argument("--width", type=int, default=60, help="column width for --clusters")
    ins.set_defaults(func=_cmd_inspect)

    s = sub.add_parser("sample", help="generate the offline demo sample (Reddit dump + WARC)")
    s.add_argument("out_dir")
    s.add_argument("--scale", type=float, default=1.0, help="size multiplier (e.g. 100 for benchmarks)")
    s.add_argument("--seed", type=int, default=1234)
    s.set_defaults(func=_cmd_sample)

    st = sub.add_parser("stages", help="list the available stages")
    st.set_defaults(func=_cmd_stages)

    tc = sub.add_parser("train-classifier", help="train a fastText classifier (quality or toxicity) for the filters")
    tc.add_argument("output", help="model path, e.g. models/quality.bin (a .json card is written beside it)")
    tc.add_argument("--jsonl", nargs="+", metavar="FILE", help='labelled lines: {"text": ..., "label": ...}')
    tc.add_argument("--positive", nargs="+", metavar="SHARDS", help="reference corpus (files, globs, stage folders)")
    tc.add_argument("--negative", nargs="+", metavar="SHARDS", help="raw crawl to contrast it with")
    tc.add_argument("--positive-label", default="hq")
    tc.add_argument("--negative-label", default="lq")
    tc.add_argument("--valid-fraction", type=float, default=0.1)
    tc.add_argument("--max-per-class", type=int)
    tc.add_argument("--max-chars", type=int, default=100_000)
    tc.add_argument("--epoch", type=int, default=5)
    tc.add_argument("--lr", type=float, default=0.1)
    tc.add_argument("--dim", type=int, default=64)
    tc.add_argument("--word-ngrams", type=int, default=2)
    tc.add_argument("--min-count", type=int, default=2)
    tc.add_argument("--bucket", type=int, default=200_000)
    tc.add_argument("--threads", type=int, default=1)
    tc.add_argument("--seed", type=int, default=0)
    tc.add_argument("--quantize", action="store_true")
    tc.set_defaults(func=_cmd_train_classifier)

    d = sub.add_parser("demo", help="generate the sample, run pipelines/demo.yaml, train a tiny model")
    d.add_argument("--run-dir", default="runs/demo")
    d.add_argument("--workers", type=int)
    d.add_argument("--scale", type=float, default=1.0)
    d.add_argument("--no-train", action="store_true", help="stop after the corpus (skip the trainer)")
    progress_flags(d)
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ShardError as e:
        hint = " (finished shards are kept: rerun the same command to resume)" if args.command in ("run", "demo") else ""
        print(f"error: {e}{hint}", file=sys.stderr)
        return 1
    except Exception as e:
        if not is_storage_error(e):
            raise
        print(f"error: object storage: {type(e).__name__}: {e}; check the URL, the credentials (for S3: "
              "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or ~/.aws) and AWS_ENDPOINT_URL", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
