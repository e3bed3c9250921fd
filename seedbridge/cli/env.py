"""Print JOB's environment variables: seeds, PYTHONHASHSEED and the profile's determinism switches.

  eval "$(seedbridge env train)"                       # a POSIX shell
  seedbridge env train --format github >> "$GITHUB_ENV"
  seedbridge env train --format gitlab > seeds.env     # artifacts:reports:dotenv
"""

from __future__ import annotations

import argparse
import sys

from seedbridge._envvars import FORMATS, format_env, job_environment
from seedbridge.cli._common import add_keys, add_manifest, keys_from, manifest_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="a job declared in the manifest")
    parser.add_argument("--format", "-f", choices=FORMATS, default="sh", help="output format (default: sh)")
    add_keys(parser)
    add_manifest(parser)


def run(args: argparse.Namespace) -> int:
    manifest = manifest_from(args)
    env = job_environment(manifest, args.job, keys=keys_from(args))
    sys.stdout.write(format_env(env, args.format))
    return 0
