"""The example mixed pipeline, end to end (`make demo`).

One manifest (seedbridge.yaml beside this file) drives every step:

1. preprocess   NumPy: make a data set, split it with a seeded shuffle
2. train_keras  TensorFlow/Keras: the seed document's model, in TensorFlow 2
   train_torch  PyTorch: a small MLP, shuffling DataLoader with two workers
3. analysis     R (Rscript + the seedbridge R package): bootstrap confidence intervals, a PNG plot
4. caffe_train  Caffe: the real caffe tool trains a small net on the preprocess step's data (as HDF5),
                from a LeNet-style solver template seeded by seedbridge (`make caffe` builds the tool)

Every step runs through `seedbridge run`, so the ledger (out/ledger.sqlite) holds the audit trail;
then `seedbridge verify` reruns each step twice in fresh processes and fresh folders and compares
the outputs. The summary at the end lists jobs, seeds, metrics and `reproduced: yes|no` per step.

    python examples/mixed_pipeline/run.py [--out DIR] [--fresh]

--fresh writes a new manifest with a root drawn from OS entropy into the output folder and uses it
(a new experiment); without it the committed manifest is used, so the seeds are the documented ones.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PY = sys.executable
SEEDBRIDGE = [PY, "-m", "seedbridge"]


@dataclass
class Step:
    job: str
    command: list[str]  # with {out} for the output folder
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # file names inside {out}
    seconds: float = 0.0
    reproduced: bool | None = None


def steps(out: Path) -> tuple[list[Step], dict[str, Path]]:
    data, train, analysis, caffe = out / "data", out / "train", out / "analysis", out / "caffe"
    return [
        Step("preprocess", [PY, str(HERE / "preprocess.py"), "{out}"], [], ["splits.npz"]),
        Step("train_keras", [PY, str(HERE / "train_keras.py"), str(data / "splits.npz"), "{out}"],
             [str(data / "splits.npz")], ["keras_history.json", "keras_weights.npz", "keras_val_correct.csv"]),
        Step("train_torch", [PY, str(HERE / "train_torch.py"), str(data / "splits.npz"), "{out}"],
             [str(data / "splits.npz")], ["torch_history.json", "torch_weights.npz", "torch_val_correct.csv"]),
        Step("analysis", ["Rscript", str(HERE / "analysis.R"), str(train), "{out}"],
             [str(train / name) for name in ("keras_val_correct.csv", "torch_val_correct.csv",
                                             "keras_history.json", "torch_history.json")],
             ["bootstrap.json", "bootstrap_samples.csv", "report.png"]),
        Step("caffe_train", [PY, str(HERE / "train_caffe.py"), str(data / "splits.npz"), "{out}"],
             [str(data / "splits.npz"), str(HERE / "lenet_solver.template.prototxt"), str(HERE / "caffe_net.prototxt")],
             ["caffe_history.json", "caffe_iter_560.caffemodel"]),
    ], {"preprocess": data, "train_keras": train, "train_torch": train, "analysis": analysis,
        "caffe_train": caffe}


def banner(text: str) -> None:
    print(f"\n=== {text}", file=sys.stderr, flush=True)


def sb(*args: str, env: dict[str, str], check: bool = True, capture: bool = False) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*SEEDBRIDGE, *args], env=env, text=True, capture_output=capture)
    if check and proc.returncode != 0:
        sys.exit(f"demo: `seedbridge {' '.join(args[:2])} ...` failed with exit status {proc.returncode}")
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE / "out", help="output folder (default: %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="draw a new root instead of the committed one")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    manifest = HERE / "seedbridge.yaml"
    if args.fresh:
        fresh = out / "seedbridge.yaml"
        shutil.copyfile(manifest, fresh)
        import seedbridge

        old = seedbridge.load(fresh)
        new = seedbridge.Manifest.new(list(old.jobs.values()))
        new.save(fresh)
        manifest = fresh
    env = {**os.environ, "SEEDBRIDGE_MANIFEST": str(manifest), "SEEDBRIDGE_LEDGER": str(out / "ledger.sqlite"),
           "TF_CPP_MIN_LOG_LEVEL": "3"}  # TensorFlow: errors only, keep the log readable
    # `make caffe` links the caffe tool beside this Python (.venv/bin), which need not be on PATH.
    env["PATH"] = os.pathsep.join([str(Path(PY).parent), env.get("PATH", "")])
    plan, folders = steps(out)

    banner(f"manifest {manifest}")
    sb("show", env=env)

    for step in plan:
        folder = folders[step.job]
        folder.mkdir(parents=True, exist_ok=True)
        command = [part.replace("{out}", str(folder)) for part in step.command]
        banner(f"run {step.job}")
        flags = [f for path in step.inputs for f in ("--input", path)]
        flags += [f for name in step.outputs for f in ("--output", str(folder / name))]
        start = time.perf_counter()
        sb("run", step.job, *flags, "--", *command, env=env)
        step.seconds = time.perf_counter() - start

    for step in plan:
        banner(f"verify {step.job}: two fresh runs with the same seeds, each in a folder of its own")
        # Outputs are written to "." (the run's own folder); inputs come from the recorded run above.
        command = [part.replace("{out}", ".") for part in step.command]
        flags = [f for name in step.outputs for f in ("--output", name)]
        proc = sb("verify", step.job, "--runs", "2", *flags, "--", *command, env=env, check=False)
        step.reproduced = proc.returncode == 0

    comparison = seed_variance(out, env)
    summary(plan, folders, manifest, env)
    seed_variance_summary(comparison)
    return 0 if all(s.reproduced for s in plan) else 1


def summary(plan: list[Step], folders: dict[str, Path], manifest: Path, env: dict[str, str]) -> None:
    seeds = {s.job: sb("seed", s.job, env=env, capture=True).stdout.strip() for s in plan}
    train = folders["train_keras"]
    keras = json.loads((train / "keras_history.json").read_text())
    torch = json.loads((train / "torch_history.json").read_text())
    boot = json.loads((folders["analysis"] / "bootstrap.json").read_text())
    caffe = json.loads((folders["caffe_train"] / "caffe_history.json").read_text())
    print("\nseedbridge example pipeline: summary")
    print(f"manifest  {manifest}")
    print(f"ledger    {folders['preprocess'].parent / 'ledger.sqlite'}  (seedbridge history)")
    print(f"\n{'step':<14}{'seed':>12}  {'seconds':>8}  reproduced")
    for s in plan:
        print(f"{s.job:<14}{seeds[s.job]:>12}  {s.seconds:>8.1f}  {'yes' if s.reproduced else 'no'}")
    print("\nmetrics")
    print(f"  keras  final val_accuracy {keras['val_accuracy'][-1]:.4f}, bootstrap 95% CI "
          f"[{boot['keras']['ci95'][0]:.4f}, {boot['keras']['ci95'][1]:.4f}]")
    print(f"  torch  final val_accuracy {torch['val_accuracy'][-1]:.4f}, bootstrap 95% CI "
          f"[{boot['torch']['ci95'][0]:.4f}, {boot['torch']['ci95'][1]:.4f}]")
    print(f"  keras - torch: {boot['difference']['estimate']:+.4f}, 95% CI "
          f"[{boot['difference']['ci95'][0]:+.4f}, {boot['difference']['ci95'][1]:+.4f}]")
    print(f"  caffe  final loss {caffe['loss'][-1]:.4f} (iteration {caffe['iteration'][-1]}), "
          f"val_accuracy {caffe['val_accuracy'][-1]:.4f}")
    print(f"\nplot      {folders['analysis'] / 'report.png'}")
    print(f"solver    {folders['caffe_train'] / 'lenet_solver.prototxt'} (seeded by seedbridge, trained by caffe)")



# -- seed variance: sweep the two training steps and compare them (docs/sweeps.md) ------------------

SWEEP_REPLICATES = 5


def seed_variance(out: Path, env: dict[str, str]) -> dict[str, Any]:
    """Train Keras and torch under SWEEP_REPLICATES seeds each, two at a time, and compare their final
    validation accuracy; returns `seedbridge compare --format json`."""
    splits = str(out / "data" / "splits.npz")
    sweeps = out / "sweeps"
    # Two replicates at a time on two cores: one OpenMP thread each, or PyTorch's spinning threads and its
    # DataLoader workers oversubscribe the CPUs (2.5x slower here). Each run records the setting.
    env = {**env, "OMP_NUM_THREADS": "1"}
    seconds = {}
    for job, script, history in (("train_keras", "train_keras.py", "keras_history.json"),
                                 ("train_torch", "train_torch.py", "torch_history.json")):
        banner(f"sweep {job}: {SWEEP_REPLICATES} seeds (keys replicate=0..{SWEEP_REPLICATES - 1}), two at a time")
        start = time.perf_counter()
        sb("sweep", job, "--replicates", str(SWEEP_REPLICATES), "--parallel", "2", "--input", splits,
           "--metric", f"val_accuracy={history}:val_accuracy[-1]", "--out", str(sweeps / job), "--",
           PY, str(HERE / script), splits, ".", env=env)
        seconds[job] = time.perf_counter() - start
    banner("compare train_keras with train_torch over the seeds")
    proc = sb("compare", str(sweeps / "train_keras"), str(sweeps / "train_torch"), "--format", "json",
              "--plot", str(sweeps / "keras_vs_torch.png"), env=env, capture=True)
    return {**json.loads(proc.stdout), "seconds": seconds}


def seed_variance_summary(comparison: dict[str, Any]) -> None:
    m = comparison["metrics"][0]
    took = ", ".join(f"{job} {t:.1f} s" for job, t in comparison["seconds"].items())
    print(f"\nseed variance: {SWEEP_REPLICATES} seeds per model, final val_accuracy (sweeps: {took})")
    print(f"  {comparison['pairing']}")
    for side, name in (("a", "keras"), ("b", "torch")):
        s = m[side]
        print(f"  {name}  mean {s['mean']:.4f}, sd {s['sd']:.4f}, 95% CI of the mean [{s['ci95'][0]:.4f}, "
              f"{s['ci95'][1]:.4f}]")
    print(f"  keras - torch: {m['difference']:+.4f}, 95% CI [{m['ci95'][0]:+.4f}, {m['ci95'][1]:+.4f}] "
          f"({m['method']}): {m['verdict']}")
    print(f"plot      {comparison['plot']}")


if __name__ == "__main__":
    sys.exit(main())
