#!/usr/bin/env python3
"""torch-harmonics 0.9.3's ShallowWaterSolver on the swe-benchmark case, for comparison (one thread, CPU):
Galewsky, equiangular NLAT x NLON, lmax = mmax = ceil(nlat/3), dt = 3600/ceil(3600 nlat/19200) s, float64.

    /work/venv-fixtures/bin/python bench/swe/torch_reference.py [NLAT NLON DAYS]   (default 128 256 1)
"""
import math
import sys
import time
import warnings

import torch
from torch_harmonics.examples import ShallowWaterSolver

nlat, nlon, days = (int(a) for a in (sys.argv[1:4] if len(sys.argv) >= 4 else (128, 256, 1)))
torch.set_num_threads(1)
dt = 3600.0 / math.ceil(3600.0 * nlat / 19200.0)
lmax = math.ceil(nlat / 3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    solver = ShallowWaterSolver(nlat, nlon, dt, lmax=lmax, mmax=lmax, grid="equiangular").double()
    state = solver.galewsky_initial_condition()
steps = round(days * 86400 / dt)
with torch.no_grad():
    start = time.process_time()
    state = solver.timestep(state, steps)
    seconds = time.process_time() - start
print(f"torch-harmonics {nlat}x{nlon} lmax {lmax} dt {dt} s: {steps} steps in {seconds:.2f} s CPU, "
      f"{seconds / steps * 1e6:.0f} µs per step")
