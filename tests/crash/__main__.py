"""`make crash-trials`: SIGKILL `sales-tracker run` at random points, rerun, compare.

Generates a demo world with malformed records (so the quarantine is exercised), makes one
clean run as the reference, then for each trial: a fresh Dagster home and warehouse (a
trial starts from nothing, so one trial's leftovers cannot hide or cause another's
failure), a run killed (SIGKILL to its whole process group) at a random point of a phase,
the phases taken in turn (ingest, checks, dbt), then a plain rerun of the same command in
the same home and warehouse, whose tables are compared to the reference's
(tests/crash/trials.py). Exits 1 unless every trial's rerun completed and matched.
Usage: ``python -m tests.crash [--trials 20] [--scale xs] [--seed 1] [--trial K] [--out DIR]``;
``--seed S --trial K`` replays trial K of a run with seed S.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

from demo.world import generate_world
from tests.crash.trials import (
    PHASES,
    KillPoint,
    Workspace,
    compare_warehouses,
    kill_at,
    phase_spans,
    plain_run,
)

WORLD_SEED = 11
DIRTY_RATE = 0.02


def kill_point(seed: int, trial: int, spans: dict[str, float]) -> KillPoint:
    """Trial ``trial``'s point: its phase in turn, a delay drawn uniformly over the span
    that phase took in the clean run, less a tenth: a rerun is not always as slow, and a draw
    past the last dbt step would see the run finish first (from a generator of its own, for
    replays)."""
    phase = PHASES[(trial - 1) % len(PHASES)]
    window = 0.9 * spans[phase]
    return KillPoint(phase, delay=random.Random(seed * 100_003 + trial).uniform(0, window))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.crash", description=__doc__)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--scale", default="xs", choices=["xs", "s", "m", "l"])
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill points")
    parser.add_argument("--trial", type=int, help="run this trial alone (a replay)")
    parser.add_argument("--out", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="crash-trials-"))
    out.mkdir(parents=True, exist_ok=True)

    print(f"World: scale {args.scale}, seed {WORLD_SEED}, dirty rate {DIRTY_RATE}, in {out}")
    world = generate_world(out / "world", args.scale, WORLD_SEED, dirty_rate=DIRTY_RATE, workers=1)
    reference = Workspace.create(out / "reference")
    clean = plain_run(world, reference, out / "reference.log")
    if not clean.ok:
        print(f"The clean run failed (exit {clean.returncode}):\n{clean.output[-3000:]}")
        return 1
    spans = phase_spans(reference)
    print(
        f"Clean run: {clean.seconds:.0f} s; phases "
        + ", ".join(f"{phase} {spans[phase]:.1f} s" for phase in PHASES)
        + f"; kill points from seed {args.seed}"
    )

    trials = [args.trial] if args.trial else list(range(1, args.trials + 1))
    counts = {"reruns completed": 0, "marts equal": 0, "raw equal": 0}
    print(
        f"{'trial':>5}  {'phase killed':<14} {'killed at':>9} {'rerun':>8}  rerun ok  "
        "marts equal  raw equal"
    )
    for trial in trials:
        point = kill_point(args.seed, trial, spans)
        workspace = Workspace.create(out / f"trial-{trial:02d}")
        kill = kill_at(world, workspace, point, workspace.root / "killed.log")
        rerun = plain_run(world, workspace, workspace.root / "rerun.log")
        comparison = compare_warehouses(reference.warehouse, workspace.warehouse)
        passed = rerun.ok and comparison.marts_equal and comparison.raw_equal
        counts["reruns completed"] += rerun.ok
        counts["marts equal"] += comparison.marts_equal
        counts["raw equal"] += comparison.raw_equal
        print(
            f"{trial:>5}  {kill.phase:<14} {kill.seconds:>8.1f}s {rerun.seconds:>7.1f}s  "
            f"{'yes' if rerun.ok else 'NO':<8}  {'yes' if comparison.marts_equal else 'NO':<11}  "
            f"{'yes' if comparison.raw_equal else 'NO'}",
            flush=True,
        )
        if not rerun.ok:
            print(f"       rerun exit {rerun.returncode}:\n{rerun.output[-3000:]}")
        for difference in (comparison.marts + comparison.raw)[:20]:
            print(f"       {difference}")
        if passed:
            shutil.rmtree(workspace.root)  # a failed trial's folder is kept to look into
    total = len(trials)
    print(f"\nTrials run: {total}")
    for name, count in counts.items():
        print(f"{name.capitalize()}: {count} of {total}")
    return 0 if all(count == total for count in counts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
