"""Which manifest, job and keys a seeding call applies to, and the keys of per-stream seeds.

Shared by the framework modules and ``seed_everything``. Stdlib only: no framework is imported here.

A call with ``job=None`` takes the job from ``SEEDBRIDGE_JOB`` and its keys from ``SEEDBRIDGE_KEYS`` (a JSON
object of text values), as ``seedbridge run`` and ``seedbridge env`` set them; ``load()`` already reads the
manifest path from ``SEEDBRIDGE_MANIFEST``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import operator
import os
import shlex
from collections.abc import Callable, Mapping
from typing import Any, Union

from seedbridge import derive as _derive
from seedbridge._manifest import Job, Manifest, as_manifest
from seedbridge._text import printable
from seedbridge.errors import DerivationError, MissingDependencyError, UnknownJobError

__all__ = [
    "EXTRAS",
    "JOB_ENV",
    "KEYS_ENV",
    "RANK_ENV",
    "STREAM_KEYS",
    "ManifestLike",
    "SampleStream",
    "StreamBase",
    "check_index",
    "detect_rank",
    "header",
    "installed",
    "main_seed",
    "profile",
    "require",
    "resolve",
    "set_seed",
    "stream_keys",
]

JOB_ENV = "SEEDBRIDGE_JOB"
KEYS_ENV = "SEEDBRIDGE_KEYS"

# Keys that the per-(rank, worker, epoch, sample) helpers add themselves; a caller key of the same name clashes.
# loader_seed stands in for epoch when a DataLoader's epoch was never set (docs/frameworks/torch.md).
STREAM_KEYS = ("rank", "worker", "epoch", "loader_seed", "index")

# Where rank="auto" looks for this process's rank, in this order: torchrun and most launchers, Slurm's srun,
# Open MPI's mpirun, MPICH / Intel MPI (PMI).
RANK_ENV = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK")

# target -> (module to look for, extra that installs it)
EXTRAS: dict[str, tuple[str, str]] = {
    "numpy": ("numpy", "numpy"),
    "torch": ("torch", "torch"),
    "tensorflow": ("tensorflow", "tensorflow"),
    "jax": ("jax", "jax"),
    "r": ("rpy2", "r"),
}

ManifestLike = Union[Manifest, str, "os.PathLike[str]", None]


def installed(target: str) -> bool:
    """Whether ``target``'s framework can be imported, found without importing it."""
    if target not in EXTRAS:
        return True
    return importlib.util.find_spec(EXTRAS[target][0]) is not None


def require(target: str) -> None:
    """Raise MissingDependencyError naming the extra when ``target``'s framework is not installed."""
    if not installed(target):
        module, extra = EXTRAS[target]
        raise MissingDependencyError(f"the {target} target needs {module}; install seedbridge[{extra}]")


def _env_keys() -> dict[str, str]:
    raw = os.environ.get(KEYS_ENV)
    if raw is None or raw.strip() == "":
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise DerivationError(
            f'{KEYS_ENV}: must be a JSON object of text values such as {{"fold":"2"}}, got {raw!r}'
        )
    return data


def resolve(job: str | None, manifest: ManifestLike, keys: Mapping[str, object]) -> tuple[Manifest, str, dict[str, object]]:
    """The manifest, job name and keys of a call, with ``job=None`` read from the environment.

    An unknown job raises UnknownJobError here, before any framework is touched."""
    merged: dict[str, object] = dict(keys)
    if job is None:
        job = os.environ.get(JOB_ENV) or None
        if job is None:
            raise UnknownJobError(
                f"no job given and {JOB_ENV} is not set: pass a job name, or start the process with "
                "`seedbridge run JOB -- COMMAND` (or after `eval \"$(seedbridge env JOB)\"`)",
                job="", suggestions=[],
            )
        for name, value in _env_keys().items():
            if name in merged and _derive.key_text(name, merged[name]) != value:
                raise DerivationError(
                    f"key {name!r}: given as {merged[name]!r}, but {KEYS_ENV} says {value!r}"
                )
            merged[name] = value
    m = _manifest(manifest)
    m.job(job)
    return m, job, merged


_loaded: dict[str, tuple[tuple[int, int, int, int], Manifest]] = {}


def _manifest(manifest: ManifestLike) -> Manifest:
    """``as_manifest``, loading a file again only when it changed: per-sample helpers resolve on every call."""
    if isinstance(manifest, Manifest):
        return manifest
    from seedbridge._manifest import default_path

    path = os.path.abspath(os.fspath(manifest) if manifest is not None else default_path())
    try:
        st = os.stat(path)
    except OSError:
        return as_manifest(path)  # load() says what is wrong with the path
    stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    cached = _loaded.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    m = as_manifest(manifest)
    _loaded[path] = (stamp, m)
    return m


def check_index(name: str, value: object) -> int:
    """A rank, worker, epoch or sample index: a non-negative integer, returned as an ``int``. Integers of other
    types count too (``operator.index``): samplers over a NumPy array or a tensor of indices, such as
    ``SubsetRandomSampler(np.flatnonzero(mask))``, hand out NumPy integers and 0-d tensors."""
    if not isinstance(value, bool):
        with contextlib.suppress(TypeError):
            value = operator.index(value)  # type: ignore[arg-type]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DerivationError(f"{name}: must be a non-negative integer, got {value!r}")
    return value


def detect_rank() -> tuple[int, str | None]:
    """This process's rank from the first of RANK_ENV that is set, and that variable's name; (0, None) when
    none is set. A value that is not a non-negative integer is a DerivationError."""
    for name in RANK_ENV:
        value = os.environ.get(name)
        if value is not None and value.strip() != "":
            text = value.strip()
            if not (text.isascii() and text.isdigit()):
                raise DerivationError(
                    f"environment variable {name}: must be a non-negative integer rank, got {value!r}")
            return int(text), name
    return 0, None


def main_seed(manifest: Manifest, job: str, keys: Mapping[str, object], target: str | None = None) -> int:
    """The job's main seed: ``manifest.seed(job, **keys)`` (31 bits), or a wider pin as written, which is
    what ``seedbridge env`` exports as SEEDBRIDGE_SEED; checked against ``target``'s range when given."""
    from seedbridge._envvars import job_seed

    seed = job_seed(manifest, job, keys)
    if target is not None:
        _derive.check_seed_for(target, seed)
    return seed


def set_seed(target: str, apply: Callable[..., dict[str, Any]], job: str | None, manifest: ManifestLike,
             keys: Mapping[str, object], *, deterministic: bool = False) -> dict[str, Any]:
    """The body of every framework module's ``set_seed``: resolve the job, take its main seed and apply it
    with the job's profile (``deterministic=True`` raises a ``seeded`` profile to ``deterministic``)."""
    m, name, merged = resolve(job, manifest, keys)
    seed = main_seed(m, name, merged, target)
    return {"seed": seed, **apply(seed, profile=profile(m.job(name), deterministic), job=m.job(name))}


def profile(job: Job, deterministic: bool) -> str:
    """The job's profile, with ``deterministic=True`` raising ``seeded`` to ``deterministic``."""
    return "deterministic" if deterministic and job.profile == "seeded" else job.profile


def header(manifest: Manifest, job: str, keys: Mapping[str, object], target: str) -> str:
    """The comment that opens every snippet: which job, keys, manifest and derivation the numbers come from."""
    shown = ", ".join(f"{k}={_derive.key_text(k, v)}" for k, v in sorted(keys.items()))
    where = os.path.basename(manifest.path) if manifest.path else "a manifest"
    command = shlex.join(["seedbridge", "snippet", job, "--target", target,
                          *(f"--key={k}={_derive.key_text(k, v)}" for k, v in sorted(keys.items()))])
    lines = [
        f"# seedbridge: seeds of job {job!r}" + (f" with keys {shown}" if shown else "")
        + f" from {where} (derivation {manifest.derivation}).",
        f"# Generated by `{command}`; do not edit the numbers by hand.",
    ]
    # printable: a key or job name with a line break must not end the comment and become code.
    return "\n".join(printable(line) for line in lines) + "\n"


def stream_keys(keys: Mapping[str, object], **stream: object) -> dict[str, object]:
    """``keys`` plus the stream's own keys (rank, worker, epoch); a caller key of the same name is an error."""
    for name in stream:
        if name in keys:
            raise DerivationError(
                f"key {name!r}: is set by seedbridge for per-(rank, worker, epoch) streams and cannot also be "
                f"a caller key, got {name}={keys[name]!r}"
            )
    return {**keys, **stream}


class StreamBase:
    """What a derivation needs, without the Manifest: picklable, so it can travel to DataLoader workers.

    With at least one key the derivation base is the job's pin, else the root (docs/derivation.md)."""

    __slots__ = ("base", "job", "keys", "version")

    def __init__(self, manifest: Manifest, job: str, keys: Mapping[str, object]) -> None:
        pin = manifest.job(job).seed
        self.base = pin if pin is not None else manifest.root.entropy
        self.job = job
        self.keys = {name: _derive.key_text(name, value) for name, value in keys.items()}
        self.version = manifest.derivation

    def __getstate__(self) -> tuple[int, str, dict[str, str], int]:
        return (self.base, self.job, self.keys, self.version)

    def __setstate__(self, state: tuple[int, str, dict[str, str], int]) -> None:
        self.base, self.job, self.keys, self.version = state

    def seed(self, *, bits: int, **stream: object) -> int:
        """The seed of this job's stream ``stream`` (e.g. rank=1, worker=0, epoch=3), ``bits`` wide."""
        if not stream:
            raise DerivationError("a stream seed needs at least one stream key such as rank=0")
        return _derive.derive(self.base, self.job, stream_keys(self.keys, **stream), bits=bits, version=self.version)


def _netstring(text: str) -> bytes:
    """One value as the derivation encodes it (docs/derivation.md, "Encoding")."""
    return _derive._netstring(text.encode("utf-8"))


class SampleStream:
    """The digest behind every per-sample seed of a job: SHA-256 of the derivation message with the caller's
    keys plus ``epoch`` and ``index``, whose top 32, 64 or 128 bits are ``seed(job, bits=..., **keys,
    epoch=E, index=I)``. Picklable; built for millions of calls.

    The message is encoded once by ``derive.encode`` with two marker values; each call only fills in the
    decimal text of the epoch and the index (docs/derivation.md: key values are length-prefixed text)."""

    __slots__ = ("_base", "_parts", "job", "keys")

    # Private-use characters: no caller's key value is expected to hold them; if one does, the split below is
    # ambiguous and every digest is computed by derive.encode instead.
    _MARKS = ("\ue000seedbridge-epoch\ue000", "\ue000seedbridge-index\ue000")

    def __init__(self, manifest: Manifest, job: str, keys: Mapping[str, object]) -> None:
        base = StreamBase(manifest, job, keys)
        stream_keys(base.keys, epoch=None, index=None)
        if base.version != 1:  # pragma: no cover - the only derivation so far
            raise DerivationError(f"per-sample streams support derivation 1, got {base.version}")
        message = _derive.encode(base.base, job, {**base.keys, "epoch": self._MARKS[0], "index": self._MARKS[1]})
        marks = [_netstring(mark) for mark in self._MARKS]
        parts: tuple[bytes, bytes, bytes] | None = None
        if all(message.count(mark) == 1 for mark in marks):
            # Keys are sorted by name, so the epoch's value comes before the index's ("epoch" < "index").
            first, rest = message.split(marks[0])
            middle, last = rest.split(marks[1])
            parts = (first, middle, last)
        self._base = base
        self._parts = parts
        self.job = job
        self.keys = base.keys

    def __getstate__(self) -> tuple[StreamBase, tuple[bytes, bytes, bytes] | None, str, dict[str, str]]:
        return (self._base, self._parts, self.job, self.keys)

    def __setstate__(self, state: tuple[StreamBase, tuple[bytes, bytes, bytes] | None, str, dict[str, str]]) -> None:
        self._base, self._parts, self.job, self.keys = state

    def digest(self, epoch: int, index: int) -> bytes:
        if self._parts is None:
            keys = {**self.keys, "epoch": epoch, "index": index}
            return hashlib.sha256(_derive.encode(self._base.base, self.job, keys)).digest()
        first, middle, last = self._parts
        return hashlib.sha256(b"".join((first, _netstring(str(epoch)), middle, _netstring(str(index)), last))).digest()

    def digester(self, epoch: int) -> Callable[[int], bytes]:
        """``lambda index: self.digest(epoch, index)`` for many indexes of one epoch: the message up to the index
        is hashed once, and each call hashes only the rest from a copy. ``index`` is a non-negative int."""
        if self._parts is None:
            return lambda index: self.digest(epoch, index)
        first, middle, last = self._parts
        head = hashlib.sha256(b"".join((first, _netstring(str(epoch)), middle)))

        def digest(index: int) -> bytes:
            h = head.copy()
            h.update(_derive._netstring(b"%d" % index) + last)
            return h.digest()

        return digest

    def seed(self, epoch: int, index: int, *, bits: int) -> int:
        """``seed(job, bits=bits, **keys, epoch=epoch, index=index)``."""
        return int.from_bytes(self.digest(epoch, index), "big") >> (256 - bits)
