"""Run every benchmark in this folder and collect each one's JSON result line.

Usage: python benchmarks/run_all.py [--quick]
Each benchmark prints its result as the last line of stdout; this script prints them all as
one JSON list at the end, and exits non-zero if any benchmark failed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases (CI smoke)")
    args = parser.parse_args()
    results, failed = [], []
    for script in sorted(HERE.glob("*.py")):
        if script.name == Path(__file__).name or script.name.startswith("_"):
            continue
        print(f"== {script.name}", file=sys.stderr, flush=True)
        command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            failed.append(script.name)
            continue
        results.append(json.loads(lines[-1]))
        print(lines[-1], file=sys.stderr, flush=True)
    print(json.dumps(results))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
