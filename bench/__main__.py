"""``python -m bench [--scale 1M] [--seed 42] [--out reports] [--budget SECONDS] [--no-matview]`` (``make bench``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import report, run, scales
from .progress import log


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--scale", default=os.environ.get("SCALE") or "1M", help=f"one of {', '.join(scales.SCALES)}")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", type=Path, default=run.REPO / "reports")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds the run may take (default: the scale's; 0: no budget, nothing is cut off)")
    p.add_argument("--refresh-jobs", default=None,
                   help="regular expression for the pg_cron job names that are refresh jobs (default: 'refresh')")
    p.add_argument("--no-matview", action="store_true", default=os.environ.get("MATVIEW") == "0",
                   help="skip B2's materialized-view side (a second cluster: the history loaded again, every job "
                        "refreshed in full twice; about 8 minutes of a 1M run on 2 busy cores); MATVIEW=0 in make")
    args = p.parse_args(argv)
    try:
        scale = scales.parse(args.scale)
    except ValueError as e:
        p.error(str(e))
    budget = scale.budget_s if args.budget is None else (args.budget or None)
    command = f"make bench SCALE={scale.name}" + ("" if args.budget is None else f" BUDGET={args.budget:g}") \
        + (" MATVIEW=0" if args.no_matview else "")
    opts = run.Options(scale=scale, seed=args.seed, out=args.out, refresh_jobs=args.refresh_jobs, budget_s=budget,
                       command=command, matview=not args.no_matview)
    results = run.run(opts)
    report.write(results, args.out)
    log(f"wrote {args.out / 'performance.md'} and performance.json "
        f"(wall time {results['run']['wall_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
