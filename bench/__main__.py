"""``python -m bench [--scale 1M] [--seed 42] [--out reports] [--budget SECONDS] [--only B1,B5] [--no-matview] [--no-size-study]`` (``make bench``).

``--only`` measures some targets and prints their figures as JSON instead of writing the report
(the committed report is always a whole run): B1 and B5 need no history, so a focused run takes
a minute or two while working on ingestion or on the generator's speed."""

from __future__ import annotations

import argparse
import json
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
    p.add_argument("--only", default=os.environ.get("ONLY") or None,
                   help=f"comma-separated targets to measure ({', '.join(run.TARGETS)}); prints JSON, writes no report")
    p.add_argument("--no-matview", action="store_true", default=os.environ.get("MATVIEW") == "0",
                   help="skip B2's materialized-view side (a second cluster: the history loaded again, every job "
                        "refreshed in full twice; about 8 minutes of a 1M run on 2 busy cores); MATVIEW=0 in make")
    p.add_argument("--no-size-study", action="store_true", default=os.environ.get("SIZE_STUDY") == "0",
                   help="skip the size study (bench/sizestudy.py: where the derived tables' bytes are, and a shared "
                        "actor base and interned actors built in a scratch schema); SIZE_STUDY=0 in make")
    args = p.parse_args(argv)
    only = None
    if args.only:
        only = frozenset(t.strip().upper() for t in args.only.split(",") if t.strip())
        if not only or not only <= set(run.TARGETS):
            p.error(f"--only takes targets among {', '.join(run.TARGETS)}")
    try:
        scale = scales.parse(args.scale)
    except ValueError as e:
        p.error(str(e))
    budget = scale.budget_s if args.budget is None else (args.budget or None)
    command = f"make bench SCALE={scale.name}" + ("" if args.budget is None else f" BUDGET={args.budget:g}") \
        + (" MATVIEW=0" if args.no_matview else "") + (" SIZE_STUDY=0" if args.no_size_study else "")
    opts = run.Options(scale=scale, seed=args.seed, out=args.out, refresh_jobs=args.refresh_jobs, budget_s=budget,
                       command=command, only=only, matview=not args.no_matview,
                       size_study=not args.no_size_study)
    results = run.run(opts)
    if only is not None:
        measured = {k: v for k, v in results.items() if k in only}
        if "B3" in measured:  # the site reads' own latencies, per history step (the report's B3 table)
            measured["B3"] = measured["B3"] | {"reads_by_step": [
                {"events": st.get("events"), "reads": st.get("reads")} for st in results.get("B2", {}).get("steps", [])]}
        print(json.dumps(measured | {"run": {k: results["run"].get(k) for k in ("scale", "wall_s", "load_before",
                                                                                  "load_after")}},
                         indent=2, default=str))
        return 0
    report.write(results, args.out)
    log(f"wrote {args.out / 'performance.md'} and performance.json "
        f"(wall time {results['run']['wall_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
