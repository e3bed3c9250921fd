"""RNG state on disk (docs/checkpoints.md): the format, its checks, {rank}, and resuming a torch run bitwise."""

from __future__ import annotations

import base64
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_script

import seedbridge
from seedbridge._checkpoint import MAGIC, RNGState
from seedbridge.errors import FrameworkError

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def manifest(tmp_path: Path) -> seedbridge.Manifest:
    m = seedbridge.Manifest.new(["train", "eval", seedbridge.Job("with_r", frameworks=["python", "r"])], root=0x2A)
    m.save(tmp_path / "seedbridge.yaml")
    return seedbridge.load(tmp_path / "seedbridge.yaml")


def _draws() -> list[float]:
    import numpy as np
    import torch

    return [random.random(), float(np.random.rand()), float(torch.rand(()))]


@pytest.fixture
def seeded(manifest: seedbridge.Manifest) -> seedbridge.Manifest:
    pytest.importorskip("numpy")
    pytest.importorskip("torch")
    seedbridge.seed_everything("train", manifest=manifest, frameworks=["python", "numpy", "torch"])
    return manifest


def test_save_and_load_put_back_python_numpy_and_torch(seeded: seedbridge.Manifest, tmp_path: Path) -> None:
    _draws()
    written = seedbridge.save_rng_state(tmp_path / "rng.sbrng")
    assert written == str(tmp_path / "rng.sbrng")
    expected = _draws()
    state = seedbridge.load_rng_state(written)
    assert _draws() == expected
    assert {"python", "numpy", "torch"} <= set(state.frameworks)  # and any other target this process seeded
    assert (state.job, dict(state.keys), state.manifest_digest, state.derivation) == (
        "train", {}, seeded.digest(), 1)


def test_bytes_round_trip_and_embedding(seeded: seedbridge.Manifest) -> None:
    state = seedbridge.snapshot()
    data = state.to_bytes()
    assert data.startswith(MAGIC + b"1\n")
    again = RNGState.from_bytes(data)
    assert again.states == state.states and again.job == "train"
    expected = _draws()
    seedbridge.load_rng_state(data)
    assert _draws() == expected


def test_rank_in_the_path(seeded: seedbridge.Manifest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_PROCID", "3")
    assert seedbridge.save_rng_state(tmp_path / "rng-{rank}.sbrng") == str(tmp_path / "rng-3.sbrng")
    seedbridge.seed_everything("train", manifest=seeded, frameworks=["python"], rank=1)
    assert seedbridge.save_rng_state(tmp_path / "rng-{rank}.sbrng") == str(tmp_path / "rng-1.sbrng")
    assert seedbridge.load_rng_state(tmp_path / "rng-{rank}.sbrng").rank == 1


def test_another_job_keys_or_manifest_is_refused_unless_allowed(seeded: seedbridge.Manifest, tmp_path: Path) -> None:
    path = seedbridge.save_rng_state(tmp_path / "rng.sbrng")
    seedbridge.seed_everything("eval", manifest=seeded, frameworks=["python", "numpy", "torch"], fold=2)
    before = _draws_state()
    with pytest.raises(FrameworkError, match=r"was taken under job 'train' \(this process: 'eval'\); keys \{\} "
                                             r"\(this process: \{'fold': '2'\}\); pass allow_mismatch=True"):
        seedbridge.load_rng_state(path)
    assert _draws_state() == before  # nothing restored
    other = seeded.with_job("extra")
    seedbridge.seed_everything("train", manifest=other, frameworks=["python"])
    with pytest.raises(FrameworkError, match=r"manifest digest '[0-9a-f]{64}' \(this process: '[0-9a-f]{64}'\)"):
        seedbridge.load_rng_state(path)
    seedbridge.load_rng_state(path, allow_mismatch=True)


def _draws_state() -> tuple[object, ...]:
    import numpy as np
    import torch

    return (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state().tolist())


@pytest.mark.parametrize("damage", ["truncate", "extend", "flip", "magic", "format"])
def test_damaged_files_are_refused_and_restore_nothing(seeded: seedbridge.Manifest, tmp_path: Path,
                                                       damage: str) -> None:
    data = seedbridge.snapshot().to_bytes()
    broken = {
        "truncate": data[: len(data) // 2],
        "extend": data + b"x",
        "flip": data[:200] + bytes([data[200] ^ 1]) + data[201:],
        "magic": b"pickle" + data[6:],
        "format": data.replace(MAGIC + b"1\n", MAGIC + b"2\n", 1),
    }[damage]
    path = tmp_path / "rng.sbrng"
    path.write_bytes(broken)
    before = _draws_state()
    message = {
        "truncate": "the file is truncated or has extra bytes",
        "extend": "the file is truncated or has extra bytes",
        "flip": "the SHA-256 does not match the content: the file was altered or damaged",
        "magic": "not a seedbridge RNG state file",
        "format": "format 2 is not one this seedbridge reads",
    }[damage]
    with pytest.raises(FrameworkError, match=f"^{path}: {message}.*; nothing was restored$"):
        seedbridge.load_rng_state(path)
    assert _draws_state() == before


def test_a_state_a_target_refuses_restores_nothing(seeded: seedbridge.Manifest) -> None:
    """Well-formed file, but torch's part is the wrong size: python and numpy, restored first, are put back."""
    state = seedbridge.snapshot()
    bad = RNGState({**state.states, "torch": {"cpu": b"\x00" * 10, "cuda": None}}, job=state.job,
                   manifest_digest=state.manifest_digest, derivation=state.derivation)
    _draws()
    before = _draws_state()
    with pytest.raises(FrameworkError, match=r"^rng state: torch state: cpu must be 5056 bytes .* got 10 bytes; "
                                             r"nothing was restored$"):
        seedbridge.load_rng_state(bad.to_bytes())
    assert _draws_state() == before


def _signed(body: dict[str, object]) -> bytes:
    """A format-1 file around ``body``, with a correct length and SHA-256: what a crafted file can be."""
    import hashlib

    data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    head = MAGIC + f"1\n{len(data)}\n".encode() + data
    return head + b"\nsha256:" + hashlib.sha256(head).hexdigest().encode() + b"\n"


@pytest.mark.parametrize(("target", "state", "message"), [
    # NumPy reads key[pos] unchecked: pos 100000 read outside the state and crashed the process.
    ("numpy", {"pos": 100_000}, r"numpy state: must be what seedbridge\.numpy\.get_state.*pos must be an integer"),
    ("numpy", {"pos": -1}, "pos must be an integer in 0..624, got -1"),
    # torch checks its generator itself and raises RuntimeError: still one FrameworkError naming the target.
    ("torch", {"cpu": {"$bytes": base64.b64encode(bytes(5056)).decode()}},
     "torch state: refused by the framework: RuntimeError: "),
])
def test_a_file_with_a_valid_checksum_and_a_hostile_state_restores_nothing(
        seeded: seedbridge.Manifest, tmp_path: Path, target: str, state: dict[str, object], message: str) -> None:
    good = seedbridge.snapshot(["python", "numpy", "torch"])
    body = json.loads(good.to_bytes().split(b"\n", 3)[3].rsplit(b"\nsha256:", 1)[0])
    for entry in body["frameworks"]:
        if entry["name"] == target:
            entry["state"].update(state)
    path = tmp_path / "crafted.sbrng"
    path.write_bytes(_signed(body))
    _draws()
    before = _draws_state()
    with pytest.raises(FrameworkError, match=f"^{path}: .*{message}.*; nothing was restored$"):
        seedbridge.load_rng_state(path)
    assert _draws_state() == before


def test_special_files_are_refused(seeded: seedbridge.Manifest, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(FrameworkError, match=r"is a FIFO \(named pipe\), not a regular file; nothing was restored"):
        seedbridge.load_rng_state(fifo)
    with pytest.raises(FrameworkError, match="is a character device"):
        seedbridge.load_rng_state("/dev/zero")


def test_loading_needs_a_seeded_process(seeded: seedbridge.Manifest, tmp_path: Path) -> None:
    path = seedbridge.save_rng_state(tmp_path / "rng.sbrng")
    code = f"import seedbridge; seedbridge.load_rng_state({path!r})"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "nothing was seeded in this process, so there is no job to check the state (job 'train') against" \
        in proc.stderr


def test_the_format_is_json_without_code(seeded: seedbridge.Manifest) -> None:
    """Format 1 as docs/checkpoints.md states it: magic, format, length, JSON body, SHA-256 line."""
    import hashlib

    data = seedbridge.snapshot(["python", "numpy", "torch"]).to_bytes()
    magic, fmt, length, rest = data.split(b"\n", 3)
    body, digest_line = rest[: int(length)], rest[int(length):]
    assert (magic + b"\n", fmt) == (MAGIC, b"1")
    assert digest_line == b"\nsha256:" + hashlib.sha256(data[: len(data) - len(digest_line)]).hexdigest().encode() + b"\n"
    doc = json.loads(body)
    assert sorted(doc) == ["created", "derivation", "frameworks", "job", "keys", "manifest_digest", "rank",
                           "seedbridge"]
    frameworks = {entry["name"]: entry for entry in doc["frameworks"]}
    assert [entry["name"] for entry in doc["frameworks"]] == ["python", "numpy", "torch"]
    assert frameworks["torch"]["state"]["cpu"]["$bytes"]  # base64 text
    assert len(frameworks["python"]["state"]["internal"]) == 625


def test_r_state_is_saved_when_the_job_lists_r(manifest: seedbridge.Manifest, tmp_path: Path) -> None:
    sb_r = pytest.importorskip("seedbridge.r")
    pytest.importorskip("rpy2")
    if not sb_r.available():
        pytest.skip("R is not reachable through rpy2")
    from rpy2 import robjects

    before = sb_r.get_state()
    try:
        seedbridge.seed_everything("with_r", manifest=manifest)
        path = seedbridge.save_rng_state(tmp_path / "rng.sbrng")
        expected = list(robjects.r("runif(3)"))
        robjects.r('suppressWarnings(RNGkind("Knuth-TAOCP", "Box-Muller", "Rounding")); set.seed(1)')
        state = seedbridge.load_rng_state(path)
        assert {"python", "r"} <= set(state.frameworks)  # and whatever else this process seeded before
        assert state.states["r"]["kinds"] == ["Mersenne-Twister", "Inversion", "Rejection"]
        assert list(robjects.r("RNGkind()")) == ["Mersenne-Twister", "Inversion", "Rejection"]
        assert list(robjects.r("runif(3)")) == expected
    finally:
        sb_r.set_state(before)


def _resume(manifest: str, out: Path, *args: str) -> dict[str, object]:
    return run_script("resume_torch.py", manifest, "train", str(out), *args, out=out)


@pytest.mark.slow
def test_resumed_torch_run_equals_the_uninterrupted_one(manifest: seedbridge.Manifest, tmp_path: Path) -> None:
    """4 epochs straight == 2 epochs, checkpoint, 2 more in a new process; also when stopped mid-epoch.
    Resuming without the RNG state (dropout's stream) does not match: the checkpoint's state is what counts."""
    pytest.importorskip("torch")
    m = str(manifest.path)
    straight = _resume(m, tmp_path / "straight.json", "--epochs", "4")
    first = _resume(m, tmp_path / "a.json", "--epochs", "2", "--save", str(tmp_path / "epoch2.pt"))
    second = _resume(m, tmp_path / "b.json", "--epochs", "4", "--resume", str(tmp_path / "epoch2.pt"))
    assert second["weights"] == straight["weights"]
    assert first["losses"] + second["losses"] == straight["losses"]  # type: ignore[operator]
    _resume(m, tmp_path / "c.json", "--epochs", "4", "--stop-after", "2:3", "--save", str(tmp_path / "mid.pt"))
    mid = _resume(m, tmp_path / "d.json", "--epochs", "4", "--resume", str(tmp_path / "mid.pt"))
    assert mid["weights"] == straight["weights"]
    control = _resume(m, tmp_path / "e.json", "--epochs", "4", "--resume", str(tmp_path / "epoch2.pt"), "--no-rng")
    assert control["weights"] != straight["weights"]
