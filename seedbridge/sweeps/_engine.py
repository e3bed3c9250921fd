"""The sweep engine: run a job's command once per replicate seed, record each run, read the metrics,
summarise them (docs/sweeps.md).

Replicate i runs the command with the job's environment for the keys ``replicate=i`` plus the caller's
keys, so its SEEDBRIDGE_SEED is ``seedbridge seed JOB --key replicate=i ...``, in a fresh folder
``DIR/replicate-i/work`` (logs beside it, in ``DIR/replicate-i``). Each replicate is a run in the ledger
carrying the sweep's id and, once read, its metrics. Both executors go through the same two callbacks,
which build and store the record with the runner's own functions (``new_record``, ``begin``, ``finish``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seedbridge import _provenance, runner
from seedbridge import ledger as _ledger
from seedbridge._atomic import atomic_write_bytes, atomic_write_text
from seedbridge._envvars import job_environment, job_seed
from seedbridge._manifest import Manifest, as_manifest
from seedbridge.errors import MissingDependencyError, Problem, ValidationError
from seedbridge.sweeps._local import Task, default_parallel, run_local
from seedbridge.sweeps._metrics import MetricSpec, Missing, parse_metric, read_metric
from seedbridge.sweeps._stats import CONFIDENCE, Summary, summarize

__all__ = ["EXECUTORS", "REPLICATE_KEY", "SWEEP_FORMAT", "Replicate", "SweepResult", "root_digest", "sweep"]

SWEEP_FORMAT = 1  # version of sweep.json
EXECUTORS = ("local", "ray")
REPLICATE_KEY = "replicate"
# Each replicate is a folder and a ledger row; beyond this a typo (an extra zero or three) is the likelier cause.
MAX_REPLICATES = 100_000
INTERVAL_METHOD = "Student t interval of the mean: mean ± t(0.975, n-1)·sd/√n"


@dataclass
class Replicate:
    """One replicate: its seed and run, how it ended, and the metrics read from its files."""

    index: int
    seed: int
    run_id: str
    folder: str  # DIR/replicate-i; the command ran in (or its files were returned to) folder/work
    status: str = "pending"  # succeeded, failed
    exit_code: int | None = None
    signal: int | None = None
    error: str | None = None
    seconds: float | None = None
    host: str | None = None
    retried: bool = False
    metrics: dict[str, float] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # metric name -> why it is not there
    notes: list[str] = field(default_factory=list)
    stderr_tail: str = ""

    def to_dict(self, base: str | None = None) -> dict[str, Any]:
        return {"replicate": self.index, "seed": self.seed, "run_id": self.run_id,
                "folder": os.path.relpath(self.folder, base) if base else self.folder, "status": self.status,
                "exit_code": self.exit_code, "signal": self.signal, "error": self.error,
                "seconds": None if self.seconds is None else round(self.seconds, 3), "host": self.host,
                "retried": self.retried, "metrics": dict(self.metrics), "missing": dict(self.missing),
                "notes": list(self.notes)}


@dataclass
class SweepResult:
    """What ``sweep`` returns, and what ``DIR/sweep.json`` holds (``to_dict``)."""

    sweep_id: str
    job: str
    command: list[str]
    keys: dict[str, str]
    params: dict[str, str]
    executor: str
    parallel: int | None
    out: str
    ledger: str
    manifest_path: str | None
    manifest_digest: str
    root_digest: str
    derivation: int
    started_at: str
    ended_at: str
    metric_sources: dict[str, str]  # name -> FILE:PATH
    replicates: list[Replicate]
    summary: dict[str, Summary]
    notes: list[str] = field(default_factory=list)
    png: str | None = None

    @property
    def ok(self) -> bool:
        """Every replicate succeeded and every metric was read from each."""
        return all(r.status == "succeeded" and not r.missing for r in self.replicates)

    def values(self, metric: str) -> dict[int, float]:
        """replicate index -> value, for the replicates that have ``metric``."""
        return {r.index: r.metrics[metric] for r in self.replicates if metric in r.metrics}

    def to_dict(self) -> dict[str, Any]:
        return {
            "seedbridge_sweep": SWEEP_FORMAT, "sweep_id": self.sweep_id, "job": self.job, "command": self.command,
            "keys": self.keys, "params": self.params, "replicate_key": REPLICATE_KEY,
            "replicates_requested": len(self.replicates), "executor": self.executor, "parallel": self.parallel,
            "out": self.out, "ledger": self.ledger, "manifest": self.manifest_path,
            "manifest_digest": self.manifest_digest,
            "root_digest": self.root_digest, "derivation": self.derivation, "started_at": self.started_at,
            "ended_at": self.ended_at, "metrics": self.metric_sources, "confidence": CONFIDENCE,
            "interval": INTERVAL_METHOD,
            "summary": {name: s.to_dict() for name, s in self.summary.items()},
            "replicates": [r.to_dict(self.out) for r in self.replicates],
            "notes": list(self.notes),
        }


def root_digest(manifest: Manifest, job: str) -> str:
    """What a job's keyed seeds derive from, hashed: the derivation version and the root (or the job's
    pin). Two sweeps with the same digest and keys share their replicates' seed base (docs/sweeps.md)."""
    pin = manifest.job(job).seed
    base = pin if pin is not None else manifest.root.entropy
    text = json.dumps({"derivation": manifest.derivation, "base": f"{base:x}"}, sort_keys=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _relative_inside(path: str) -> bool:
    parts = os.path.normpath(path).replace("\\", "/").split("/")
    return not os.path.isabs(path) and ".." not in parts and parts != ["."]


def _metric_specs(metrics: Mapping[str, str] | Iterable[str]) -> tuple[list[MetricSpec], list[Problem]]:
    items = [f"{k}={v}" for k, v in metrics.items()] if isinstance(metrics, Mapping) else list(metrics)
    specs: list[MetricSpec] = []
    problems: list[Problem] = []
    for item in items:
        parsed = parse_metric(item)
        if isinstance(parsed, Problem):
            problems.append(parsed)
        elif any(s.name == parsed.name for s in specs):
            problems.append(Problem(f"metric {parsed.name!r} named twice", field="--metric"))
        else:
            specs.append(parsed)
    return specs, problems


def _check_paths(inputs: list[str], outputs: list[str], specs: list[MetricSpec], caller: str,
                 executor: str) -> list[Problem]:
    problems: list[Problem] = []
    for path in outputs:
        if not _relative_inside(path):
            problems.append(Problem("must be a path inside the replicate's folder (relative, without ..): "
                                    f"every replicate writes its own, got {path!r}", field="--output"))
    for path in inputs:
        full = os.path.join(caller, path)
        if not os.path.isfile(full):
            what = "does not exist" if not os.path.lexists(full) else "is not a regular file"
            problems.append(Problem(f"input {what}", file=path, field="--input"))
        elif executor == "ray" and not _relative_inside(path):
            problems.append(Problem("with --executor ray an input travels with the task to a folder on its node, "
                                    f"so it must be a relative path below this folder, got {path!r}",
                                    field="--input"))
    placed = {os.path.normpath(p) for p in inputs if _relative_inside(p)}
    for path in [*outputs, *(s.file for s in specs)]:
        if os.path.normpath(path) in placed:
            problems.append(Problem(f"{path!r} is also an --input; a replicate's files must not overwrite an input",
                                    field="--output" if path in outputs else "--metric"))
    return problems


def _out_dir(out: str | os.PathLike[str] | None, manifest: Manifest, sweep_id: str) -> tuple[str, list[Problem]]:
    if out is None:
        base = os.path.dirname(os.path.abspath(manifest.path)) if manifest.path else os.getcwd()
        return os.path.join(base, _ledger.LEDGER_DIR, "sweeps", sweep_id), []
    path = os.path.abspath(os.fspath(out))
    if os.path.lexists(path) and (not os.path.isdir(path) or os.listdir(path)):
        return path, [Problem("already exists and is not an empty folder; choose a new --out DIR (a sweep never "
                              "writes over another's files)", file=os.fspath(out), field="--out")]
    return path, []


def _require(module: str, what: str, extra: str) -> None:
    """Import ``module`` now (the sweep uses it later anyway), so a missing one stops the sweep before any
    replicate runs."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(f"{what} needs {module}; install seedbridge[{extra}]") from None


def _tail(path: str, lines: int = 5) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - 4000))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _land(task: Task, info: dict[str, Any], rep: Replicate) -> None:
    """Write what a Ray task sent back under the replicate's folder."""
    for rel, payload in info.get("files", {}).items():
        if isinstance(payload, bytes):
            target = os.path.join(task.workdir, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            atomic_write_bytes(target, payload)
        elif payload != "not written":
            rep.notes.append(f"{rel}: not returned from the node: {payload}")
    for name, payload in info.get("logs", {}).items():
        if isinstance(payload, bytes):
            atomic_write_bytes(os.path.join(task.folder, name), payload)


def _prepare(tasks: Sequence[Task], collect: Iterable[str]) -> None:
    """Each replicate's fresh folder, with its inputs linked in and the folders of its files made."""
    for task in tasks:
        os.makedirs(task.workdir)
        for rel, source in task.inputs.items():
            link = os.path.join(task.workdir, rel)
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(source, link)
        for rel in collect:
            os.makedirs(os.path.join(task.workdir, os.path.dirname(rel)), exist_ok=True)


def _identical_note(name: str, s: Summary) -> str | None:
    if s.n >= 2 and s.sd == 0:
        return (f"every replicate gave the same {name} ({s.mean:g}): does the command take its seed from the "
                "environment? seed_everything('job') with the job named ignores the replicate key; call "
                "seed_everything() (job and keys from the environment) or read SEEDBRIDGE_SEED")
    return None


def sweep(
    job: str,
    command: Sequence[str],
    *,
    replicates: int,
    metrics: Mapping[str, str] | Iterable[str] = (),
    manifest: Manifest | str | os.PathLike[str] | None = None,
    parallel: int | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    outputs: Iterable[str] = (),
    inputs: Iterable[str] = (),
    keys: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    out: str | os.PathLike[str] | None = None,
    ledger: str | os.PathLike[str] | None = None,
    plot: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    progress: Callable[[Replicate, int, int], None] | None = None,
) -> SweepResult:
    """Run ``command`` as ``job`` once per replicate (seeds from the keys ``replicate=0..N-1``), read
    ``metrics`` (``{"acc": "history.json:val_accuracy[-1]"}`` or ``["acc=history.json:..."]``) from each
    replicate's folder, and summarise them. Writes ``DIR/sweep.json`` and, with ``plot``, ``DIR/sweep.png``."""
    m = as_manifest(manifest)
    m.job(job)  # an unknown job is an UnknownJobError before anything else
    command = list(command)
    keys = {str(k): str(v) for k, v in (keys or {}).items()}
    params = {str(k): str(v) for k, v in (params or {}).items()}
    outputs = [os.path.normpath(o) for o in dict.fromkeys(outputs)]
    inputs = list(dict.fromkeys(os.fspath(i) for i in inputs))
    caller = os.path.abspath(cwd or os.getcwd())
    specs, problems = _metric_specs(metrics)
    if not command:
        problems.append(Problem("a command is required: seedbridge sweep JOB --replicates N -- CMD ..."))
    if isinstance(replicates, bool) or not isinstance(replicates, int) or not 1 <= replicates <= MAX_REPLICATES:
        problems.append(Problem(f"must be an integer in 1..{MAX_REPLICATES}, got {replicates!r}",
                                field="--replicates"))
    if parallel is not None and (isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1):
        problems.append(Problem(f"must be an integer >= 1, got {parallel!r}", field="--parallel"))
    if executor not in EXECUTORS:
        problems.append(Problem(f"must be one of {', '.join(EXECUTORS)}, got {executor!r}", field="--executor"))
    if ray_address is not None and executor != "ray":
        problems.append(Problem("only applies with --executor ray", field="--ray-address"))
    if REPLICATE_KEY in keys:
        problems.append(Problem(f"{REPLICATE_KEY!r} is the key sweep sets for each replicate; it cannot also be "
                                f"given, got {REPLICATE_KEY}={keys[REPLICATE_KEY]!r}", field="--key"))
    problems += _check_paths(inputs, outputs, specs, caller, executor)
    sweep_id = "sweep-" + _ledger.new_run_id()
    base, out_problems = _out_dir(out, m, sweep_id)
    problems += out_problems
    if problems:
        raise ValidationError(problems)
    if plot and specs:
        _require("matplotlib", "sweep.png", "plot")
    if executor == "ray":
        _require("ray", "the ray executor", "ray")

    from seedbridge.verify import rewrite_command

    placed = {os.path.normpath(p): os.path.join(caller, p) for p in inputs if _relative_inside(p)}
    collect = tuple(dict.fromkeys([*outputs, *(s.file for s in specs)]))
    # Paths that exist here are made absolute, as for verify, except inputs (placed in the folder) and the
    # replicate's own files, which stay relative to the folder the command runs in.
    argv = tuple(rewrite_command(command, caller, [*collect, *placed]))
    input_digests = {p: runner.sha256_file(os.path.join(caller, p)) for p in inputs}
    width = len(str(replicates - 1))
    tasks: list[Task] = []
    reps: list[Replicate] = []
    all_keys: list[dict[str, str]] = []
    for i in range(replicates):
        run_keys = {**keys, REPLICATE_KEY: str(i)}
        run_id = _ledger.new_run_id()
        env = job_environment(m, job, keys=run_keys,
                              extra={"SEEDBRIDGE_RUN_ID": run_id, "SEEDBRIDGE_SWEEP_ID": sweep_id})
        folder = os.path.join(base, f"replicate-{i:0{width}d}")
        tasks.append(Task(i, run_id, argv, env, folder, os.path.join(folder, "work"), placed, collect))
        reps.append(Replicate(i, job_seed(m, job, run_keys), run_id, folder))
        all_keys.append(run_keys)

    ledger_path = os.fspath(ledger) if ledger is not None else _ledger.default_path(m.path)
    code = _provenance.code_state(caller)
    versions = _provenance.versions(m.job(job).frameworks)
    lock = threading.Lock()
    records: dict[int, _ledger.RunRecord] = {}
    duplicates: list[tuple[int, str]] = []
    undescribed: set[int] = set()
    done = [0]
    notes: list[str] = []
    started_at = _ledger.utc_now()

    def started(task: Task, info: dict[str, Any]) -> None:
        # A Ray node describes itself ("system" and "versions"; None when it has no seedbridge); a local
        # replicate runs here, on this system (read per replicate: PYTHONHASHSEED is part of it).
        remote = "system" in info
        if remote and info["system"] is None:
            undescribed.add(task.index)
        record = runner.new_record(
            m, job, task.argv, run_id=task.run_id, keys=all_keys[task.index], inputs=input_digests,
            outputs=outputs, params=params, cwd=task.workdir, env=task.env, code=code,
            versions=(info["versions"] or {}) if remote else versions,
            system=(info["system"] or {}) if remote else None,
            sweep_id=sweep_id, host=info.get("host"), pid=info.get("pid"), started_at=info.get("started_at"))
        with lock:
            record = runner.begin(book, record, warn=lambda message: None)
            records[task.index] = record
            if record.duplicate_of is not None:
                duplicates.append((task.index, record.duplicate_of))

    def finished(task: Task, info: dict[str, Any]) -> None:
        rep = reps[task.index]
        if "files" in info:
            _land(task, info, rep)
        with lock:
            result = runner.finish(book, records[task.index], info["returncode"], info["error"],
                                   warn=rep.notes.append, ended_at=info.get("ended_at"))
        if result.record_error is not None:
            rep.notes.append(result.record_error)
        rep.exit_code, rep.signal, rep.error = result.exit_code, result.signal, result.error
        rep.seconds, rep.host, rep.retried = info.get("seconds"), result.record.host, bool(info.get("retried"))
        rep.status = result.record.status
        if rep.status == "succeeded":
            for spec in specs:
                try:
                    rep.metrics[spec.name] = read_metric(spec, task.workdir)
                except Missing as exc:
                    rep.missing[spec.name] = str(exc)
        else:
            rep.stderr_tail = _tail(os.path.join(task.folder, "stderr.log"))
        with lock:
            if rep.metrics:
                book.set_metrics(task.run_id, rep.metrics)
            done[0] += 1
            count = done[0]
        if progress is not None:
            progress(rep, count, replicates)

    with _ledger.Ledger(ledger_path) as book:  # opened first: a ledger that cannot be used stops the sweep here
        created = not os.path.exists(base)
        _prepare(tasks, collect)
        try:
            if executor == "ray":
                from seedbridge.sweeps._ray import run_ray

                notes += run_ray(tasks, parallel=parallel, address=ray_address, frameworks=m.job(job).frameworks,
                                 started=started, finished=finished)
            else:
                run_local(tasks, parallel=parallel or default_parallel(), started=started, finished=finished)
        except BaseException:
            if created and not records:  # nothing ran (Ray could not start, say): leave no empty folders
                shutil.rmtree(base, ignore_errors=True)
            raise
        ledger_path = book.path

    summary = {s.name: summarize([r.metrics[s.name] for r in reps if s.name in r.metrics]) for s in specs}
    if duplicates:
        i, earlier = duplicates[0]
        notes.append(f"{len(duplicates)} of {replicates} replicates repeat earlier successful runs with the same "
                     f"seeds, code, inputs, parameters and command (replicate {i} repeats run {earlier}): this "
                     "sweep re-ran an earlier one, a reproducibility check")
    notes += [n for n in (_identical_note(name, s) for name, s in summary.items()) if n]
    if undescribed:
        notes.append(f"{len(undescribed)} replicates ran on Ray nodes without seedbridge installed: their records "
                     "carry no system or framework versions")
    result = SweepResult(
        sweep_id=sweep_id, job=job, command=list(argv), keys=keys, params=params, executor=executor,
        parallel=parallel, out=base, ledger=ledger_path,
        manifest_path=os.path.abspath(m.path) if m.path else None, manifest_digest=m.digest(),
        root_digest=root_digest(m, job), derivation=m.derivation, started_at=started_at,
        ended_at=_ledger.utc_now(), metric_sources={s.name: s.source for s in specs}, replicates=reps,
        summary=summary, notes=notes)
    if plot and specs:
        from seedbridge.sweeps._plot import sweep_png

        result.png = os.path.join(base, "sweep.png")
        atomic_write_bytes(result.png, sweep_png(result))
    atomic_write_text(os.path.join(base, "sweep.json"), json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
                      + "\n")
    return result
