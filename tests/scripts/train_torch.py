"""Train a small PyTorch model a few steps with shuffling DataLoader workers; print a JSON summary.

Usage: python train_torch.py MANIFEST JOB [--inprocess-twice]
Random augmentation in the dataset draws from torch, NumPy and random inside the workers, so every
seeded stream shows up in the result.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

import seedbridge
import seedbridge.torch as sbt


class Noisy(Dataset):  # type: ignore[type-arg]
    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(64, 8, generator=g)
        self.y = (self.x.sum(dim=1, keepdim=True) > 0).float()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        noise = torch.randn(8) * 0.1 + float(np.random.normal()) * 0.01 + random.random() * 0.01
        return self.x[i] + noise, self.y[i], noise[:1]


def run(manifest: str, job: str) -> dict[str, object]:
    report = seedbridge.seed_everything(job, manifest=manifest, frameworks=["python", "numpy", "torch"])
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seeder = sbt.worker_init_fn(job, manifest=manifest)
    loader = DataLoader(Noisy(), batch_size=16, shuffle=True, num_workers=2, worker_init_fn=seeder,
                        generator=sbt.generator(job, manifest=manifest))
    losses, firsts = [], []
    for epoch in range(3):
        seeder.set_epoch(epoch)
        for xb, yb, noise in loader:
            firsts.append(float(noise[0, 0]))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    weights = b"".join(p.detach().numpy().tobytes() for p in model.parameters())
    return {"seed": report.seed, "losses": losses, "noise": firsts, "weights": hashlib.sha256(weights).hexdigest()}


if __name__ == "__main__":
    first = run(sys.argv[1], sys.argv[2])
    out = {"first": first}
    if "--inprocess-twice" in sys.argv:
        out["second"] = run(sys.argv[1], sys.argv[2])
    print(json.dumps(out))
