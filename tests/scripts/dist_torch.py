"""A real torch.distributed run: 2 CPU processes, gloo backend, DDP training with DataLoader workers.

Usage: python dist_torch.py MANIFEST JOB OUT.json
Starts the 2 ranks as separate processes. The rank reaches them in argv and as SLURM_PROCID (as srun sets
it), never as RANK: worker_init_fn must learn it from torch.distributed, seed_everything(rank="auto") from
SLURM_PROCID. Each rank seeds with seedbridge, trains a few DDP steps with 2 DataLoader workers and reports
its per-rank seeds, what its workers drew, its initial weights and dropout masks with rank=None and
rank="auto"; rank 0 writes every rank's report and the final weights to OUT.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, get_worker_info

import seedbridge
import seedbridge.torch as sbt

WORLD = 2


class Points:
    """64 points; each item also carries the worker that loaded it and one draw from that worker's torch RNG."""

    def __init__(self) -> None:
        self.x = torch.arange(64 * 4, dtype=torch.float32).reshape(64, 4) / 256
        self.y = self.x.sum(dim=1, keepdim=True)

    def __len__(self) -> int:
        return 64

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, int, float]:
        info = get_worker_info()
        return self.x[i], self.y[i], info.id if info is not None else -1, float(torch.rand(()))


def digest(model: torch.nn.Module) -> str:
    return hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()


def dropout_mask() -> list[bool]:
    return (torch.nn.functional.dropout(torch.ones(32), 0.5, training=True) == 0).tolist()


def new_model() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 1))


def worker(rank: int, port: int, manifest: str, job: str, out: str) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        torch.set_num_threads(1)
        frameworks = ["python", "numpy", "torch"]
        per_rank = seedbridge.seed_everything(job, manifest=manifest, frameworks=frameworks, rank="auto")
        auto = {"seed": per_rank.seed, "rank_source": per_rank.rank_source, "weights": digest(new_model()),
                "mask": dropout_mask()}
        report = seedbridge.seed_everything(job, manifest=manifest, frameworks=frameworks)  # rank=None
        alike = {"weights": digest(new_model()), "mask": dropout_mask()}
        report = seedbridge.seed_everything(job, manifest=manifest, frameworks=frameworks)
        seeder = sbt.worker_init_fn(job, manifest=manifest)  # rank from torch.distributed
        gen = sbt.generator(job, manifest=manifest)
        model = DistributedDataParallel(new_model())
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        # Forking a worker out of a process that runs gloo's threads can abort the worker ("terminate called
        # without an active exception"); spawned, persistent workers avoid that and start only once.
        loader = DataLoader(Points(), batch_size=16, shuffle=True, num_workers=2,
                            worker_init_fn=seeder, generator=gen, multiprocessing_context="spawn",
                            persistent_workers=True)
        losses = []
        worker_draws: dict[int, list[float]] = {}
        for epoch in range(2):
            seeder.set_epoch(epoch)
            for xb, yb, workers, draws in loader:
                for w, d in zip(workers.tolist(), draws.tolist(), strict=True):
                    worker_draws.setdefault(w, []).append(d)
                loss = torch.nn.functional.mse_loss(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
        mine = {
            "rank": seeder.rank,
            "main_seed": report.seed,
            "worker_seeds": [seeder.seeds(0, epoch=e)["torch"] for e in range(2)],
            "generator_seed": gen.initial_seed(),
            "losses": losses,
            "worker_draws": {str(w): d for w, d in sorted(worker_draws.items())},
            "auto": auto,
            "alike": alike,
        }
        gathered: list[object] = [None] * WORLD
        dist.all_gather_object(gathered, mine)
        if rank == 0:
            weights = b"".join(p.detach().numpy().tobytes() for p in model.module.parameters())
            with open(out, "w", encoding="utf-8") as f:
                json.dump({"ranks": gathered, "weights": hashlib.sha256(weights).hexdigest()}, f)
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    if sys.argv[1] == "--rank":
        worker(int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:7])
    else:
        port = free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK")}
        procs = [subprocess.Popen([sys.executable, __file__, "--rank", str(r), str(port), *sys.argv[1:4]],
                                  env={**env, "SLURM_PROCID": str(r)})
                 for r in range(WORLD)]
        codes = [p.wait(timeout=300) for p in procs]
        sys.exit(max(codes))
