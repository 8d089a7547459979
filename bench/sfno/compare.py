#!/usr/bin/env python3
"""One step of the torch-harmonics example SFNO: Myriad beside PyTorch (CPU), same network, same threads.

Issue "SFNO inference", case (a): 181 x 360 equiangular, 8 -> 8 channels, embed 256, 8 layers, scale factor 2
(internal 91 x 180 Legendre-Gauss), MLP ratio 2, GELU, instance norm, learnable-lat position embedding, big
skip, biases — exactly the network bench/sfno/swift builds. Both use random weights (the cost does not
depend on their values). Each library: one warm-up step, then the best and the median of STEPS steps.

--clock cpu (default for one thread) times process CPU time, robust when other jobs share the machine;
--clock wall for several threads.

Set-up (pinned): pip install torch==2.14.1 torch-harmonics==0.9.3 numpy
Run:  swift build -c release --product sfno-benchmark
      OMP_NUM_THREADS=1 python3 bench/sfno/compare.py --threads 1
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time


def myriad(exe, args, threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run([exe, "181", "360", str(args.embed), str(args.layers), "2", str(args.steps)],
                         check=True, capture_output=True, text=True, env=env).stdout
    wall = [float(x) for x in re.search(r"step wall times \(s\): (.*)", out).group(1).split()]
    cpu = [float(x) for x in re.search(r"step CPU times \(s\):\s+(.*)", out).group(1).split()]
    return wall, cpu


def pytorch(args, threads):
    import torch
    from torch_harmonics.examples.models import SphericalFourierNeuralOperator
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SphericalFourierNeuralOperator(
        img_size=(181, 360), grid="equiangular", grid_internal="legendre-gauss", scale_factor=2,
        in_chans=8, out_chans=8, embed_dim=args.embed, num_layers=args.layers, activation_function="gelu",
        use_mlp=True, mlp_ratio=2.0, normalization_layer="instance_norm", residual_prediction=True,
        pos_embed="learnable lat", bias=True).eval()
    x = torch.randn(1, 8, 181, 360)
    wall, cpu = [], []
    with torch.inference_mode():
        model(x)
        for _ in range(args.steps):
            w0, c0 = time.perf_counter(), time.process_time()
            x = model(x)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
    return wall, cpu


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", nargs="+", type=int, default=[1])
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--embed", type=int, default=256)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--myriad", default=".build/release/sfno-benchmark")
    args = p.parse_args()
    print("| threads | library | best wall s | median wall s | best CPU s | median CPU s |")
    print("|---|---|---|---|---|---|")
    for threads in args.threads:
        results = {"Myriad": myriad(args.myriad, args, threads), "PyTorch": pytorch(args, threads)}
        for name, (wall, cpu) in results.items():
            print(f"| {threads} | {name} | {min(wall):.2f} | {statistics.median(wall):.2f} | {min(cpu):.2f} | "
                  f"{statistics.median(cpu):.2f} |", flush=True)
        key = 1 if threads == 1 else 0   # CPU time for one thread, wall time for several
        ratio = statistics.median(results["PyTorch"][key]) / statistics.median(results["Myriad"][key])
        print(f"| {threads} | **PyTorch / Myriad ({'CPU' if key else 'wall'} medians)** | {ratio:.2f}x | | | |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
