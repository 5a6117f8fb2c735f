"""Toxicity, PII and model-based quality: speed per core against language ID on the same documents,
and what each finds among planted cases.

    .venv/bin/python benchmarks/content_filters.py              # 10,000 documents of ~300 words
    .venv/bin/python benchmarks/content_filters.py --docs 2000 --no-datatrove

1. Documents (deterministic): paragraphs of English documentation and licence text shipped on this
   machine (Python's standard library docstrings, /usr/share/common-licenses), ~300 words each. Planted:
   e-mails, public and private IPs, North American and international phones, and lookalikes that must
   stay (versions 1.2.3.4, dates, prices, ISBNs); an insult (two sentences) in 2% of documents.
2. Baseline: fastText lid.176 over the same documents (what the langid stage does per document), one
   process. Each stage runs ``process`` on the same Arrow batches in this process. Ratio = stage time /
   language-ID time. Targets: toxicity <= 3x, quality_model <= 2x, pii <= 1x language ID.
3. PII against datatrove's PIIFormatter (e-mails and IPs; it has no phones) in ``.venv-datatrove`` when
   present: documents/s of each, same documents. Target >= 1x.
4. Detection: planted insults found, clean documents dropped; planted PII masked per kind; lookalikes
   wrongly masked.
5. Toxicity window size (what ``window_words`` and ``max_toxicity`` rest on): per size, the share of
   planted insults whose document scores above 0.9, and the 99th percentile and maximum score of the
   clean documents.
6. Peak RSS of this process.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.classifier import train_classifier  # noqa: E402
from curation.resources import lid176_path, load_fasttext  # noqa: E402
from curation.stage import StageContext  # noqa: E402
from curation.stages.pii import PII, PIIConfig  # noqa: E402
from curation.stages.quality_model import QualityModel, QualityModelConfig  # noqa: E402
from curation.stages.toxicity import Toxicity, ToxicityConfig  # noqa: E402

INSULT = "You are a worthless piece of shit and everyone hates you. Go fuck yourself, you stupid moron."
PII_PLANTS = {
    "emails": ["write to {n}.editor@example-news.com for details", "contact j.smith{n}@mail.example.org"],
    "ips": ["the mirror at 93.184.216.{k} answered", "resolver 2606:4700:4700::{k} was used"],
    "phones": ["call (212) 555-{p} after noon", "our office: +44 20 7946 {p}"],
}
LOOKALIKES = ["version 2.4.1.{k} fixed it", "on 2021.03.{k}", "priced at $1,{p}", "ISBN 978-3-16-148410-0",
              "the router at 192.168.1.{k}", "between 1999-2004", "order 5551234{k}"]


def paragraphs() -> list[str]:
    """English paragraphs from docstrings of the standard library and the licences on this machine."""
    out: list[str] = []
    for name in sorted(sys.stdlib_module_names):
        if name.startswith("_") or name in {"antigravity", "this", "idlelib", "turtledemo", "tkinter"}:
            continue
        try:
            module = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - platform-specific modules fail to import; they are just skipped
            continue
        for _, obj in inspect.getmembers(module):
            doc = inspect.getdoc(obj) if inspect.isclass(obj) or inspect.isfunction(obj) else None
            if doc:
                out.extend(p.replace("\n", " ") for p in doc.split("\n\n") if len(p.split()) >= 12)
    for f in sorted(Path("/usr/share/common-licenses").glob("*")):
        if f.is_file():
            text = f.read_text(encoding="utf-8", errors="replace")
            out.extend(" ".join(p.split()) for p in text.split("\n\n") if len(p.split()) >= 12)
    return sorted(set(out))


def documents(n: int, seed: int = 0) -> tuple[list[str], dict[str, list[int]], dict[int, str]]:
    """n documents of ~300 words; which ones carry an insult, PII of each kind, or a lookalike (and which)."""
    rng = random.Random(seed)
    pool = paragraphs()
    docs, planted = [], {"toxic": [], "emails": [], "ips": [], "phones": [], "lookalike": []}
    lookalikes: dict[int, str] = {}
    for i in range(n):
        paras, words = [], 0
        while words < 300:
            p = rng.choice(pool)
            paras.append(p)
            words += len(p.split())
        fill = {"n": i, "k": rng.randint(10, 99), "p": f"{rng.randint(1000, 9999)}"}
        for kind, rate in (("emails", 0.2), ("ips", 0.1), ("phones", 0.1)):
            if rng.random() < rate:
                paras.insert(rng.randrange(len(paras) + 1), rng.choice(PII_PLANTS[kind]).format(**fill) + ".")
                planted[kind].append(i)
        if rng.random() < 0.2:
            lookalikes[i] = rng.choice(LOOKALIKES).format(**fill)
            paras.insert(rng.randrange(len(paras) + 1), lookalikes[i] + ".")
            planted["lookalike"].append(i)
        if rng.random() < 0.02:
            paras.insert(rng.randrange(len(paras) + 1), INSULT)
            planted["toxic"].append(i)
        docs.append("\n\n".join(paras))
    return docs, planted, lookalikes


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def window_study(texts: list[str], toxic: set[int]) -> None:
    import numpy as np

    from curation.toxicity.scorers import get_scorer
    from curation.toxicity.windows import split_windows

    scorer = get_scorer(None, "toxic", "bench")
    print("\ntoxicity by window size (document score = max over windows):")
    for size in (20, 50, 100, 200):
        windows = [split_windows(t, size) for t in texts]
        starts = np.cumsum([0] + [len(w) for w in windows[:-1]])
        doc_scores = np.maximum.reduceat(scorer.score([x for w in windows for x in w]), starts)
        insults = doc_scores[sorted(toxic)]
        clean = np.delete(doc_scores, sorted(toxic))
        print(f"  {size:>3} words: insults > 0.9: {np.mean(insults > 0.9):6.1%}   clean documents: "
              f"p99 {np.percentile(clean, 99):.3f}, max {clean.max():.3f}, > 0.9: {np.mean(clean > 0.9):.2%}")


def langid_baseline(texts: list[str]) -> None:
    model = load_fasttext(lid176_path())
    for i in range(0, len(texts), 1000):
        model.predict([" ".join(t.split()) for t in texts[i:i + 1000]], k=1)


def run_stage(stage, batches: list[pa.Table]) -> list:
    return [stage.process(b) for b in batches]


def datatrove_pii(texts: list[str], work: Path) -> float | None:
    venv = ROOT / ".venv-datatrove" / "bin" / "python"
    if not venv.exists():
        return None
    (work / "docs.json").write_text(json.dumps(texts), encoding="utf-8")
    code = ("import json, sys, time\nfrom datatrove.data import Document\n"
            "from datatrove.pipeline.formatters import PIIFormatter\n"
            "texts = json.load(open(sys.argv[1]))\nf = PIIFormatter()\nt = time.perf_counter()\n"
            "for i, x in enumerate(texts):\n    f.format(x)\nprint(time.perf_counter() - t)\n")
    out = subprocess.run([str(venv), "-c", code, str(work / "docs.json")], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--no-datatrove", action="store_true")
    args = ap.parse_args()

    texts, planted, lookalikes = documents(args.docs)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{len(texts):,} documents, {mb:.1f} MB, {sum(len(t.split()) for t in texts) / len(texts):.0f} words each")
    table = pa.table({"id": [f"d{i}" for i in range(len(texts))], "text": texts})
    batches = [table.slice(i, 1000) for i in range(0, table.num_rows, 1000)]

    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        ctx = StageContext(tmp, tmp / "stage", tmp / "in", "bench")
        langid_baseline(texts[:100])  # load the model outside the timing
        _, t_lang = timed(langid_baseline, texts)

        tox = Toxicity(ToxicityConfig(), ctx)
        run_stage(tox, batches[:1])  # import scikit-learn and load the model outside the timing
        tox_out, t_tox = timed(run_stage, tox, batches)
        dropped = {int(i[1:]) for oc in tox_out for i in oc.rejected.column("id").to_pylist()}

        pii = PII(PIIConfig(), ctx)
        pii_out, t_pii = timed(run_stage, pii, batches)
        counts = pa.concat_tables([oc.kept for oc in pii_out]).select(["pii_emails", "pii_ips", "pii_phones"])
        found = {k: {i for i, v in enumerate(counts.column(f"pii_{k}").to_pylist()) if v} for k in PII_PLANTS}
        masked_text = pa.concat_tables([oc.kept for oc in pii_out]).column("text").to_pylist()
        false_masks = sum(1 for i, lookalike in lookalikes.items() if lookalike not in masked_text[i])

        positive, negative = tmp / "pos", tmp / "neg"
        rng = random.Random(1)
        # raw-crawl stand-in: the same words, a third of them replaced by shop and navigation boilerplate
        boilerplate = ["home", "menu", "login", "cart", "checkout", "cookies", "accept", "subscribe", "share", "tweet", "sale", "deal", "click"]
        crawl = [" ".join(w if rng.random() < 0.67 else rng.choice(boilerplate) for w in t.split())
                    for t in texts[: len(texts) // 2]]
        from curation.shards import write_table

        write_table(positive / "part-00000.arrow", pa.table({"text": texts[len(texts) // 2:]}))
        write_table(negative / "part-00000.arrow", pa.table({"text": crawl}))
        report, t_train = timed(lambda: train_classifier(tmp / "q.bin", positive=[str(positive)],
                                                         negative=[str(negative)]))
        qm = QualityModel(QualityModelConfig(model=str(tmp / "q.bin"), min_score=0.5), ctx)
        run_stage(qm, batches[:1])
        _, t_qm = timed(run_stage, qm, batches)
        t_dt = None if args.no_datatrove else datatrove_pii(texts, tmp)
        if t_dt is not None:
            dt_pii = PII(PIIConfig(phone_numbers=False), ctx)
            _, t_pii_same = timed(run_stage, dt_pii, batches)

    def line(name: str, seconds: float, target: str) -> None:
        print(f"  {name:<34} {seconds:7.2f} s  {len(texts) / seconds:>9,.0f} docs/s  {mb / seconds:6.2f} MB/s  "
              f"ratio {seconds / t_lang:5.2f}x language ID  (target {target})")

    print("\nspeed, one process:")
    line("language ID (lid.176, baseline)", t_lang, "-")
    line("toxicity (built-in scorer)", t_tox, "<= 3x")
    line("pii (e-mails, IPs, phones)", t_pii, "<= 1x")
    line("quality_model (scoring)", t_qm, "<= 2x")
    print(f"  train-classifier: {len(texts):,} documents in {t_train:.1f} s; held-out accuracy {report.accuracy:.3f}")
    if t_dt is not None:
        print(f"  pii (e-mails + IPs) {len(texts) / t_pii_same:,.0f} docs/s vs datatrove PIIFormatter "
              f"{len(texts) / t_dt:,.0f} docs/s: {t_dt / t_pii_same:.2f}x (target >= 1x)")
    toxic = set(planted["toxic"])
    print("\ndetection:")
    print(f"  toxicity: {len(toxic & dropped)}/{len(toxic)} planted insults dropped; "
          f"{len(dropped - toxic)}/{len(texts) - len(toxic)} clean documents dropped")
    for k in PII_PLANTS:
        print(f"  pii {k:<7}: {len(found[k] & set(planted[k]))}/{len(planted[k])} planted masked; "
              f"{len(found[k] - set(planted[k]))} documents masked without a plant")
    print(f"  pii lookalikes (versions, dates, prices, ISBN, private IP, bare digits) masked: "
          f"{false_masks}/{len(planted['lookalike'])}")
    window_study(texts, toxic)
    print(f"\npeak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
