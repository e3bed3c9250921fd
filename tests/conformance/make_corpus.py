"""Write the manifest conformance corpus: tests/conformance/cases/*.yaml and expected.json.

    python tests/conformance/make_corpus.py

Each case states its expected outcome here, by hand: accepted (the root, each job's pin, and
queries whose seeds come from the derivation of the stated root or pin, never from loading the
file), or rejected (the field and rule id of every problem, in the order both readers report them).
tests/test_conformance.py runs every file through Python and R and checks both against this, and
against each other (messages included). The files are committed: review them, not only this script.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from seedbridge.derive import derive

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"

ROOT = 0x2A
HEAD = 'seedbridge: 1\nderivation: 1\nroot:\n  entropy: "0x2a"\njobs:\n'

_cases: dict[str, dict[str, object]] = {}
_files: dict[str, bytes] = {}


def _add(name: str, text: str | bytes, outcome: dict[str, object]) -> None:
    file = f"{name}.yaml"
    assert file not in _files, f"two cases named {name}"
    _files[file] = text.encode("utf-8") if isinstance(text, str) else text
    _cases[file] = outcome


def accept(name: str, text: str | bytes, jobs: dict[str, int | None], *, root: int = ROOT,
           queries: list[tuple[str, dict[str, object], int]] | None = None) -> None:
    """An accepted manifest: its root, its jobs in order with their pins, and seeds to check."""
    if queries is None:  # each job (three at most) bare, and with a key at 64 bits
        queries = []
        for job in list(jobs)[:3]:
            queries += [(job, {}, 31), (job, {"rank": 1}, 64)]
    expect = []
    for job, keys, bits in queries:
        pin = jobs[job]
        if pin is not None and not keys:
            if pin >= 2**bits:
                continue
            seed = pin
        else:
            seed = derive(root if pin is None else pin, job, keys, bits=bits)
        expect.append({"job": job, "keys": keys, "bits": bits, "seed": str(seed)})
    _add(name, text, {
        "accepted": True,
        "root": f"0x{root:x}",
        "jobs": [[job, None if pin is None else f"0x{pin:x}"] for job, pin in jobs.items()],
        "queries": expect,
    })


def reject(name: str, text: str | bytes, problems: list[tuple[str | None, str]]) -> None:
    """A refused manifest: (field or None for the whole file, rule id) of each problem, in order."""
    _add(name, text, {"accepted": False, "problems": [{"field": f, "rule": r} for f, r in problems]})


def job(body: str) -> str:
    """HEAD with ``body`` (lines under jobs:)."""
    return HEAD + body


# -- accepted: the shapes of a manifest -------------------------------------------------------------

accept("ok-jobs-empty-null", HEAD, {})
accept("ok-jobs-empty-flow", HEAD.replace("jobs:\n", "jobs: {}\n"), {})
accept("ok-docs-example", """\
seedbridge: 1                 # schema version of this file
derivation: 1
root:
  entropy: "0x9e3779b97f4a7c15f39cc0605cedc834"
  source: "env"
  env: "CI_PIPELINE_SEED"
  created: "2026-11-26T08:00:00Z"
jobs:
  preprocess:
    description: "split the data set"
    frameworks: [numpy]
  train:
    frameworks: [python, numpy, torch, tensorflow]
    profile: deterministic
  analysis:
    frameworks: [r]
    r:
      sample.kind: "Rounding"
  caffe_train:
    seed: 1234
    frameworks: [caffe]
    caffe:
      solvers: ["models/lenet_solver.prototxt"]
""", {"preprocess": None, "train": None, "analysis": None, "caffe_train": 1234},
       root=0x9E3779B97F4A7C15F39CC0605CEDC834)
accept("ok-job-with-nothing-under-it", job("  train:\n  eval: {}\n"), {"train": None, "eval": None})
accept("ok-flow-style-document",
       '{seedbridge: 1, derivation: 1, root: {entropy: "0x2a"}, jobs: {a: {seed: 7}, b: {}}}\n',
       {"a": 7, "b": None})
accept("ok-explicit-document-markers", "%YAML 1.1\n---\n" + HEAD + "  train: {}\n...\n# the end\n",
       {"train": None})
accept("ok-comments-everywhere", "# top\n" + HEAD.replace("jobs:\n", "jobs:   # all of them\n")
       + "  # a comment line\n  train: {}  # trailing\n", {"train": None})
accept("ok-root-all-fields", """\
seedbridge: 1
derivation: 1
root: {entropy: "0xffffffffffffffffffffffffffffffff", source: env, env: _CI_SEED2, created: "2026-11-26"}
jobs: {a: {}}
""", {"a": None}, root=2**128 - 1)
accept("ok-root-source-os-entropy", HEAD.replace('"0x2a"', '"0x0"\n  source: os-entropy') + "  a: {}\n",
       {"a": None}, root=0)
accept("ok-root-entropy-single-quoted", HEAD.replace('"0x2a"', "'0x2a'") + "  a: {}\n", {"a": None})
accept("ok-root-entropy-str-tag", HEAD.replace('"0x2a"', "!!str 0x2a") + "  a: {}\n", {"a": None})
accept("ok-created-plain-timestamp", HEAD.replace('"0x2a"', '"0x2a"\n  created: 2026-11-26T08:00:00Z')
       + "  a: {}\n", {"a": None})
accept("ok-created-offset-and-fraction",
       HEAD.replace('"0x2a"', '"0x2a"\n  created: "2024-02-29T23:59:59.123+05:30"') + "  a: {}\n", {"a": None})
accept("ok-created-local-time", HEAD.replace('"0x2a"', '"0x2a"\n  created: 2026-11-26T08:00:00')
       + "  a: {}\n", {"a": None})
accept("ok-every-profile", job("  a: {profile: seeded}\n  b: {profile: deterministic}\n  c: {profile: strict}\n"),
       {"a": None, "b": None, "c": None})
accept("ok-r-kinds", job("  a:\n    r: {kind: L'Ecuyer-CMRG, normal.kind: Box-Muller, sample.kind: Rounding}\n"),
       {"a": None})
accept("ok-caffe-solvers", job('  a:\n    caffe:\n      solvers: [a.prototxt, "dir/b c.prototxt"]\n'), {"a": None})
accept("ok-description-block", job("  a:\n    description: |\n      line one\n      line two\n"), {"a": None})
accept("ok-description-empty", job('  a: {description: ""}\n'), {"a": None})
accept("ok-every-builtin-target",
       job("  a: {frameworks: [python, numpy, torch, tensorflow, r, caffe, jax], seed: 2147483647}\n"),
       {"a": 2147483647})
accept("ok-third-party-target", job("  a: {frameworks: [torch, my_lib2], seed: \"0xffffffffffff\"}\n"),
       {"a": 0xFFFFFFFFFFFF})
accept("ok-schema-version-tagged", HEAD.replace("seedbridge: 1", "seedbridge: !!int 1") + "  a: {}\n", {"a": None})
accept("ok-schema-version-hex", HEAD.replace("seedbridge: 1", "seedbridge: 0x1") + "  a: {}\n", {"a": None})
accept("ok-explicit-key-syntax", job("  ? train\n  : seed: 3\n"), {"train": 3})

# -- accepted: job names ------------------------------------------------------------------------------

accept("name-non-ascii", job('  "na\u00efve": {}\n  \u65e5\u672c\u8a9e: {}\n  "\U0001f3b2": {}\n'),
       {"na\u00efve": None, "\u65e5\u672c\u8a9e": None, "\U0001f3b2": None})
accept("name-punctuation", job('  "train/fold 1": {}\n  "a:b": {}\n  "a.b": {}\n  x=y: {}\n'),
       {"train/fold 1": None, "a:b": None, "a.b": None, "x=y": None})
accept("name-yaml11-words-quoted",
       job('  "on": {}\n  "yes": {}\n  "y": {}\n  "n": {}\n  "true": {}\n  "null": {}\n  "~": {}\n  "=": {}\n'),
       {"on": None, "yes": None, "y": None, "n": None, "true": None, "null": None, "~": None, "=": None})
accept("name-numbers-quoted", job('  "1": {}\n  "1.5": {}\n  "2026-01-01": {}\n  "1:20": {}\n  "0x1F": {}\n'),
       {"1": None, "1.5": None, "2026-01-01": None, "1:20": None, "0x1F": None})
# Plain scalars that PyYAML (YAML 1.1) types but R's yaml reads as text: the R reading wins.
accept("name-plain-underscore-number", job("  1_000: {}\n"), {"1_000": None})
accept("name-plain-binary", job("  0b11: {}\n"), {"0b11": None})
accept("name-plain-yaml12-octal", job("  0o17: {}\n"), {"0o17": None})
accept("name-plain-hex-underscore", job("  0x_: {}\n"), {"0x_": None})
accept("name-plain-exponent-without-dot", job("  1e3: {}\n"), {"1e3": None})
accept("name-plain-time-without-zone", job("  2026-01-01T00:00:00: {}\n"), {"2026-01-01T00:00:00": None})
accept("name-str-tag", job("  !!str 1: {}\n  !!str on: {}\n"), {"1": None, "on": None})
accept("name-nbsp", job('  "\u00a0train": {}\n  train\u00a0x: {}\n'), {"\u00a0train": None, "train\u00a0x": None})
accept("name-escaped-backslash-zero", job('  "a\\\\0": {}\n'), {"a\\0": None})
# libyaml limits implicit keys to 1024 characters; an explicit key (?) has no limit.
accept("name-long", job(f"  ? {'x' * 2000}\n  : {{}}\n"), {"x" * 2000: None}, queries=[("x" * 2000, {}, 31)])
reject("name-long-implicit-key", job(f"  {'x' * 1100}: {{}}\n"), [(None, "yaml-syntax")])
accept("name-alias-as-key", job("  &name train: {}\n  eval: {description: *name}\n"), {"train": None, "eval": None})

# -- accepted: every spelling of a pin ------------------------------------------------------------------

accept("pin-plain-decimal", job("  a: {seed: 0}\n  b: {seed: 1234}\n  c: {seed: 2147483647}\n"),
       {"a": 0, "b": 1234, "c": 2147483647})
accept("pin-plain-signed", job("  a: {seed: +5}\n  b: {seed: -0}\n"), {"a": 5, "b": 0})
accept("pin-plain-hex", job("  a: {seed: 0x1F}\n  b: {seed: 0x7fffffff}\n"), {"a": 31, "b": 2147483647})
accept("pin-quoted-decimal", job('  a: {seed: "1234"}\n  b: {seed: \'007\'}\n  c: {seed: "3000000000"}\n'),
       {"a": 1234, "b": 7, "c": 3000000000})
accept("pin-quoted-hex", job('  a: {seed: "0x4d2"}\n  b: {seed: "0x4D2"}\n  c: {seed: "0x00ff"}\n'),
       {"a": 1234, "b": 1234, "c": 255})
accept("pin-quoted-max", job('  a: {seed: "0xffffffffffffffffffffffffffffffff", frameworks: [python]}\n'),
       {"a": 2**128 - 1})
accept("pin-tagged", job("  a: {seed: !!int 5}\n  b: {seed: !!str 6}\n  c: {seed: !!str 0x10}\n"),
       {"a": 5, "b": 6, "c": 16})
accept("pin-range-edges",
       job('  a: {seed: "0xffffffff", frameworks: [numpy, tensorflow, caffe]}\n'
           '  b: {seed: "0xffffffffffffffff", frameworks: [torch, jax]}\n'),
       {"a": 2**32 - 1, "b": 2**64 - 1})

# -- accepted: the file's bytes ------------------------------------------------------------------------

accept("bytes-bom", "\ufeff" + HEAD + "  train: {}\n", {"train": None})
accept("bytes-crlf", (HEAD + "  train: {seed: 5}\n").replace("\n", "\r\n"), {"train": 5})
accept("bytes-cr-only", (HEAD + "  train: {seed: 5}\n").replace("\n", "\r"), {"train": 5})
accept("bytes-nel-line-breaks", (HEAD + "  train: {}\n").replace("\n", "\u0085"), {"train": None})
accept("bytes-no-final-newline", HEAD + "  train: {}", {"train": None})
accept("bytes-tab-after-value", job("  train: {seed: 5}\t\n"), {"train": 5})

# -- accepted: aliases ---------------------------------------------------------------------------------

accept("alias-list", job("  a: {frameworks: &fw [numpy, torch]}\n  b: {frameworks: *fw}\n"), {"a": None, "b": None})
accept("alias-job-body", job("  a: &body {seed: 9, frameworks: [numpy]}\n  b: *body\n"), {"a": 9, "b": 9})
accept("alias-anchor-unused", job("  a: &unused {seed: 1}\n"), {"a": 1})
accept("alias-first-anchor-wins", job("  a: {seed: &s 1}\n  b: {seed: &s 2}\n  c: {seed: *s}\n"),
       {"a": 1, "b": 2, "c": 1})

# -- rejected: the file -------------------------------------------------------------------------------

reject("file-empty", "", [(None, "empty")])
reject("file-comments-only", "# nothing here\n\n", [(None, "empty")])
reject("file-document-marker-only", "---\n", [(None, "empty")])
reject("file-null-document", "~\n", [(None, "empty")])
reject("file-top-level-list", "- 1\n", [("(top level)", "not-mapping")])
reject("file-top-level-text", "hello\n", [("(top level)", "not-mapping")])
reject("file-not-utf8", b"seedbridge: 1\njobs: {na\xefve: {}}\n", [(None, "not-utf8")])
reject("file-utf8-surrogate", b"seedbridge: 1\njobs: {a\xed\xa0\x80: {}}\n", [(None, "not-utf8")])
reject("file-utf8-overlong", b"seedbridge: 1\njobs: {a\xc0\xafb: {}}\n", [(None, "not-utf8")])
reject("file-utf16", "\ufeffseedbridge: 1\n".encode("utf-16-le"), [(None, "nul-character")])
reject("file-raw-nul-byte", (HEAD + "  a\0b: {}\n").encode("utf-8"), [(None, "nul-character")])
reject("file-raw-control-character", HEAD + "  a\x01b: {}\n", [(None, "yaml-syntax")])
reject("file-raw-del", HEAD + "  a\x7fb: {}\n", [(None, "yaml-syntax")])
reject("file-raw-c1-control", HEAD + "  a\x9bb: {}\n", [(None, "yaml-syntax")])
# Only a leading byte order mark is skipped; elsewhere U+FEFF is a character like any other.
accept("bytes-bom-in-a-name", HEAD + "  \ufefftrain: {}\n", {"\ufefftrain": None})

# -- rejected: YAML syntax -------------------------------------------------------------------------------

reject("syntax-unclosed-flow", HEAD.replace("jobs:\n", "jobs: [\n"), [(None, "yaml-syntax")])
reject("syntax-bad-indentation", HEAD + "  a: {}\n b: {}\n", [(None, "yaml-syntax")])
reject("syntax-tab-indentation", HEAD + "\ttrain: {}\n", [(None, "yaml-syntax")])
reject("syntax-reserved-indicator", HEAD + "  train: @x\n", [(None, "yaml-syntax")])
reject("syntax-unterminated-quote", HEAD + '  "train: {}\n', [(None, "yaml-syntax")])
reject("syntax-unknown-escape", HEAD + '  "a\\qb": {}\n', [(None, "yaml-syntax")])
reject("syntax-surrogate-escape", HEAD + '  "a\\ud800": {}\n', [(None, "yaml-syntax")])
reject("syntax-error-in-second-document", HEAD + "  a: {}\n---\n[\n", [(None, "multiple-documents")])

# -- rejected: what R's yaml cannot see, caught in the text -------------------------------------------------

reject("nul-escape-backslash-zero", HEAD + '  "a\\0b": {}\n', [(None, "nul-character")])
reject("nul-escape-x00", HEAD + '  "a\\x00b": {}\n', [(None, "nul-character")])
reject("nul-escape-u0000", HEAD + '  train: {description: "a\\u0000"}\n', [(None, "nul-character")])
reject("nul-escape-U00000000", HEAD + '  train: {profile: "seeded\\U00000000"}\n', [(None, "nul-character")])
reject("nul-escape-in-comment", HEAD + "  train: {}  # \\0 counts here too\n", [(None, "nul-character")])
reject("documents-two", HEAD + "  a: {}\n---\n" + HEAD + "  b: {}\n", [(None, "multiple-documents")])
reject("documents-two-explicit", "--- \n" + HEAD + "  a: {}\n--- # another\n", [(None, "multiple-documents")])
reject("documents-trailing-marker", HEAD + "  a: {}\n---\n", [(None, "multiple-documents")])
reject("documents-end-then-start", HEAD + "  a: {}\n...\n---\nfoo: 1\n", [(None, "multiple-documents")])
reject("documents-second-after-cr", (HEAD + "  a: {}\n---\nb: 1\n").replace("\n", "\r"),
       [(None, "multiple-documents")])

# -- rejected: what R's yaml stops at ----------------------------------------------------------------------

reject("merge-key-alias", job("  a: &base {frameworks: [numpy]}\n  b:\n    <<: *base\n    seed: 1\n"),
       [(None, "merge-key")])
reject("merge-key-inline", job("  b: {<<: {seed: 1}}\n"), [(None, "merge-key")])
reject("merge-key-list", job("  a: &x {seed: 1}\n  b: {<<: [*x]}\n"), [(None, "merge-key")])
reject("alias-key-twice", job("  &k train: {}\n  *k : {}\n"), [(None, "duplicate-alias-key")])
reject("alias-undefined", job("  a: {seed: *nope}\n"), [(None, "undefined-alias")])
reject("alias-to-itself", job("  a: &me {b: *me}\n"), [(None, "undefined-alias")])
reject("tag-merge-on-mapping", job("  a: !!merge {seed: 1}\n"), [(None, "unsupported-tag")])

# -- rejected: tags and YAML 1.1 types -----------------------------------------------------------------------

reject("tag-local-on-created", HEAD.replace('"0x2a"', '"0x2a"\n  created: !foo bar') + "  a: {}\n",
       [("root.created", "bad-timestamp")])
reject("tag-local-on-description", job("  a: {description: !foo bar}\n"), [("jobs.a.description", "not-text")])
reject("tag-local-on-jobs", HEAD.replace("jobs:\n", "jobs: !foo\n") + "  a: {}\n", [("jobs", "not-mapping")])
reject("tag-nonspecific-on-mapping", job("  a: ! {seed: 1}\n"), [("jobs.a", "not-mapping")])
reject("tag-int-on-text", HEAD.replace("seedbridge: 1", "seedbridge: !!int abc") + "  a: {}\n",
       [("seedbridge", "not-integer")])
reject("tag-float-on-version", HEAD.replace("seedbridge: 1", "seedbridge: !!float 1") + "  a: {}\n",
       [("seedbridge", "not-integer")])
reject("tag-str-on-version", HEAD.replace("seedbridge: 1", "seedbridge: !!str 1") + "  a: {}\n",
       [("seedbridge", "not-integer")])
reject("tag-bool-on-profile", job("  a: {profile: !!bool seeded}\n"), [("jobs.a.profile", "not-text")])
reject("tag-binary-description", job("  a: {description: !!binary aGVsbG8=}\n"), [("jobs.a.description", "not-text")])
reject("tag-timestamp-bad-date", HEAD.replace('"0x2a"', '"0x2a"\n  created: !!timestamp 2026-13-45')
       + "  a: {}\n", [("root.created", "bad-timestamp")])
reject("tag-set-as-job", job("  a: !!set {seed: 1}\n"), [("jobs.a", "not-mapping")])
reject("tag-map-on-list", job("  a: !!map [1]\n"), [("jobs.a", "not-mapping")])
reject("tag-str-on-mapping", job("  a: !!str {seed: 1}\n"), [("jobs.a", "not-mapping")])
reject("yaml11-default-value", job("  a: {description: =}\n  =: {}\n"),
       [("jobs.a.description", "not-text"), ('jobs."="', "key-not-text")])
reject("yaml11-merge-as-value", job("  a: {description: <<}\n"), [("jobs.a.description", "not-text")])
reject("created-month-13", HEAD.replace('"0x2a"', '"0x2a"\n  created: 2026-13-45') + "  a: {}\n",
       [("root.created", "bad-timestamp")])
reject("created-not-a-leap-year", HEAD.replace('"0x2a"', '"0x2a"\n  created: "2026-02-29"') + "  a: {}\n",
       [("root.created", "bad-timestamp")])
reject("created-hour-25", HEAD.replace('"0x2a"', '"0x2a"\n  created: "2026-01-01T25:00:00Z"') + "  a: {}\n",
       [("root.created", "bad-timestamp")])
reject("created-sexagesimal", HEAD.replace('"0x2a"', '"0x2a"\n  created: 12:30') + "  a: {}\n",
       [("root.created", "bad-timestamp")])
reject("created-spaced", HEAD.replace('"0x2a"', '"0x2a"\n  created: 2026-01-01 10:00:00 Z') + "  a: {}\n",
       [("root.created", "bad-timestamp")])

# -- rejected: job names -------------------------------------------------------------------------------

reject("name-yaml11-booleans", job("  on: {}\n  yes: {}\n  y: {}\n  n: {}\n  Off: {}\n"),
       [("jobs.on", "key-not-text"), ("jobs.yes", "key-not-text"), ("jobs.y", "key-not-text"),
        ("jobs.n", "key-not-text"), ("jobs.Off", "key-not-text")])
reject("name-yaml11-null", job("  ~: {}\n  null: {}\n"), [("jobs.\"~\"", "key-not-text"), ("jobs.null", "key-not-text")])
reject("name-yaml11-numbers", job("  1: {}\n  1.5: {}\n  010: {}\n  0x1F: {}\n  1,000: {}\n  .inf: {}\n"),
       [("jobs.1", "key-not-text"), ('jobs."1.5"', "key-not-text"), ("jobs.010", "key-not-text"),
        ("jobs.0x1F", "key-not-text"), ('jobs."1,000"', "key-not-text"), ('jobs.".inf"', "key-not-text")])
reject("name-sexagesimal", job("  1:20: {}\n"), [('jobs."1:20"', "key-not-text")])
reject("name-timestamp", job("  2026-01-01: {}\n  2026-01-01T10:00:00Z: {}\n"),
       [("jobs.2026-01-01", "key-not-text"), ('jobs."2026-01-01T10:00:00Z"', "key-not-text")])
reject("name-r-na", job("  .na: {}\n  .na.character: {}\n"),
       [('jobs.".na"', "key-not-text"), ('jobs.".na.character"', "key-not-text")])
reject("name-empty", job('  "": {}\n'), [('jobs.""', "empty-text")])
reject("name-control-characters",
       job('  "a\\tb": {}\n  "a\\nb": {}\n  "\\e[31m": {}\n  "a\\x7f": {}\n  "a\\x85": {}\n  "a\\x01": {}\n'),
       [('jobs."a\\tb"', "control-character"), ('jobs."a\\nb"', "control-character"),
        ('jobs."\\x1b[31m"', "control-character"), ('jobs."a\\x7f"', "control-character"),
        ('jobs."a\\x85"', "control-character"), ('jobs."a\\x01"', "control-character")])
reject("name-duplicate", job('  train: {}\n  "train": {seed: 1}\n'), [("jobs.train", "duplicate-key")])
reject("name-list-as-key", job("  [a, b]: {}\n"), [("jobs", "key-not-text")])
reject("name-mapping-as-key", job("  ? {a: 1}\n  : {}\n"), [("jobs", "key-not-text")])
reject("name-tagged-local", job("  !foo train: {}\n"), [("jobs.train", "key-not-text")])

# -- rejected: pins ------------------------------------------------------------------------------------

reject("pin-underscore", job("  a: {seed: 1_000}\n"), [("jobs.a.seed", "not-integer")])
reject("pin-comma", job("  a:\n    seed: 1,000\n"), [("jobs.a.seed", "not-integer")])
reject("pin-sexagesimal", job("  a: {seed: 1:20}\n"), [("jobs.a.seed", "not-integer")])
reject("pin-octal", job("  a: {seed: 010}\n"), [("jobs.a.seed", "not-integer")])
reject("pin-binary", job("  a: {seed: 0b11}\n"), [("jobs.a.seed", "not-integer")])
reject("pin-hex-underscore", job("  a: {seed: 0x_}\n"), [("jobs.a.seed", "not-integer")])
reject("pin-upper-hex-prefix", job('  a: {seed: "0X10"}\n  b: {seed: 0X10}\n'),
       [("jobs.a.seed", "not-integer"), ("jobs.b.seed", "not-integer")])
reject("pin-float", job("  a: {seed: 1.5}\n  b: {seed: 1.0e+3}\n  c: {seed: .inf}\n"),
       [("jobs.a.seed", "not-integer"), ("jobs.b.seed", "not-integer"), ("jobs.c.seed", "not-integer")])
reject("pin-boolean-and-null", job("  a: {seed: yes}\n  b: {seed: ~}\n  c: {seed: }\n"),
       [("jobs.a.seed", "not-integer"), ("jobs.b.seed", "not-integer"), ("jobs.c.seed", "not-integer")])
reject("pin-text", job('  a: {seed: "abc"}\n  b: {seed: " 12"}\n  c: {seed: "0x"}\n'),
       [("jobs.a.seed", "not-integer"), ("jobs.b.seed", "not-integer"), ("jobs.c.seed", "not-integer")])
reject("pin-nbsp-around-number", job("  a: {seed: \u00a012}\n  b: {seed: 12\u00a0}\n  c: {seed: \"12\u00a0\"}\n"),
       [("jobs.a.seed", "not-integer"), ("jobs.b.seed", "not-integer"), ("jobs.c.seed", "not-integer")])
reject("pin-collections", job("  a: {seed: [1]}\n  b: {seed: {x: 1}}\n"),
       [("jobs.a.seed", "not-integer"), ("jobs.b.seed", "not-integer")])
reject("pin-negative", job('  a: {seed: -1}\n  b: {seed: "-0x1"}\n'),
       [("jobs.a.seed", "seed-out-of-range"), ("jobs.b.seed", "seed-out-of-range")])
reject("pin-wide-plain", job("  a: {seed: 3000000000}\n  b: {seed: 0x80000000}\n"),
       [("jobs.a.seed", "wide-integer"), ("jobs.b.seed", "wide-integer")])
reject("pin-above-128-bits", job('  a: {seed: "0x1' + "0" * 32 + '"}\n'), [("jobs.a.seed", "seed-out-of-range")])
reject("pin-5000-digits", job(f"  a: {{seed: {'9' * 5000}}}\n  b: {{seed: \"{'1' * 5000}\"}}\n"),
       [("jobs.a.seed", "seed-out-of-range"), ("jobs.b.seed", "seed-out-of-range")])
reject("pin-out-of-range-per-target",
       job('  r: {seed: "0x80000000", frameworks: [r]}\n'
           '  np: {seed: "0x100000000", frameworks: [numpy, tensorflow, caffe, python]}\n'
           '  big: {seed: "0x10000000000000000", frameworks: [torch, jax, my_lib]}\n'),
       [("jobs.r.seed", "pin-out-of-range"), ("jobs.np.seed", "pin-out-of-range"),
        ("jobs.np.seed", "pin-out-of-range"), ("jobs.np.seed", "pin-out-of-range"),
        ("jobs.big.seed", "pin-out-of-range"), ("jobs.big.seed", "pin-out-of-range")])

# -- rejected: the other fields ---------------------------------------------------------------------------

reject("version-wrong", "seedbridge: 2\nderivation: 9\nroot: {entropy: \"0x1\"}\njobs:\n",
       [("seedbridge", "not-one-of"), ("derivation", "not-one-of")])
reject("version-as-text-and-float", "seedbridge: \"1\"\nderivation: 1.0\nroot: {entropy: \"0x1\"}\njobs:\n",
       [("seedbridge", "not-integer"), ("derivation", "not-integer")])
reject("version-5000-digits", f"seedbridge: {'1' * 5000}\nderivation: 1\nroot: {{entropy: \"0x1\"}}\njobs:\n",
       [("seedbridge", "not-one-of")])
reject("version-binary-and-sexagesimal", "seedbridge: 0b1\nderivation: 0:1\nroot: {entropy: \"0x1\"}\njobs:\n",
       [("seedbridge", "not-integer"), ("derivation", "not-integer")])
reject("version-boolean-and-octal", "seedbridge: y\nderivation: 01\nroot: {entropy: \"0x1\"}\njobs:\n",
       [("seedbridge", "not-integer"), ("derivation", "not-integer")])
reject("version-timestamp-and-default", "seedbridge: 2026-01-01\nderivation: =\nroot: {entropy: \"0x1\"}\njobs:\n",
       [("seedbridge", "not-integer"), ("derivation", "not-integer")])
reject("version-underscore-and-nbsp", "seedbridge: 1_0\nderivation: \u00a01\nroot: {entropy: \"0x1\"}\njobs:\n",
       [("seedbridge", "not-integer"), ("derivation", "not-integer")])
reject("keys-missing", "seedbridge: 1\n", [("derivation", "missing-key"), ("root", "missing-key"),
                                          ("jobs", "missing-key")])
reject("keys-unknown-everywhere", """\
seedbridge: 1
derivation: 1
jbos: {}
root: {entropy: "0x1", sorce: env}
jobs:
  a: {sed: 1, r: {normal_kind: Inversion, sample: Rounding}, caffe: {solver: [x]}}
""", [("jbos", "unknown-key"), ("root.sorce", "unknown-key"), ("jobs.a.sed", "unknown-key"),
      ("jobs.a.r.normal_kind", "unknown-key"), ("jobs.a.r.sample", "unknown-key"),
      ("jobs.a.caffe.solver", "unknown-key")])
reject("keys-duplicate-top-level", HEAD + "  a: {}\nseedbridge: 1\n", [("seedbridge", "duplicate-key")])
reject("keys-not-text", HEAD + "  a: {}\n1: x\nyes: y\n", [("1", "key-not-text"), ("yes", "key-not-text")])
reject("root-entropy-forms", """\
seedbridge: 1
derivation: 1
root: {entropy: 0x2a}
jobs:
""", [("root.entropy", "entropy-format")])
reject("root-entropy-upper-case", "seedbridge: 1\nderivation: 1\nroot: {entropy: \"0x2A\"}\njobs:\n",
       [("root.entropy", "entropy-format")])
reject("root-entropy-too-long", 'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x1' + "0" * 32 + '"}\njobs:\n',
       [("root.entropy", "entropy-format")])
reject("root-entropy-empty-hex", 'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x"}\njobs:\n',
       [("root.entropy", "entropy-format")])
reject("root-entropy-missing", "seedbridge: 1\nderivation: 1\nroot: {source: explicit}\njobs:\n",
       [("root.entropy", "missing-key")])
reject("root-not-a-mapping", "seedbridge: 1\nderivation: 1\nroot: \"0x2a\"\njobs:\n", [("root", "not-mapping")])
reject("root-env-without-source-env", 'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x1", env: SEED}\njobs:\n',
       [("root.env", "only-when")])
reject("root-source-env-without-env", 'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x1", source: env}\njobs:\n',
       [("root.env", "required-when")])
reject("root-bad-env-name", 'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x1", source: env, env: 1SEED}\njobs:\n',
       [("root.env", "env-name")])
reject("root-bad-source", 'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x1", source: ci, env: X}\njobs:\n',
       [("root.source", "not-one-of")])
reject("root-source-not-text", 'seedbridge: 1\nderivation: 1\nroot: {entropy: "0x1", source: yes}\njobs:\n',
       [("root.source", "not-text")])
reject("jobs-a-list", "seedbridge: 1\nderivation: 1\nroot: {entropy: \"0x1\"}\njobs: [a, b]\n",
       [("jobs", "not-mapping")])
reject("job-not-a-mapping", job("  a: 5\n  b: [x]\n  c: text\n"),
       [("jobs.a", "not-mapping"), ("jobs.b", "not-mapping"), ("jobs.c", "not-mapping")])
reject("frameworks-not-a-list", job("  a: {frameworks: numpy}\n"), [("jobs.a.frameworks", "not-list")])
reject("frameworks-bad-names", job('  a: {frameworks: [Keras, my-lib, 1abc, "", numpy]}\n'),
       [("jobs.a.frameworks", "target-name")] * 4)
reject("frameworks-not-text", job("  a: {frameworks: [1, yes, [numpy]]}\n"), [("jobs.a.frameworks", "not-text")] * 3)
reject("frameworks-twice", job("  a: {frameworks: [r, numpy, r]}\n"), [("jobs.a.frameworks", "duplicate-item")])
reject("profile-bad", job("  a: {profile: fast}\n  b: {profile: Seeded}\n"),
       [("jobs.a.profile", "not-one-of"), ("jobs.b.profile", "not-one-of")])
reject("description-not-text", job("  a: {description: 5}\n  b: {description: yes}\n  c: {description: [x]}\n"),
       [("jobs.a.description", "not-text"), ("jobs.b.description", "not-text"), ("jobs.c.description", "not-text")])
reject("r-bad-kinds", job("  a: {r: {kind: Mersenne, sample.kind: rounding}}\n  b: {r: Rounding}\n"),
       [("jobs.a.r.kind", "not-one-of"), ("jobs.a.r.sample.kind", "not-one-of"), ("jobs.b.r", "not-mapping")])
reject("caffe-bad-solvers", job('  a: {caffe: {solvers: a.prototxt}}\n  b: {caffe: {solvers: ["", "x\\ty", 5]}}\n'),
       [("jobs.a.caffe.solvers", "not-list"), ("jobs.b.caffe.solvers", "empty-text"),
        ("jobs.b.caffe.solvers", "control-character"), ("jobs.b.caffe.solvers", "not-text")])
# R's yaml types a block scalar like a plain one: "|-" holding 123 is an integer.
reject("block-scalar-typed", job("  a:\n    description: |-\n      123\n"), [("jobs.a.description", "not-text")])
reject("deep-nesting-description", job("  a: {description: " + "[" * 200 + "]" * 200 + "}\n"),
       [("jobs.a.description", "not-text")])
reject("every-problem-together", """\
seedbridge: 1
derivation: 1
root:
  entropy: 0x2a
  source: ci
jbos: {}
jobs:
  train:
    seed: 3000000000
    frameworks: [r, Keras]
    profile: fast
    sed: 1
  on:
    seed: -5
  analysis:
    r:
      kind: Mersenne
      normal_kind: Inversion
""", [("jbos", "unknown-key"), ("root.entropy", "entropy-format"), ("root.source", "not-one-of"),
      ("jobs.train.sed", "unknown-key"), ("jobs.train.seed", "wide-integer"),
      ("jobs.train.frameworks", "target-name"), ("jobs.train.profile", "not-one-of"),
      ("jobs.on", "key-not-text"), ("jobs.analysis.r.normal_kind", "unknown-key"),
      ("jobs.analysis.r.kind", "not-one-of")])

# -- found by the trust audit (issue 10): inputs the cases above did not reach ------------------------------

# Python crashed on these (int() refuses decimal text over 4300 digits, leading zeros included); R read 1.
accept("pin-quoted-5000-leading-zeros",
       job(f'  a: {{seed: "{"0" * 5000}1"}}\n  b: {{seed: "0x{"0" * 5000}2"}}\n'), {"a": 1, "b": 2})
# R's yaml merges a mapping it leaves unconverted (a tag seedbridge does not read); both languages do.
accept("merge-key-of-unknown-tagged-mapping", job("  a: {<<: !foo {seed: 1}, frameworks: [numpy]}\n"), {"a": 1})
accept("tag-handles-and-verbatim-tags",
       "%TAG !e! tag:yaml.org,2002:\n---\n" + HEAD
       + "  a: {seed: !e!int 5}\n  b: {seed: !<tag:yaml.org,2002:int> 6}\n  c: {seed: !<!int> 7}\n",
       {"a": 5, "b": 6, "c": 7})
reject("tag-other-namespace", HEAD + "  a: {seed: !<tag:example.com,2000:int> 5}\n", [("jobs.a.seed", "not-integer")])
accept("pin-block-scalars", job("  a:\n    seed: >-\n      12\n  b:\n    seed: !!int |-\n      13\n"), {"a": 12, "b": 13})
reject("pin-block-scalar-keeps-newline", job("  a:\n    seed: |\n      12\n"), [("jobs.a.seed", "not-integer")])
accept("pin-signed-hex", job('  a: {seed: +0x10}\n  b: {seed: "+0x11"}\n  c: {seed: -0x0}\n'), {"a": 16, "b": 17, "c": 0})
accept("job-tagged-null", job("  a: !!null\n  b: !!null x\n"), {"a": None, "b": None})
reject("created-leap-centuries", HEAD.replace('"0x2a"', '"0x2a"\n  created: 1900-02-29') + "  a: {}\n",
       [("root.created", "bad-timestamp")])
reject("created-zone-forms", HEAD.replace('"0x2a"', '"0x2a"\n  created: 2026-01-01T10:00:00+0100') + "  a: {}\n",
       [("root.created", "bad-timestamp")])


def main() -> None:
    if CASES.exists():
        shutil.rmtree(CASES)
    CASES.mkdir()
    for file, data in _files.items():
        (CASES / file).write_bytes(data)
    doc = {
        "about": "Expected outcome of every manifest in cases/ (written by make_corpus.py); docs/manifest.md "
                 "has the rules. accepted: root, jobs [name, pin as 0x hex or null] in order, and seeds of "
                 "(job, keys, bits) queries as decimal text. rejected: field (null for the whole file) and "
                 "rule id of every problem, in the order both readers report them.",
        "cases": dict(sorted(_cases.items())),
    }
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    (HERE / "expected.json").write_text(text, encoding="utf-8")
    print(f"{len(_cases)} cases ({sum(1 for c in _cases.values() if c['accepted'])} accepted)")


if __name__ == "__main__":
    main()
