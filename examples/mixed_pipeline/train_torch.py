"""Step 2b, training with PyTorch: a small MLP fed by a shuffling DataLoader with two worker processes.

Each worker adds random noise to its samples (a stand-in for data augmentation), so the workers'
random streams matter: seedbridge gives each (rank, worker, epoch) its own stream.

    seedbridge run train_torch -- python train_torch.py SPLITS_NPZ OUT_DIR

The job and its keys come from the environment seedbridge sets (run, verify, sweep), so each replicate of
`seedbridge sweep train_torch` trains with its own seed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

import seedbridge
import seedbridge.torch


class NoisySplits(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(y.argmax(axis=1))

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i] + 0.05 * torch.randn_like(self.x[i]), self.y[i]


def main(splits: Path, out: Path) -> None:
    print(seedbridge.seed_everything())  # job and keys from the environment; random, NumPy, torch; determinism on
    data = np.load(splits)
    model = torch.nn.Sequential(
        torch.nn.Linear(data["x_train"].shape[1], 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    x_val, y_val = torch.from_numpy(data["x_val"]), torch.from_numpy(data["y_val"].argmax(axis=1))
    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "val_accuracy": []}
    seeder = seedbridge.torch.worker_init_fn()  # one stream per (rank, worker, epoch)
    loader = DataLoader(
        NoisySplits(data["x_train"], data["y_train"]), batch_size=32, shuffle=True, num_workers=2,
        worker_init_fn=seeder, generator=seedbridge.torch.generator(),
    )
    for epoch in range(10):
        seeder.set_epoch(epoch)  # like DistributedSampler.set_epoch: workers of each epoch get new streams
        model.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(xb), count + len(xb)
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            history["loss"].append(total / count)
            history["val_loss"].append(torch.nn.functional.cross_entropy(logits, y_val).item())
            history["val_accuracy"].append((logits.argmax(1) == y_val).float().mean().item())
        print(f"epoch {epoch + 1}/10 loss {history['loss'][-1]:.4f} val_accuracy {history['val_accuracy'][-1]:.4f}")

    with torch.no_grad():
        correct = (model(x_val).argmax(1) == y_val).int().numpy()
    out.mkdir(parents=True, exist_ok=True)
    (out / "torch_history.json").write_text(json.dumps(history, indent=1) + "\n")
    np.savez(out / "torch_weights.npz", *[p.detach().numpy() for p in model.parameters()])
    np.savetxt(out / "torch_val_correct.csv", correct, fmt="%d", header="correct", comments="")
    print(f"torch validation accuracy {correct.mean():.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
