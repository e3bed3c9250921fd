"""The torch target: seeding, determinism switches, DataLoader streams per (rank, worker, epoch), reruns."""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import seedbridge
from seedbridge.errors import DerivationError

torch = pytest.importorskip("torch")
sbt = pytest.importorskip("seedbridge.torch")
from torch.utils.data import DataLoader, Dataset  # noqa: E402

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def manifest(tmp_path: Path) -> seedbridge.Manifest:
    m = seedbridge.Manifest.new(
        ["train", "eval", seedbridge.Job("strict", profile="strict"), seedbridge.Job("wide", seed=2**40, frameworks=["torch"])],
        root=0x2A,
    )
    m.save(tmp_path / "seedbridge.yaml")
    return seedbridge.load(tmp_path / "seedbridge.yaml")


@pytest.fixture
def restore_determinism() -> Iterator[None]:
    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    yield
    torch.use_deterministic_algorithms(before[0], warn_only=before[1])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = before[2], before[3]


def test_set_seed_seeds_the_global_generator(manifest: seedbridge.Manifest) -> None:
    result = sbt.set_seed("train", manifest=manifest)
    assert result["seed"] == manifest.seed("train") == torch.initial_seed()
    a = torch.rand(3)
    sbt.set_seed("train", manifest=manifest)
    assert torch.equal(torch.rand(3), a)


def test_wide_pin_is_used_whole(manifest: seedbridge.Manifest) -> None:
    assert sbt.set_seed("wide", manifest=manifest)["seed"] == 2**40 == torch.initial_seed()


@pytest.mark.usefixtures("restore_determinism")
def test_strict_profile_turns_on_every_switch(manifest: seedbridge.Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    flags = sbt.set_seed("strict", manifest=manifest)
    assert torch.are_deterministic_algorithms_enabled()
    assert not torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert flags["warn_only"] is False
    assert flags["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


@pytest.mark.usefixtures("restore_determinism")
def test_deterministic_flag_warns_only(manifest: seedbridge.Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    flags = sbt.set_seed("train", manifest=manifest, deterministic=True)
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert flags["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"  # a value already set is left alone


def test_state_round_trip() -> None:
    torch.manual_seed(5)
    state = sbt.get_state()
    a = torch.rand(4)
    sbt.set_state(state)
    assert torch.equal(torch.rand(4), a)


def test_worker_seeds_follow_the_documented_derivation(manifest: seedbridge.Manifest) -> None:
    seeder = sbt.worker_init_fn("train", manifest=manifest, rank=3, fold=1)
    seeds = seeder.seeds(2, epoch=5)
    assert seeds["torch"] == manifest.seed("train", bits=64, fold=1, rank=3, worker=2, epoch=5)
    assert seeds["numpy"] == seeds["python"] == manifest.seed("train", bits=128, fold=1, rank=3, worker=2, epoch=5)
    gen = sbt.generator("train", manifest=manifest, rank=3, fold=1)
    assert gen.initial_seed() == manifest.seed("train", bits=64, fold=1, rank=3)


def test_no_repeated_stream_across_ranks_workers_epochs_and_jobs(manifest: seedbridge.Manifest) -> None:
    """64 ranks x 8 workers x 4 epochs x 2 jobs: every torch (64-bit) and NumPy (128-bit) seed is unique."""
    torch_seeds, numpy_seeds = [], []
    for job in ("train", "eval"):
        for rank in range(64):
            seeder = sbt.worker_init_fn(job, manifest=manifest, rank=rank)
            for worker in range(8):
                for epoch in range(4):
                    s = seeder.seeds(worker, epoch=epoch)
                    torch_seeds.append(s["torch"])
                    numpy_seeds.append(s["numpy"])
    assert len(set(torch_seeds)) == len(torch_seeds) == 4096
    assert len(set(numpy_seeds)) == 4096
    # torch's CPU Mersenne Twister keeps only the low 32 bits of a seed: check those too.
    assert len({s & 0xFFFF_FFFF for s in torch_seeds}) == 4096


def test_torch_cpu_generator_keeps_only_32_bits_of_a_seed() -> None:
    """Pins the caveat in docs/frameworks/torch.md: if torch starts using all 64 bits, update the docs."""
    torch.manual_seed(1)
    a = torch.rand(2)
    torch.manual_seed(1 + 2**32)
    assert torch.equal(torch.rand(2), a)


def test_caller_key_named_like_a_stream_key_is_an_error(manifest: seedbridge.Manifest,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert manifest.path is not None
    monkeypatch.setenv("SEEDBRIDGE_MANIFEST", manifest.path)
    monkeypatch.setenv("SEEDBRIDGE_JOB", "train")
    monkeypatch.setenv("SEEDBRIDGE_KEYS", '{"epoch":"1"}')
    with pytest.raises(DerivationError, match=r"key 'epoch': is set by seedbridge .* got epoch='1'"):
        sbt.worker_init_fn()


def test_rank_comes_from_rank_then_local_rank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert sbt.current_rank() == 0
    monkeypatch.setenv("LOCAL_RANK", "2")
    assert sbt.current_rank() == 2
    monkeypatch.setenv("RANK", "5")
    assert sbt.current_rank() == 5
    monkeypatch.setenv("RANK", "five")
    with pytest.raises(DerivationError, match="environment variable RANK: must be a non-negative integer rank, got 'five'"):
        sbt.current_rank()


def test_bad_epoch_is_an_error(manifest: seedbridge.Manifest) -> None:
    with pytest.raises(DerivationError, match="epoch: must be a non-negative integer, got -1"):
        sbt.worker_init_fn("train", manifest=manifest, rank=0).set_epoch(-1)


def test_worker_seeder_survives_pickling(manifest: seedbridge.Manifest) -> None:
    seeder = sbt.worker_init_fn("train", manifest=manifest, rank=1, epoch=2)
    copy = pickle.loads(pickle.dumps(seeder))
    assert copy.seeds(0) == seeder.seeds(0)


class _Draws(Dataset):  # type: ignore[type-arg]
    """Each item is what the worker's three RNGs give: torch, NumPy legacy, random."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> tuple[float, float, float]:
        import numpy as np

        return float(torch.rand(())), float(np.random.rand()), random.random()


def _epochs(loader: DataLoader, seeder: object | None, epochs: int) -> list[list[tuple[float, ...]]]:  # type: ignore[type-arg]
    out = []
    for epoch in range(epochs):
        if seeder is not None:
            seeder.set_epoch(epoch)  # type: ignore[attr-defined]
        out.append(sorted(tuple(float(v) for v in row) for batch in loader for row in zip(*batch, strict=True)))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("set_epoch", [True, False], ids=["set_epoch", "no_set_epoch"])
def test_dataloader_workers_never_repeat_across_epochs_and_rerun_identically(
        manifest: seedbridge.Manifest, set_epoch: bool) -> None:
    """Lightning #20412: augmentations must not repeat each epoch, whether or not set_epoch is called."""

    def run() -> list[list[tuple[float, ...]]]:
        seeder = sbt.worker_init_fn("train", manifest=manifest, rank=0)
        loader = DataLoader(_Draws(), batch_size=2, shuffle=True, num_workers=2, worker_init_fn=seeder,
                            generator=sbt.generator("train", manifest=manifest, rank=0))
        return _epochs(loader, seeder if set_epoch else None, 3)

    first = run()
    values = [v for epoch in first for row in epoch for v in row]
    assert len(set(values)) == len(values)  # no draw repeats across workers, epochs or RNGs
    assert run() == first  # the same loader again gives the same numbers


@pytest.mark.slow
def test_fresh_process_training_reruns_bitwise(manifest: seedbridge.Manifest) -> None:
    """Two subprocesses train the same model with shuffling workers; in each, the run is also repeated
    in-process after reseeding. All four runs agree bit for bit."""
    assert manifest.path is not None
    results = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(SCRIPTS / "train_torch.py"), manifest.path, "train",
                               "--inprocess-twice"], capture_output=True, text=True, timeout=300, check=True)
        results.append(json.loads(proc.stdout))
    runs = [r[k] for r in results for k in ("first", "second")]
    assert all(run == runs[0] for run in runs[1:])
    assert len(set(runs[0]["noise"])) == len(runs[0]["noise"])  # augmentations differ across batches and epochs
    other = subprocess.run([sys.executable, str(SCRIPTS / "train_torch.py"), manifest.path, "eval"],
                           capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(other.stdout)["first"]["weights"] != runs[0]["weights"]


@pytest.mark.slow
def test_distributed_gloo_run_differs_per_rank_and_reproduces(manifest: seedbridge.Manifest, tmp_path: Path) -> None:
    assert manifest.path is not None
    if not torch.distributed.is_available():
        pytest.skip("torch was built without torch.distributed")
    outs = []
    for i in range(2):
        out = tmp_path / f"run{i}.json"
        proc = subprocess.run([sys.executable, str(SCRIPTS / "dist_torch.py"), manifest.path, "train", str(out)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outs.append(json.loads(out.read_text(encoding="utf-8")))
    assert outs[0] == outs[1]
    r0, r1 = outs[0]["ranks"]
    assert (r0["rank"], r1["rank"]) == (0, 1)
    assert r0["main_seed"] == r1["main_seed"] == manifest.seed("train")
    assert r0["generator_seed"] == manifest.seed("train", bits=64, rank=0)
    assert r1["generator_seed"] == manifest.seed("train", bits=64, rank=1)
    assert r1["worker_seeds"] == [manifest.seed("train", bits=64, rank=1, worker=0, epoch=e) for e in range(2)]
    assert not set(r0["worker_seeds"]) & set(r1["worker_seeds"])
    assert r0["losses"] != r1["losses"]  # each rank saw its own shuffles
    # rank=None: every rank alike, as identical initial weights need (and, by design, the same dropout).
    assert r0["alike"] == r1["alike"]
    # rank="auto" (here SLURM_PROCID): the rank is a key, so dropout masks differ between ranks.
    assert (r0["auto"]["rank_source"], r1["auto"]["rank_source"]) == ("SLURM_PROCID", "SLURM_PROCID")
    assert (r0["auto"]["seed"], r1["auto"]["seed"]) == (manifest.seed("train", rank=0), manifest.seed("train", rank=1))
    assert r0["auto"]["mask"] != r1["auto"]["mask"]
    # DataLoader worker streams differ across ranks and across workers.
    streams = [tuple(r["worker_draws"][w]) for r in (r0, r1) for w in ("0", "1")]
    assert len(set(streams)) == 4 and len({v for s in streams for v in s}) == sum(len(s) for s in streams)


def test_snippet_applies_the_same_seed_without_seedbridge(manifest: seedbridge.Manifest) -> None:
    code = sbt.snippet(manifest, "train", fold=2)
    assert "import torch\n\ntorch.manual_seed(" in code
    exec(compile(code, "<snippet>", "exec"), {})
    a = torch.rand(2)
    sbt.set_seed("train", manifest=manifest, fold=2)
    assert torch.equal(torch.rand(2), a)


def test_strict_snippet_has_the_switches(manifest: seedbridge.Manifest) -> None:
    code = sbt.snippet(manifest, "strict")
    assert 'os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", \':4096:8\')' in code
    assert "torch.use_deterministic_algorithms(True)  # profile strict" in code
    assert "torch.backends.cudnn.benchmark = False" in code


class _Augment:
    """Item i: its index and one draw from each global RNG the augmentation could use."""

    def __len__(self) -> int:
        return 24

    def __getitem__(self, i: int) -> tuple[int, float, float, float]:
        import numpy as np

        return i, float(torch.rand(())), float(np.random.rand()), random.random()


def _by_index(loader: DataLoader) -> dict[int, tuple[float, ...]]:  # type: ignore[type-arg]
    out = {}
    for idx, *draws in loader:
        for row in zip(idx.tolist(), *(d.tolist() for d in draws), strict=True):
            out[row[0]] = tuple(row[1:])
    return out


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes:UserWarning")  # 2 cores here
def test_seeded_dataset_gives_each_sample_the_same_draws_with_any_workers_and_batch_size(
        manifest: seedbridge.Manifest) -> None:
    np = pytest.importorskip("numpy")
    dataset = sbt.SeededDataset(_Augment(), "train", manifest=manifest, fold=1)
    results = []
    for workers, batch in [(0, 1), (1, 3), (2, 8), (3, 5)]:
        loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers,
                            generator=torch.Generator().manual_seed(workers))
        results.append(_by_index(loader))
    assert all(r == results[0] for r in results[1:])
    assert len(results[0]) == 24 and len({v for r in results[0].values() for v in r}) == 72
    # The documented seeds: one SHA-256 of (job, keys, epoch, index), cut to each RNG's width.
    seeds = dataset.seeds(5)
    assert seeds == {"python": manifest.seed("train", bits=128, fold=1, epoch=0, index=5),
                     "numpy": manifest.seed("train", bits=32, fold=1, epoch=0, index=5),
                     "torch": manifest.seed("train", bits=64, fold=1, epoch=0, index=5)}
    random.seed(seeds["python"])
    np.random.seed(seeds["numpy"])
    torch.manual_seed(seeds["torch"])
    assert results[0][5] == (float(torch.rand(())), float(np.random.rand()), random.random())
    dataset.set_epoch(1)
    assert dataset[5][1:] != results[0][5]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes:UserWarning")  # 2 cores here
def test_seeded_dataset_reaches_persistent_workers_in_every_epoch(manifest: seedbridge.Manifest) -> None:
    """persistent_workers=True: workers start once, yet epoch e draws what it draws without workers. The epoch
    was a copy in each worker, so every epoch repeated epoch 0's augmentations."""
    pytest.importorskip("numpy")

    def epochs(workers: int, **options: Any) -> list[dict[int, tuple[float, ...]]]:
        dataset = sbt.SeededDataset(_Augment(), "train", manifest=manifest)
        loader = DataLoader(dataset, batch_size=5, shuffle=True, num_workers=workers,
                            generator=torch.Generator().manual_seed(workers), **options)
        out = []
        for epoch in range(3):
            dataset.set_epoch(epoch)
            out.append(_by_index(loader))
        return out

    expected = epochs(0)
    assert expected[0] != expected[1] != expected[2]
    for workers in (1, 2, 3):
        assert epochs(workers, persistent_workers=True) == expected, workers
    # Spawned workers receive the shared epoch through torch.multiprocessing rather than by fork.
    assert epochs(2, persistent_workers=True, multiprocessing_context="spawn") == expected


def _collate_with_noise(batch: list[Any]) -> tuple[list[Any], float, float]:
    """A collate_fn that draws once per batch (mixup-style noise), after the batch's samples."""
    return batch, random.random(), float(torch.rand(()))


@pytest.mark.slow
def test_seeded_dataset_in_workers_leaves_the_last_samples_streams_to_collate(manifest: seedbridge.Manifest) -> None:
    """In a DataLoader worker the global states are the worker's own and are not put back: what collate_fn
    draws after a batch goes on from the batch's last sample, the same with any num_workers (a worker's own
    base seed would make it differ between 1 and 2 workers)."""
    pytest.importorskip("numpy")
    dataset = sbt.SeededDataset(_Augment(), "train", manifest=manifest)

    def collated(workers: int) -> list[tuple[list[Any], float, float]]:
        return list(DataLoader(dataset, batch_size=4, num_workers=workers, collate_fn=_collate_with_noise))

    one, two = collated(1), collated(2)
    assert one == two
    assert len({tuple(noise) for _, *noise in one}) == len(one) == 6  # each batch's draws follow its own last sample
    # After sample 3, the first batch's last, its streams go on: seed them, replay the sample's draws, draw.
    seeds = dataset.seeds(3)
    random.seed(seeds["python"])
    torch.manual_seed(seeds["torch"])
    assert one[0][0][-1] == (3, float(torch.rand(())), one[0][0][-1][2], random.random())
    assert one[0][1:] == (random.random(), float(torch.rand(())))


@pytest.mark.parametrize("cached_gaussian", [True, False])
def test_seeded_dataset_restores_the_global_state(manifest: seedbridge.Manifest, cached_gaussian: bool) -> None:
    np = pytest.importorskip("numpy")
    dataset = sbt.SeededDataset(_Augment(), "train", manifest=manifest)
    assert dataset._python.fast and dataset._numpy is not None and dataset._numpy.fast  # the layout checks held

    def start() -> None:
        torch.manual_seed(3)
        random.seed(3)
        np.random.seed(3)
        np.random.rand(700)  # past one refill of the 624 words
        if cached_gaussian:
            np.random.normal()  # leaves the second Gaussian of a pair cached, which must survive too

    def draws() -> tuple[object, ...]:
        return (float(torch.rand(())), np.random.normal(size=3).tolist(), np.random.rand(), random.random())

    start()
    expected = draws()
    start()
    first = dataset[2]
    assert dataset.__getitems__([2, 7])[0] == first
    assert draws() == expected


class _FailsAfterDrawing:
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> None:
        import numpy as np

        random.random(), np.random.normal(), torch.rand(())
        raise KeyError(i)


def test_seeded_dataset_restores_the_global_state_when_the_dataset_raises(manifest: seedbridge.Manifest) -> None:
    np = pytest.importorskip("numpy")
    dataset = sbt.SeededDataset(_FailsAfterDrawing(), "train", manifest=manifest)
    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    before = random.getstate(), np.random.get_state(), torch.get_rng_state()
    with pytest.raises(KeyError):
        dataset[1]
    with pytest.raises(KeyError):
        dataset.__getitems__([2, 3])
    after = random.getstate(), np.random.get_state(), torch.get_rng_state()
    assert after[0] == before[0] and torch.equal(after[2], before[2])
    assert (after[1][1] == before[1][1]).all() and after[1][2:] == before[1][2:]


def test_seeded_dataset_takes_the_indexes_samplers_give(manifest: seedbridge.Manifest) -> None:
    """A SubsetRandomSampler over a NumPy array or a tensor hands out NumPy integers and 0-d tensors; they
    were refused ("index: must be a non-negative integer, got np.int64(4)"), where the plain dataset takes them."""
    np = pytest.importorskip("numpy")
    from torch.utils.data import SubsetRandomSampler

    dataset = sbt.SeededDataset(_Augment(), "train", manifest=manifest)
    results = []
    for indices in (list(range(0, 24, 2)), np.arange(0, 24, 2), torch.arange(0, 24, 2)):
        loader = DataLoader(dataset, batch_size=5, sampler=SubsetRandomSampler(indices))  # type: ignore[arg-type]
        results.append(_by_index(loader))
    assert results[0] == results[1] == results[2] and sorted(results[0]) == list(range(0, 24, 2))
    assert dataset[np.int64(4)] == dataset[4] and dataset.seeds(torch.tensor(4)) == dataset.seeds(4)  # type: ignore[arg-type]
    assert sbt.worker_init_fn("train", manifest=manifest, rank=np.int64(1)).seeds(np.int32(2)) == \
        sbt.worker_init_fn("train", manifest=manifest, rank=1).seeds(2)  # type: ignore[arg-type]
    for bad in (np.float64(4.0), torch.tensor(4.0), np.int64(-1), True):
        with pytest.raises(DerivationError, match="index: must be a non-negative integer"):
            dataset[bad]  # type: ignore[index]


def test_seeded_dataset_refuses_reserved_keys_and_bad_indexes(manifest: seedbridge.Manifest) -> None:
    with pytest.raises(DerivationError, match=r"key 'index': is set by seedbridge"):
        sbt.SeededDataset(_Augment(), "train", manifest=manifest, index=1)
    dataset = sbt.SeededDataset(_Augment(), "train", manifest=manifest)
    with pytest.raises(DerivationError, match="index: must be a non-negative integer, got -1"):
        dataset[-1]
    with pytest.raises(DerivationError, match="epoch: must be a non-negative integer, got 'x'"):
        dataset.set_epoch("x")  # type: ignore[arg-type]
    with pytest.raises(DerivationError, match=r"epoch: must be below 2\*\*63, got 9223372036854775808"):
        dataset.set_epoch(2**63)
    dataset.set_epoch(2**63 - 1)
    assert dataset.epoch == 2**63 - 1
    assert pickle.loads(pickle.dumps(dataset)).seeds(3) == dataset.seeds(3)


def test_worker_seeder_generator_is_reseeded_per_epoch(manifest: seedbridge.Manifest) -> None:
    seeder = sbt.worker_init_fn("train", manifest=manifest, rank=2)
    assert seeder.generator.initial_seed() == manifest.seed("train", bits=64, rank=2)
    seeder.set_epoch(3)
    assert seeder.generator.initial_seed() == manifest.seed("train", bits=64, rank=2, epoch=3)
    copy = pickle.loads(pickle.dumps(seeder))  # what a worker gets: no generator
    assert copy.epoch == 3 and copy._generator is None
