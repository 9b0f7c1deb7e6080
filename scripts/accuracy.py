"""Measure the whole chain on rendered synthetic clips and print the accuracy table
(README and the app's Method page):

    .venv/bin/python scripts/accuracy.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.accuracy import CLIP_CONFIGS, markdown_table, measure_clip

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in CLIP_CONFIGS:
            results.append(measure_clip(name, Path(tmp)))
            print(f"measured {name}", file=sys.stderr)
    print(markdown_table(results))
    if args.json:
        args.json.write_text(json.dumps(
            [{"clip": r.name, "strides_found": r.n_found, "strides_true": r.n_true_strides,
              "phantom": r.n_phantom, "cadence_error_pct": r.cadence_error_pct,
              "near": r.near, "far": r.far} for r in results], indent=2))


if __name__ == "__main__":
    main()
