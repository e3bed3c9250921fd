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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from seedbridge import _context
from seedbridge._envvars import DETERMINISM_ENV
from seedbridge.derive import FRAMEWORK_SEED_MAX, check_seed_for
from seedbridge.errors import DerivationError, FrameworkError

if TYPE_CHECKING:
    import torch

    from seedbridge._manifest import Job, Manifest

__all__ = [
    "CUBLAS_WORKSPACE_CONFIG",
    "NAME",
    "SEED_MAX",
    "SeededDataset",
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
SEED_MAX = FRAMEWORK_SEED_MAX[NAME]
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


def apply(seed: int, *, profile: str = "seeded", job: Job | None = None) -> dict[str, Any]:
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


def _tensor_bytes(tensor: Any) -> bytes:
    return bytes(tensor.contiguous().untyped_storage())


def get_state() -> dict[str, Any]:
    """The CPU generator's state and, once CUDA has started, every device's, as bytes:
    ``{"cpu": bytes, "cuda": [bytes per device] or None}``."""
    torch = _torch()
    cuda = None
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        cuda = [_tensor_bytes(t) for t in torch.cuda.get_rng_state_all()]
    return {"cpu": _tensor_bytes(torch.get_rng_state()), "cuda": cuda}


def set_state(state: Mapping[str, Any]) -> None:
    """Put back ``get_state()``'s result. Every part is checked before any generator changes."""
    torch = _torch()

    def tensor(data: object, what: str, size: int) -> Any:
        if not isinstance(data, bytes) or len(data) != size:
            shown = f"{len(data)} bytes" if isinstance(data, bytes) else type(data).__name__
            raise FrameworkError(f"torch state: {what} must be {size} bytes from seedbridge.torch.get_state(), "
                                 f"got {shown}")
        return torch.frombuffer(bytearray(data), dtype=torch.uint8)

    if not isinstance(state, Mapping) or set(state) != {"cpu", "cuda"}:
        raise FrameworkError(f"torch state: must be a dict with cpu and cuda from seedbridge.torch.get_state(), "
                             f"got {state!r:.80}")
    cpu = tensor(state["cpu"], "cpu", torch.get_rng_state().numel())
    cuda = state["cuda"]
    devices: list[Any] = []
    if cuda is not None:
        have = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if not isinstance(cuda, list) or len(cuda) != have:
            count = len(cuda) if isinstance(cuda, list) else cuda
            raise FrameworkError(f"torch state: holds the RNG state of {count} CUDA devices, but this process "
                                 f"has {have}")
        sizes = [t.numel() for t in torch.cuda.get_rng_state_all()]
        devices = [tensor(data, f"cuda device {i}", size) for i, (data, size) in enumerate(zip(cuda, sizes,
                                                                                              strict=True))]
    torch.set_rng_state(cpu)
    if devices:
        torch.cuda.set_rng_state_all(devices)


def current_rank() -> int:
    """This process's rank: ``torch.distributed.get_rank()`` when initialised, else the first of ``RANK``,
    ``SLURM_PROCID``, ``OMPI_COMM_WORLD_RANK``, ``PMI_RANK`` that is set, else ``LOCAL_RANK``, else 0."""
    torch = _torch()
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return int(dist.get_rank())
    rank, source = _context.detect_rank()
    if source is None and (os.environ.get("LOCAL_RANK") or "").strip() != "":
        value = os.environ["LOCAL_RANK"]
        if not (value.strip().isascii() and value.strip().isdigit()):
            raise DerivationError(f"environment variable LOCAL_RANK: must be a non-negative integer rank, got {value!r}")
        return int(value)
    return rank


def generator(job: str | None = None, *, manifest: _context.ManifestLike = None, rank: int | None = None,
              **keys: object) -> torch.Generator:
    """A CPU ``torch.Generator`` for ``DataLoader(generator=...)``, seeded ``seed(job, bits=64, **keys, rank=R)``.

    It drives shuffling (RandomSampler) and the base seed the loader draws at each ``iter()``. For a run that
    resumes, use ``WorkerSeeder.generator``, which ``set_epoch`` reseeds from the epoch."""
    th = _torch()
    m, name, merged = _context.resolve(job, manifest, keys)
    r = current_rank() if rank is None else _context.check_index("rank", rank)
    seed = _context.StreamBase(m, name, merged).seed(bits=TORCH_BITS, rank=r)
    g: torch.Generator = th.Generator()
    g.manual_seed(seed)
    return g


class WorkerSeeder:
    """A picklable ``worker_init_fn``: seeds torch, ``random`` and NumPy in each DataLoader worker from
    the job's (rank, worker, epoch) stream, and owns a loader generator (``.generator``) for shuffling.

    Call ``set_epoch(epoch)`` before each epoch's ``iter(loader)``, as for ``DistributedSampler``: it also
    reseeds ``.generator`` from (rank, epoch), so epoch E shuffles the same whether the run got there
    directly or resumed from a checkpoint. If it is never called, the epoch's place is taken by the loader's
    base seed, which the loader draws anew from its generator at every ``iter()``, so epochs still differ
    (Lightning #20412 repeats them)."""

    def __init__(self, stream: _context.StreamBase, rank: int, epoch: int | None = None) -> None:
        self._stream = stream
        self.rank = rank
        self.epoch = epoch
        self._generator: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # Workers get a copy without the loader's generator, which lives in the main process only.
        return {"_stream": self._stream, "rank": self.rank, "epoch": self.epoch}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _generator=None)

    @property
    def generator(self) -> torch.Generator:
        """The loader generator for ``DataLoader(generator=...)``: seeded ``seed(bits=64, rank=R)`` (as
        ``seedbridge.torch.generator``), and ``seed(bits=64, rank=R, epoch=E)`` by each ``set_epoch(E)``."""
        if self._generator is None:
            self._generator = _torch().Generator()
            self._reseed()
        return self._generator  # type: ignore[no-any-return]

    def _reseed(self) -> None:
        extra = {} if self.epoch is None else {"epoch": self.epoch}
        self._generator.manual_seed(self._stream.seed(bits=TORCH_BITS, rank=self.rank, **extra))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = _context.check_index("epoch", epoch)
        if self._generator is not None:
            self._reseed()

    def seeds(self, worker: int, *, epoch: int | None = None, loader_seed: int | None = None) -> dict[str, int]:
        """The seeds worker ``worker`` gets: ``{"torch": 64-bit, "numpy": 128-bit, "python": 128-bit}``."""
        worker = _context.check_index("worker", worker)
        e = self.epoch if epoch is None else _context.check_index("epoch", epoch)
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
    """A ``worker_init_fn`` for ``DataLoader``; rank from torch.distributed / the rank variables unless given."""
    m, name, merged = _context.resolve(job, manifest, keys)
    _context.stream_keys(merged, rank=None, worker=None, epoch=None, loader_seed=None)
    r = current_rank() if rank is None else _context.check_index("rank", rank)
    return WorkerSeeder(_context.StreamBase(m, name, merged), r,
                        None if epoch is None else _context.check_index("epoch", epoch))


class SeededDataset:
    """A map-style dataset whose sample ``i`` of epoch ``e`` draws from its own streams.

    Inside ``dataset[i]``, Python's ``random``, NumPy's legacy global state and torch's CPU generator are seeded
    from (job, keys, epoch, i), so an augmentation is the same with any number of DataLoader workers, any batch
    size, any sampler order, and on resume. The seeds, from one SHA-256 of the
    derivation message with keys ``epoch`` and ``index``:

    - ``random.seed(seed(bits=128, ..., epoch=e, index=i))``
    - ``np.random.seed(seed(bits=32, ...))`` (the legacy state's fast 32-bit seeding)
    - ``torch.default_generator.manual_seed(seed(bits=64, ...))`` (torch keeps the low 32 bits on the CPU)

    ``set_epoch(e)`` before each epoch's ``iter(loader)`` (never while a loader is iterating). The epoch is kept
    in shared memory, so DataLoader workers see it whether they start anew each epoch or persist across
    epochs (``persistent_workers=True``, where a copy of the epoch left every epoch with epoch 0's draws).
    In the training process the global states are saved before and restored after each fetch (once per batch
    through ``__getitems__``, what DataLoader calls); in a DataLoader worker they are the worker's own and are
    left as the last sample set them."""

    def __init__(self, dataset: Any, job: str | None = None, *, manifest: _context.ManifestLike = None,
                 **keys: object) -> None:
        m, name, merged = _context.resolve(job, manifest, keys)
        self.dataset = dataset
        self._stream = _context.SampleStream(m, name, merged)
        torch = _torch()
        # A worker gets this tensor's shared storage, not a copy: a forked worker inherits the shared mapping,
        # a spawned one receives it through torch.multiprocessing's reductions (which DataLoader pickles with).
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self._states()

    def _states(self) -> None:
        """What a fetch seeds and puts back: the global states, and torch's. NumPy is imported now when
        installed, so the first sample's NumPy draws are seeded too."""
        import torch.utils.data

        from seedbridge import _global_states

        self._python = _global_states.PythonRandomState()
        self._numpy = _global_states.NumpyLegacyState() if _context.installed("numpy") else None
        self._generator = torch.default_generator
        self._worker_info = torch.utils.data.get_worker_info
        self._digests: tuple[int, Callable[[int], bytes]] | None = None  # the current epoch's digest of an index

    def __getstate__(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "_epoch": self._epoch, "_stream": self._stream}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._states()

    @property
    def epoch(self) -> int:
        """The epoch that ``set_epoch`` set (0 at first)."""
        return int(self._epoch)

    def set_epoch(self, epoch: int) -> None:
        value = _context.check_index("epoch", epoch)
        if value >= 2**63:  # an int64 in shared memory
            raise DerivationError(f"epoch: must be below 2**63, got {value}")
        self._epoch.fill_(value)

    def __len__(self) -> int:
        return len(self.dataset)

    def seeds(self, index: int, *, epoch: int | None = None) -> dict[str, int]:
        """The seeds of sample ``index`` (in ``epoch``, default the current one), for the audit trail."""
        e = self.epoch if epoch is None else _context.check_index("epoch", epoch)
        digest = int.from_bytes(self._stream.digest(e, _context.check_index("index", index)), "big")
        return {"python": digest >> 128, "numpy": digest >> 224, "torch": digest >> 192}

    def _fetch(self, indices: Any) -> list[Any]:
        """The samples, each drawn from its own streams. The global states are put back afterwards in the
        process that owns the training (dropout draws from them), not in a DataLoader worker, whose states
        are its own: there the draws after a batch (a ``collate_fn``'s) go on from its last sample's
        streams, and so do not depend on ``num_workers`` either."""
        if self._worker_info() is not None:
            return self._seeded(indices)
        python, numpy, generator = self._python, self._numpy, self._generator
        saved = python.save(), numpy.save() if numpy is not None else None, generator.get_state()
        try:
            return self._seeded(indices)
        finally:
            python.restore(saved[0])
            if numpy is not None:
                numpy.restore(saved[1])  # type: ignore[arg-type]
            generator.set_state(saved[2])

    def _seeded(self, indices: Any) -> list[Any]:
        epoch = int(self._epoch)
        if self._digests is None or self._digests[0] != epoch:
            self._digests = (epoch, self._stream.digester(epoch))
        digest, check = self._digests[1], _context.check_index
        seed_random, seed_torch = self._python.seed, self._generator.manual_seed
        seed_numpy = self._numpy.seed if self._numpy is not None else None
        out = []
        for index in indices:
            d = digest(index if type(index) is int and index >= 0 else check("index", index))
            top = int.from_bytes(d[:16], "big")
            seed_random(top)  # the top 128 bits of the digest, 32 for NumPy, 64 for torch (seeds())
            if seed_numpy is not None:
                seed_numpy(top >> 96)
            seed_torch(top >> 64)
            out.append(self.dataset[index])
        return out

    def __getitem__(self, index: int) -> Any:
        return self._fetch((index,))[0]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        return self._fetch(indices)

    def __repr__(self) -> str:
        return f"SeededDataset({self.dataset!r}, job={self._stream.job!r}, epoch={self.epoch})"


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
