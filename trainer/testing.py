"""A tiny packed corpus for tests and examples: a byte-level BPE trained on generated sentences, written as
packed/ shards + manifest.json in exactly the format of the curation pipeline's packing stage."""

import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa

from trainer.data import sha256_file

SPECIALS = {"eos": "<|endoftext|>", "pad": "<pad>", "mask": "<mask>", "cls": "<cls>", "sep": "<sep>"}
N_SENTINELS = 40

_SUBJECTS = ["the cat", "a dog", "the old man", "my sister", "the farmer", "a small bird", "the teacher", "our team"]
_VERBS = ["sees", "likes", "finds", "carries", "paints", "follows", "builds", "cleans"]
_OBJECTS = ["the red ball", "a green house", "the river", "a long road", "the tall tree", "some bread", "the boat"]
_ENDINGS = ["in the morning", "after lunch", "near the hill", "every day", "with great care", "at night"]


def generate_documents(n_docs: int, seed: int = 0) -> list[str]:
    """Documents of 2-8 templated sentences: regular enough that a tiny model's loss falls within seconds."""
    rng = random.Random(seed)
    docs = []
    for _ in range(n_docs):
        sentences = [f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_ENDINGS)}."
                     for _ in range(rng.randint(2, 8))]
        docs.append(" ".join(s[0].upper() + s[1:] for s in sentences))
    return docs


def train_tokenizer(docs: list[str], out_dir: Path, vocab_size: int = 384) -> Path:
    """Byte-level BPE with the special tokens and T5 sentinels; saved with what transformers needs."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = list(SPECIALS.values()) + [f"<extra_id_{i}>" for i in range(N_SENTINELS)]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(docs, trainer)
    out_dir.mkdir(parents=True, exist_ok=True)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=SPECIALS["eos"], pad_token=SPECIALS["pad"],
                                   mask_token=SPECIALS["mask"], cls_token=SPECIALS["cls"], sep_token=SPECIALS["sep"])
    fast.save_pretrained(str(out_dir))
    return out_dir / "tokenizer.json"


def _write_stream(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=64):  # several record batches per shard, like the packer
            writer.write_batch(batch)


def pack_rows(token_lists: list[list[int]], doc_ids: list[str], seq_len: int, eos: int, pad: int,
              mode: str) -> list[dict]:
    """`concat`: documents (each followed by eos) run across fixed rows; `pad`: whole documents per row, the
    rest padded (documents longer than a row are cut)."""
    rows: list[dict] = []
    if mode == "concat":
        stream, starts, owners = [], [], []
        for toks, did in zip(token_lists, doc_ids, strict=True):
            starts.append(len(stream))
            owners.append(did)
            stream.extend(toks + [eos])
        starts_arr = np.asarray(starts)
        for r in range(len(stream) // seq_len):
            lo, hi = r * seq_len, (r + 1) * seq_len
            inside = starts_arr[(starts_arr >= lo) & (starts_arr < hi)]
            first = int(np.searchsorted(starts_arr, lo, side="right")) - 1  # document the row starts in
            last = int(np.searchsorted(starts_arr, hi, side="left"))
            rows.append({"input_ids": stream[lo:hi], "doc_starts": (inside - lo).tolist(), "n_tokens": seq_len,
                         "doc_ids": owners[first:last]})
        return rows
    current: dict = {"input_ids": [], "doc_starts": [], "doc_ids": []}
    for toks, did in zip(token_lists, doc_ids, strict=True):
        toks = (toks + [eos])[:seq_len]
        if len(current["input_ids"]) + len(toks) > seq_len:
            rows.append(current)
            current = {"input_ids": [], "doc_starts": [], "doc_ids": []}
        current["doc_starts"].append(len(current["input_ids"]))
        current["input_ids"].extend(toks)
        current["doc_ids"].append(did)
    rows.append(current)
    for row in rows:
        row["n_tokens"] = len(row["input_ids"])
        row["input_ids"] = row["input_ids"] + [pad] * (seq_len - row["n_tokens"])
    return rows


def make_packed_corpus(root: str | Path, seq_len: int = 64, n_docs: int = 400, mode: str = "concat",
                       vocab_size: int = 384, val_fraction: float = 0.1, rows_per_shard: int = 100,
                       seed: int = 0) -> Path:
    """Write root/tokenizer/ and root/packed/ (train + validation); return the packed/ path."""
    root = Path(root)
    docs = generate_documents(n_docs, seed)
    tok_path = train_tokenizer(docs, root / "tokenizer", vocab_size)
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tok_path))
    special_ids = {k: tok.token_to_id(v) for k, v in SPECIALS.items()} | {"unk": None}
    sentinels = [tok.token_to_id(f"<extra_id_{i}>") for i in range(N_SENTINELS)]
    encoded = [e.ids for e in tok.encode_batch(docs)]
    ids = [f"doc-{i:05d}" for i in range(n_docs)]
    n_val = max(1, int(n_docs * val_fraction))
    packed = root / "packed"
    splits = {}
    row_base = 0
    for split, sl in (("train", slice(n_val, None)), ("validation", slice(0, n_val))):
        rows = pack_rows(encoded[sl], ids[sl], seq_len, special_ids["eos"], special_ids["pad"], mode)
        shards = []
        for s in range(0, len(rows), rows_per_shard):
            chunk = rows[s:s + rows_per_shard]
            table = pa.table({
                "input_ids": pa.FixedSizeListArray.from_arrays(
                    pa.array(np.concatenate([r["input_ids"] for r in chunk]).astype(np.uint16)), seq_len),
                "doc_starts": pa.array([r["doc_starts"] for r in chunk], type=pa.list_(pa.int32())),
                "n_tokens": pa.array([r["n_tokens"] for r in chunk], type=pa.int32()),
                "row_id": pa.array(np.arange(row_base + s, row_base + s + len(chunk)), type=pa.int64()),
                "doc_ids": pa.array([r["doc_ids"] for r in chunk], type=pa.list_(pa.string())),
            })
            name = f"{split}/part-{s // rows_per_shard:05d}.arrow"
            _write_stream(packed / name, table)
            shards.append(name)
        row_base += len(rows)
        splits[split] = {"rows": len(rows), "tokens": int(sum(r["n_tokens"] for r in rows)),
                         "documents": len(encoded[sl]),
                         "padding_tokens": int(sum(seq_len - r["n_tokens"] for r in rows)), "shards": shards}
    manifest = {"format_version": 1,
                "tokenizer": {"path": "../tokenizer/tokenizer.json", "sha256": sha256_file(tok_path)},
                "vocab_size": tok.get_vocab_size(), "dtype": "uint16", "seq_len": seq_len, "mode": mode,
                "special_tokens": special_ids, "sentinel_ids": sentinels, "splits": splits}
    (packed / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return packed


CONFIG_DIR = Path(__file__).parent / "configs"


def tiny_config(family: str, **train: object):
    """The bundled <family>-tiny.yaml with quick training settings (a 2 x 64 GPT instead of the demo's 4 x 128)."""
    from trainer.config import load_config

    name = "gpt-tiny" if family == "gpt2" else f"{family}-tiny"
    cfg = load_config(CONFIG_DIR / f"{name}.yaml")
    if family == "gpt2":
        cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update={"n_layer": 2, "n_embd": 64,
                                                                           "n_head": 2})})
    overrides = {"max_steps": 40, "micro_batch_size": 8, "eval_every": 1000, "checkpoint_every": 1000,
                 "log_every": 1000, "tensorboard": False} | train
    return cfg.model_copy(update={"train": cfg.train.model_copy(update=overrides)})
