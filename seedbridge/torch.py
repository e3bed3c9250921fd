"""The torch target: the global generator of every device, determinism switches, DataLoader streams.

PyTorch is imported inside the functions that need it. ``torch.manual_seed`` takes 0..2**64-1 and seeds
the CPU generator and every CUDA device (``torch/random.py`` calls ``torch.cuda.manual_seed_all``).

Per-(rank, worker, epoch) streams come from the wide derivation, with the stream's numbers added as keys:

- DataLoader worker: ``torch.manual_seed(seed(job, bits=64, **keys, rank=R, worker=W, epoch=E))``, and
  ``random`` / NumPy's legacy state from ``seed(job, bits=128, ...)`` with the same keys;
- DataLoader generator (shuffling): ``seed(job, bits=64, **keys, rank=R)``.

Caveat (checked in tests): the CPU generator is a Mersenne Twister that keeps only the low 32 bits of its
seed (``at::mt19937`` in ``ATen/core/MT19937RNGEngine.h``), so torch CPU streams are 32-bit seeded whatever
width we pass; NumPy ``Generator`` streams (128-bit) do not have that limit.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from seedbridge import _context
from seedbridge.derive import check_seed_for
from seedbridge.envvars import DETERMINISM_ENV
from seedbridge.errors import DerivationError
from seedbridge.manifest import Manifest

if TYPE_CHECKING:
    import torch

__all__ = [
    "CUBLAS_WORKSPACE_CONFIG",
    "NAME",
    "WorkerSeeder",
    "apply",
    "available",
    "current_rank",
    "generator",
    "get_state",
    "set_seed",
    "set_state",
    "snippet",
    "version",
    "worker_init_fn",
]

NAME = "torch"
TORCH_BITS = 64
NUMPY_BITS = 128

# cuBLAS needs a fixed workspace for reproducible results on CUDA >= 10.2; torch raises in deterministic
# mode without it (CUDA docs, "Results reproducibility"; torch docs, use_deterministic_algorithms).
# The value is the one `seedbridge env` exports for deterministic profiles.
CUBLAS_WORKSPACE_CONFIG = DETERMINISM_ENV["CUBLAS_WORKSPACE_CONFIG"]


def available() -> bool:
    return _context.installed(NAME)


def _torch() -> Any:
    _context.require(NAME)
    import torch

    return torch


def version() -> str:
    return str(_torch().__version__)


def apply(seed: int, *, profile: str = "seeded") -> dict[str, Any]:
    """Seed every device; with a deterministic or strict profile also turn on the determinism switches.

    Switches are only turned on, never off: a later seeded-only call leaves them as they are."""
    torch = _torch()
    check_seed_for(NAME, seed)
    torch.manual_seed(seed)
    flags: dict[str, Any] = {"torch.manual_seed": seed}
    if torch.cuda.is_available():
        flags["cuda_devices"] = torch.cuda.device_count()
    if profile != "seeded":
        strict = profile == "strict"
        if "CUBLAS_WORKSPACE_CONFIG" not in os.environ:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_WORKSPACE_CONFIG
            if torch.cuda.is_available() and torch.cuda.is_initialized():
                import warnings

                warnings.warn(
                    "CUBLAS_WORKSPACE_CONFIG was set after CUDA started and may not take effect; set it before "
                    "the process starts (`seedbridge run` / `seedbridge env` do)", RuntimeWarning, stacklevel=3)
        flags["CUBLAS_WORKSPACE_CONFIG"] = os.environ["CUBLAS_WORKSPACE_CONFIG"]
        # warn_only=False makes a nondeterministic op raise (strict); True only warns (deterministic).
        torch.use_deterministic_algorithms(True, warn_only=not strict)
        flags["torch.use_deterministic_algorithms"] = True
        flags["warn_only"] = not strict
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        flags["torch.backends.cudnn.deterministic"] = True
        flags["torch.backends.cudnn.benchmark"] = False
    return flags


def set_seed(job: str | None = None, *, manifest: _context.ManifestLike = None, deterministic: bool = False,
             **keys: object) -> dict[str, Any]:
    """Seed torch with the job's main seed (and its profile's switches); returns ``{"seed": ..., **flags}``."""
    return _context.set_seed(NAME, apply, job, manifest, keys, deterministic=deterministic)


def get_state() -> dict[str, Any]:
    """The CPU generator's state and, once CUDA has started, every device's."""
    torch = _torch()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def set_state(state: dict[str, Any]) -> None:
    torch = _torch()
    torch.set_rng_state(state["cpu"])
    if state.get("cuda") is not None:
        torch.cuda.set_rng_state_all(state["cuda"])


def _parse_rank(name: str, value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        raise DerivationError(f"environment variable {name}: must be a non-negative integer rank, got {value!r}")
    return int(text)


def current_rank() -> int:
    """This process's rank: ``torch.distributed.get_rank()`` when initialised, else ``RANK``, else
    ``LOCAL_RANK`` (torchrun sets both before the process starts), else 0."""
    torch = _torch()
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return int(dist.get_rank())
    for name in ("RANK", "LOCAL_RANK"):
        value = os.environ.get(name)
        if value is not None and value.strip() != "":
            return _parse_rank(name, value)
    return 0


def _check_index(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DerivationError(f"{name}: must be a non-negative integer, got {value!r}")
    return value


def generator(job: str | None = None, *, manifest: _context.ManifestLike = None, rank: int | None = None,
              **keys: object) -> torch.Generator:
    """A CPU ``torch.Generator`` for ``DataLoader(generator=...)``, seeded ``seed(job, bits=64, **keys, rank=R)``.

    It drives shuffling (RandomSampler) and the base seed the loader draws at each ``iter()``."""
    th = _torch()
    m, name, merged = _context.resolve(job, manifest, keys)
    r = current_rank() if rank is None else _check_index("rank", rank)
    seed = _context.StreamBase(m, name, merged).seed(bits=TORCH_BITS, rank=r)
    g: torch.Generator = th.Generator()
    g.manual_seed(seed)
    return g


class WorkerSeeder:
    """A picklable ``worker_init_fn``: seeds torch, ``random`` and NumPy in each DataLoader worker from
    the job's (rank, worker, epoch) stream.

    Call ``set_epoch(epoch)`` before each epoch's ``iter(loader)``, as for ``DistributedSampler``. If it is
    never called, the epoch's place is taken by the loader's base seed, which the loader draws anew from
    its generator at every ``iter()``, so epochs still differ (Lightning #20412 repeats them)."""

    def __init__(self, stream: _context.StreamBase, rank: int, epoch: int | None = None) -> None:
        self._stream = stream
        self.rank = rank
        self.epoch = epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = _check_index("epoch", epoch)

    def seeds(self, worker: int, *, epoch: int | None = None, loader_seed: int | None = None) -> dict[str, int]:
        """The seeds worker ``worker`` gets: ``{"torch": 64-bit, "numpy": 128-bit, "python": 128-bit}``."""
        _check_index("worker", worker)
        e = self.epoch if epoch is None else _check_index("epoch", epoch)
        extra: dict[str, object] = {"epoch": e} if e is not None else {"loader_seed": loader_seed or 0}
        wide = self._stream.seed(bits=NUMPY_BITS, rank=self.rank, worker=worker, **extra)
        return {
            "torch": self._stream.seed(bits=TORCH_BITS, rank=self.rank, worker=worker, **extra),
            "numpy": wide,
            "python": wide,
        }

    def __call__(self, worker_id: int) -> None:
        import random

        torch = _torch()
        info = torch.utils.data.get_worker_info()
        # torch seeds a worker with base_seed + worker_id (torch/utils/data/_utils/worker.py).
        loader_seed = info.seed - worker_id if info is not None else None
        seeds = self.seeds(worker_id, loader_seed=loader_seed)
        torch.manual_seed(seeds["torch"])
        random.seed(seeds["python"])
        if _context.installed("numpy"):
            import numpy as np

            # The legacy state takes a uint32 array; a SeedSequence turns 128 bits into one.
            np.random.seed(np.random.SeedSequence(seeds["numpy"]).generate_state(4))

    def __repr__(self) -> str:
        return f"WorkerSeeder(job={self._stream.job!r}, rank={self.rank}, epoch={self.epoch})"


def worker_init_fn(job: str | None = None, *, manifest: _context.ManifestLike = None, rank: int | None = None,
                   epoch: int | None = None, **keys: object) -> WorkerSeeder:
    """A ``worker_init_fn`` for ``DataLoader``; rank from torch.distributed / RANK / LOCAL_RANK unless given."""
    m, name, merged = _context.resolve(job, manifest, keys)
    _context.stream_keys(merged, rank=None, worker=None, epoch=None, loader_seed=None)
    r = current_rank() if rank is None else _check_index("rank", rank)
    return WorkerSeeder(_context.StreamBase(m, name, merged), r, None if epoch is None else _check_index("epoch", epoch))


def snippet(manifest: Manifest, job: str, /, **keys: object) -> str:
    """Standalone PyTorch code that applies the job's seed and, for its profile, the determinism switches."""
    seed = _context.main_seed(manifest, job, keys, NAME)
    profile = manifest.job(job).profile
    text = _context.header(manifest, job, keys, NAME)
    if profile != "seeded":
        text += (
            "import os\n\n"
            f"os.environ.setdefault(\"CUBLAS_WORKSPACE_CONFIG\", {CUBLAS_WORKSPACE_CONFIG!r})  # before CUDA starts\n\n"
        )
    text += "import torch\n\n" + f"torch.manual_seed({seed})  # the CPU and every CUDA device\n"
    if profile != "seeded":
        warn_only = "" if profile == "strict" else ", warn_only=True"
        text += (
            f"torch.use_deterministic_algorithms(True{warn_only})  # profile {profile}\n"
            "torch.backends.cudnn.deterministic = True\n"
            "torch.backends.cudnn.benchmark = False\n"
        )
    return text
