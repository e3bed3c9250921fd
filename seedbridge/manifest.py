"""The manifest model: load, validate, create, dump and save ``seedbridge.yaml`` (docs/manifest.md).

Validation walks the YAML node tree, so every problem carries file, line and field path, and all
problems of a file are reported together in one ManifestError.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import yaml

from seedbridge import derive as _derive
from seedbridge._atomic import atomic_write_text
from seedbridge.errors import (
    DerivationError,
    ManifestError,
    Problem,
    SeedRangeError,
    UnknownJobError,
)

# Not `from typing import TYPE_CHECKING`: importing typing costs ~3 ms on every CLI call; type
# checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DEFAULT_MANIFEST",
    "FRAMEWORKS",
    "PROFILES",
    "SCHEMA_VERSION",
    "Job",
    "Manifest",
    "Root",
    "as_manifest",
    "default_path",
    "load",
    "loads",
]

SCHEMA_VERSION = 1
DEFAULT_MANIFEST = "seedbridge.yaml"
MANIFEST_ENV = "SEEDBRIDGE_MANIFEST"

FRAMEWORKS = ("python", "numpy", "torch", "tensorflow", "jax", "r", "caffe")
# Any well-formed target name is accepted (an installed package may add a target; R cannot see Python's
# entry points): `seedbridge validate` warns about names no registered target provides.
_FRAMEWORK_NAME = re.compile(r"[a-z][a-z0-9_]*")
# seeded: seeds only; deterministic: also each framework's determinism switches (warn on
# nondeterministic ops); strict: deterministic, errors on nondeterministic ops, PYTHONHASHSEED required.
PROFILES = ("seeded", "deterministic", "strict")
ROOT_SOURCES = ("os-entropy", "env", "explicit")

# R's RNGkind() choices (R 4.x ?RNGkind), minus "user-supplied" and "default", which name no fixed kind.
R_KINDS = (
    "Wichmann-Hill",
    "Marsaglia-Multicarry",
    "Super-Duper",
    "Mersenne-Twister",
    "Knuth-TAOCP",
    "Knuth-TAOCP-2002",
    "L'Ecuyer-CMRG",
)
R_NORMAL_KINDS = ("Kinderman-Ramage", "Buggy Kinderman-Ramage", "Ahrens-Dieter", "Box-Muller", "Inversion")
R_SAMPLE_KINDS = ("Rounding", "Rejection")
R_DEFAULT_KINDS = {"kind": "Mersenne-Twister", "normal.kind": "Inversion", "sample.kind": "Rejection"}

_HEX_ROOT = re.compile(r"0x[0-9a-f]{1,32}")
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_TOP_KEYS = ("seedbridge", "derivation", "root", "jobs")
_ROOT_KEYS = ("entropy", "source", "env", "created")
_JOB_KEYS = ("seed", "frameworks", "profile", "description", "r", "caffe")
_R_KEYS = ("kind", "normal.kind", "sample.kind")
_CAFFE_KEYS = ("solvers",)


def default_path() -> str:
    """The manifest path used when none is given: ``$SEEDBRIDGE_MANIFEST`` or ``seedbridge.yaml``."""
    return os.environ.get(MANIFEST_ENV) or DEFAULT_MANIFEST


def _hex(value: int) -> str:
    return f"0x{value:x}"


class Root:
    """The root entropy (up to 128 bits) and where it came from."""

    __slots__ = ("created", "entropy", "env", "source")

    def __init__(self, entropy: int, *, source: str = "explicit", env: str | None = None,
                 created: str | None = None) -> None:
        object.__setattr__(self, "entropy", entropy)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "env", env)
        object.__setattr__(self, "created", created)

    entropy: int
    source: str
    env: str | None
    created: str | None

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Root is immutable; cannot set {name}")

    def __repr__(self) -> str:
        return f"Root(entropy={_hex(self.entropy)}, source={self.source!r}, env={self.env!r}, created={self.created!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Root) and all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    def __hash__(self) -> int:
        return hash((self.entropy, self.source, self.env, self.created))


class Job:
    """One named job: an optional pinned seed, the frameworks it uses and their options."""

    __slots__ = ("caffe", "description", "frameworks", "name", "profile", "r", "seed")

    name: str
    seed: int | None
    frameworks: tuple[str, ...]
    profile: str
    description: str | None
    r: Mapping[str, str]
    caffe: Mapping[str, Any]

    def __init__(
        self,
        name: str,
        *,
        seed: int | None = None,
        frameworks: Iterable[str] = (),
        profile: str = "seeded",
        description: str | None = None,
        r: Mapping[str, str] | None = None,
        caffe: Mapping[str, Any] | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "frameworks", tuple(frameworks))
        object.__setattr__(self, "profile", profile)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "r", MappingProxyType(dict(r or {})))
        object.__setattr__(self, "caffe", MappingProxyType(dict(caffe or {})))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Job is immutable; cannot set {name}")

    @property
    def r_kinds(self) -> dict[str, str]:
        """R's RNGkind triple for this job: the defaults with the manifest's overrides applied."""
        return {**R_DEFAULT_KINDS, **self.r}

    @property
    def deterministic(self) -> bool:
        return self.profile != "seeded"

    def __repr__(self) -> str:
        return (f"Job({self.name!r}, seed={self.seed!r}, frameworks={self.frameworks!r}, "
                f"profile={self.profile!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and all(
            getattr(self, s) == getattr(other, s) for s in self.__slots__
        )

    def __hash__(self) -> int:
        return hash((self.name, self.seed, self.frameworks, self.profile))


class Manifest:
    """A validated manifest. Immutable; ``with_job`` and ``new`` build new ones, ``save`` writes one."""

    __slots__ = ("derivation", "jobs", "path", "root", "schema")

    path: str | None
    schema: int
    derivation: int
    root: Root
    jobs: Mapping[str, Job]

    def __init__(self, root: Root, jobs: Iterable[Job] = (), *, derivation: int = _derive.DERIVATION_VERSION,
                 schema: int = SCHEMA_VERSION, path: str | os.PathLike[str] | None = None) -> None:
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "jobs", MappingProxyType({j.name: j for j in jobs}))
        object.__setattr__(self, "derivation", derivation)
        object.__setattr__(self, "schema", schema)
        object.__setattr__(self, "path", os.fspath(path) if path is not None else None)
        problems = _check_model(self)
        if problems:
            raise ManifestError(problems)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Manifest is immutable; cannot set {name}")

    def __repr__(self) -> str:
        return f"Manifest(path={self.path!r}, root={self.root!r}, jobs={list(self.jobs)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Manifest) and (self.root, dict(self.jobs), self.derivation, self.schema) == (
            other.root, dict(other.jobs), other.derivation, other.schema)

    def __hash__(self) -> int:
        return hash((self.root, tuple(self.jobs), self.derivation))

    # -- creation -------------------------------------------------------------------------------

    @classmethod
    def new(
        cls,
        jobs: Iterable[str | Job] = (),
        *,
        root: int | None = None,
        from_env: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Manifest:
        """A fresh manifest: root from ``root``, from the environment variable ``from_env``, or 128
        bits of OS entropy; ``jobs`` are names or Job objects."""
        created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if root is not None and from_env is not None:
            raise DerivationError("give root or from_env, not both")
        if from_env is not None:
            env = os.environ if environ is None else environ
            if not _ENV_NAME.fullmatch(from_env):
                raise DerivationError(f"environment variable name must match [A-Za-z_][A-Za-z0-9_]*, got {from_env!r}")
            raw = env.get(from_env)
            if raw is None or raw.strip() == "":
                raise DerivationError(f"environment variable {from_env} is not set (or empty); it must hold the root seed")
            try:
                value = _derive.parse_int(raw)
            except DerivationError:
                raise DerivationError(
                    f"environment variable {from_env}: must be a decimal or 0x-hex integer, got {raw!r}"
                ) from None
            rootobj = Root(value, source="env", env=from_env, created=created)
        elif root is not None:
            rootobj = Root(root, source="explicit", created=created)
        else:
            rootobj = Root(int.from_bytes(os.urandom(16), "big"), source="os-entropy", created=created)
        return cls(rootobj, [j if isinstance(j, Job) else Job(j) for j in jobs])

    def with_job(self, job: str | Job, **options: Any) -> Manifest:
        """A copy with ``job`` added or replaced (``options`` as for Job when a name is given)."""
        new_job = job if isinstance(job, Job) else Job(job, **options)
        jobs = dict(self.jobs)
        jobs[new_job.name] = new_job
        return Manifest(self.root, jobs.values(), derivation=self.derivation, schema=self.schema, path=self.path)

    # -- seeds ----------------------------------------------------------------------------------

    def job(self, name: str) -> Job:
        """The job called ``name``; an unknown name is an error that suggests the closest ones."""
        try:
            return self.jobs[name]
        except (KeyError, TypeError):
            pass
        import difflib

        names = list(self.jobs)
        close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
        where = f"{self.path}: " if self.path else ""
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        declared = ", ".join(repr(n) for n in names) or "none"
        raise UnknownJobError(
            f"{where}no job {name!r} in the manifest{hint} (declared jobs: {declared})",
            job=str(name), suggestions=close,
        )

    def seed(self, job: str, /, *, bits: int = _derive.PORTABLE_BITS, **keys: object) -> int:
        """The seed of ``job`` (with optional keys such as ``rank=1``), ``bits`` wide.

        A pinned job returns its pin when no keys are given; its keyed seeds derive from the pin."""
        return self.seed_for(job, keys, bits=bits)

    def seed_for(self, job: str, keys: Mapping[str, object] | None = None, *,
                 bits: int = _derive.PORTABLE_BITS) -> int:
        """``seed`` with the keys as a mapping, for keys known only at run time (or named ``bits``)."""
        j = self.job(job)
        _derive.check_bits(bits)
        if j.seed is not None:
            if not keys:
                if j.seed >= 2**bits:
                    raise SeedRangeError(
                        f"job {job!r} pins seed {j.seed}, which does not fit in {bits} bits (0..{2**bits - 1})"
                    )
                return j.seed
            return _derive.derive(j.seed, job, keys, bits=bits, version=self.derivation)
        return _derive.derive(self.root.entropy, job, keys, bits=bits, version=self.derivation)

    def is_pinned(self, job: str) -> bool:
        return self.job(job).seed is not None

    # -- output ---------------------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """Plain data in the manifest's YAML shape (the root as a quoted hex string)."""
        root: dict[str, Any] = {"entropy": _hex(self.root.entropy), "source": self.root.source}
        if self.root.env is not None:
            root["env"] = self.root.env
        if self.root.created is not None:
            root["created"] = self.root.created
        jobs: dict[str, Any] = {}
        for j in self.jobs.values():
            entry: dict[str, Any] = {}
            if j.description is not None:
                entry["description"] = j.description
            if j.seed is not None:
                # R's yaml reads integers above 2**31-1 as NA: write wider pins as quoted hex.
                entry["seed"] = j.seed if j.seed <= _derive.PORTABLE_MAX else _hex(j.seed)
            if j.frameworks:
                entry["frameworks"] = list(j.frameworks)
            if j.profile != "seeded":
                entry["profile"] = j.profile
            if j.r:
                entry["r"] = dict(j.r)
            if j.caffe:
                entry["caffe"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in j.caffe.items()}
            jobs[j.name] = entry
        return {"seedbridge": self.schema, "derivation": self.derivation, "root": root, "jobs": jobs}

    def dumps(self) -> str:
        """The manifest as YAML text, with every string quoted so YAML 1.1 readers agree on it."""
        header = (
            "# seedbridge manifest: the one place this pipeline's seeds come from.\n"
            "# Reference: docs/manifest.md. Check it with `seedbridge validate`.\n"
        )
        body = yaml.dump(self.to_data(), Dumper=_QuotingDumper, sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=1000)
        return header + body

    def save(self, path: str | os.PathLike[str] | None = None, *, overwrite: bool = True) -> str:
        """Write the manifest atomically (temp file, fsync, rename) and return the path written."""
        target = os.fspath(path) if path is not None else (self.path or default_path())
        atomic_write_text(target, self.dumps(), overwrite=overwrite)
        return target

    def digest(self) -> str:
        """SHA-256 (hex) of the manifest's canonical YAML: identifies the seeds it defines."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self.to_data(), sort_keys=True).encode("utf-8")).hexdigest()


class _QuotingDumper(yaml.SafeDumper):
    pass


# Words some YAML 1.1 reader (R's yaml among them) takes for a boolean or null when unquoted.
_YAML11_WORDS = frozenset(["y", "n", "yes", "no", "on", "off", "true", "false", "null"])
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _quoted_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR_TAG, data, style='"')


def _mapping(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.MappingNode:
    node = dumper.represent_mapping("tag:yaml.org,2002:map", data)
    for key_node, _ in node.value:
        # Keys stay plain where every reader agrees they are text; string values are always quoted.
        if _PLAIN_KEY.fullmatch(key_node.value) and key_node.value.lower() not in _YAML11_WORDS:
            key_node.style = None
    return node


_QuotingDumper.add_representer(str, _quoted_str)
_QuotingDumper.add_representer(dict, _mapping)


# -- model checks shared by loading and building from Python --------------------------------------


def _check_model(m: Manifest) -> list[Problem]:
    problems: list[Problem] = []

    def bad(field: str, msg: str) -> None:
        problems.append(Problem(msg, file=m.path, field=field))

    if m.schema != SCHEMA_VERSION:
        bad("seedbridge", f"schema version must be {SCHEMA_VERSION}, got {m.schema!r}")
    if m.derivation not in _derive.SUPPORTED_DERIVATIONS:
        bad("derivation", f"must be one of {_derive.SUPPORTED_DERIVATIONS}, got {m.derivation!r}")
    r = m.root
    if isinstance(r.entropy, bool) or not isinstance(r.entropy, int) or not 0 <= r.entropy <= _derive.ROOT_MAX:
        bad("root.entropy", f"must be an integer in 0..2**128-1, got {r.entropy!r}")
    if r.source not in ROOT_SOURCES:
        bad("root.source", f"must be one of {', '.join(ROOT_SOURCES)}, got {r.source!r}")
    if r.source == "env" and not (isinstance(r.env, str) and _ENV_NAME.fullmatch(r.env)):
        bad("root.env", f"must name the environment variable when source is env, got {r.env!r}")
    if r.source != "env" and r.env is not None:
        bad("root.env", f"is only allowed when source is env (source is {r.source})")
    for name, j in m.jobs.items():
        base = f"jobs.{name}"
        if not isinstance(name, str) or name == "":
            bad(base, f"job names must be non-empty text, got {name!r}")
        for fw in j.frameworks:
            if not isinstance(fw, str) or not _FRAMEWORK_NAME.fullmatch(fw):
                bad(f"{base}.frameworks", f"must be target names matching [a-z][a-z0-9_]*, got {fw!r}")
        if len(set(j.frameworks)) != len(j.frameworks):
            bad(f"{base}.frameworks", f"lists a framework twice: {list(j.frameworks)}")
        if j.profile not in PROFILES:
            bad(f"{base}.profile", f"must be one of {', '.join(PROFILES)}, got {j.profile!r}")
        if j.seed is not None:
            if isinstance(j.seed, bool) or not isinstance(j.seed, int) or not 0 <= j.seed <= _derive.ROOT_MAX:
                bad(f"{base}.seed", f"must be an integer in 0..2**128-1, got {j.seed!r}")
            else:
                for fw in j.frameworks:
                    top = _derive.FRAMEWORK_SEED_MAX.get(fw)
                    if top is not None and j.seed > top:
                        bad(f"{base}.seed", f"must be an integer in 0..{top} for {fw}, got {j.seed}")
        for key, value in j.r.items():
            choices = {"kind": R_KINDS, "normal.kind": R_NORMAL_KINDS, "sample.kind": R_SAMPLE_KINDS}.get(key)
            if choices is None:
                bad(f"{base}.r.{key}", f"unknown key; allowed keys: {', '.join(_R_KEYS)}")
            elif value not in choices:
                bad(f"{base}.r.{key}", f"must be one of {', '.join(choices)}, got {value!r}")
        for key in j.caffe:
            if key not in _CAFFE_KEYS:
                bad(f"{base}.caffe.{key}", f"unknown key; allowed keys: {', '.join(_CAFFE_KEYS)}")
    return problems


# -- loading ------------------------------------------------------------------------------------


def as_manifest(manifest: Manifest | str | os.PathLike[str] | None) -> Manifest:
    """``manifest`` itself when it is a Manifest, else ``load(manifest)`` (a path, or None for the default)."""
    return manifest if isinstance(manifest, Manifest) else load(manifest)


def load(path: str | os.PathLike[str] | None = None) -> Manifest:
    """Load and validate a manifest: ``path``, else ``$SEEDBRIDGE_MANIFEST``, else ``seedbridge.yaml``."""
    target = os.fspath(path) if path is not None else default_path()
    try:
        with open(target, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ManifestError([Problem(
            "no manifest here; create one with `seedbridge init` or name one with -m PATH "
            f"or {MANIFEST_ENV}", file=target)]) from None
    except OSError as exc:
        raise ManifestError([Problem(f"cannot read the manifest: {exc.strerror}", file=target)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError([Problem(f"must be UTF-8 text; byte {exc.start} is not", file=target)]) from None
    return loads(text, path=target)


def loads(text: str, *, path: str | None = None) -> Manifest:
    """Validate manifest ``text``; ``path`` names it in error messages."""
    where = path or "<manifest>"
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        raise ManifestError([Problem(f"malformed YAML: {exc.problem or exc.context}", file=where,
                                     line=line, column=column)]) from None
    except yaml.YAMLError as exc:
        raise ManifestError([Problem(f"malformed YAML: {exc}", file=where)]) from None
    reader = _Reader(where)
    manifest = reader.read(node)
    if reader.problems:
        raise ManifestError(reader.problems)
    assert manifest is not None
    return manifest


try:  # the libyaml parser when PyYAML was built with it; node marks are the same
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


class _Reader:
    """Turns a composed YAML node tree into a Manifest, collecting every problem with its line."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def bad(self, node: yaml.Node | None, field: str, msg: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(msg, file=self.file, line=line, field=field))

    def value(self, node: yaml.Node) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def mapping(self, node: yaml.Node, field: str, allowed: tuple[str, ...] | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Key text -> (key node, value node); flags non-text keys, duplicates and unknown keys."""
        if not isinstance(node, yaml.MappingNode):
            self.bad(node, field or "(top level)", f"must be a mapping, got {self._describe(node)}")
            return {}
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode) or knode.tag != _STR_TAG:
                shown = knode.value if isinstance(knode, yaml.ScalarNode) else "a collection"
                self.bad(knode, _join(field, str(shown)),
                         f"keys must be text; YAML read {shown!r} as {self._describe(knode)}, quote it as \"{shown}\"")
                continue
            key = knode.value
            kfield = _join(field, key)
            if key in out:
                self.bad(knode, kfield, f"duplicate key (first at line {out[key][0].start_mark.line + 1})")
                continue
            if allowed is not None and key not in allowed:
                import difflib

                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.bad(knode, kfield, f"unknown key{hint} (allowed: {', '.join(allowed)})")
                continue
            out[key] = (knode, vnode)
        return out

    def _describe(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        kind = node.tag.rsplit(":", 1)[-1]
        return {"str": "text", "int": "an integer", "bool": "a boolean", "null": "null", "float": "a number",
                "timestamp": "a timestamp"}.get(kind, kind)

    def integer(self, node: yaml.Node, field: str, *, allow_text: bool) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG:
            value = self.value(node)
            if value > _derive.PORTABLE_MAX:
                self.bad(node, field, f"integers above {_derive.PORTABLE_MAX} must be quoted hex text such as "
                                      f"\"{_hex(value)}\" (R's yaml reads them as NA), got {node.value}")
                return None
            return int(value)
        if allow_text and isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
            try:
                return _derive.parse_int(node.value)
            except DerivationError:
                pass
        self.bad(node, field, f"must be an integer, got {self._describe(node)} {getattr(node, 'value', '')!r}")
        return None

    def text(self, node: yaml.Node, field: str) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
            return str(node.value)
        self.bad(node, field, f"must be text, got {self._describe(node)}")
        return None

    def read(self, node: yaml.Node | None) -> Manifest | None:
        if node is None:
            self.problems.append(Problem("the manifest is empty; create one with `seedbridge init`", file=self.file))
            return None
        top = self.mapping(node, "", _TOP_KEYS)
        for key in _TOP_KEYS:
            if key not in top and isinstance(node, yaml.MappingNode):
                self.bad(node, key, "required key is missing")
        schema = derivation = None
        if "seedbridge" in top:
            schema = self.integer(top["seedbridge"][1], "seedbridge", allow_text=False)
            if schema is not None and schema != SCHEMA_VERSION:
                self.bad(top["seedbridge"][1], "seedbridge", f"schema version must be {SCHEMA_VERSION}, got {schema}")
        if "derivation" in top:
            derivation = self.integer(top["derivation"][1], "derivation", allow_text=False)
            if derivation is not None and derivation not in _derive.SUPPORTED_DERIVATIONS:
                self.bad(top["derivation"][1], "derivation",
                         f"must be one of {', '.join(map(str, _derive.SUPPORTED_DERIVATIONS))}, got {derivation}")
        root = self.read_root(top["root"][1]) if "root" in top else None
        jobs: list[Job] = []
        if "jobs" in top:
            jnode = top["jobs"][1]
            if isinstance(jnode, yaml.ScalarNode) and jnode.tag == "tag:yaml.org,2002:null":
                pass  # `jobs:` with nothing under it: no jobs yet
            else:
                for name, (knode, vnode) in self.mapping(jnode, "jobs", None).items():
                    job = self.read_job(name, knode, vnode)
                    if job is not None:
                        jobs.append(job)
        if self.problems or root is None or schema is None or derivation is None:
            return None
        try:
            return Manifest(root, jobs, derivation=derivation, schema=schema, path=self.file)
        except ManifestError as exc:  # pragma: no cover - the reader checks each rule with its line first
            self.problems.extend(exc.problems)
            return None

    def read_root(self, node: yaml.Node) -> Root | None:
        fields = self.mapping(node, "root", _ROOT_KEYS)
        before = len(self.problems)
        entropy = None
        if "entropy" not in fields:
            if isinstance(node, yaml.MappingNode):
                self.bad(node, "root.entropy", "required key is missing")
        else:
            enode = fields["entropy"][1]
            if isinstance(enode, yaml.ScalarNode) and enode.tag == _STR_TAG and _HEX_ROOT.fullmatch(enode.value) \
                    and enode.style in ('"', "'"):
                entropy = int(enode.value, 16)
            else:
                shown = enode.value if isinstance(enode, yaml.ScalarNode) else self._describe(enode)
                self.bad(enode, "root.entropy",
                         f"must be a quoted lower-case hex string of up to 128 bits such as \"0x2a\", got {shown!r}"
                         + ("" if not isinstance(enode, yaml.ScalarNode) or enode.style else " (unquoted)"))
        source = "explicit"
        if "source" in fields:
            s = self.text(fields["source"][1], "root.source")
            if s is not None and s not in ROOT_SOURCES:
                self.bad(fields["source"][1], "root.source", f"must be one of {', '.join(ROOT_SOURCES)}, got {s!r}")
            source = s or source
        env = None
        if "env" in fields:
            env = self.text(fields["env"][1], "root.env")
            if env is not None and not _ENV_NAME.fullmatch(env):
                self.bad(fields["env"][1], "root.env", f"must be an environment variable name, got {env!r}")
            if source != "env":
                self.bad(fields["env"][1], "root.env", f"is only allowed when source is env (source is {source})")
        elif source == "env" and "source" in fields:
            self.bad(fields["source"][1], "root.env", "source env needs root.env, the variable's name")
        created = None
        if "created" in fields:
            cnode = fields["created"][1]
            value = self.value(cnode) if isinstance(cnode, yaml.ScalarNode) else None
            if isinstance(value, datetime.date):
                created = value.isoformat()  # an unquoted YAML timestamp
            elif isinstance(value, str):
                created = value
            else:
                self.bad(cnode, "root.created", f"must be an ISO 8601 timestamp, got {self._describe(cnode)}")
        if len(self.problems) > before or entropy is None:
            return None
        return Root(entropy, source=source, env=env, created=created)

    def read_job(self, name: str, knode: yaml.Node, node: yaml.Node) -> Job | None:
        base = _join("jobs", name)
        if name == "":
            self.bad(knode, base, "job names must not be empty")
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return Job(name)  # `train:` with nothing under it
        fields = self.mapping(node, base, _JOB_KEYS)
        before = len(self.problems)
        opts: dict[str, Any] = {}
        if "seed" in fields:
            snode = fields["seed"][1]
            seed = self.integer(snode, f"{base}.seed", allow_text=True)
            if seed is not None:
                if not 0 <= seed <= _derive.ROOT_MAX:
                    self.bad(snode, f"{base}.seed", f"must be an integer in 0..2**128-1, got {seed}")
                opts["seed"] = seed
        if "frameworks" in fields:
            fnode = fields["frameworks"][1]
            if not isinstance(fnode, yaml.SequenceNode):
                self.bad(fnode, f"{base}.frameworks", f"must be a list such as [numpy, torch], got {self._describe(fnode)}")
            else:
                fws: list[str] = []
                for item in fnode.value:
                    fw = self.text(item, f"{base}.frameworks")
                    if fw is None:
                        continue
                    if not _FRAMEWORK_NAME.fullmatch(fw):
                        self.bad(item, f"{base}.frameworks", f"must be a target name matching [a-z][a-z0-9_]*, got {fw!r}")
                    elif fw in fws:
                        self.bad(item, f"{base}.frameworks", f"lists {fw!r} twice")
                    else:
                        fws.append(fw)
                opts["frameworks"] = fws
        if "profile" in fields:
            p = self.text(fields["profile"][1], f"{base}.profile")
            if p is not None and p not in PROFILES:
                self.bad(fields["profile"][1], f"{base}.profile", f"must be one of {', '.join(PROFILES)}, got {p!r}")
            opts["profile"] = p
        if "description" in fields:
            opts["description"] = self.text(fields["description"][1], f"{base}.description")
        if "r" in fields:
            rmap: dict[str, str] = {}
            choices = {"kind": R_KINDS, "normal.kind": R_NORMAL_KINDS, "sample.kind": R_SAMPLE_KINDS}
            for key, (_, vnode) in self.mapping(fields["r"][1], f"{base}.r", _R_KEYS).items():
                v = self.text(vnode, f"{base}.r.{key}")
                if v is not None and v not in choices[key]:
                    self.bad(vnode, f"{base}.r.{key}", f"must be one of {', '.join(choices[key])}, got {v!r}")
                if v is not None:
                    rmap[key] = v
            opts["r"] = rmap
        if "caffe" in fields:
            cmap: dict[str, Any] = {}
            for key, (_, vnode) in self.mapping(fields["caffe"][1], f"{base}.caffe", _CAFFE_KEYS).items():
                if not isinstance(vnode, yaml.SequenceNode):
                    self.bad(vnode, f"{base}.caffe.{key}", f"must be a list of solver file paths, got {self._describe(vnode)}")
                    continue
                cmap[key] = tuple(p for p in (self.text(i, f"{base}.caffe.{key}") for i in vnode.value) if p is not None)
            opts["caffe"] = cmap
        if "seed" in opts and opts.get("frameworks"):
            for fw in opts["frameworks"]:
                top = _derive.FRAMEWORK_SEED_MAX.get(fw)
                if top is not None and opts["seed"] > top:
                    self.bad(fields["seed"][1], f"{base}.seed", f"must be an integer in 0..{top} for {fw}, got {opts['seed']}")
        if len(self.problems) > before:
            return None
        return Job(name, **opts)


def _join(base: str, key: str) -> str:
    # Field paths read as jobs.train.seed; a key that itself contains a dot or space is shown quoted.
    shown = key if key and all(c.isalnum() or c in "_-" for c in key) else f'"{key}"'
    return f"{base}.{shown}" if base else shown
