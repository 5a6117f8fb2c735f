"""Training throughput of our GPT-2 against transformers' GPT2LMHeadModel: same architecture and sizes, same
batch, same precision, same plain loop (forward, backward, AdamW step), warm-up steps excluded.

    .venv/bin/python benchmarks/trainer.py                 # CPU, fp32, about 1 minute on 2 cores
    .venv/bin/python benchmarks/trainer.py --device cuda --precision bf16 --n-layer 12 --n-embd 768 --seq-len 1024

On a GPU it also prints MFU: FLOPs per token = 6 N + 12 n_layer d_model T (see trainer/flops.py), times tokens/s,
over the device's dense bf16 peak.
"""

import argparse
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

# This file shares its name with the package it measures: keep its own folder off the import path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import torch  # noqa: E402

from trainer.flops import flops_per_token, peak_flops  # noqa: E402
from trainer.models import count_parameters  # noqa: E402
from trainer.models.gpt import GPT, GPTConfig  # noqa: E402


def hf_model(cfg: GPTConfig) -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel

    hf_cfg = GPT2Config(vocab_size=cfg.vocab_size, n_positions=cfg.n_positions, n_embd=cfg.n_embd,
                        n_layer=cfg.n_layer, n_head=cfg.n_head, n_inner=4 * cfg.n_embd, activation_function="gelu_new",
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, layer_norm_epsilon=cfg.layer_norm_eps,
                        tie_word_embeddings=True, bos_token_id=0, eos_token_id=0, loss_type="ForCausalLM")
    hf_cfg._attn_implementation = "sdpa"  # transformers' fastest built-in attention on CPU and GPU
    return GPT2LMHeadModel(hf_cfg)


class Stepper:
    """One model, its AdamW and its loss call: `step()` runs forward, backward and the update, and times them."""

    def __init__(self, model: torch.nn.Module, kind: str, ids: torch.Tensor, autocast):
        self.model, self.kind, self.ids, self.autocast = model, kind, ids, autocast
        self.opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=ids.is_cuda)
        self.labels = torch.cat([ids[:, 1:], torch.full_like(ids[:, :1], -100)], dim=1)  # ours: pre-shifted

    def step(self) -> float:
        t0 = time.perf_counter()
        with self.autocast():
            if self.kind == "ours":
                loss = self.model(self.ids, labels=self.labels)["loss"]
            else:  # transformers shifts labels inside: the same mean next-token loss
                loss = self.model(input_ids=self.ids, labels=self.ids).loss
        loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        if self.ids.is_cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=192)
    p.add_argument("--vocab-size", type=int, default=8192)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cfg = GPTConfig(vocab_size=args.vocab_size, n_positions=args.seq_len, n_layer=args.n_layer, n_head=args.n_head,
                    n_embd=args.n_embd)
    torch.manual_seed(0)
    models = {"ours": GPT(cfg).to(device), "transformers": hf_model(cfg).to(device)}
    ids = torch.randint(0, cfg.vocab_size, (args.batch, args.seq_len), device=device)
    autocast = ((lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if args.precision == "bf16"
                else nullcontext)
    steppers = {kind: Stepper(model, kind, ids, autocast) for kind, model in models.items()}
    times: dict[str, list[float]] = {k: [] for k in models}
    for i in range(args.warmup + args.steps):
        for kind, stepper in steppers.items():  # interleaved step by step: both see the same machine load
            dt = stepper.step()
            if i >= args.warmup:
                times[kind].append(dt)
    tokens = args.batch * args.seq_len
    print(f"GPT-2 {args.n_layer}x{args.n_embd}, {count_parameters(models['ours']) / 1e6:.1f}M params, batch "
          f"{args.batch}x{args.seq_len}, {args.precision} on {device.type} ({torch.get_num_threads()} threads), "
          f"median of {args.steps} steps (interleaved) after {args.warmup} warm-up steps each")
    rate = {k: tokens / statistics.median(v) for k, v in times.items()}
    peak = peak_flops(device)
    for kind in models:
        mfu = ""
        if peak:
            mfu = f" | MFU {flops_per_token(models['ours'], args.seq_len) * rate[kind] / peak:.1%}"
        print(f"{kind:>13}: {rate[kind]:10.0f} tokens/s{mfu}")
    print(f"        ratio: {rate['ours'] / rate['transformers']:.2f}x (ours / transformers)")


if __name__ == "__main__":
    main()
