#!/usr/bin/env python3
"""HENS Part I's design experiments on the built-in world (issue #22, point 5; numbers in docs/demo.md).

Runs the demo configuration (data/demo/run.yaml: the calibrated default run) in four variants and tabulates,
per lead and variable, the spread-skill ratio (Fortin's, scores.csv's `spread_skill`), the CRPS and the outlier
fraction, aggregated over the run's initial times:

    both          the default: every checkpoint, bred vectors (HENS: both are needed)
    ic-only       initial-condition perturbations only: checkpoint 0 alone, as many members as the default
    models-only   checkpoints only: no perturbation, one member per checkpoint
    noise         spherical-Gaussian noise instead of bred vectors, same checkpoints and members, with sigma
                  chosen so that the height spread at lead 0 equals the bred vectors'

and, from statistics.h5 of `both`, the power of the members and of the ensemble mean by total wavenumber band
and lead (members keep their spectrum; the mean loses the small scales as the members decorrelate).

Run from the repository root with `myriad` built; the Python of launch/setup's .venv has h5py and PyYAML:

    .venv/bin/python tools/demo_experiments.py --myriad .build/debug/myriad --ranks 2 [--work /tmp/myriad-experiments]

Every run is `myriad run` on a configuration written into --work; nothing else is changed. A variant whose
directory already holds scores.csv is kept (an interrupted run of the script continues), unless --rerun.
"""

import argparse
import csv
import os
import subprocess
import sys

import h5py
import numpy as np
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIABLES = ["height", "u", "v"]
BANDS = [(1, 8), (8, 24), (24, 64)]


def run(args, name, config):
    directory = os.path.join(args.work, name)
    path = os.path.join(args.work, f"{name}.yaml")
    config = dict(config)
    config["output"] = dict(config["output"], directory=directory, members=False)
    config.pop("calibration", None)
    config.pop("restart", None)
    with open(path, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    if os.path.exists(os.path.join(directory, "scores.csv")) and not args.rerun:
        print(f"# {name}: {directory} holds a finished run; kept (--rerun runs it again)", file=sys.stderr, flush=True)
        return directory
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = ["mpirun", "--oversubscribe", "-np", str(args.ranks), args.myriad, "run", path, "--overwrite"]
    print(f"# {name}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return directory


def scores(directory):
    table = {}
    with open(os.path.join(directory, "scores.csv")) as f:
        for row in csv.DictReader(f):
            table[(row["variable"], float(row["lead_time"]), row["metric"])] = float(row["value"])
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--myriad", default=os.path.join(ROOT, ".build", "debug", "myriad"))
    ap.add_argument("--config", default=os.path.join(ROOT, "data", "demo", "run.yaml"))
    ap.add_argument("--work", default="/tmp/myriad-experiments")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--rerun", action="store_true", help="run variants again whose directory holds a finished run")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    with open(args.config) as f:
        base = yaml.safe_load(f)
    members = base["members"] * len(base["checkpoints"])

    results = {"both": run(args, "both", base)}
    ic = dict(base, checkpoints=base["checkpoints"][:1], members=members)
    results["ic-only"] = run(args, "ic-only", ic)
    models = dict(base, members=1, perturbation={"kind": "none"})
    results["models-only"] = run(args, "models-only", models)

    # Spherical-Gaussian noise with sigma (in units of the height normalisation) matched to the bred vectors'
    # height spread at lead 0; the same sigma for every channel, as that perturbation kind works.
    both = scores(results["both"])
    checkpoint = base["checkpoints"][0]
    with h5py.File(checkpoint if os.path.isabs(checkpoint) else os.path.join(ROOT, checkpoint), "r") as f:
        channels = [c.decode() if isinstance(c, bytes) else str(c) for c in f["channels/state"][...]]
        height_std = float(f["normalization/stds"][...].ravel()[channels.index("height")])
    sigma = both[("height", 0.0, "spread")] / height_std
    noise = dict(base, perturbation={"kind": "spherical-gaussian", "amplitude": float(f"{sigma:.4g}")})
    results["noise"] = run(args, "noise", noise)

    tables = {name: scores(d) for name, d in results.items()}
    leads = sorted({lead for (_, lead, _) in tables["both"] if lead > 0})
    print(f"Ensemble sizes: both {members}, ic-only {members} (checkpoint 0), models-only {len(base['checkpoints'])}, "
          f"noise {members} (sigma {sigma:.4g} of the height std; lead-0 height spread: bred vectors "
          f"{both[('height', 0.0, 'spread')]:.3g} m, noise {tables['noise'][('height', 0.0, 'spread')]:.3g} m)\n")
    for metric in ["spread_skill", "crps", "outlier_fraction"]:
        print(f"\n{metric}:\n")
        print("| variable | experiment | " + " | ".join(f"{int(h)} h" for h in leads) + " |")
        print("|---|---|" + "---|" * len(leads))
        for v in VARIABLES:
            for name, t in tables.items():
                print(f"| {v} | {name} | " + " | ".join(f"{t[(v, h, metric)]:.3g}" for h in leads) + " |")

    print("\nPower of the ensemble mean / mean power of the members, by total wavenumber band (both):\n")
    with h5py.File(os.path.join(results["both"], "statistics.h5"), "r") as f:
        lead_hours = f["lead_time"][...]
        print("| variable | band | " + " | ".join(f"{int(h)} h" for h in lead_hours) + " |")
        print("|---|---|" + "---|" * len(lead_hours))
        for v in VARIABLES:
            members_power = f[f"{v}_spectrum_members"][...].mean(axis=0)   # [lead][l], mean over initial times
            mean_power = f[f"{v}_spectrum_mean"][...].mean(axis=0)
            for lo, hi in BANDS:
                hi = min(hi, members_power.shape[-1])
                ratio = mean_power[:, lo:hi].sum(axis=-1) / members_power[:, lo:hi].sum(axis=-1)
                print(f"| {v} | l {lo}-{hi - 1} | " + " | ".join(f"{r:.3g}" for r in ratio) + " |")
        print("\nMembers' power at lead / at lead 0, same bands (members keep their spectrum if near 1):\n")
        print("| variable | band | " + " | ".join(f"{int(h)} h" for h in lead_hours) + " |")
        print("|---|---|" + "---|" * len(lead_hours))
        for v in VARIABLES:
            members_power = f[f"{v}_spectrum_members"][...].mean(axis=0)
            for lo, hi in BANDS:
                hi = min(hi, members_power.shape[-1])
                band = members_power[:, lo:hi].sum(axis=-1)
                print(f"| {v} | l {lo}-{hi - 1} | " + " | ".join(f"{b / band[0]:.3g}" for b in band) + " |")


if __name__ == "__main__":
    main()
