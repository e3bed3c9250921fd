"""The ``seedbridge`` command line: one module per command, each parsing, calling the library and printing.

Only the module of the command being run is imported, so ``seedbridge seed`` costs little more than
importing PyYAML. A SeedbridgeError becomes one line per problem on stderr and exit status 2; a
check that ran and failed (a rerun that did not reproduce, a solver without the manifest's seed)
exits 1.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "main"]

# name -> (module, one-line help). A command module defines add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("seedbridge.cli.init", "write a new manifest (root from OS entropy, a CI variable or a value)"),
    "validate": ("seedbridge.cli.validate", "check a manifest; list every problem"),
    "show": ("seedbridge.cli.show", "print the root, its source and every job's seed"),
    "seed": ("seedbridge.cli.seed", "print one job's seed"),
    "env": ("seedbridge.cli.env", "print a job's environment variables (sh, dotenv, json, github, gitlab)"),
    "snippet": ("seedbridge.cli.snippet", "print code that applies a job's seed in a target framework"),
    "run": ("seedbridge.cli.run", "run a command as a job, with its seeds, and record the run in the ledger"),
    "rerun": ("seedbridge.cli.rerun", "replay a recorded run with the same seeds; compare its outputs"),
    "verify": ("seedbridge.cli.verify", "run a command N times with the same seeds; compare its outputs"),
    "history": ("seedbridge.cli.history", "list recorded runs (table or json)"),
    "show-run": ("seedbridge.cli.show_run", "print everything recorded about one run"),
    "export": ("seedbridge.cli.export", "write the ledger (or some runs) as JSON"),
    "import": ("seedbridge.cli.import_", "add the runs of an export file to the ledger"),
    "caffe": ("seedbridge.cli.caffe", "set random_seed in Caffe solver files (or --check them)"),
    "ledger": ("seedbridge.cli.ledger", "work on whole ledgers: copy runs between SQLite and PostgreSQL"),
    "doctor": ("seedbridge.cli.doctor", "check this environment for what breaks a job's reproducibility"),
    "sweep": ("seedbridge.cli.sweep", "run a command once per replicate seed; summarise its metrics over the seeds"),
    "compare": ("seedbridge.cli.compare", "compare two sweeps: is the difference larger than seed noise?"),
}

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = [
        "usage: seedbridge COMMAND [options]",
        "",
        "One seed manifest for mixed-language ML pipelines (docs/cli.md).",
        "",
        "commands:",
    ]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run `seedbridge COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return EXIT_OK if args else EXIT_USAGE
    if args[0] == "--version":
        from seedbridge import __version__

        print(f"seedbridge {__version__}")
        return EXIT_OK
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        print(f"seedbridge: error: unknown command {name!r}{hint} (see `seedbridge --help`)", file=sys.stderr)
        return EXIT_USAGE
    module_name, help_ = COMMANDS[name]
    import argparse

    from seedbridge.errors import SeedbridgeError, ValidationError

    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"seedbridge {name}", description=module.__doc__ or help_,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    module.add_arguments(parser)
    parsed = parser.parse_args(rest)
    try:
        return int(module.run(parsed) or 0)
    except SeedbridgeError as exc:
        from seedbridge._text import printable

        # One line per problem, whatever the names in it hold (a job name with a line break or ESC).
        lines = [str(p) for p in exc.problems] if isinstance(exc, ValidationError) else [str(exc)]
        for line in lines if any(lines) else [type(exc).__name__]:
            print(f"seedbridge: error: {printable(line)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("seedbridge: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`seedbridge show | head`): not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
