"""The R target: seed the R session embedded through rpy2, and emit R code for places without rpy2.

R can be used from the main thread only: rpy2 runs the embedded R in the process's main thread, and R is not
thread-safe (rpy2 docs, "Multithreading"; calls from other threads error out or crash the process), so every
function that reaches R checks the thread first and raises FrameworkError.

``set_seed`` pins all three of R's RNG kinds (``kind``, ``normal.kind``, ``sample.kind``; the job's
``r:`` block in the manifest overrides the defaults Mersenne-Twister / Inversion / Rejection), calls
``set.seed`` with the job's portable 31-bit seed, then reads ``.Random.seed[1]`` back to check that
the kinds took. The R package in ``r-package/`` does the same natively (``sb_set_seed``), so a
Python process and an ``Rscript`` process seeded for the same job draw the same numbers.

rpy2 is imported inside the functions that apply seeds; ``snippet`` needs neither R nor rpy2.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from seedbridge import _context
from seedbridge._manifest import R_DEFAULT_KINDS, as_manifest
from seedbridge.derive import FRAMEWORK_SEED_MAX, PORTABLE_BITS, check_seed_for
from seedbridge.errors import FrameworkError, MissingDependencyError

if TYPE_CHECKING:
    from seedbridge._manifest import Job, Manifest

__all__ = ["NAME", "SEED_MAX", "apply", "available", "get_state", "set_seed", "set_state", "snippet", "version"]

NAME = "r"
SEED_MAX = FRAMEWORK_SEED_MAX[NAME]

KIND_FIELDS = ("kind", "normal.kind", "sample.kind")

# .Random.seed[1] = kind + 100 * normal.kind + 10000 * sample.kind, with the codes of the enums
# RNGtype, N01type and Sampletype in R's src/main/RNG.c.
_KIND_CODES: dict[str, dict[str, int]] = {
    "kind": {
        "Wichmann-Hill": 0,
        "Marsaglia-Multicarry": 1,
        "Super-Duper": 2,
        "Mersenne-Twister": 3,
        "Knuth-TAOCP": 4,
        "user-supplied": 5,
        "Knuth-TAOCP-2002": 6,
        "L'Ecuyer-CMRG": 7,
    },
    "normal.kind": {
        "Buggy Kinderman-Ramage": 0,
        "Ahrens-Dieter": 1,
        "Box-Muller": 2,
        "user-supplied": 3,
        "Inversion": 4,
        "Kinderman-Ramage": 5,
    },
    "sample.kind": {"Rounding": 0, "Rejection": 1},
}

_INSTALL_HINT = (
    "the r target needs R and rpy2; install R (Debian/Ubuntu: apt-get install r-base-core) and "
    "pip install 'seedbridge[r]'. rpy2 must match R: rpy2 3.6.x needs R >= 4.5; R 4.2-4.4 (Debian 12 "
    "ships 4.2.2) needs rpy2 3.5.x (pip install 'rpy2>=3.5.13,<3.6'; 3.5.17 is tested)"
)

# R code run in the embedded session. Each function returns plain vectors that convert without
# numpy or pandas. R's warning that the Rounding sampler is non-uniform (RNG.c) is muffled, in the
# session's language: the manifest asked for Rounding on purpose.
_R_SET_SEED = """
function(seed, kind, normal.kind, sample.kind) {
  rounding <- gettext("non-uniform 'Rounding' sampler used", domain = "R")
  withCallingHandlers(
    set.seed(seed, kind = kind, normal.kind = normal.kind, sample.kind = sample.kind),
    warning = function(w) if (identical(conditionMessage(w), rounding)) invokeRestart("muffleWarning")
  )
  list(kinds = RNGkind(),
       random_seed_1 = get(".Random.seed", envir = globalenv(), inherits = FALSE)[[1L]],
       r_version = as.character(getRversion()))
}
"""

_R_GET_STATE = """
function() {
  has <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  list(kinds = RNGkind(),
       random_seed = if (has) get(".Random.seed", envir = globalenv(), inherits = FALSE) else integer())
}
"""

# Kinds first: RNGkind() is what R uses when .Random.seed is absent; otherwise .Random.seed[1]
# carries them. Going back to kinds the session had chosen need not warn again.
_R_SET_STATE = """
function(kinds, random_seed) {
  suppressWarnings(RNGkind(kind = kinds[[1L]], normal.kind = kinds[[2L]], sample.kind = kinds[[3L]]))
  if (length(random_seed)) {
    assign(".Random.seed", random_seed, envir = globalenv())
  } else if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) {
    rm(".Random.seed", envir = globalenv())
  }
  invisible(NULL)
}
"""

_functions: dict[str, Any] = {}


def _main_thread_only() -> None:
    thread = threading.current_thread()
    if thread is not threading.main_thread():
        raise FrameworkError(f"r can be seeded from the main thread only (R is not thread-safe and rpy2 runs it in "
                             f"the main thread), got a call from thread {thread.name!r}")


def _robjects() -> Any:
    """rpy2.robjects, importing it (and starting the embedded R) on first use; main thread only."""
    _main_thread_only()
    try:
        import rpy2
    except ImportError as exc:
        raise MissingDependencyError(f"{_INSTALL_HINT} (import failed: {exc})") from exc
    try:
        import rpy2.robjects as robjects
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        # rpy2 is there but cannot load libR: R missing, R_HOME wrong, or an rpy2 built for another R
        # (rpy2 3.6 on R 4.2 fails with "undefined symbol: R_getVar").
        raise MissingDependencyError(f"{_INSTALL_HINT} (rpy2 {rpy2.__version__} could not start R: {exc})") from exc
    return robjects


def _r_function(name: str, source: str) -> Any:
    _main_thread_only()
    if name not in _functions:
        _functions[name] = _robjects().r(source)
    return _functions[name]


def available() -> bool:
    """Whether rpy2 imports and can start R, so that ``set_seed`` can work."""
    try:
        _robjects()
    except MissingDependencyError:
        return False
    return True


def _decode_kinds(code: int) -> dict[str, str | None]:
    """The kinds encoded in ``.Random.seed[1]``."""
    parts = {"kind": code % 100, "normal.kind": (code // 100) % 100, "sample.kind": code // 10000}
    out: dict[str, str | None] = {}
    for field, value in parts.items():
        names = [n for n, c in _KIND_CODES[field].items() if c == value]
        out[field] = names[0] if names else None
    return out


def version() -> str:
    """The embedded R's version (``getRversion()``)."""
    return str(_robjects().r("as.character(getRversion())")[0])


def apply(seed: int, *, profile: str = "seeded", job: Job | None = None) -> dict[str, Any]:
    """``set.seed(seed)`` in the embedded R with the job's three RNG kinds (``job.r``, else Mersenne-Twister /
    Inversion / Rejection), then ``.Random.seed[1]`` read back to check they took. R has no determinism
    switch beyond the kinds. Returns the flags: ``kinds``, ``random_seed_1``, ``rpy2_version``."""
    kinds = dict(job.r_kinds) if job is not None else dict(R_DEFAULT_KINDS)
    check_seed_for(NAME, seed)  # 31 bits: set.seed takes a signed 32-bit int, and NA_integer_ is -2**31
    result = _r_function("set_seed", _R_SET_SEED)(seed, *(kinds[f] for f in KIND_FIELDS))
    import rpy2

    got = dict(zip(KIND_FIELDS, (str(k) for k in result.rx2("kinds")), strict=True))
    code = int(result.rx2("random_seed_1")[0])
    if got != kinds or _decode_kinds(code) != kinds:
        raise FrameworkError(
            f"r did not take the RNG kinds: asked for {'/'.join(kinds.values())}, RNGkind() "
            f"reports {'/'.join(got.values())} and .Random.seed[1] is {code}"
        )
    return {"set.seed": seed, "kinds": kinds, "random_seed_1": code, "rpy2_version": rpy2.__version__}


def set_seed(job: str | None = None, *, manifest: _context.ManifestLike = None, **keys: object) -> dict[str, Any]:
    """Seed the embedded R session for ``job`` with all three RNG kinds pinned; like every target's ``set_seed``
    it returns ``{"seed": ..., **flags}`` (``apply``'s flags). ``job=None`` reads ``SEEDBRIDGE_JOB``."""
    return _context.set_seed(NAME, apply, job, manifest, keys)


def get_state() -> dict[str, Any]:
    """The embedded R's RNG state: ``{"kinds": [kind, normal.kind, sample.kind], "random_seed": [...] or None}``.

    ``random_seed`` is ``.Random.seed`` as a list of ints, or None when R has not used its RNG yet.
    The dict is plain data (JSON-ready) and goes back in through ``set_state``.
    """
    result = _r_function("get_state", _R_GET_STATE)()
    random_seed = [int(v) for v in result.rx2("random_seed")]
    return {
        "kinds": [str(k) for k in result.rx2("kinds")],
        "random_seed": random_seed or None,
    }


def set_state(state: Mapping[str, Any]) -> None:
    """Restore what ``get_state`` returned: the three kinds and ``.Random.seed`` (removed if it was None)."""
    try:
        kinds = [str(k) for k in state["kinds"]]
        random_seed = state["random_seed"]
        values = [] if random_seed is None else [int(v) for v in random_seed]
    except (KeyError, TypeError, ValueError):
        raise FrameworkError(
            f"r state must be a dict from seedbridge.r.get_state() with kinds and random_seed, got {state!r:.80}"
        ) from None
    if len(kinds) != 3:
        raise FrameworkError(f"r state kinds must be [kind, normal.kind, sample.kind], got {kinds!r}")
    robjects = _robjects()
    _r_function("set_state", _R_SET_STATE)(robjects.StrVector(kinds), robjects.IntVector(values))


def _r_string(text: str) -> str:
    """``text`` as an R string literal (double quotes; control characters escaped)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def snippet(manifest: Manifest | str | os.PathLike[str] | None, job: str, /, **keys: object) -> str:
    """R code that pins the RNG kinds and seeds R for ``job``, for users who cannot install the R package.

    Needs neither R nor rpy2. The first line is an R comment naming the job and keys.
    """
    from seedbridge.derive import key_text

    m = as_manifest(manifest)
    kinds = m.job(job).r_kinds
    seed = m.seed_for(job, keys, bits=PORTABLE_BITS)
    label = f"job {_r_string(job)}"
    if keys:
        label += ", keys " + ", ".join(f"{_r_string(k)} = {_r_string(key_text(k, v))}" for k, v in sorted(keys.items()))
    lines = [
        f"# seedbridge: {label}, derivation {m.derivation}, seed {seed}",
        "RNGkind(" + ", ".join(f"{field} = {_r_string(kinds[field])}" for field in KIND_FIELDS) + ")",
        f"set.seed({seed}L)",
    ]
    if kinds["sample.kind"] == "Rounding":
        lines.insert(1, "# sample.kind Rounding reproduces R < 3.6 sample(); R warns that it is non-uniform")
    return "\n".join(lines) + "\n"
