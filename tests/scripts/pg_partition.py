"""A network that drops every packet while `seedbridge run`'s command runs; run inside `unshare -n`.

Usage: unshare -n python pg_partition.py OUT.json
In a network namespace of its own, loopback is private: a PostgreSQL server (tests/pgserver.py) listens
there, `seedbridge run` records a run in it, and once the command has started the loopback goes down, so
the end of the run meets a network that neither answers nor refuses (a cable pulled, a firewall that
drops). Writes how seedbridge ended, and after how long, to OUT.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pgserver import PostgresServer

import seedbridge


def main(out: str) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    server = PostgresServer().start()
    try:
        work = Path(out).parent
        seedbridge.Manifest.new(["train"], root=0x2A).save(work / "seedbridge.yaml")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SEEDBRIDGE_", "PG"))}
        env["SEEDBRIDGE_LEDGER"] = server.url(server.new_database())
        code = "import sys; print('ready', flush=True); sys.stdin.readline(); sys.exit(5)"
        proc = subprocess.Popen([sys.executable, "-m", "seedbridge", "run", "train", "--", sys.executable, "-c", code],
                                cwd=work, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
        start = time.monotonic()
        try:
            _, err = proc.communicate("go\n", timeout=180)
            result = {"exit": proc.returncode, "seconds": time.monotonic() - start, "stderr": err}
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            result = {"exit": None, "seconds": time.monotonic() - start, "stderr": "still waiting after 180 s"}
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    finally:
        server.remove()
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
