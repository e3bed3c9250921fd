"""RNG state for checkpoints: ``snapshot`` / ``restore`` in memory, ``save_rng_state`` / ``load_rng_state`` on
disk, ``RNGState.to_bytes`` / ``from_bytes`` to embed it in a framework's own checkpoint.

The file format is specified in docs/checkpoints.md (format 1). Loading it never executes code: the body is
JSON, byte strings are base64, and each target's state is checked by its ``set_state``. A file that is cut
short or altered fails its length or SHA-256 check before anything is restored; a restore that fails
half-way puts back what it had changed.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seedbridge import _context, _everything, targets
from seedbridge.errors import FrameworkError

__all__ = ["FORMAT", "MAGIC", "RNGState", "load_rng_state", "restore", "save_rng_state", "snapshot"]

MAGIC = b"seedbridge-rng\n"
FORMAT = 1
# R's .Random.seed is 626 ints and torch's CPU state 5 KB: a real state file is tens of KB.
SIZE_LIMIT = 64 * 1024 * 1024
_BYTES = "$bytes"
_DIGEST = b"\nsha256:"


@dataclass(frozen=True)
class RNGState:
    """The RNG state of several targets, captured together, and the job it was taken under.

    ``states`` maps a target name to its ``get_state()`` (plain data); ``job``, ``keys``, ``manifest_digest``,
    ``derivation`` and ``rank`` come from the process's last ``seed_everything`` (None before any);
    ``versions`` are the frameworks' versions when captured."""

    states: Mapping[str, Any] = field(hash=False)
    job: str | None = None
    keys: Mapping[str, str] = field(default_factory=dict, hash=False)
    manifest_digest: str | None = None
    derivation: int | None = None
    rank: int | None = None
    versions: Mapping[str, str | None] = field(default_factory=dict, hash=False)

    @property
    def frameworks(self) -> tuple[str, ...]:
        return tuple(self.states)

    def to_bytes(self) -> bytes:
        """The state in the checkpoint file format (docs/checkpoints.md)."""
        body = {
            "job": self.job,
            "keys": dict(self.keys),
            "manifest_digest": self.manifest_digest,
            "derivation": self.derivation,
            "rank": self.rank,
            "seedbridge": _version(),
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            # A list, so the order targets were captured in (and are restored in) survives sort_keys.
            "frameworks": [{"name": name, "version": self.versions.get(name), "state": _encode(state, name)}
                           for name, state in self.states.items()],
        }
        try:
            text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
        except ValueError as exc:  # NaN or infinity in a state
            raise FrameworkError(f"rng state: cannot be written: {exc}") from None
        data = text.encode("utf-8")
        head = MAGIC + f"{FORMAT}\n{len(data)}\n".encode("ascii") + data
        return head + _DIGEST + hashlib.sha256(head).hexdigest().encode("ascii") + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "rng state") -> RNGState:
        """Parse and check ``to_bytes()``'s output; restores nothing. ``source`` names it in errors."""
        return _decode_file(data, source)


def _version() -> str:
    from seedbridge import __version__

    return __version__


def _encode(value: Any, where: str) -> Any:
    """A state tree as JSON values, byte strings as ``{"$bytes": base64}``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or k == _BYTES:
                raise FrameworkError(f"rng state {where}: dict keys must be text other than {_BYTES!r}, got {k!r}")
            out[k] = _encode(v, f"{where}.{k}")
        return out
    raise FrameworkError(f"rng state {where}: a target's state must be plain data (None, bool, int, float, str, "
                         f"bytes, lists, dicts), got {type(value).__name__}")


def _pairs(items: list[tuple[str, Any]]) -> Any:
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a JSON object repeats a key: {sorted(k for k in keys if keys.count(k) > 1)[0]!r}")
    if keys == [_BYTES]:
        value = items[0][1]
        if not isinstance(value, str):
            raise ValueError(f"{_BYTES} must hold base64 text")
        return base64.b64decode(value.encode("ascii"), validate=True)
    return dict(items)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number this format holds")


def _decode_file(data: bytes, source: str) -> RNGState:
    def bad(message: str) -> FrameworkError:
        return FrameworkError(f"{source}: {message}; nothing was restored")

    if not isinstance(data, (bytes, bytearray)):
        raise FrameworkError(f"{source}: must be bytes from RNGState.to_bytes(), got {type(data).__name__}")
    data = bytes(data)
    if not data.startswith(MAGIC):
        raise bad("not a seedbridge RNG state file (it does not start with 'seedbridge-rng')")
    rest = data[len(MAGIC):]
    try:
        version_line, length_line, body_and_tail = rest.split(b"\n", 2)
        version, length = int(version_line.decode("ascii")), int(length_line.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise bad("the header is damaged (format and length lines)") from None
    if version != FORMAT:
        raise bad(f"format {version} is not one this seedbridge reads (it reads format {FORMAT}); "
                  "upgrade seedbridge")
    head_len = len(data) - len(body_and_tail) + length
    tail = data[head_len:]
    if len(body_and_tail) < length or not tail.startswith(_DIGEST) or len(tail) != len(_DIGEST) + 65:
        raise bad(f"the file is truncated or has extra bytes ({len(data)} bytes; its header announces a "
                  f"{length}-byte body followed by a SHA-256 line)")
    if hashlib.sha256(data[:head_len]).hexdigest().encode("ascii") != tail[len(_DIGEST):-1] or tail[-1:] != b"\n":
        raise bad("the SHA-256 does not match the content: the file was altered or damaged")
    try:
        body = json.loads(body_and_tail[:length].decode("utf-8"), object_pairs_hook=_pairs,
                          parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError) as exc:
        raise bad(f"the body is not valid: {exc}") from None
    return _state_from_body(body, bad)


def _state_from_body(body: Any, bad: Any) -> RNGState:
    fields = {"job", "keys", "manifest_digest", "derivation", "rank", "seedbridge", "created", "frameworks"}
    if not isinstance(body, dict) or set(body) != fields:
        raise bad(f"the body must hold exactly {', '.join(sorted(fields))}")
    checks = [
        ("job", body["job"] is None or isinstance(body["job"], str)),
        ("keys", isinstance(body["keys"], dict) and all(isinstance(v, str) for v in body["keys"].values())),
        ("manifest_digest", body["manifest_digest"] is None or isinstance(body["manifest_digest"], str)),
        ("derivation", body["derivation"] is None or type(body["derivation"]) is int),
        ("rank", body["rank"] is None or (type(body["rank"]) is int and body["rank"] >= 0)),
        ("frameworks", isinstance(body["frameworks"], list)
         and all(isinstance(v, dict) and set(v) == {"name", "version", "state"}
                 and (v["version"] is None or isinstance(v["version"], str)) for v in body["frameworks"])),
    ]
    for name, ok in checks:
        if not ok:
            raise bad(f"field {name} has the wrong type")
    entries = body["frameworks"]
    names = [entry["name"] for entry in entries]
    for name in names:
        if not isinstance(name, str) or not targets.NAME_PATTERN.fullmatch(name):
            raise bad(f"framework name {name!r} is not a target name")
    if len(set(names)) != len(names):
        raise bad("a framework is listed twice")
    return RNGState(
        states={entry["name"]: entry["state"] for entry in entries},
        job=body["job"], keys=body["keys"], manifest_digest=body["manifest_digest"],
        derivation=body["derivation"], rank=body["rank"],
        versions={entry["name"]: entry["version"] for entry in entries},
    )


# -- in memory ----------------------------------------------------------------------------------


def _default_targets() -> list[str]:
    seeded = list(_everything.seeded())
    if seeded:
        return seeded
    return ["python"] + [n for n in ("numpy", "torch", "tensorflow") if n in sys.modules]


def snapshot(frameworks: Iterable[str] | None = None) -> RNGState:
    """The RNG state of ``frameworks``; by default of every target seeded in this process so far, or, before
    any seeding, of ``random`` and whichever of numpy, torch and tensorflow are already imported."""
    if frameworks is None:
        names = _default_targets()
    else:
        names = list(dict.fromkeys([frameworks] if isinstance(frameworks, str) else frameworks))
    found = [targets.get(n) for n in names]
    ctx = _everything.current() or {}
    return RNGState(
        states={t.NAME: t.get_state() for t in found},
        job=ctx.get("job"), keys=ctx.get("keys", {}), manifest_digest=ctx.get("manifest_digest"),
        derivation=ctx.get("derivation"), rank=ctx.get("rank"),
        versions={t.NAME: t.version() for t in found},
    )


def restore(state: RNGState) -> None:
    """Put back every target's RNG state captured by ``snapshot`` (or read by ``RNGState.from_bytes``).

    All or nothing: if a target refuses its state, the targets already restored get their previous state back
    and the error is raised."""
    if not isinstance(state, RNGState):
        raise FrameworkError(f"restore: must be given what snapshot() returned, got {type(state).__name__}")
    found = [targets.get(name, what="rng state") for name in state.states]
    before = [(t, t.get_state()) for t in found]
    tried = 0
    try:
        for t in found:
            tried += 1
            t.set_state(state.states[t.NAME])
    except BaseException as exc:
        # The target that refused may have changed part of its state before refusing: it is put back too.
        for t, old in before[:tried]:
            t.set_state(old)
        if isinstance(exc, FrameworkError) or not isinstance(exc, Exception):
            raise
        # A framework's own error (torch's "Invalid mt19937 state", a third-party target's ValueError) is
        # still a refused state: one FrameworkError that names the target, as the protocol promises.
        name = found[tried - 1].NAME
        raise FrameworkError(f"{name} state: refused by the framework: {type(exc).__name__}: "
                             f"{' '.join(str(exc).split())[:300]}") from exc


# -- on disk ------------------------------------------------------------------------------------


def _rank() -> int:
    ctx = _everything.current()
    if ctx is not None and ctx["rank"] is not None:
        return int(ctx["rank"])
    return _context.detect_rank()[0]


def _path(path: str | os.PathLike[str]) -> str:
    """``path`` with ``{rank}`` replaced by this process's rank (the one seed_everything was given, else
    RANK, SLURM_PROCID, OMPI_COMM_WORLD_RANK, PMI_RANK, else 0)."""
    text = os.fspath(path)
    return text.replace("{rank}", str(_rank())) if "{rank}" in text else text


def save_rng_state(path: str | os.PathLike[str], *, frameworks: Iterable[str] | None = None) -> str:
    """Write ``snapshot(frameworks)`` to ``path`` atomically (a ``{rank}`` in it becomes the rank) and return the
    path written."""
    from seedbridge._atomic import atomic_write_bytes

    target = _path(path)
    atomic_write_bytes(target, snapshot(frameworks).to_bytes())
    return target


def _check_context(state: RNGState, source: str, allow_mismatch: bool) -> None:
    ctx = _everything.current()
    if ctx is None:
        if allow_mismatch:
            return
        raise FrameworkError(f"{source}: nothing was seeded in this process, so there is no job to check the "
                             f"state (job {state.job!r}) against; call seed_everything(job) first, or pass "
                             "allow_mismatch=True; nothing was restored")
    differences = [f"{label} {theirs!r} (this process: {ours!r})"
                   for label, theirs, ours in (("job", state.job, ctx["job"]), ("keys", dict(state.keys), ctx["keys"]),
                                               ("manifest digest", state.manifest_digest, ctx["manifest_digest"]),
                                               ("derivation", state.derivation, ctx["derivation"]))
                   if theirs != ours]
    if differences and not allow_mismatch:
        raise FrameworkError(f"{source}: was taken under " + "; ".join(differences)
                             + "; pass allow_mismatch=True to load it anyway; nothing was restored")


def load_rng_state(path: str | os.PathLike[str] | bytes, *, allow_mismatch: bool = False) -> RNGState:
    """Read a state written by ``save_rng_state`` (or the bytes of ``RNGState.to_bytes()``), check it was taken
    under this process's job, keys, manifest and derivation (from its last ``seed_everything``), restore it
    and return it. ``{rank}`` in ``path`` becomes the rank. Any problem is a FrameworkError and restores
    nothing; ``allow_mismatch=True`` skips the job check only."""
    if isinstance(path, (bytes, bytearray)):
        source, data = "rng state", bytes(path)
    else:
        from seedbridge._files import Refused, read_regular

        source = _path(path)
        try:
            data = read_regular(source, limit=SIZE_LIMIT)
        except Refused as exc:
            raise FrameworkError(f"{source}: {exc}; nothing was restored") from None
    state = RNGState.from_bytes(data, source=source)
    _check_context(state, source, allow_mismatch)
    try:
        restore(state)
    except FrameworkError as exc:
        raise FrameworkError(f"{source}: {exc}; nothing was restored") from None
    return state
