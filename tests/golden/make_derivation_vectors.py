"""Regenerate tests/golden/derivation-v1.json. Run only when adding vectors: version 1 outputs never change.

    python tests/golden/make_derivation_vectors.py > tests/golden/derivation-v1.json
"""

from __future__ import annotations

import json

from seedbridge.derive import ALLOWED_BITS, derive, encode

ROOTS = [0, 0x2A, 2**128 - 1, 0x9E3779B97F4A7C15F39CC0605CEDC834]
JOBS = ["train", "", ":", "a:b", "1:a,", "naïve", "日本語", "with space", "a=b", "/", "🎲", "line\nbreak", "0x2a"]
KEYS: list[dict[str, object]] = [
    {},
    {"rank": 3},
    {"rank": "3"},
    {"rank": 1, "worker": 2},
    {"worker": 2, "rank": 1},
    {"rank": -1},
    {"epoch": 12345678901234567890},
    {"a": ""},
    {"é": "x", "z": "y", "Z": "w"},
    {"fold": "1:2", "split": "a=b,c"},
    {"k": "naïve 🎲"},
]


def main() -> None:
    vectors = []
    for root in ROOTS:
        for job in JOBS:
            for keys in KEYS:
                bits_list = ALLOWED_BITS if (job == "train" or root == 0x2A) and len(keys) <= 1 else (31,)
                for bits in bits_list:
                    vectors.append({
                        "root": f"0x{root:x}",
                        "job": job,
                        "keys": keys,
                        "bits": bits,
                        "seed": str(derive(root, job, keys, bits=bits)),
                        "message_hex": encode(root, job, keys).hex(),
                    })
    doc = {
        "derivation": 1,
        "about": "seedbridge derivation v1 golden vectors; docs/derivation.md. seed is a decimal string.",
        "vectors": vectors,
    }
    print(json.dumps(doc, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
