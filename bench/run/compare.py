#!/usr/bin/env python3
"""The ensemble runner beside PyTorch: `myriad run` on the demo against bare PyTorch forward passes of the same
network, in member-steps per second, side by side in one run (issue "Throughput", point 5).

Myriad: the whole run of the demo configuration (data/demo/run.yaml unless --config): the networks, member
output, in-situ statistics, scores, restart records and the bred vectors' breeding, at 1 rank (one OpenBLAS
thread) and at 2 ranks; the run's own member-steps/s (its wall clock from start to the last file) and its
"time on rank 0" split. PyTorch: forward passes only of the same torch-harmonics SFNO (the demo's shape,
64 x 128, 4 -> 4 channels, embed 32, 4 layers, internal 32 x 64 Legendre-Gauss; random weights, the cost
does not depend on them) under torch.inference_mode, at batches 1, 8, 32 and 64, on 1 thread against 1 rank
and on 2 threads against 2 ranks; its best batch counts. So the comparison is generous to PyTorch: it does
no output, statistics, perturbations or I/O.

Each round alternates Myriad and PyTorch at each width, so that a change in the machine's load hits both;
the table gives medians over ROUNDS rounds, `uptime`'s load average before each run, and also member-steps per
CPU-second (the job's CPU time: robust on a shared machine, and the fair measure of work for one thread).

Set-up (pinned): pip install torch==2.13.0 torch-harmonics==0.9.3 numpy  (CPU wheels)
Run:  swift build -c release --product myriad
      python3 bench/run/compare.py --rounds 3
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# the demo networks' shape (tools/train_demo.py, MODEL_KWARGS)
DEMO = dict(img_size=[64, 128], grid="equiangular", grid_internal="legendre-gauss", scale_factor=2,
            in_chans=4, out_chans=4, embed_dim=32, num_layers=4, activation_function="gelu",
            use_mlp=True, mlp_ratio=2.0, normalization_layer="instance_norm",
            hard_thresholding_fraction=1.0, residual_prediction=True, pos_embed="learnable lat", bias=True)


def load():
    return float(open("/proc/loadavg").read().split()[0])


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def mpirun_flags(ranks):
    flags = ["--oversubscribe"]
    if os.geteuid() == 0:
        flags.append("--allow-run-as-root")
    return flags


def myriad(args, ranks, directory):
    """member-steps/s (the run's own), member-steps per CPU-second, and the run's time split."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    shutil.rmtree(directory, ignore_errors=True)
    command = ["mpirun", *mpirun_flags(ranks), "-np", str(ranks), args.myriad, "run"]
    if args.config:
        command.append(args.config)
    command += ["--output-directory", directory]
    c0 = children_cpu()
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    cpu = children_cpu() - c0
    text = out.stdout + out.stderr
    m = re.search(r"run finished: (\d+) members in ([\d.]+) s \(([\d.]+) member-steps/s\)", text)
    if not m:
        sys.exit(f"no 'run finished' line in the output of {' '.join(command)}:\n{text[-3000:]}")
    seconds, rate = float(m.group(2)), float(m.group(3))
    member_steps = rate * seconds
    split = re.search(r"time on rank 0 \(wall / CPU\): (.*)", text).group(1)
    return rate, member_steps / cpu, split, int(round(member_steps))


def pytorch(threads, batches, member_steps):
    """Per batch: member-steps/s (wall) and per CPU-second, of bare forward passes."""
    code = f"""
import time, warnings, torch
from torch_harmonics.examples.models import SphericalFourierNeuralOperator
torch.set_num_threads({threads})
torch.manual_seed(0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    model = SphericalFourierNeuralOperator(**{DEMO!r}).eval()
for b in {batches!r}:
    x = torch.randn(b, 4, 64, 128)
    n = max(3, -(-{member_steps} // b))
    with torch.inference_mode():
        model(x)
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            x = model(x)
        w, c = time.perf_counter() - w0, time.process_time() - c0
    print(b, n * b / w, n * b / c, flush=True)
"""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    return {int(b): (float(w), float(c)) for b, w, c in (line.split() for line in out.splitlines())}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ranks", nargs="+", type=int, default=[1, 2], help="Myriad's ranks = PyTorch's threads")
    p.add_argument("--batches", nargs="+", type=int, default=[1, 8, 32, 64])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--config", help="run configuration (default: the demo's, data/demo/run.yaml)")
    p.add_argument("--myriad", default=".build/release/myriad")
    p.add_argument("--pytorch-member-steps", type=int, default=128,
                   help="PyTorch's timed member-steps per batch size (at least 3 forward passes)")
    p.add_argument("--json", help="also write the raw results here")
    args = p.parse_args()
    import torch
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# PyTorch {torch.__version__}; {args.rounds} rounds; commit {commit}", flush=True)
    scratch = tempfile.mkdtemp(prefix="bench-run-")
    results = {n: {"myriad": [], "myriad_cpu": [], "split": [], "pytorch": [], "load_myriad": [], "load_pytorch": []}
               for n in args.ranks}
    try:
        # the demo makes its initial states when they are missing; make them first, untimed (as `myriad run` would)
        truth = "out/demo/world/truth.h5"
        if args.config is None and not os.path.exists(truth):
            subprocess.run([args.myriad, "swe", "--grid", "64x128", "--latitudes", "equiangular", "--initial", "random",
                            "--seed", "2", "--trajectories", "1", "--days", "6", "--output-every", "6", "--output", truth],
                           check=True, capture_output=True)
        for r in range(args.rounds):
            for n in args.ranks:
                res = results[n]
                res["load_myriad"].append(load())
                rate, per_cpu, split, member_steps = myriad(args, n, os.path.join(scratch, f"r{r}-n{n}"))
                res["myriad"].append(rate)
                res["myriad_cpu"].append(per_cpu)
                res["split"].append(split)
                res["load_pytorch"].append(load())
                res["pytorch"].append(pytorch(n, args.batches, args.pytorch_member_steps))
                print(f"# round {r + 1}, {n} rank(s)/thread(s): Myriad {rate:.1f} member-steps/s "
                      f"({per_cpu:.1f} per CPU-s; {member_steps} member-steps; rank 0: {split}); PyTorch "
                      + ", ".join(f"B={b}: {w:.1f} ({c:.1f} per CPU-s)" for b, (w, c) in res["pytorch"][-1].items())
                      + f"; load {res['load_myriad'][-1]:.1f} / {res['load_pytorch'][-1]:.1f}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("| ranks / threads | Myriad member-steps/s (median) | PyTorch best batch: member-steps/s (median) | "
          "**ratio** | Myriad per CPU-s | PyTorch per CPU-s (its best batch) | ratio per CPU-s | load avg (rounds) |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.ranks:
        res = results[n]
        mine = statistics.median(res["myriad"])
        medians = {b: statistics.median(run[b][0] for run in res["pytorch"]) for b in args.batches}
        best = max(medians, key=medians.get)
        cpu_medians = {b: statistics.median(run[b][1] for run in res["pytorch"]) for b in args.batches}
        best_cpu = max(cpu_medians, key=cpu_medians.get)
        mine_cpu = statistics.median(res["myriad_cpu"])
        loads = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(res["load_myriad"], res["load_pytorch"]))
        print(f"| {n} | {mine:.1f} | {medians[best]:.1f} (batch {best}) | **{mine / medians[best]:.2f}x** | "
              f"{mine_cpu:.1f} | {cpu_medians[best_cpu]:.1f} (batch {best_cpu}) | {mine_cpu / cpu_medians[best_cpu]:.2f}x | {loads} |")
    for n in args.ranks:
        print(f"# {n} rank(s), PyTorch medians per batch (wall / per CPU-s): " + ", ".join(
            f"B={b}: {statistics.median(run[b][0] for run in results[n]['pytorch']):.1f} / "
            f"{statistics.median(run[b][1] for run in results[n]['pytorch']):.1f}" for b in args.batches))
        print(f"# {n} rank(s), Myriad time on rank 0 (median round): "
              + sorted(zip(results[n]["myriad"], results[n]["split"]))[len(results[n]["split"]) // 2][1])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({str(k): v for k, v in results.items()}, f, indent=1, default=str)


if __name__ == "__main__":
    sys.exit(main())
