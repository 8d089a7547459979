#!/usr/bin/env python3
"""One step of the torch-harmonics example SFNO: Myriad beside PyTorch (CPU), same network, same threads,
in float32 and in bfloat16, side by side in one run.

Issue "SFNO inference", case (a): 181 x 360 equiangular, 8 -> 8 channels, embed 256, 8 layers, scale factor 2
(internal 91 x 180 Legendre-Gauss), MLP ratio 2, GELU, instance norm, learnable-lat position embedding, big
skip, biases — exactly the network bench/sfno/swift builds. Both use random weights (the cost does not
depend on their values).

Precisions (issue "Throughput"): fp32 is float32 everywhere on both sides. bf16 is each library's own
bfloat16 GEMM path: Myriad's `--precision bf16` (the 1x1 convolutions as oneDNN bf16 matmuls, fp32
accumulation) and PyTorch's `torch.autocast("cpu", dtype=torch.bfloat16)` (its autocast list: convolutions,
linear layers and matmuls in bf16 through oneDNN; the complex spectral contraction and the FFTs stay fp32;
the SHTs are kept out of autocast, see keep_transforms_fp32).

Each round runs Myriad (one process: fp32 then bf16, then the GEMM peaks of the machine) and then PyTorch
(fp32 then bf16), one warm-up step and STEPS timed steps per precision; ROUNDS rounds alternate the two
libraries, so that a change in the machine's load hits both. The table gives the medians over all timed steps
of all rounds and `uptime`'s load average before each library's run (the development VM is shared).

--clock cpu (the default for one thread) compares process CPU time, robust when other jobs share the machine;
--clock wall for several threads.

Set-up (pinned): pip install torch==2.13.0 torch-harmonics==0.9.3 numpy  (CPU wheels)
Run:  swift build -c release --product sfno-benchmark
      python3 bench/sfno/compare.py --threads 1 --rounds 3
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time


def load():
    """uptime's 1-minute load average (the machine is shared: say how busy it was)."""
    return float(open("/proc/loadavg").read().split()[0])


def myriad(exe, args, threads, precisions):
    """Timed steps per precision from one sfno-benchmark process, and its peak and share lines."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    precision = precisions[0] if len(precisions) == 1 else "both"
    command = [exe, "181", "360", str(args.embed), str(args.layers), "2", str(args.steps + 1), "--precision", precision]
    if args.no_peaks:
        command.append("--no-peaks")
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    walls = [[float(x) for x in m.split()] for m in re.findall(r"step wall times \(s\): (.*)", out)]
    cpus = [[float(x) for x in m.split()] for m in re.findall(r"step CPU times \(s\):\s+(.*)", out)]
    notes = [line.strip() for line in out.splitlines() if "peak" in line or "bf16 / fp32" in line]
    # the first step of each precision is the warm-up, as on the PyTorch side
    return {p: (w[1:], c[1:]) for p, w, c in zip(precisions, walls, cpus)}, notes


def keep_transforms_fp32(model):
    """Run torch-harmonics' SHTs outside autocast, in float32.

    torch-harmonics 0.9.3's transforms fail under CPU autocast (their Legendre einsum comes back in bf16 and
    torch.complex refuses bf16 parts); Myriad's bf16 keeps the transforms in float32 too, so this is the same
    split: the 1x1 convolutions (and any other op on autocast's list) in bf16, the SHTs in fp32."""
    import torch
    from torch_harmonics import InverseRealSHT, RealSHT
    for module in model.modules():
        if isinstance(module, (RealSHT, InverseRealSHT)):
            forward = module.forward

            def fp32_forward(x, forward=forward):
                with torch.autocast("cpu", enabled=False):
                    return forward(x if x.is_complex() else x.float())
            module.forward = fp32_forward


def pytorch(args, threads, precisions):
    import torch
    from torch_harmonics.examples.models import SphericalFourierNeuralOperator
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SphericalFourierNeuralOperator(
        img_size=(181, 360), grid="equiangular", grid_internal="legendre-gauss", scale_factor=2,
        in_chans=8, out_chans=8, embed_dim=args.embed, num_layers=args.layers, activation_function="gelu",
        use_mlp=True, mlp_ratio=2.0, normalization_layer="instance_norm", residual_prediction=True,
        pos_embed="learnable lat", bias=True).eval()
    keep_transforms_fp32(model)
    results = {}
    for precision in precisions:
        x = torch.randn(1, 8, 181, 360)
        wall, cpu = [], []
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            for step in range(args.steps + 1):
                w0, c0 = time.perf_counter(), time.process_time()
                x = model(x).float()
                if step > 0:   # the first step is the warm-up
                    wall.append(time.perf_counter() - w0)
                    cpu.append(time.process_time() - c0)
        results[precision] = (wall, cpu)
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", nargs="+", type=int, default=[1])
    p.add_argument("--precisions", nargs="+", choices=["fp32", "bf16"], default=["fp32", "bf16"])
    p.add_argument("--rounds", type=int, default=3, help="Myriad and PyTorch alternated this many times")
    p.add_argument("--steps", type=int, default=3, help="timed steps per precision and round, after one warm-up")
    p.add_argument("--embed", type=int, default=256)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--no-peaks", action="store_true", help="skip Myriad's in-run GEMM peaks")
    p.add_argument("--myriad", default=".build/release/sfno-benchmark")
    args = p.parse_args()
    import torch
    print(f"# PyTorch {torch.__version__}; {args.rounds} rounds x {args.steps} timed steps; commit "
          + subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
          flush=True)
    for threads in args.threads:
        times = {(lib, p): ([], []) for lib in ("Myriad", "PyTorch") for p in args.precisions}
        loads = {"Myriad": [], "PyTorch": []}
        for r in range(args.rounds):
            loads["Myriad"].append(load())
            mine, notes = myriad(args.myriad, args, threads, args.precisions)
            loads["PyTorch"].append(load())
            theirs = pytorch(args, threads, args.precisions)
            for lib, result in (("Myriad", mine), ("PyTorch", theirs)):
                for precision, (wall, cpu) in result.items():
                    times[(lib, precision)][0].extend(wall)
                    times[(lib, precision)][1].extend(cpu)
                    print(f"# round {r + 1}, {threads} thread(s), {lib} {precision}: wall "
                          + " ".join(f"{t:.3f}" for t in wall) + " / CPU " + " ".join(f"{t:.3f}" for t in cpu), flush=True)
            for note in notes:
                print(f"# round {r + 1}, Myriad: {note}", flush=True)
        print("| threads | precision | library | best wall s | median wall s | best CPU s | median CPU s | load avg (per round) |")
        print("|---|---|---|---|---|---|---|---|")
        key = 1 if threads == 1 else 0   # CPU time for one thread, wall time for several
        for precision in args.precisions:
            for lib in ("Myriad", "PyTorch"):
                wall, cpu = times[(lib, precision)]
                print(f"| {threads} | {precision} | {lib} | {min(wall):.2f} | {statistics.median(wall):.2f} | "
                      f"{min(cpu):.2f} | {statistics.median(cpu):.2f} | "
                      + ", ".join(f"{x:.1f}" for x in loads[lib]) + " |")
            ratio = statistics.median(times[("PyTorch", precision)][key]) / statistics.median(times[("Myriad", precision)][key])
            print(f"| {threads} | {precision} | **PyTorch / Myriad ({'CPU' if key else 'wall'} medians)** | "
                  f"**{ratio:.2f}x** | | | | |", flush=True)
        if "fp32" in args.precisions and "bf16" in args.precisions:
            for lib in ("Myriad", "PyTorch"):
                ratio = statistics.median(times[(lib, "bf16")][key]) / statistics.median(times[(lib, "fp32")][key])
                print(f"| {threads} | bf16 / fp32 | {lib} | {ratio:.2f} | | | | |")


if __name__ == "__main__":
    sys.exit(main())
