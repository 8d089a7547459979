#!/usr/bin/env python3
"""Myriad's SHT beside shtns, ducc0 and torch-harmonics (CPU), in one run, on the same cores.

Forward and inverse real SHT of `batch` float32 fields on the equiangular grid (both poles),
lmax = mmax = nlat - 1 (720 at 721 x 1440), orthonormal with Condon-Shortley phase in every library.
Each timing is the median of REPEATS runs after one warm-up; plan/table construction is reported
separately. Prints a Markdown table with seconds per field and the ratio Myriad / fastest of
shtns and ducc0, and Myriad's rate: the Legendre stage's nominal flops (every (l, m <= l) pair on half
the latitudes, no polar cut-off) over the whole transform's time, and its share of the sgemm rate
sht-benchmark measures in the same run with the same threads.

Set-up (pinned): pip install torch==2.14.1 torch-harmonics==0.9.3 shtns==3.7.5 ducc0==0.42.0 numpy
Run:  swift build -c release --product sht-benchmark
      python3 bench/sht/compare.py --sizes 181x360 361x720 721x1440 --batches 1 64 --threads 1 2
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np


CLOCK = time.perf_counter   # --clock cpu: time.process_time (one-thread runs on a shared machine)


def median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return statistics.median(times)


def bench_myriad(exe, nlat, nlon, lmax, batch, threads, repeats):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads),
               MYRIAD_BENCH_CLOCK="cpu" if CLOCK is time.process_time else "wall")
    out = subprocess.run([exe, "equiangular", str(nlat), str(nlon), str(lmax), str(batch), str(threads), str(repeats)],
                         check=True, capture_output=True, text=True, env=env).stdout.strip().splitlines()
    row = dict(zip(out[0].split(","), out[1].split(",")))
    return (float(row["setup_s"]), float(row["forward_s"]), float(row["inverse_s"]),
            float(row["legendre_gflop"]), float(row["sgemm_peak_gflops"]))


def bench_shtns(nlat, nlon, lmax, batch, threads, repeats):
    import shtns
    t0 = time.perf_counter()
    sh = shtns.sht(lmax - 1, lmax - 1, 1, shtns.sht_orthonormal, nthreads=threads)   # 0 would take every core
    sh.set_grid(nlat, nlon, shtns.sht_reg_poles | shtns.SHT_PHI_CONTIGUOUS, 1e-10)
    setup = time.perf_counter() - t0
    shtns.set_verbosity(0)
    fields = [np.random.standard_normal((nlat, nlon)) for _ in range(batch)]
    coeffs = [sh.analys(f) for f in fields]
    fwd = median_time(lambda: [sh.analys(f) for f in fields], repeats)
    inv = median_time(lambda: [sh.synth(c) for c in coeffs], repeats)
    return setup, fwd, inv


def bench_ducc0(nlat, nlon, lmax, batch, threads, repeats):
    import ducc0
    fields = np.random.standard_normal((batch, nlat, nlon)).astype(np.float32)
    kw = dict(spin=0, lmax=lmax - 1, mmax=lmax - 1, geometry="CC", nthreads=threads)
    alm = [ducc0.sht.analysis_2d(map=f[None], **kw) for f in fields]
    fwd = median_time(lambda: [ducc0.sht.analysis_2d(map=f[None], **kw) for f in fields], repeats)
    out = np.empty((1, nlat, nlon), dtype=np.float32)
    inv = median_time(lambda: [ducc0.sht.synthesis_2d(alm=a, ntheta=nlat, nphi=nlon, map=out, **kw) for a in alm],
                      repeats)
    return 0.0, fwd, inv


def bench_torch_harmonics(nlat, nlon, lmax, batch, threads, repeats):
    import torch
    import torch_harmonics as th
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    sht = th.RealSHT(nlat, nlon, lmax=lmax, mmax=lmax, grid="equiangular")
    isht = th.InverseRealSHT(nlat, nlon, lmax=lmax, mmax=lmax, grid="equiangular")
    setup = time.perf_counter() - t0
    x = torch.randn(batch, nlat, nlon)
    with torch.no_grad():
        c = sht(x)
        fwd = median_time(lambda: sht(x), repeats)
        inv = median_time(lambda: isht(c), repeats)
    return setup, fwd, inv


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", nargs="+", default=["181x360", "361x720", "721x1440"])
    p.add_argument("--batches", nargs="+", type=int, default=[1, 64])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--libraries", nargs="+", default=["myriad", "shtns", "ducc0", "torch-harmonics"])
    p.add_argument("--myriad", default=".build/release/sht-benchmark")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: process CPU time, robust when other jobs share the machine; one thread only")
    args = p.parse_args()
    if args.clock == "cpu":
        if any(t != 1 for t in args.threads):
            p.error("--clock cpu sums the time of all threads: use it with --threads 1 only")
        global CLOCK
        CLOCK = time.process_time
    runners = {"shtns": bench_shtns, "ducc0": bench_ducc0, "torch-harmonics": bench_torch_harmonics}
    print("| size | batch | threads | library | setup s | forward ms/field | inverse ms/field |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        nlat, nlon = map(int, size.split("x"))
        lmax = nlat - 1
        for batch in args.batches:
            for threads in args.threads:
                results = {}
                for lib in args.libraries:
                    try:
                        if lib == "myriad":
                            r = bench_myriad(args.myriad, nlat, nlon, lmax, batch, threads, args.repeats)
                        else:
                            r = runners[lib](nlat, nlon, lmax, batch, threads, args.repeats)
                    except Exception as e:  # a missing reference is reported, not fatal
                        print(f"| {size} | {batch} | {threads} | {lib} | unavailable: {e} | | |", flush=True)
                        continue
                    results[lib] = r
                    print(f"| {size} | {batch} | {threads} | {lib} | {r[0]:.2f} | {1e3 * r[1] / batch:.2f} | "
                          f"{1e3 * r[2] / batch:.2f} |", flush=True)
                if "myriad" in results:
                    _, fwd, inv, gflop, peak = results["myriad"]
                    rate = [gflop * batch / t for t in (fwd, inv)]
                    print(f"| {size} | {batch} | {threads} | Myriad: nominal Legendre GFLOP/s, share of sgemm peak "
                          f"({peak:.1f} GFLOP/s) | | {rate[0]:.1f} ({100 * rate[0] / peak:.0f} %) | "
                          f"{rate[1]:.1f} ({100 * rate[1] / peak:.0f} %) |", flush=True)
                refs = [results[k] for k in ("shtns", "ducc0") if k in results]
                if "myriad" in results and refs:
                    f = results["myriad"][1] / min(r[1] for r in refs)
                    i = results["myriad"][2] / min(r[2] for r in refs)
                    print(f"| {size} | {batch} | {threads} | **Myriad / fastest of shtns, ducc0** | | {f:.2f}x | {i:.2f}x |",
                          flush=True)


if __name__ == "__main__":
    sys.exit(main())
