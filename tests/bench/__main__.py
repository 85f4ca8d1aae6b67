"""`make bench`: print throughput and peak memory of each stage at named scales.

Each measurement runs in a fresh process so that peak memory is its own. Usage:
``python -m tests.bench [--scales s,m] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB of the largest process, and the command's stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(command)}\n{completed.stderr}")
    peak_kb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return elapsed, peak_kb / 1024, completed.stdout


def bench_generation(scale: str, out: Path) -> dict[str, object]:
    code = (
        "import json, sys; from pathlib import Path; from ingest.demo.world import generate_world;"
        f"w = generate_world(Path({str(out)!r}), {scale!r}, 7);"
        "print(json.dumps({'rows': w.rows, 'deals': w.counts['deals']}))"
    )
    seconds, peak_mb, stdout = measure([sys.executable, "-c", code])
    figures = json.loads(stdout.strip().splitlines()[-1])
    return {
        "stage": "generate",
        "scale": scale,
        "records": figures["rows"],
        "deals": figures["deals"],
        "seconds": round(seconds, 1),
        "records_per_s": round(figures["rows"] / seconds),
        "peak_rss_mb": round(peak_mb),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--scales", default="s,m", help="comma-separated scales (xs, s, m, l)")
    parser.add_argument("--out", type=Path, help="where worlds are written (default: a temp dir)")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="sales-tracker-bench-"))
    print(
        f"{'stage':<10}{'scale':<7}{'records':>12}{'deals':>10}{'seconds':>10}"
        f"{'records/s':>12}{'peak MB':>10}"
    )
    try:
        for scale in args.scales.split(","):
            row = bench_generation(scale, root / scale)
            print(
                f"{row['stage']:<10}{row['scale']:<7}{row['records']:>12,}{row['deals']:>10,}"
                f"{row['seconds']:>10}{row['records_per_s']:>12,}{row['peak_rss_mb']:>10}",
                flush=True,
            )
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
