"""The resume recipe of docs/checkpoints.md: a torch training loop that can stop and resume in a new process.

Usage: python resume_torch.py MANIFEST JOB OUT.json --epochs N [--resume CKPT] [--save CKPT]
                              [--stop-after EPOCH:BATCH] [--no-rng]
Trains epochs up to N (from the checkpoint's position when --resume is given). --save writes a checkpoint at
the end (or right after batch BATCH of epoch EPOCH with --stop-after, then exits). OUT.json gets the SHA-256 of
the final weights, the losses of this process and where it stopped.

The loop: a shuffling DataLoader with 2 workers, augmentation drawn from torch, NumPy and random inside a
SeededDataset, dropout, SGD with momentum. The checkpoint is one torch.save dict (model, optimizer, position,
and the RNG state as seedbridge's bytes), read back with torch.load(weights_only=True).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random

import numpy as np
import torch
from torch.utils.data import DataLoader

import seedbridge
import seedbridge.torch as sbt


class Noisy:
    """64 points; each item is the point plus noise from all three RNGs (the augmentation)."""

    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(64, 8, generator=g)
        self.y = (self.x.sum(dim=1, keepdim=True) > 0).float()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        noise = torch.randn(8) * 0.1 + float(np.random.normal()) * 0.01 + random.random() * 0.01
        return self.x[i] + noise, self.y[i]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("job")
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--resume")
    parser.add_argument("--save")
    parser.add_argument("--stop-after")
    parser.add_argument("--no-rng", action="store_true", help="resume without the RNG state (a control)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    seedbridge.seed_everything(args.job, manifest=args.manifest, frameworks=["python", "numpy", "torch"])
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    dataset = sbt.SeededDataset(Noisy(), args.job, manifest=args.manifest)
    seeder = sbt.worker_init_fn(args.job, manifest=args.manifest)
    loader = DataLoader(dataset, batch_size=8, shuffle=True, num_workers=2, worker_init_fn=seeder,
                        generator=seeder.generator)

    start_epoch, start_batch = 0, 0
    if args.resume:
        ckpt = torch.load(args.resume, weights_only=True)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        start_epoch, start_batch = ckpt["epoch"], ckpt["batch"]
        if not args.no_rng:
            seedbridge.load_rng_state(ckpt["rng"])

    def save(epoch: int, batch: int) -> None:
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch, "batch": batch,
                    "rng": seedbridge.snapshot().to_bytes()}, args.save)

    stop = tuple(int(v) for v in args.stop_after.split(":")) if args.stop_after else None
    losses = []
    for epoch in range(start_epoch, args.epochs):
        seeder.set_epoch(epoch)  # shuffle order and worker streams of this epoch: from (job, rank, epoch)
        dataset.set_epoch(epoch)  # each sample's augmentation: from (job, epoch, index)
        for i, (xb, yb) in enumerate(loader):
            if epoch == start_epoch and i < start_batch:
                continue  # mid-epoch resume: the batches done before the checkpoint
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if stop == (epoch, i):
                save(epoch, i + 1)
                break
        else:
            continue
        break
    else:
        if args.save:
            save(args.epochs, 0)
    weights = b"".join(p.detach().numpy().tobytes() for p in model.parameters())
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"weights": hashlib.sha256(weights).hexdigest(), "losses": losses}, f)


if __name__ == "__main__":
    main()
