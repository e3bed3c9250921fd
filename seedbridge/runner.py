"""Run a command as a job of the manifest and record it; replay a recorded run (docs/ci.md).

``run`` starts the command with the job's environment (seeds, PYTHONHASHSEED, determinism variables,
SEEDBRIDGE_RUN_ID), passes stdin, stdout, stderr and any inherited file descriptor straight through
(nothing is buffered), forwards signals, and records the run in the ledger: inserted as ``started``
before the command starts, completed when it ends. Whatever happens to the ledger meanwhile (a full
disk, a PostgreSQL server that went away), the command's exit status is passed on; the failure to
complete the record is reported beside it. ``rerun`` replays a recorded run with the same seeds,
says first what changed in the environment since (drift), and compares each output's SHA-256 with
the recorded one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from seedbridge import _provenance
from seedbridge import ledger as _ledger
from seedbridge._drift import Drift, drift
from seedbridge._envvars import job_environment, job_seed
from seedbridge._files import Refused, describe_mode, open_regular
from seedbridge._manifest import Manifest
from seedbridge.errors import LedgerError, Problem, ValidationError

__all__ = [
    "Drift",
    "OutputCheck",
    "RerunResult",
    "RunResult",
    "begin",
    "exit_status",
    "finish",
    "new_record",
    "rerun",
    "run",
    "sha256_file",
]

CHUNK = 1024 * 1024
# Signals seedbridge passes on to the command instead of dying of them itself.
FORWARDED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
                  if hasattr(signal, name))
# Signals that end a process without a core dump: when the command died of one, seedbridge dies of the
# same one, so a calling shell sees what it would have seen without seedbridge (bash stops a loop on a
# child's SIGINT only when the child died of it: "wait and cooperative exit"). SIGKILL is not among them:
# its disposition cannot be reset, and a shell reports a SIGKILLed child as status 137, which is what
# seedbridge exits with then.
_REPRODUCED_DEATHS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGPIPE",
                                                              "SIGUSR1", "SIGUSR2", "SIGALRM") if hasattr(signal, name))

Warn = Callable[[str], None]


def _stderr_warn(message: str) -> None:
    print(f"seedbridge: warning: {message}", file=sys.stderr, flush=True)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a regular file, read in 1 MiB chunks so that files of any size fit. Anything else
    (a FIFO, a device, a directory) raises ``Refused`` without blocking."""
    h = hashlib.sha256()
    with open_regular(path) as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _digests(paths: Iterable[str], cwd: str, *, refused: dict[str, str] | None = None) -> dict[str, str | None]:
    """path as given -> SHA-256, or None when there is no such regular file; why each path that exists
    but is not a regular file was refused goes into ``refused``."""
    out: dict[str, str | None] = {}
    for path in paths:
        full = os.path.join(cwd, path)
        try:
            out[path] = sha256_file(full)
        except Refused as exc:
            out[path] = None
            if refused is not None and os.path.lexists(full) and str(exc) != "no such file":
                refused[path] = str(exc)
    return out


def _not_regular(path: str) -> str | None:
    """What ``path`` is when it exists but is not a regular file (a FIFO, a device, a directory)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    import stat

    return None if stat.S_ISREG(mode) else describe_mode(mode)


@dataclass(frozen=True)
class RunResult:
    record: _ledger.RunRecord
    exit_code: int
    signal: int | None = None
    error: str | None = None  # the command could not be started
    record_error: str | None = None  # the command ran, but its end could not be recorded


def _from_terminal(signum: int) -> bool:
    """True when ``signum`` most likely came from our controlling terminal (Ctrl-C, Ctrl-\\, hang-up).

    The terminal sends those to its whole foreground process group, the command included, so passing
    them on would deliver them twice (a second KeyboardInterrupt in the middle of the command's cleanup)."""
    if signum not in (signal.SIGINT, getattr(signal, "SIGQUIT", -1), signal.SIGHUP):
        return False
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
                return True
        except OSError:
            continue
    return False


def _spawn(command: Sequence[str], *, env: Mapping[str, str], cwd: str) -> tuple[int | None, str | None]:
    """Run ``command`` with our stdin/stdout/stderr and forward signals; (returncode, start error)."""
    import threading

    forwarding = threading.current_thread() is threading.main_thread()
    pending: list[int] = []
    child: list[subprocess.Popen[bytes]] = []

    def handler(signum: int, frame: object) -> None:
        if _from_terminal(signum):
            return
        if child:
            with contextlib.suppress(ProcessLookupError, OSError):
                child[0].send_signal(signum)
        else:
            pending.append(signum)

    previous = {s: signal.signal(s, handler) for s in FORWARDED} if forwarding else {}
    try:
        try:
            # close_fds=False: descriptors the caller gave seedbridge (a pipe on fd 3, say) reach the
            # command too; seedbridge's own files (the ledger) are opened close-on-exec.
            proc = subprocess.Popen(list(command), env=dict(env), cwd=cwd, close_fds=False)
        except FileNotFoundError:
            return 127, f"cannot run {command[0]!r}: no such file or directory (not on PATH?)"
        except PermissionError:
            return 126, f"cannot run {command[0]!r}: permission denied (not executable?)"
        except OSError as exc:
            return 126, f"cannot run {command[0]!r}: {exc.strerror or exc}"
        child.append(proc)
        for signum in pending:
            proc.send_signal(signum)
        return proc.wait(), None
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def new_record(
    manifest: Manifest,
    job: str,
    command: Sequence[str],
    *,
    run_id: str,
    keys: Mapping[str, str],
    inputs: Mapping[str, str | None],
    outputs: Iterable[str],
    params: Mapping[str, str],
    cwd: str,
    env: Mapping[str, str],
    code: _provenance.CodeState | None = None,
    versions: Mapping[str, str] | None = None,
    system: Mapping[str, str | None] | None = None,
    deliberate: bool = False,
    rerun_of: str | None = None,
    sweep_id: str | None = None,
    host: str | None = None,
    pid: int | None = None,
    started_at: str | None = None,
) -> _ledger.RunRecord:
    """The ledger record of a run about to start (or, for a sweep on Ray, of one that ran on ``host``).

    ``inputs`` are the input digests and ``env`` the job's variables the command starts with (on top of
    this process's environment). ``code``, ``versions`` and ``system`` are read here unless the caller
    already has them: a sweep reads the code state and versions once for all its replicates, and a Ray
    node describes itself."""
    seed = job_seed(manifest, job, keys)
    code = code if code is not None else _provenance.code_state(cwd)
    fp = _ledger.fingerprint(job=job, keys=keys, seed=seed, code_version=code.version, inputs=inputs,
                             params=params, command=command)
    root = manifest.root
    frameworks = manifest.job(job).frameworks
    return _ledger.RunRecord(
        run_id=run_id, job=job, command=list(command), started_at=started_at or _ledger.utc_now(), keys=dict(keys),
        seeds={"seed": seed, "PYTHONHASHSEED": int(env["PYTHONHASHSEED"])},
        derivation=manifest.derivation, profile=manifest.job(job).profile,
        manifest_path=os.path.abspath(manifest.path) if manifest.path else None,
        manifest_digest=manifest.digest(), root_source=root.source + (f":{root.env}" if root.env else ""),
        cwd=cwd, environment=dict(env), git_commit=code.commit, git_dirty=code.dirty,
        code_version=code.version, inputs=dict(inputs), outputs=dict.fromkeys(outputs), params=dict(params),
        versions=dict(versions) if versions is not None else _provenance.versions(frameworks),
        system=dict(system) if system is not None else _provenance.system({**os.environ, **env}),
        host=host or _provenance.host(), pid=os.getpid() if pid is None else pid, deliberate=deliberate,
        rerun_of=rerun_of, sweep_id=sweep_id, fingerprint=fp,
    )


def begin(book: _ledger.Ledger, record: _ledger.RunRecord, *, warn: Warn = _stderr_warn) -> _ledger.RunRecord:
    """Insert ``record`` as started, marking (and warning about) a repeat of an earlier successful run."""
    run_id = record.run_id
    duplicate = book.find_duplicate(record.fingerprint, before=run_id)
    notes: list[str] = []
    if duplicate is not None:
        note = (f"run {run_id} repeats run {duplicate}: same seed, code version, inputs, parameters and command"
                + ("; marked as a deliberate reproducibility check" if record.deliberate else
                   "; a repeated run adds nothing unless it is a deliberate reproducibility check "
                   "(pass --rerun to say so, or use new seeds)"))
        notes.append(note)
        if not record.deliberate:
            warn(note)
    record = replace(record, duplicate_of=duplicate, warnings=notes)
    book.insert(record)
    return record


def finish(book: _ledger.Ledger, record: _ledger.RunRecord, returncode: int | None, error: str | None, *,
           warn: Warn = _stderr_warn, ended_at: str | None = None) -> RunResult:
    """Record how the run of ``record`` ended, its outputs hashed in its folder now, and return the result.

    ``returncode`` is as subprocess gives it (negative: killed by that signal); ``error`` says why the
    command could not start. A ledger that cannot take the end leaves the record ``started`` and sets
    ``record_error``: the command has run, and its status matters more."""
    run_id = record.run_id
    died_of = -returncode if returncode is not None and returncode < 0 else None
    exit_code = 128 + died_of if died_of is not None else int(returncode or 0)
    refused: dict[str, str] = {}
    output_digests = _digests(record.outputs, record.cwd or os.getcwd(), refused=refused)
    late: list[str] = []
    if error is not None:
        late.append(error)
    for p, why in refused.items():
        late.append(f"output {p} {why}; not digested")
        warn(f"run {run_id}: output {p} {why}; not digested")
    missing = [p for p, d in output_digests.items() if d is None and p not in refused]
    if missing and error is None:
        late.append(f"output file not written: {', '.join(missing)}")
        warn(f"run {run_id}: output file not written: {', '.join(missing)}")
    status = "succeeded" if exit_code == 0 else "failed"
    ended = replace(record, ended_at=ended_at or _ledger.utc_now(), exit_code=exit_code, signal=died_of,
                    status=status, outputs=output_digests, warnings=[*record.warnings, *late])
    record_error = None
    try:
        book.finish(run_id, ended_at=ended.ended_at or "", exit_code=exit_code, signal=died_of, status=status,
                    outputs=output_digests, warnings=late)
    except LedgerError as exc:
        record_error = f"run {run_id}: the record could not be completed (the ledger keeps it as started): {exc}"
    return RunResult(record=ended, exit_code=exit_code, signal=died_of, error=error, record_error=record_error)


def run(
    manifest: Manifest,
    job: str,
    command: Sequence[str],
    *,
    keys: Mapping[str, str] | None = None,
    inputs: Iterable[str] = (),
    outputs: Iterable[str] = (),
    params: Mapping[str, str] | None = None,
    deliberate: bool = False,
    rerun_of: str | None = None,
    sweep_id: str | None = None,
    cwd: str | None = None,
    ledger_path: str | None = None,
    warn: Warn = _stderr_warn,
    on_start: Callable[[_ledger.RunRecord, str], None] | None = None,
) -> RunResult:
    """Run ``command`` as ``job`` and record it; the result carries the exit status to pass on.

    Every problem found before the command starts (bad input, an unreachable ledger) raises and nothing
    runs; once it has started, its exit status always comes back, with ``record_error`` set when the
    ledger could not record the end."""
    command = list(command)
    keys = dict(keys or {})
    params = dict(params or {})
    inputs = list(dict.fromkeys(inputs))
    outputs = list(dict.fromkeys(outputs))
    workdir = os.path.abspath(cwd or os.getcwd())
    problems: list[Problem] = []
    if not command:
        problems.append(Problem("a command is required: seedbridge run JOB -- CMD ..."))
    if not os.path.isdir(workdir):
        problems.append(Problem("working directory does not exist", file=workdir))
    refused: dict[str, str] = {}
    input_digests = _digests(inputs, workdir, refused=refused) if not problems else {}
    problems += [Problem(f"input {refused[p]}" if p in refused
                         else "input file does not exist (or is not a file)", file=p)
                 for p, d in input_digests.items() if d is None]
    if not problems:
        for p in outputs:
            what = _not_regular(os.path.join(workdir, p))
            if what is not None:
                problems.append(Problem(f"output is {what}; an output must be a regular file (or not exist yet)",
                                        file=p))
    if problems:
        raise ValidationError(problems)

    run_id = _ledger.new_run_id()
    job_env = job_environment(manifest, job, keys=keys, extra={"SEEDBRIDGE_RUN_ID": run_id})
    record = new_record(manifest, job, command, run_id=run_id, keys=keys, inputs=input_digests, outputs=outputs,
                        params=params, cwd=workdir, env=job_env, deliberate=deliberate, rerun_of=rerun_of,
                        sweep_id=sweep_id)
    path = ledger_path or _ledger.default_path(manifest.path)
    with _ledger.Ledger(path) as book:
        record = begin(book, record, warn=warn)
        if on_start is not None:
            on_start(record, book.path)
        returncode, error = _spawn(command, env={**os.environ, **job_env}, cwd=workdir)
        return finish(book, record, returncode, error, warn=warn)


def exit_status(result: RunResult) -> int:
    """The exit status seedbridge should end with. When the command died of a terminating signal,
    seedbridge dies of the same signal (so this does not return); otherwise 128 + signal or the code."""
    if result.signal is not None and result.signal in _REPRODUCED_DEATHS:
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            signal.signal(result.signal, signal.SIG_DFL)
        except (OSError, ValueError):  # not the main thread, or a signal that cannot be reset
            return result.exit_code
        os.kill(os.getpid(), result.signal)
    return result.exit_code


# -- rerun ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputCheck:
    path: str
    recorded: str | None
    now: str | None
    reproduced: bool
    detail: str


@dataclass(frozen=True)
class RerunResult:
    original: _ledger.RunRecord
    run: RunResult
    checks: list[OutputCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What changed in the environment since the recorded run (framework versions, system).
    drift: list[Drift] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        return bool(self.checks) and all(c.reproduced for c in self.checks) and \
            self.run.exit_code == self.original.exit_code


def _move_aside(paths: Iterable[str], cwd: str, tag: str) -> dict[str, str]:
    """Rename existing output files to hidden siblings, so a rerun that fails to write one cannot pass
    by finding the old file; returns path -> backup."""
    moved: dict[str, str] = {}
    for path in paths:
        full = os.path.join(cwd, path)
        if os.path.isfile(full):
            backup = os.path.join(os.path.dirname(full), f".{os.path.basename(full)}.seedbridge-{tag}")
            os.replace(full, backup)
            moved[path] = backup
    return moved


def rerun(
    run_id: str,
    *,
    manifest: Manifest | None = None,
    ledger_path: str | None = None,
    allow_manifest_change: bool = False,
    cwd: str | None = None,
    strict_env: bool = False,
    warn: Warn = _stderr_warn,
    on_drift: Callable[[_ledger.RunRecord, list[Drift]], None] | None = None,
    on_start: Callable[[_ledger.RunRecord, str], None] | None = None,
) -> RerunResult:
    """Replay run ``run_id``: same command, folder, job, keys, parameters and seeds (re-derived from the
    manifest, which must be the one the run used), then compare each output with the recorded digest.

    Before it runs, the environment is compared with the recorded one; ``on_drift`` hears what changed,
    and with ``strict_env`` any change is an error and nothing runs."""
    from seedbridge._manifest import load

    path = ledger_path or _ledger.default_path(manifest.path if manifest else None)
    with _ledger.Ledger(path, readonly=True) as book:
        original = book.get(run_id)
    if manifest is None:
        recorded = original.manifest_path
        manifest = load(recorded if recorded and os.path.exists(recorded) else None)
    digest = manifest.digest()
    if original.manifest_digest is not None and digest != original.manifest_digest and not allow_manifest_change:
        now_seed = job_seed(manifest, original.job, original.keys) if original.job in manifest.jobs else None
        if now_seed is None:
            what = f"job {original.job!r} is no longer declared"
        elif now_seed == original.seed:
            what = f"the job's seed is unchanged ({now_seed}), but other settings (profile, frameworks) may differ"
        else:
            what = f"the job's seed would be {now_seed} instead of the recorded {original.seed}"
        raise ValidationError([Problem(
            f"differs from the manifest run {original.run_id} used (digest {original.manifest_digest[:12]} "
            f"recorded, {digest[:12]} now); {what}. Restore that manifest (e.g. from the CI artifact) and name it "
            "with -m, or pass --allow-manifest-change to rerun with the current manifest",
            file=manifest.path or "<manifest>")])
    if cwd is not None and not os.path.isdir(cwd):
        raise ValidationError([Problem("the folder given with --cwd does not exist (or is not a folder)", file=cwd)])
    workdir = cwd or original.cwd or os.getcwd()
    if not os.path.isdir(workdir):
        raise ValidationError([Problem(f"run {original.run_id} ran in this folder, which does not exist here; "
                                       "pass --cwd DIR", file=workdir)])
    frameworks = manifest.job(original.job).frameworks if original.job in manifest.jobs else ()
    job_env = (job_environment(manifest, original.job, keys=original.keys) if original.job in manifest.jobs
               else original.environment)
    env_now = {**os.environ, **job_env}
    changed = drift(original.versions, original.system, _provenance.versions(frameworks),
                    _provenance.system(env_now))
    if on_drift is not None:
        on_drift(original, changed)
    if changed and strict_env:
        raise ValidationError([Problem(f"environment changed since run {original.run_id}: {d}; --strict-env "
                                       "refuses to rerun in a changed environment") for d in changed])
    notes: list[str] = []
    now_inputs = _digests(original.inputs, workdir)
    for p, d in original.inputs.items():
        if now_inputs.get(p) != d:
            notes.append(f"input {p} changed since run {original.run_id}" if now_inputs.get(p)
                         else f"input {p} is missing")
    if any(now_inputs.get(p) is None for p in original.inputs):
        raise ValidationError([Problem("input file of the recorded run does not exist", file=p)
                               for p in original.inputs if now_inputs.get(p) is None])
    tag = f"rerun-{os.getpid()}"
    moved = _move_aside(original.outputs, workdir, tag)
    try:
        result = run(manifest, original.job, original.command, keys=original.keys, inputs=list(original.inputs),
                     outputs=list(original.outputs), params=original.params, deliberate=True,
                     rerun_of=original.run_id, sweep_id=original.sweep_id, cwd=workdir, ledger_path=path, warn=warn,
                     on_start=on_start)
        checks = [_check_output(p, original.outputs[p], result.record.outputs.get(p), workdir, moved.get(p))
                  for p in original.outputs]
    finally:
        for p, backup in moved.items():
            full = os.path.join(workdir, p)
            if os.path.exists(full):
                os.unlink(backup)
            else:
                os.replace(backup, full)  # the rerun did not write it: give the user their file back
    if not original.outputs:
        notes.append(f"run {original.run_id} recorded no output files (--output), so nothing could be compared")
    if result.exit_code != original.exit_code:
        notes.append(f"exit code {result.exit_code}, recorded {original.exit_code}")
    return RerunResult(original=original, run=result, checks=checks, notes=notes, drift=changed)


def _check_output(path: str, recorded: str | None, now: str | None, cwd: str, previous: str | None) -> OutputCheck:
    if recorded is None and now is None:
        return OutputCheck(path, recorded, now, True, "not written, as in the recorded run")
    if recorded is None:
        return OutputCheck(path, recorded, now, False, "written now, but the recorded run did not write it")
    if now is None:
        return OutputCheck(path, recorded, now, False, "not written by the rerun")
    if recorded == now:
        return OutputCheck(path, recorded, now, True, f"reproduced (sha256 {now[:12]})")
    detail = f"differs (sha256 {recorded[:12]} recorded, {now[:12]} now)"
    if previous is not None and sha256_file(previous) == recorded:
        # The file from the recorded run was still on disk: say where and by how much the values moved.
        from seedbridge._diff import compare_files

        cmp = compare_files(previous, os.path.join(cwd, path), name=path)
        detail += f": {cmp.detail.removeprefix('differs: ')}"
    return OutputCheck(path, recorded, now, False, detail)

