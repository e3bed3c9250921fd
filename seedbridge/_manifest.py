"""The manifest model: load, validate, create, dump and save ``seedbridge.yaml`` (docs/manifest.md).

The rules live once, as data, in ``manifest_schema.json`` (``_schema``); the R package reads the
same file. A file is read the way R's yaml reads it (``_yaml``) and checked by one walk over the
nodes (``_validate``), which reports every problem with file, line, field path and rule id. A
Manifest built in Python is checked by the same walk over its plain data (``to_data``), so ``save``
never writes a file ``load`` refuses.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import yaml

from seedbridge import _schema, _yaml
from seedbridge import derive as _derive
from seedbridge._atomic import atomic_write_text
from seedbridge._validate import Walker
from seedbridge._validate import join as _join
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

DEFAULT_MANIFEST = "seedbridge.yaml"
MANIFEST_ENV = "SEEDBRIDGE_MANIFEST"

# Views of the schema data (manifest_schema.json), for the code that needs the names.
SCHEMA_VERSION = _schema.SCHEMA_VERSION
_FIELDS = _schema.DATA["fields"]
# The built-in targets. A job may also list a third-party target (any name matching
# [a-z][a-z0-9_]*), which seed_everything looks up in the installed plug-ins.
FRAMEWORKS: tuple[str, ...] = tuple(_schema.TARGET_MAX)
# seeded: seeds only; deterministic: also each framework's determinism switches (warn on
# nondeterministic ops); strict: deterministic, errors on nondeterministic ops, PYTHONHASHSEED required.
PROFILES: tuple[str, ...] = tuple(_FIELDS["job"]["keys"]["profile"]["one_of"])
ROOT_SOURCES: tuple[str, ...] = tuple(_FIELDS["root"]["keys"]["source"]["one_of"])
# R's RNGkind() choices (R 4.x ?RNGkind), minus "user-supplied" and "default", which name no fixed kind.
R_KINDS: tuple[str, ...] = tuple(_FIELDS["r"]["keys"]["kind"]["one_of"])
R_NORMAL_KINDS: tuple[str, ...] = tuple(_FIELDS["r"]["keys"]["normal.kind"]["one_of"])
R_SAMPLE_KINDS: tuple[str, ...] = tuple(_FIELDS["r"]["keys"]["sample.kind"]["one_of"])
R_DEFAULT_KINDS: dict[str, str] = dict(_schema.R_DEFAULT_KINDS)
# Bytes a manifest may have; a larger file (or /dev/zero) is refused before it is read.
FILE_LIMIT_BYTES = _schema.FILE_LIMIT_BYTES

_STR_TAG = "tag:yaml.org,2002:str"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def default_path() -> str:
    """The manifest path used when none is given: ``$SEEDBRIDGE_MANIFEST`` or ``seedbridge.yaml``."""
    return os.environ.get(MANIFEST_ENV) or DEFAULT_MANIFEST


def _listed(jobs: object, kinds: type | tuple[type, ...], where: str | None) -> list[Any]:
    """``jobs`` as a list, when it is a list (or other iterable) of ``kinds``; a lone text is not a list of
    names (``Manifest.new("train")`` would otherwise declare the jobs t, r, a, i and n)."""
    got = type(jobs).__name__
    if isinstance(jobs, Iterable) and not isinstance(jobs, (str, bytes, Mapping)):
        items = list(jobs)
        odd = [j for j in items if not isinstance(j, kinds)]
        if not odd:
            return items
        got = f"a {got} with an item of type {type(odd[0]).__name__}"
    what = "job names or Job objects" if kinds != Job else "Job objects"
    raise ManifestError([Problem(f"must be a list of {what}, got {got}", file=where, field="jobs", rule="not-list")])


def _hex(value: int) -> str:
    return f"0x{value:x}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
        # Values are kept as given (a text where a list belongs stays text), so that building a
        # Manifest reports what is wrong instead of silently reshaping it.
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "seed", seed)
        listed = isinstance(frameworks, Iterable) and not isinstance(frameworks, (str, bytes, Mapping))
        object.__setattr__(self, "frameworks", tuple(frameworks) if listed else frameworks)
        object.__setattr__(self, "profile", profile)
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "r", MappingProxyType(dict(r)) if isinstance(r, Mapping) else r or {})
        object.__setattr__(self, "caffe", MappingProxyType(dict(caffe)) if isinstance(caffe, Mapping) else caffe or {})

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
        where = os.fspath(path) if path is not None else None
        by_name: dict[str, Job] = {}
        repeated: list[Problem] = []
        for j in _listed(jobs, Job, where):
            try:
                hash(j.name)
            except TypeError:  # a list or dict as a name: the walk cannot even hold it as a key
                raise ManifestError([Problem(_schema.RULES["key-not-text"].format(got="a mapping or list", hint=""),
                                             file=where, field="jobs", rule="key-not-text")]) from None
            if j.name in by_name:
                repeated.append(Problem(_schema.RULES["duplicate-key"], file=where,
                                        field=_join("jobs", str(j.name)), rule="duplicate-key"))
            by_name[j.name] = j
        self._set(root, by_name, derivation, schema, where)
        # The same rules as a file: the walk over the plain data that `save` would write.
        walker = Walker(where)
        values = walker.manifest(_yaml.from_data(self.to_data()))
        if repeated or walker.problems:
            raise ManifestError(repeated + walker.problems)
        # Then the values as the walk read them, as `load` keeps them: a pin given as the text "5" is the
        # integer 5, an entropy given as "0x2a" is 42, a list is a tuple.
        self._set(*_from_values(values), where)

    def _set(self, root: Root, jobs: dict[str, Job], derivation: int, schema: int, path: str | None) -> None:
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "jobs", MappingProxyType(jobs))
        object.__setattr__(self, "derivation", derivation)
        object.__setattr__(self, "schema", schema)
        object.__setattr__(self, "path", path)

    @classmethod
    def _checked(cls, root: Root, jobs: dict[str, Job], derivation: int, schema: int, path: str) -> Manifest:
        """A Manifest from values the walk has just accepted (``loads``): no second check."""
        self = object.__new__(cls)
        self._set(root, jobs, derivation, schema, path)
        return self

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
        return cls(rootobj, [j if isinstance(j, Job) else Job(j) for j in _listed(jobs, (str, Job), None)])

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
        """Plain data in the manifest's YAML shape (the root and wide pins as quoted hex text).

        Values that break a rule are passed through as they are, for the check to report."""
        r = self.root
        root: dict[Any, Any] = {"entropy": _hex(r.entropy) if _is_int(r.entropy) and r.entropy >= 0 else r.entropy,
                                "source": r.source}
        if r.env is not None:
            root["env"] = r.env
        if r.created is not None:
            root["created"] = r.created
        jobs: dict[Any, Any] = {}
        for j in self.jobs.values():
            entry: dict[Any, Any] = {}
            if j.description is not None:
                entry["description"] = j.description
            if j.seed is not None:
                # R's yaml reads integers above 2**31-1 as NA: write wider pins as quoted hex.
                wide = _is_int(j.seed) and j.seed > _schema.PLAIN_INTEGER_MAX
                entry["seed"] = _hex(j.seed) if wide else j.seed
            if j.frameworks:
                entry["frameworks"] = list(j.frameworks) if isinstance(j.frameworks, tuple) else j.frameworks
            if j.profile != "seeded":
                entry["profile"] = j.profile
            if j.r:
                entry["r"] = dict(j.r) if isinstance(j.r, Mapping) else j.r
            if j.caffe:
                entry["caffe"] = ({k: (list(v) if isinstance(v, tuple) else v) for k, v in j.caffe.items()}
                                  if isinstance(j.caffe, Mapping) else j.caffe)
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



# -- loading ------------------------------------------------------------------------------------


def as_manifest(manifest: Manifest | str | os.PathLike[str] | None) -> Manifest:
    """``manifest`` itself when it is a Manifest, else ``load(manifest)`` (a path, or None for the default)."""
    return manifest if isinstance(manifest, Manifest) else load(manifest)


def _refuse(where: str, rule: str, line: int | None = None, column: int | None = None,
            **values: str) -> ManifestError:
    message = _schema.RULES[rule].format(**values)
    return ManifestError([Problem(message, file=where, line=line, column=column, rule=rule)])


def load(path: str | os.PathLike[str] | None = None) -> Manifest:
    """Load and validate a manifest: ``path``, else ``$SEEDBRIDGE_MANIFEST``, else ``seedbridge.yaml``.

    Only a regular file of at most ``FILE_LIMIT_BYTES`` (1 MiB) is read: a FIFO, a device or a
    directory is refused without blocking."""
    from seedbridge._files import Refused, open_regular

    target = os.fspath(path) if path is not None else default_path()
    try:
        with open_regular(target) as fh:
            raw = fh.read(FILE_LIMIT_BYTES + 1)
    except Refused as exc:
        if str(exc) == "no such file":
            raise _refuse(target, "file-missing", how=f"-m PATH or {MANIFEST_ENV}") from None
        raise _refuse(target, "not-a-file", reason=str(exc)) from None
    except OSError as exc:
        raise _refuse(target, "not-a-file", reason=f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > FILE_LIMIT_BYTES:
        raise _refuse(target, "too-large", limit=str(FILE_LIMIT_BYTES))
    # NUL first, as in R (which cannot even hold the text with a NUL in it).
    if b"\0" in raw:
        raise _refuse(target, "nul-character")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(target, "not-utf8") from None
    return loads(text, path=target)


def loads(text: str, *, path: str | None = None) -> Manifest:
    """Validate manifest ``text``; ``path`` names it in error messages."""
    where = path or "<manifest>"
    if not isinstance(text, str):
        raise ManifestError([Problem(f"must be text (str), got {type(text).__name__}; read bytes with load(path)",
                                     file=where, rule="not-utf8")])
    if "\0" in text:
        raise _refuse(where, "nul-character")
    if text.startswith("\ufeff"):  # a byte order mark, which libyaml also skips
        text = text[1:]
    try:
        _yaml.check_text(text)
        node = _yaml.read(text)
    except _yaml.Fatal as fatal:
        raise _refuse(where, fatal.rule, fatal.line, fatal.column, **fatal.details) from None
    if node is None or node.kind == "null":
        raise _refuse(where, "empty")
    walker = Walker(where)
    values = walker.manifest(node)
    if walker.problems:
        raise ManifestError(walker.problems)
    return Manifest._checked(*_from_values(values), where)


def _from_values(values: dict[str, Any]) -> tuple[Root, dict[str, Job], int, int]:
    """Root, jobs, derivation and schema from the values of a walk that found no problem."""
    root = values["root"]
    rootobj = Root(root["entropy"], source=root.get("source", "explicit"), env=root.get("env"),
                   created=root.get("created"))
    jobs = {name: Job(name, **job) for name, job in values["jobs"]}
    return rootobj, jobs, values["derivation"], values["seedbridge"]
