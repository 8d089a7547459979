#!/usr/bin/env python3
"""Does a run's scores.csv meet the calibration the default run promises (issue #22, point 4; docs/demo.md)?

For height, u and v at every lead from 24 to 120 h: spread-skill (Fortin's, `spread_skill`) in [0.8, 1.25] and
an outlier fraction at most 3 x 2/(M + 1). Prints the table and exits 1 when a cell is out of range. Standard
library only (launch/test runs it with .venv-test's Python after the default run):

    tools/check_default_run.py out/demo/run/scores.csv [--members 64]
"""

import argparse
import csv
import sys

VARIABLES = ["height", "u", "v"]
LEADS = [24, 48, 72, 96, 120]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scores", help="scores.csv of the run")
    ap.add_argument("--members", type=int, default=64, help="members per initial time (default: the demo's 64)")
    args = ap.parse_args()
    table = {}
    with open(args.scores) as f:
        for row in csv.DictReader(f):
            table[(row["variable"], float(row["lead_time"]), row["metric"])] = float(row["value"])
    limit = 3 * 2 / (args.members + 1)
    bad = []
    print(f"spread-skill in [0.8, 1.25] / outlier fraction <= {limit:.3f}:")
    print("lead h  " + "  ".join(f"{v:>14}" for v in VARIABLES))
    for lead in LEADS:
        cells = []
        for v in VARIABLES:
            try:
                s, o = table[(v, float(lead), "spread_skill")], table[(v, float(lead), "outlier_fraction")]
            except KeyError:
                sys.exit(f"{args.scores}: no spread_skill or outlier_fraction for {v} at {lead} h")
            ok = 0.8 <= s <= 1.25 and o <= limit
            if not ok:
                bad.append(f"{v} at {lead} h (spread-skill {s:.3f}, outliers {o:.3f})")
            cells.append(f"{s:.3f} / {o:.3f}" + (" " if ok else "*"))
        print(f"{lead:6}  " + "  ".join(f"{c:>14}" for c in cells))
    if bad:
        sys.exit(f"{args.scores}: out of the calibrated range: " + "; ".join(bad))
    print("every cell in range")


if __name__ == "__main__":
    main()
