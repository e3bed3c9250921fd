"""seedbridge.caffe: seeding solver prototxt files in place, with SolverParameter validation."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import GOLDEN, run_cli

import seedbridge
from seedbridge import caffe
from seedbridge.caffe import _schema
from seedbridge.errors import SeedbridgeError, SeedRangeError, SolverError

CAFFE = GOLDEN / "caffe"
GOLDEN_SEED = 1234567
INPUTS = sorted(p.name for p in CAFFE.glob("*.prototxt"))


def load_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def protobuf_seed(text: str) -> int:
    """random_seed as protobuf's own text format reads the whole text (net insides are unknown fields)."""
    from google.protobuf import text_format

    message = _schema.solver_class()()
    text_format.Parse(text, message, allow_unknown_field=True)
    assert message.HasField("random_seed")
    return int(message.random_seed)


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def quiet_seed(text: str, seed: int, **kw: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", caffe.CaffeWarning)
        return caffe.seed_text(text, seed, **kw)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A manifest with job 'train' (root 0x2a) and the golden solvers copied in."""
    seedbridge.Manifest.new(["train"], root=0x2A).save(tmp_path / "seedbridge.yaml")
    (tmp_path / "models").mkdir()
    for name in INPUTS:
        (tmp_path / "models" / name).write_bytes((CAFFE / name).read_bytes())
    return tmp_path


def train_seed(project: Path, **keys: object) -> int:
    return seedbridge.load(project / "seedbridge.yaml").seed("train", **keys)


# -- golden files -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", INPUTS)
def test_golden_seeding_matches_expected_bytes(name: str) -> None:
    text = load_text(CAFFE / name)
    expected = load_text(CAFFE / "seeded" / name)
    assert quiet_seed(text, GOLDEN_SEED, source=name) == expected


@pytest.mark.parametrize("name", INPUTS)
def test_golden_diff_is_one_line_and_parses_with_protobuf(name: str) -> None:
    text = load_text(CAFFE / name)
    seeded = quiet_seed(text, GOLDEN_SEED)
    diff = changed_lines(text, seeded)
    assert len(diff) in (1, 2), diff  # one line added, or one removed and its replacement
    assert all("random_seed" in line for line in diff)
    assert protobuf_seed(seeded) == GOLDEN_SEED
    assert caffe.read_seed(seeded) == GOLDEN_SEED
    assert quiet_seed(seeded, GOLDEN_SEED) == seeded


def test_crlf_is_kept_on_the_changed_and_the_added_line() -> None:
    added = quiet_seed(load_text(CAFFE / "crlf_solver.prototxt"), 5)
    assert "random_seed: 5\r\n" in added and added.count("\n") == added.count("\r\n")
    replaced = quiet_seed(load_text(CAFFE / "crlf_seeded_solver.prototxt"), 5)
    assert "\r\nrandom_seed: 5\r\n" in replaced and replaced.count("\n") == replaced.count("\r\n")


def test_file_without_final_newline_keeps_its_last_line_and_no_newline() -> None:
    text = load_text(CAFFE / "no_newline_solver.prototxt")
    seeded = quiet_seed(text, 8)
    assert seeded.endswith("\nsolver_mode: CPU") and "random_seed: 8\n" in seeded
    assert quiet_seed("base_lr: 0.1", 8) == "random_seed: 8\nbase_lr: 0.1"
    assert quiet_seed("", 8) == "random_seed: 8\n"
    assert quiet_seed("# only a comment", 8) == "random_seed: 8\n# only a comment"


def test_last_line_starting_inside_a_message_gets_the_seed_appended() -> None:
    """No top-level line start to insert at: the seed goes after the text, on a line of its own."""
    text = "net_param {\n  name: \"n\"\n} max_iter: 5"
    seeded = quiet_seed(text, 3)
    assert seeded == text + "\nrandom_seed: 3"
    assert protobuf_seed(seeded) == 3


def test_hex_seed_stays_hex_with_its_letter_case() -> None:
    assert "random_seed: 0x12D687\n" in quiet_seed(load_text(CAFFE / "hex_seed_solver.prototxt"), GOLDEN_SEED)
    assert "random_seed:0x12d687\n" in quiet_seed(load_text(CAFFE / "hex_lower_solver.prototxt"), GOLDEN_SEED)
    assert caffe.read_seed("random_seed: 0xDEADBEEF") == 0xDEADBEEF
    assert caffe.read_seed("random_seed: 017") == 15  # C-style octal, as protobuf reads it


def test_equal_seed_in_another_spelling_is_left_alone() -> None:
    text = "random_seed: 0x2a  # forty-two\n"
    assert caffe.seed_text(text, 42) == text


def test_nested_random_seed_is_not_the_solvers() -> None:
    text = 'net_param { layer { name: "a" random_seed: 5 } }\nbase_lr: 0.1\n'
    assert caffe.read_seed(text) is None
    seeded = quiet_seed(text, 77)
    assert seeded == text + "random_seed: 77\n"
    assert "random_seed: 5" in seeded


def test_hash_and_braces_inside_strings_are_text() -> None:
    text = 'snapshot_prefix: "a # b { c"\nnet: \'x } y\'\n'
    assert quiet_seed(text, 1) == text + "random_seed: 1\n"


def test_new_line_follows_the_files_colon_spacing_and_indent() -> None:
    assert quiet_seed("  base_lr : 0.1\n", 4) == "  base_lr : 0.1\n  random_seed : 4\n"


def test_bytes_that_are_not_utf8_survive(tmp_path: Path) -> None:
    path = tmp_path / "latin1_solver.prototxt"
    path.write_bytes(b"# r\xe9glage\nbase_lr: 0.1\n")
    m = seedbridge.Manifest.new(["train"], root=1)
    caffe.seed_file(path, job="train", manifest=m, in_place=True)
    assert path.read_bytes() == f"# r\xe9glage\nbase_lr: 0.1\nrandom_seed: {m.seed('train')}\n".encode(
        "latin-1")


# -- validation errors: every problem, with line and column, and nothing written -----------------

ERRORS = {
    "typo": ("base_lr: 0.1\nrandom_sed: 5\n",
             ["s.prototxt:2:1 random_sed: unknown SolverParameter field; did you mean 'random_seed'?"]),
    "seed twice": ("random_seed: 1\nbase_lr: 0.1\nrandom_seed: 2\n",
                   ["s.prototxt:3:1 random_seed: non-repeated field given twice (first at 1:1); caffe's parser "
                    "rejects this"]),
    "solver_type and type": ('solver_type: ADAM\ntype: "Adam"\n',
                             ["s.prototxt:2:1 type: both solver_type (deprecated enum) and type are set (the other "
                              "at 1:1); caffe aborts on this (upgrade_proto.cpp); keep only type"]),
    "seed not integer": ("random_seed: 1.5\n",
                         ["s.prototxt:1:14 random_seed: must be an int64 integer in "
                          "-9223372036854775808..9223372036854775807, got '1.5'"]),
    "seed too wide for int64": ("random_seed: 9223372036854775808\n",
                                ["s.prototxt:1:14 random_seed: must be an int64 integer in "
                                 "-9223372036854775808..9223372036854775807, got '9223372036854775808'"]),
    "seed a string": ('random_seed: "7"\n',
                      ["s.prototxt:1:14 random_seed: must be an int64 integer in "
                       "-9223372036854775808..9223372036854775807, got '\"7\"'"]),
    "unclosed brace": ('net_param {\n  layer { name: "a" }\n',
                       ["s.prototxt:1:11: unclosed {: the file ends before its '}'"]),
    "unterminated string": ('net: "a.prototxt\nbase_lr: 0.1\n',
                            ["s.prototxt:1:6: unterminated string: a quoted string must end on the same line"]),
    "missing colon": ("base_lr 0.1\n", ["s.prototxt:1:9: expected ':' after the field name 'base_lr', got '0.1'"]),
    "stray brace": ("base_lr: 0.1\n}\n", ["s.prototxt:2:1: expected a field name, got '}'"]),
    "bad enum": ("solver_mode: TPU\n",
                 ["s.prototxt:1:14 solver_mode: must be one of CPU, GPU (or its number), got 'TPU'"]),
    "net state typo": ("train_state { phase: TRAIN levle: 1 }\n",
                       ["s.prototxt:1:28 train_state.levle: unknown NetState field; did you mean 'level'?"]),
    "message given a scalar": ("net_param: 3\n",
                               ["s.prototxt:1:12 net_param: must be a NetParameter message { ... }, got '3'"]),
    "list for non-repeated": ("max_iter: [1, 2]\n",
                              ["s.prototxt:1:1 max_iter: is not a repeated field; a [...] list is not allowed "
                               "here"]),
    "int32 overflow": ("max_iter: 3000000000\n",
                       ["s.prototxt:1:11 max_iter: must be an int32 integer in -2147483648..2147483647, "
                        "got '3000000000'"]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_error_is_reported_with_position_and_file_is_unchanged(case: str, tmp_path: Path) -> None:
    text, expected = ERRORS[case]
    with pytest.raises(SolverError) as info:
        caffe.seed_text(text, 1, source="s.prototxt")
    assert [str(p) for p in info.value.problems] == expected
    path = tmp_path / "s.prototxt"
    path.write_bytes(text.encode())
    m = seedbridge.Manifest.new(["train"], root=3)
    for kwargs in ({"in_place": True}, {"out": str(tmp_path / "out.prototxt")}):
        with pytest.raises(SolverError):
            caffe.seed_file(path, job="train", manifest=m, **kwargs)  # type: ignore[arg-type]
        assert path.read_bytes() == text.encode()
        assert not (tmp_path / "out.prototxt").exists()


def test_every_problem_is_reported_together() -> None:
    text = "random_sed: 1\nbase_lr: fast\nmax_iter: 1\nmax_iter: 2\n"
    with pytest.raises(SolverError) as info:
        caffe.seed_text(text, 1, source="s.prototxt")
    assert [p.line for p in info.value.problems] == [1, 2, 4]


def test_seed_outside_caffe_range_is_refused_not_clamped() -> None:
    for seed in (-1, 2**32):
        with pytest.raises(SeedRangeError, match=r"must be an integer in 0\.\.4294967295 for caffe"):
            caffe.seed_text("base_lr: 0.1\n", seed)
    assert quiet_seed("", 2**32 - 1) == "random_seed: 4294967295\n"


# -- caffe caveats --------------------------------------------------------------------------


def test_gpu_mode_and_hdf5_data_are_warned_about() -> None:
    text = 'solver_mode: GPU\nnet_param { layer { name: "d" type: "HDF5Data" } }\n'
    with pytest.warns(caffe.CaffeWarning) as record:
        caffe.seed_text(text, 1, source="s.prototxt")
    messages = [str(w.message) for w in record]
    assert messages[0].startswith("s.prototxt:1:1 solver_mode: gpu training is not bit-reproducible")
    assert "rank r trains with random_seed + r" in messages[0]
    assert messages[1].startswith("s.prototxt:2:37 type: HDF5Data layer: its shuffle uses std::random_shuffle")


def test_cpu_solver_raises_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        caffe.seed_text("solver_mode: CPU\n", 1)


def test_check_notes_negative_and_wide_seeds(project: Path) -> None:
    path = project / "w_solver.prototxt"
    path.write_text("random_seed: -1\n")
    result = caffe.check_file(path, job="train", manifest=project / "seedbridge.yaml")
    assert not result.ok and "caffe seeds from /dev/urandom" in str(result.notes[0])
    path.write_text("random_seed: 4294967301\n")
    result = caffe.check_file(path, job="train", manifest=project / "seedbridge.yaml")
    assert "casts it to unsigned int and uses 5" in str(result.notes[0])


# -- files and directories through the API -----------------------------------------------------


def test_seed_file_in_place_and_check(project: Path) -> None:
    path = project / "models" / "lenet_solver.prototxt"
    manifest = project / "seedbridge.yaml"
    assert not caffe.check_file(path, job="train", manifest=manifest).ok
    result = caffe.seed_file(path, job="train", manifest=manifest, in_place=True)
    assert (result.before, result.seed, result.changed, result.target) == (None, train_seed(project), True, str(path))
    assert caffe.check_file(path, job="train", manifest=manifest).ok
    assert caffe.read_seed(load_text(path)) == train_seed(project)


def test_keys_give_the_keyed_seed(project: Path) -> None:
    path = project / "models" / "lenet_solver.prototxt"
    caffe.seed_file(path, job="train", manifest=project / "seedbridge.yaml", in_place=True, rank=3)
    assert caffe.read_seed(load_text(path)) == train_seed(project, rank=3)


def test_directory_to_output_directory_mirrors_and_leaves_inputs(project: Path) -> None:
    (project / "models" / "deep").mkdir()
    (project / "models" / "deep" / "x_solver.prototxt").write_text("base_lr: 0.1\n")
    (project / "models" / "train_val.prototxt").write_text("layer { }\n")  # a net, not a solver: skipped
    before = {p: p.read_bytes() for p in (project / "models").rglob("*") if p.is_file()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", caffe.CaffeWarning)
        results = caffe.seed_files([project / "models"], job="train", manifest=project / "seedbridge.yaml",
                                   out=project / "seeded")
    assert {p: p.read_bytes() for p in before} == before
    written = sorted(str(p.relative_to(project / "seeded")) for p in (project / "seeded").rglob("*.prototxt"))
    assert written == sorted([*INPUTS, "deep/x_solver.prototxt"])
    assert len(results) == len(written)
    for p in (project / "seeded").rglob("*.prototxt"):
        assert caffe.read_seed(load_text(p)) == train_seed(project)


def test_one_bad_solver_stops_every_write(project: Path) -> None:
    bad = project / "models" / "bad_solver.prototxt"
    bad.write_text("base_lr: 0.1\nrandom_sed: 1\n")
    before = {p: p.read_bytes() for p in (project / "models").iterdir()}
    with pytest.raises(SolverError, match="random_sed: unknown SolverParameter field"):
        caffe.seed_files([project / "models"], job="train", manifest=project / "seedbridge.yaml", in_place=True)
    assert {p: p.read_bytes() for p in (project / "models").iterdir()} == before


def test_output_rules(project: Path) -> None:
    models = project / "models"
    m = project / "seedbridge.yaml"
    with pytest.raises(SeedbridgeError, match="only a single file can go to stdout"):
        caffe.seed_files([models], job="train", manifest=m)
    with pytest.raises(SeedbridgeError, match="not both"):
        caffe.seed_files([models / "lenet_solver.prototxt"], job="train", manifest=m, out="x", in_place=True)
    with pytest.raises(SeedbridgeError, match="is a directory; with one solver file"):
        caffe.seed_files([models / "lenet_solver.prototxt"], job="train", manifest=m, out=models)
    (project / "empty").mkdir()
    with pytest.raises(SolverError, match=r"no \*solver\*\.prototxt files in this directory"):
        caffe.seed_files([project / "empty"], job="train", manifest=m, in_place=True)
    with pytest.raises(SolverError, match="cannot read the solver"):
        caffe.seed_files([project / "missing.prototxt"], job="train", manifest=m)


def test_manifest_solver_list_is_used_when_no_paths_given(project: Path) -> None:
    m = seedbridge.load(project / "seedbridge.yaml").with_job(
        "train", caffe={"solvers": ["models/lenet_solver.prototxt"]})
    m.save(project / "seedbridge.yaml")
    results = caffe.seed_files(None, job="train", manifest=project / "seedbridge.yaml", in_place=True)
    assert [Path(r.source).name for r in results] == ["lenet_solver.prototxt"]
    assert caffe.read_seed(load_text(project / "models" / "lenet_solver.prototxt")) == train_seed(project)


# -- snippet and imports -------------------------------------------------------------------------


def test_pycaffe_snippet() -> None:
    m = seedbridge.Manifest.new(["train"], root=0x2A)
    seed, keyed = m.seed("train"), m.seed("train", rank=1)
    assert caffe.snippet(m, "train") == (f"# seedbridge: job 'train', derivation 1, seed {seed}\n"
                                         f"import caffe\ncaffe.set_random_seed({seed})\n")
    assert caffe.snippet(m, "train", rank=1).endswith(f"\nimport caffe\ncaffe.set_random_seed({keyed})\n")


def test_import_and_snippet_need_no_protobuf(tmp_path: Path) -> None:
    seedbridge.Manifest.new(["train"], root=5).save(tmp_path / "m.yaml")
    code = ("import sys, seedbridge.caffe as c; c.snippet(sys.argv[1], 'train'); "
            "print(sorted(m for m in sys.modules if m.startswith(('google', 'caffe'))))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.yaml")], capture_output=True, text=True,
                         check=True).stdout
    assert out == "[]\n"


def test_schema_restates_caffe_proto_facts() -> None:
    from google.protobuf.descriptor import FieldDescriptor as FD

    fields = _schema.solver_class().DESCRIPTOR.fields_by_name
    facts = {name: (fields[name].number, fields[name].type, fields[name].is_repeated) for name in fields}
    assert facts["random_seed"] == (20, FD.TYPE_INT64, False)
    assert facts["solver_mode"] == (17, FD.TYPE_ENUM, False)
    assert facts["type"] == (40, FD.TYPE_STRING, False)
    assert facts["solver_type"] == (30, FD.TYPE_ENUM, False)
    assert facts["net_param"] == (25, FD.TYPE_MESSAGE, False)
    assert facts["test_iter"] == (3, FD.TYPE_INT32, True)
    assert facts["weights"] == (42, FD.TYPE_STRING, True)
    assert fields["random_seed"].default_value == -1
    assert [v.name for v in fields["snapshot_format"].enum_type.values] == ["HDF5", "BINARYPROTO"]
    assert sorted(f.number for f in fields.values()) == sorted({f.number for f in fields.values()})
    assert max(f.number for f in fields.values()) == 42


# -- the command line ----------------------------------------------------------------------------


def test_cli_stdout_in_place_and_check(project: Path) -> None:
    solver = project / "models" / "crlf_solver.prototxt"
    original = solver.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "seedbridge", "caffe", str(solver), "--job", "train"],
                          cwd=project, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == original.replace(b"solver_mode: CPU\r\n",
                                           f"solver_mode: CPU\r\nrandom_seed: {train_seed(project)}\r\n".encode())
    assert solver.read_bytes() == original

    check = run_cli(["caffe", str(solver), "--job", "train", "--check"], cwd=project)
    assert check.returncode == 1
    assert f"random_seed: absent (caffe then seeds from /dev/urandom); job 'train' has seed {train_seed(project)}" \
        in check.stderr

    done = run_cli(["caffe", str(solver), "--job", "train", "--in-place"], cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{solver}: random_seed absent -> {train_seed(project)}\n"
    again = run_cli(["caffe", str(solver), "--job", "train", "--in-place"], cwd=project)
    assert again.stdout == f"{solver}: random_seed already {train_seed(project)}\n"
    ok = run_cli(["caffe", str(solver), "--job", "train", "--check"], cwd=project)
    assert (ok.returncode, ok.stdout) == (0, f"{solver}: ok, random_seed is {train_seed(project)} (job 'train')\n")


def test_cli_check_reports_the_line_of_a_wrong_seed(project: Path) -> None:
    proc = run_cli(["caffe", "models/cifar10_quick_solver.prototxt", "--job", "train", "--check"], cwd=project)
    assert proc.returncode == 1
    assert (f"seedbridge: check failed: models/cifar10_quick_solver.prototxt:26:16 random_seed: is 17, "
            f"job 'train' has seed {train_seed(project)}") in proc.stderr
    assert "seedbridge: warning: models/cifar10_quick_solver.prototxt:28:1 solver_mode: gpu training" in proc.stderr


def test_cli_error_exits_2_and_leaves_every_file(project: Path) -> None:
    bad = project / "models" / "typo_solver.prototxt"
    bad.write_bytes(b"base_lr: 0.1\r\nrandom_sed: 4\r\n")
    before = {p: p.read_bytes() for p in (project / "models").iterdir()}
    proc = run_cli(["caffe", "models", "--job", "train", "--in-place"], cwd=project)
    assert proc.returncode == 2
    assert proc.stderr == ("seedbridge: error: models/typo_solver.prototxt:2:1 random_sed: unknown SolverParameter "
                           "field; did you mean 'random_seed'?\n")
    assert {p: p.read_bytes() for p in (project / "models").iterdir()} == before
    assert run_cli(["caffe", "models", "--job", "train", "--check"], cwd=project).returncode == 2


def test_cli_several_files_to_a_directory(project: Path) -> None:
    proc = run_cli(["caffe", "models/lenet_solver.prototxt", "models/hex_seed_solver.prototxt", "--job", "train",
                    "-o", "out", "--key", "rank=0"], cwd=project)
    assert proc.returncode == 0, proc.stderr
    seed = train_seed(project, rank="0")
    assert caffe.read_seed(load_text(project / "out" / "lenet_solver.prototxt")) == seed
    assert f"random_seed: {seed:#X}".replace("0X", "0x") in load_text(project / "out" / "hex_seed_solver.prototxt")
    assert "models/hex_seed_solver.prototxt -> out/hex_seed_solver.prototxt: random_seed 3735928559 -> " in proc.stdout


def test_cli_usage_errors(project: Path) -> None:
    proc = run_cli(["caffe", "models", "--job", "train"], cwd=project)
    assert proc.returncode == 2 and "only a single file can go to stdout" in proc.stderr
    proc = run_cli(["caffe", "models", "--job", "train", "--check", "--in-place"], cwd=project)
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr
    proc = run_cli(["caffe", "--job", "train", "--in-place"], cwd=project)
    assert proc.returncode == 2 and "no solver files given, and the manifest lists none" in proc.stderr
    proc = run_cli(["caffe", "models/lenet_solver.prototxt", "--job", "tran"], cwd=project)
    assert proc.returncode == 2 and "did you mean 'train'?" in proc.stderr


def test_pinned_caffe_seed_wider_than_31_bits_is_used_as_written(tmp_path: Path) -> None:
    """Caffe keeps 32 bits, so a pin up to 2**32-1 is valid for a caffe job and is written unchanged."""
    manifest = seedbridge.Manifest.new([], root=0x2A).with_job("big", seed=3_000_000_000, frameworks=["caffe"])
    solver = tmp_path / "solver.prototxt"
    solver.write_text('base_lr: 0.01\nsolver_mode: CPU\n', encoding="utf-8")
    result = caffe.seed_file(solver, job="big", manifest=manifest, in_place=True)
    assert result.seed == 3_000_000_000
    assert solver.read_text(encoding="utf-8").count("random_seed: 3000000000") == 1
    too_wide = seedbridge.Manifest.new([], root=0x2A).with_job("huge", seed=2**32)
    before = solver.read_bytes()
    with pytest.raises(SeedRangeError):
        caffe.seed_file(solver, job="huge", manifest=too_wide, in_place=True)
    assert solver.read_bytes() == before


# -- hostile inputs: special files, symlinks, conflicts, key names ----------------------------------


def test_fifo_and_device_solvers_are_refused_without_hanging(project: Path) -> None:
    """A FIFO (given, or found in a directory argument) and /dev/zero are refused before a byte is read."""
    fifo = project / "models" / "pipe_solver.prototxt"
    os.mkfifo(fifo)
    m = project / "seedbridge.yaml"
    for given in ([fifo], [project / "models"]):
        with pytest.raises(SolverError, match=r"pipe_solver.prototxt: cannot read the solver: is a FIFO"):
            caffe.seed_files(given, job="train", manifest=m, in_place=True)
    with pytest.raises(SolverError, match=r"/dev/zero: cannot read the solver: is a character device"):
        caffe.check_file("/dev/zero", job="train", manifest=m)
    for args in (["caffe", str(fifo), "--job", "train"], ["caffe", "models", "--job", "train", "--check"],
                 ["caffe", "/dev/zero", "--job", "train"]):
        proc = run_cli(args, cwd=project)
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.splitlines()) == 1 and "not a regular file" in proc.stderr


def test_solvers_larger_than_the_limit_are_refused(project: Path) -> None:
    big = project / "big_solver.prototxt"
    with big.open("wb") as fh:
        fh.write(b"base_lr: 0.1\n")
        fh.truncate(caffe.SOLVER_LIMIT + 1)
    with pytest.raises(SolverError, match="is larger than the limit of 64 MiB"):
        caffe.check_file(big, job="train", manifest=project / "seedbridge.yaml")


def test_in_place_on_a_symlink_writes_through_to_its_target(project: Path) -> None:
    real = project / "models" / "lenet_solver.prototxt"
    link = project / "link_solver.prototxt"
    link.symlink_to(real)
    proc = run_cli(["caffe", str(link), "--job", "train", "--in-place"], cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and link.resolve() == real
    assert caffe.read_seed(load_text(real)) == train_seed(project)


def test_output_directory_is_all_or_nothing(project: Path) -> None:
    """A target that cannot be written (here: the second one is a directory) stops every write."""
    inputs = [project / "models" / "lenet_solver.prototxt", project / "models" / "hex_seed_solver.prototxt"]
    (project / "out" / "hex_seed_solver.prototxt").mkdir(parents=True)
    with pytest.raises(SeedbridgeError, match=r"out/hex_seed_solver.prototxt: is a directory; refusing to replace"):
        caffe.seed_files(inputs, job="train", manifest=project / "seedbridge.yaml", out=project / "out")
    assert not (project / "out" / "lenet_solver.prototxt").exists()
    proc = run_cli(["caffe", *map(str, inputs), "--job", "train", "-o", "out"], cwd=project)
    assert proc.returncode == 2
    assert proc.stderr == "seedbridge: error: out/hex_seed_solver.prototxt: is a directory; refusing to replace it\n"
    assert not (project / "out" / "lenet_solver.prototxt").exists()


def test_output_folder_blocked_by_a_file_is_reported_before_any_write(project: Path) -> None:
    (project / "models" / "deep").mkdir()
    (project / "models" / "deep" / "x_solver.prototxt").write_text("base_lr: 0.1\n")
    (project / "out").mkdir()
    (project / "out" / "deep").write_text("a file where a folder must go\n")
    proc = run_cli(["caffe", "models", "--job", "train", "-o", "out"], cwd=project)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("seedbridge: error: out/deep/x_solver.prototxt: cannot create its folder: ")
    assert proc.stderr.endswith("/out/deep is not a directory\n")
    assert sorted(p.name for p in (project / "out").iterdir()) == ["deep"]


def test_two_targets_that_are_one_file_through_a_symlink_are_refused(project: Path) -> None:
    (project / "out").mkdir()
    (project / "out" / "hex_seed_solver.prototxt").symlink_to(project / "out" / "lenet_solver.prototxt")
    inputs = [project / "models" / "lenet_solver.prototxt", project / "models" / "hex_seed_solver.prototxt"]
    with pytest.raises(SeedbridgeError, match="would both be written to this file"):
        caffe.seed_files(inputs, job="train", manifest=project / "seedbridge.yaml", out=project / "out")
    assert not (project / "out" / "lenet_solver.prototxt").exists()


PARAMETER_NAMES = ["job", "manifest", "bits", "in_place", "out", "keys", "paths", "output", "check", "key"]


def test_any_key_name_works_in_the_api(project: Path) -> None:
    solver = project / "models" / "lenet_solver.prototxt"
    m = project / "seedbridge.yaml"
    for name in PARAMETER_NAMES:
        expected = seedbridge.load(m).seed_for("train", {name: "1"})
        assert caffe.seed_file(solver, job="train", manifest=m, keys={name: "1"}).seed == expected
        assert caffe.check_file(solver, job="train", manifest=m, keys={name: "1"}).seed == expected
        assert caffe.snippet(m, "train", **{name: "1"}).endswith(f"caffe.set_random_seed({expected})\n")


def test_any_key_name_works_in_the_cli(project: Path) -> None:
    keys = {name: str(i) for i, name in enumerate(PARAMETER_NAMES)}
    flags = [f for name, value in keys.items() for f in ("--key", f"{name}={value}")]
    proc = run_cli(["caffe", "models/lenet_solver.prototxt", "--job", "train", *flags], cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert caffe.read_seed(proc.stdout) == seedbridge.load(project / "seedbridge.yaml").seed_for("train", keys)


def test_a_key_given_twice_in_the_api_is_an_error(project: Path) -> None:
    with pytest.raises(SeedbridgeError, match="key 'rank' given twice"):
        caffe.check_file(project / "models" / "lenet_solver.prototxt", job="train",
                         manifest=project / "seedbridge.yaml", keys={"rank": 1}, rank=2)


def test_a_disk_that_fills_up_midway_is_one_line_saying_what_was_written(project: Path) -> None:
    """RLIMIT_FSIZE stands in for a full disk: the first (small) solver fits, the second does not."""
    import resource
    import signal

    def file_size_limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    (project / "a_solver.prototxt").write_text("base_lr: 0.1\n")
    (project / "b_solver.prototxt").write_text("# " + "x" * 400 + "\nbase_lr: 0.1\n")
    proc = subprocess.run([sys.executable, "-m", "seedbridge", "caffe", "a_solver.prototxt", "b_solver.prototxt",
                           "--job", "train", "-o", "out"], cwd=project, capture_output=True, text=True,
                          preexec_fn=file_size_limit, timeout=300, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("seedbridge: error: out/b_solver.prototxt: cannot write: File too large")
    assert proc.stderr.endswith("; 1 file(s) before it were written\n") and proc.stderr.count("\n") == 1
    assert sorted(p.name for p in (project / "out").iterdir()) == ["a_solver.prototxt"]
