"""Everything tests/test_jax_target.py checks about JAX, run in a process of its own and printed as JSON.

Usage: python jax_checks.py MANIFEST
JAX starts threads when it first computes; a pytest process that forks afterwards (DataLoader workers) would
risk a deadlock and JAX warns at every fork, so JAX never runs inside the test process.
"""

from __future__ import annotations

import json
import os
import sys

import jax
import numpy as np

import seedbridge
import seedbridge.jax as sbj


def data(key: object) -> list[int]:
    return [int(v) for v in jax.random.key_data(key).tolist()]


def main(path: str) -> None:
    m = seedbridge.load(path)
    out: dict[str, object] = {"version": jax.__version__, "x64": bool(jax.config.jax_enable_x64)}
    key = sbj.key("train", manifest=m, fold=2)
    out["typed"] = bool(jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key))
    out["key_data"] = data(key)
    out["draws"] = np.asarray(jax.random.uniform(key, (3,))).tolist()
    out["draws_again"] = np.asarray(jax.random.uniform(sbj.key("train", manifest=m, fold=2), (3,))).tolist()
    out["draws_other"] = np.asarray(jax.random.uniform(sbj.key("train", manifest=m, fold=3), (3,))).tolist()
    out["wide"] = data(sbj.key("wide", manifest=m))
    out["plain_5"] = data(jax.random.key(5))
    out["plain_2p32_5"] = data(jax.random.key(2**32 + 5))
    try:
        jax.random.key(2**63)
        out["plain_2p63"] = "accepted"
    except OverflowError:
        out["plain_2p63"] = "OverflowError"
    report = seedbridge.seed_everything("with_jax", manifest=m)
    out["report"] = report.to_dict()
    out["report_text"] = str(report)
    state = seedbridge.snapshot(["python", "jax"])
    seedbridge.restore(state)
    out["snapshot_jax"] = state.states["jax"]
    try:
        sbj.set_state({"x": 1})
    except seedbridge.FrameworkError as exc:
        out["bad_state"] = str(exc)
    scope: dict[str, object] = {}
    exec(compile(sbj.snippet(m, "train", fold=2), "<snippet>", "exec"), scope)
    out["snippet_key_data"] = data(scope["key"])
    out["snippet"] = sbj.snippet(m, "train", fold=2)
    os.environ["XLA_FLAGS"] = "--xla_cpu_enable_fast_math=false"
    out["xla_flags"] = [sbj.apply(5, profile="deterministic")["XLA_FLAGS"], sbj.apply(5, profile="strict")["XLA_FLAGS"]]
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
