#!/usr/bin/env python3
"""Train the demo SFNO checkpoints on Myriad's shallow-water world (docs/demo.md).

Pinned versions (CPU; the same virtualenv as tools/fixtures/README.md):

    CPython 3.11.7, torch==2.13.0 (the CPU wheel), torch-harmonics==0.9.3 (installed with --no-deps: its wheel
    asks for torch 2.14, whose CPU wheel was not at hand; its SHT and SFNO are pure Python), h5py==3.16.0,
    numpy==2.4.6

Run from the repository root, with `myriad` built (`swift build -c release --product myriad`):

    nice -n 19 /work/venv-fixtures/bin/python tools/train_demo.py --myriad .build/release/myriad \
        [--work /tmp/myriad-demo] [--out data/demo] [--models 8] [--only K ...] [--threads 1] [--stage all]

`--only K ...` trains those models alone: run one process per model to use several cores (each with one
PyTorch thread: on a shared machine one thread per process is several times faster than two).

Stages (`--stage`, default `all` = every one in this order; each skips what its outputs already hold, so an
interrupted run continues where it stopped):

    data     `myriad swe` training trajectories and the held-out truth run (into --work)
    stats    per-channel means and standard deviations of the training data -> OUT/normalization.json
    train    8 torch-harmonics example SFNOs that differ only in their seed -> WORK/model-k.pt, .json, .log
    convert  tools/convert_checkpoint.py with --normalization and --dhours -> OUT/demo-sfno-k.h5
    eval     PyTorch rollouts from held-out initial states: RMSE per channel and lead vs persistence and climatology
             -> OUT/skill.json and the markdown table on stdout
    fixture  one 20-step PyTorch rollout of checkpoint 0 from one held-out state -> OUT/demo-sfno-0-reference.h5
             (the layout of tools/fixtures/sfno.py's reference files: tools/fixtures/sfno_from_spec.py OUT checks it)

The network works on z-scored fields `(x - mean) / std` (means/stds of `stats`) and predicts the normalised
state 6 h ahead; the normalised state is carried from step to step and denormalised for output, as earth2mip
runs makani's networks. The statistics go into the converted checkpoints (`normalization/means`, `stds`,
docs/checkpoint-format.md).
"""

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import time
import warnings

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONVERTER = os.path.join(HERE, "convert_checkpoint.py")
GZ = dict(compression="gzip", compression_opts=9, shuffle=True)

# MARK: - settings (changing any of them changes the shipped checkpoints)

GRID = "64x128"
DHOURS = 6
CHANNELS = ["height", "u", "v", "vorticity"]
# training data: 64 random trajectories of 10 days (64 x 40 = 2560 one-step pairs); truth: 4 of 15 days
TRAIN_SWE = ["--grid", GRID, "--latitudes", "equiangular", "--initial", "random", "--seed", "1",
             "--trajectories", "64", "--days", "10", "--output-every", str(DHOURS)]
TRUTH_SWE = ["--grid", GRID, "--latitudes", "equiangular", "--initial", "random", "--seed", "2",
             "--trajectories", "4", "--days", "15", "--output-every", str(DHOURS)]
MODEL_KWARGS = dict(img_size=[64, 128], grid="equiangular", grid_internal="legendre-gauss", scale_factor=2,
                    in_chans=4, out_chans=4, embed_dim=32, num_layers=4, activation_function="gelu",
                    use_mlp=True, mlp_ratio=2.0, normalization_layer="instance_norm",
                    hard_thresholding_fraction=1.0, residual_prediction=True, pos_embed="learnable lat", bias=True)
SEED0 = 1000          # model k: torch.manual_seed(SEED0 + k) for the initial weights and the batch order
# (phase, optimizer steps, rollout steps in the loss, batch, peak learning rate): Adam, the learning rate falls
# from its peak to 0 along a cosine within each phase, gradient norm clipped at 1; the loss is the sum over the
# rollout steps of the cos(latitude)-weighted MSE of the normalised fields
PHASES = [(1, 2500, 1, 4, 2e-3),  # one-step training (3.9 epochs of one-step pairs)
          (2, 120, 4, 2, 5e-4),   # autoregressive fine-tuning over 4 steps (24 h)
          (3, 40, 12, 1, 2e-4),   # and over 12 steps (3 days): the networks learn to damp what they cannot predict
          (4, 60, 20, 1, 2e-4)]   # and over 20 steps (5 days), so that they stay below climatology's error there
# Phases 1-3 draw their batches from one generator, every later phase p from its own, seeded SEED0 + k + 1000 p.
# The weights after phase PHASES_SAVED and each later one but the last are saved (WORK/model-k.pP.pt); an
# interrupted run continues from the last of them and ends with the same weights.
PHASES_SAVED = 3
LEADS_DAYS = [1, 2, 3, 4, 5]
EVAL_STARTS = list(range(0, 41, 8))   # held-out initial rows (every 2 days from day 0 to day 10) of each trajectory
FIXTURE_STEPS = 20
FIXTURE_START = (0, 8)                # (truth trajectory, row): day 2 of held-out trajectory 0


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def swe_paths(work):
    return os.path.join(work, "train", "train.h5"), os.path.join(work, "truth", "truth.h5")


def read_trajectories(path):
    """fields [trajectories][times][channel][lat][lon] float32 and the file's attributes."""
    with h5py.File(path, "r") as f:
        x = f["fields"][...]
        n, t = int(f.attrs["trajectories"]), int(f.attrs["times_per_trajectory"])
        chans = f.attrs["channels"]
        chans = chans.decode() if isinstance(chans, bytes) else str(chans)
    if chans.split(",") != CHANNELS:
        raise SystemExit(f"{path}: channels {chans}, expected {','.join(CHANNELS)}")
    return x.reshape(n, t, *x.shape[1:])


def fields_sha256(path):
    with h5py.File(path, "r") as f:
        return hashlib.sha256(np.ascontiguousarray(f["fields"][...]).tobytes()).hexdigest()


def area_weights(nlat):
    """cos(latitude) on the equiangular grid (poles included), normalised to mean 1: [nlat, 1]."""
    lat = np.deg2rad(90.0 - 180.0 * np.arange(nlat) / (nlat - 1))
    w = np.cos(lat).clip(min=0.0)
    return torch.from_numpy((w / w.mean()).astype(np.float32))[:, None]


def build_model():
    from torch_harmonics.examples.models import SphericalFourierNeuralOperator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SphericalFourierNeuralOperator(**MODEL_KWARGS)


def load_stats(out):
    with open(os.path.join(out, "normalization.json")) as f:
        s = json.load(f)
    mean = torch.tensor(s["means"], dtype=torch.float32)[:, None, None]
    std = torch.tensor(s["stds"], dtype=torch.float32)[:, None, None]
    return mean, std


# MARK: - stages

def stage_data(args):
    train, truth = swe_paths(args.work)
    for path, opts in ((train, TRAIN_SWE), (truth, TRUTH_SWE)):
        if os.path.exists(path):
            log(f"data: {path} exists")
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        cmd = [args.myriad, "swe"] + opts + ["--output", path]
        log("data: " + " ".join(cmd))
        t = time.time()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        log(f"data: {path} in {time.time() - t:.1f} s, fields sha256 {fields_sha256(path)}")


def stage_stats(args):
    path = os.path.join(args.out, "normalization.json")
    if os.path.exists(path):
        log(f"stats: {path} exists")
        return
    train, truth = swe_paths(args.work)
    x = read_trajectories(train).astype(np.float64)
    means = x.mean(axis=(0, 1, 3, 4))
    stds = x.std(axis=(0, 1, 3, 4))
    stats = {"channels": CHANNELS,
             "means": [float(np.float32(v)) for v in means], "stds": [float(np.float32(v)) for v in stds],
             "dhours": DHOURS,
             "definition": "float64 mean and population standard deviation over every time, trajectory and grid "
                           "point (no area weights) of the training run, rounded to float32",
             "training_data": "myriad swe " + " ".join(TRAIN_SWE), "training_fields_sha256": fields_sha256(train),
             "truth": "myriad swe " + " ".join(TRUTH_SWE), "truth_fields_sha256": fields_sha256(truth)}
    os.makedirs(args.out, exist_ok=True)
    with open(path, "w") as f:
        json.dump(stats, f, indent=2)
        f.write("\n")
    log(f"stats: means {stats['means']} stds {stats['stds']}")


def pairs(n_traj, n_time, horizon):
    """(trajectory, row) starts whose `horizon` successors stay inside the trajectory."""
    return np.array([(k, t) for k in range(n_traj) for t in range(n_time - horizon)], dtype=np.int64)


def train_one(k, xn, w, args):
    pt = os.path.join(args.work, f"model-{k}.pt")
    if os.path.exists(pt):
        log(f"train: {pt} exists")
        return
    torch.manual_seed(SEED0 + k)
    gen = torch.Generator().manual_seed(SEED0 + k)
    model = build_model().train()
    n_traj, n_time = xn.shape[:2]

    def saved_after(phase):
        return os.path.join(args.work, f"model-{k}.p{phase}.pt")

    resumed = max((p for p, *_ in PHASES if p >= PHASES_SAVED and os.path.exists(saved_after(p))), default=0)
    if resumed:
        model.load_state_dict(torch.load(saved_after(resumed), weights_only=True))
        log(f"train: model {k} continues from {saved_after(resumed)}")
    logf = open(os.path.join(args.work, f"model-{k}.log"), "a" if resumed else "w")
    t0 = time.time()
    for phase, steps, horizon, batch, lr in PHASES:
        if phase <= resumed:
            continue
        if phase > PHASES_SAVED:
            gen = torch.Generator().manual_seed(SEED0 + k + 1000 * phase)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s, n=steps: 0.5 * (1.0 + math.cos(math.pi * min(s, n) / n)))
        starts = pairs(n_traj, n_time, horizon)
        order = torch.randperm(len(starts), generator=gen)
        pos, running = 0, []
        for s in range(steps):
            if pos + batch > len(order):
                order, pos = torch.randperm(len(starts), generator=gen), 0
            idx = starts[order[pos:pos + batch].numpy()]
            pos += batch
            x = xn[idx[:, 0], idx[:, 1]]
            loss = 0.0
            for h in range(1, horizon + 1):
                x = model(x)
                loss = loss + (w * (x - xn[idx[:, 0], idx[:, 1] + h]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            running.append(float(loss.detach()))
            if (s + 1) % 20 == 0:
                line = (f"model {k} phase {phase} step {s + 1}/{steps} loss {np.mean(running):.4e} "
                        f"lr {sched.get_last_lr()[0]:.2e} {time.time() - t0:.0f} s")
                print(line, file=logf, flush=True)
                log("train: " + line)
                running = []
            if args.snapshot_every and (s + 1) % args.snapshot_every == 0 and s + 1 < steps:
                torch.save(model.state_dict(), os.path.join(args.work, f"model-{k}.p{phase}.step{s + 1}.pt"))
        if PHASES_SAVED <= phase < PHASES[-1][0]:
            torch.save(model.state_dict(), saved_after(phase) + ".part")
            os.replace(saved_after(phase) + ".part", saved_after(phase))
    seconds = time.time() - t0
    print(f"model {k} trained in {seconds:.0f} s", file=logf, flush=True)
    logf.close()
    with open(os.path.join(args.work, f"model-{k}.json"), "w") as f:
        json.dump(MODEL_KWARGS, f, indent=2)
        f.write("\n")
    torch.save(model.state_dict(), pt + ".part")
    os.replace(pt + ".part", pt)
    with open(os.path.join(args.work, f"model-{k}.time"), "w") as f:
        f.write(f"{seconds:.1f}\n")
    log(f"train: model {k} in {seconds:.0f} s")


def stage_train(args):
    train, _ = swe_paths(args.work)
    mean, std = load_stats(args.out)
    xn = (torch.from_numpy(read_trajectories(train)) - mean) / std
    w = area_weights(xn.shape[-2])
    for k in (args.only if args.only is not None else range(args.models)):
        train_one(k, xn, w, args)


def stage_convert(args):
    stats = os.path.join(args.out, "normalization.json")
    for k in range(args.models):
        out = os.path.join(args.out, f"demo-sfno-{k}.h5")
        cmd = [sys.executable, CONVERTER, "torch-harmonics", os.path.join(args.work, f"model-{k}.pt"),
               os.path.join(args.work, f"model-{k}.json"), out, "--normalization", stats, "--dhours", str(DHOURS)]
        subprocess.run(cmd, check=True)


def load_trained(k, args):
    model = build_model()
    model.load_state_dict(torch.load(os.path.join(args.work, f"model-{k}.pt"), weights_only=True))
    return model.eval()


def rollout(model, x0, steps, mean, std):
    """x0 physical [B][C][H][W] -> physical states after 1..steps steps [steps][B][C][H][W]; the normalised
    state is carried between steps."""
    out = []
    with torch.no_grad():
        xn = (x0 - mean) / std
        for _ in range(steps):
            xn = model(xn)
            out.append(xn * std + mean)
    return torch.stack(out)


def stage_eval(args):
    _, truth = swe_paths(args.work)
    mean, std = load_stats(args.out)
    y = torch.from_numpy(read_trajectories(truth))
    w = area_weights(y.shape[-2])
    leads = [d * 24 // DHOURS for d in LEADS_DAYS]
    idx = [(k, t) for k in range(y.shape[0]) for t in EVAL_STARTS if t + max(leads) < y.shape[1]]
    x0 = torch.stack([y[k, t] for k, t in idx])

    def rmse(a, b):  # [B][C][H][W] -> [C]: sqrt of the mean over forecasts of the area-weighted MSE
        return (w * (a - b) ** 2).mean(dim=(-2, -1)).mean(dim=0).sqrt()

    # Climatology: the training run's mean state at each grid point (over every trajectory and time).
    train, _ = swe_paths(args.work)
    climate = torch.from_numpy(read_trajectories(train).astype(np.float64).mean(axis=(0, 1)).astype(np.float32))
    result = {"channels": CHANNELS, "lead_days": LEADS_DAYS, "forecasts": len(idx),
              "rmse": "sqrt(mean over forecasts of the cos(latitude)-weighted mean squared error)",
              "climatology_definition": "the training run's mean state at each grid point",
              "persistence": {}, "climatology": {}, "models": {}}
    for d, n in zip(LEADS_DAYS, leads):
        target = torch.stack([y[k, t + n] for k, t in idx])
        result["persistence"][str(d)] = rmse(x0, target).tolist()
        result["climatology"][str(d)] = rmse(climate.expand_as(target), target).tolist()
    for k in range(args.models):
        model = load_trained(k, args)
        t = time.time()
        pred = rollout(model, x0, max(leads), mean, std)
        log(f"eval: model {k}: {len(idx)} rollouts of {max(leads)} steps in {time.time() - t:.0f} s")
        result["models"][str(k)] = {}
        for d, n in zip(LEADS_DAYS, leads):
            target = torch.stack([y[kk, tt + n] for kk, tt in idx])
            result["models"][str(k)][str(d)] = rmse(pred[n - 1], target).tolist()
    with open(os.path.join(args.out, "skill.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print_table(result)


def stage_myriad_eval(args):
    """The same skill as stage_eval, but each rollout by `myriad forward` (the Swift inference) on the
    converted checkpoint: 20 steps from every evaluation start, RMSE as stage_eval. Writes skill-myriad.json."""
    import tempfile
    _, truth = swe_paths(args.work)
    y = read_trajectories(truth)
    w = area_weights(y.shape[-2]).numpy()
    leads = [d * 24 // DHOURS for d in LEADS_DAYS]
    idx = [(k, t) for k in range(y.shape[0]) for t in EVAL_STARTS if t + max(leads) < y.shape[1]]
    x0 = np.stack([y[k, t] for k, t in idx])

    def rmse(a, b):
        return np.sqrt((w * (a.astype(np.float64) - b) ** 2).mean(axis=(-2, -1)).mean(axis=0))

    result = {"channels": CHANNELS, "lead_days": LEADS_DAYS, "forecasts": len(idx), "engine": "myriad forward",
              "rmse": "sqrt(mean over forecasts of the cos(latitude)-weighted mean squared error)",
              "persistence": {}, "models": {}}
    for d, n in zip(LEADS_DAYS, leads):
        result["persistence"][str(d)] = rmse(x0, np.stack([y[k, t + n] for k, t in idx])).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        starts = os.path.join(tmp, "starts.h5")
        with h5py.File(starts, "w") as f:
            f["fields"] = x0
        with open(os.path.join(tmp, "data.json"), "w") as f:
            json.dump({"h5_path": "fields", "dhours": DHOURS, "coords": {"channel": CHANNELS}}, f)
        for m in range(args.models):
            checkpoint = os.path.join(args.out, f"demo-sfno-{m}.h5")
            pred = np.empty((len(idx), max(leads)) + x0.shape[1:], dtype=np.float32)
            t = time.time()
            for i in range(len(idx)):
                out = os.path.join(tmp, "forecast.h5")
                subprocess.run([args.myriad, "forward", "--checkpoint", checkpoint, "--input", starts, "--index", str(i),
                                "--steps", str(max(leads)), "--output", out], check=True, stdout=subprocess.DEVNULL)
                with h5py.File(out, "r") as f:
                    pred[i] = f["fields"][...]
                os.remove(out)
            log(f"myriad-eval: model {m}: {len(idx)} rollouts of {max(leads)} steps in {time.time() - t:.0f} s")
            result["models"][str(m)] = {str(d): rmse(pred[:, n - 1], np.stack([y[k, t + n] for k, t in idx])).tolist()
                                       for d, n in zip(LEADS_DAYS, leads)}
    with open(os.path.join(args.out, "skill-myriad.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print_table(result)


def print_table(r):
    units = {"height": "m", "u": "m/s", "v": "m/s", "vorticity": "1e-7/s"}
    scale = {"height": 1.0, "u": 1.0, "v": 1.0, "vorticity": 1e7}
    for c, name in enumerate(r["channels"]):
        print(f"\n{name} ({units[name]}):\n")
        print("| forecast | " + " | ".join(f"{d} d" for d in r["lead_days"]) + " |")
        print("|---|" + "---|" * len(r["lead_days"]))
        rows = [("persistence", r["persistence"])] + ([("climatology", r["climatology"])] if "climatology" in r else []) \
            + [(f"demo-sfno-{k}", v) for k, v in r["models"].items()]
        for label, v in rows:
            print(f"| {label} | " + " | ".join(f"{v[str(d)][c] * scale[name]:.3g}" for d in r["lead_days"]) + " |")
    beats = all(m[str(d)][c] < r["persistence"][str(d)][c]
                for m in r["models"].values() for d in r["lead_days"] for c in range(len(r["channels"])))
    print(f"\nevery checkpoint beats persistence at every lead and channel: {beats}")
    if "climatology" in r:
        margin = max(m[str(d)][c] / r["climatology"][str(d)][c]
                     for m in r["models"].values() for d in r["lead_days"] for c in range(len(r["channels"])))
        print(f"every checkpoint beats climatology at every lead and channel: {margin < 1} "
              f"(largest RMSE / climatology's: {margin:.3f})")


def stage_fixture(args):
    _, truth = swe_paths(args.work)
    mean, std = load_stats(args.out)
    y = torch.from_numpy(read_trajectories(truth))
    k, t = FIXTURE_START
    x0 = y[k, t][None]
    model = load_trained(0, args)
    out = rollout(model, x0, FIXTURE_STEPS, mean, std)[:, 0]
    path = os.path.join(args.out, "demo-sfno-0-reference.h5")
    import torch_harmonics
    with h5py.File(path, "w") as f:
        f.attrs["case"] = "demo-sfno-0"
        f.attrs["architecture"] = "torch-harmonics-sfno"
        f.attrs["checkpoint"] = "demo-sfno-0.h5"
        f.attrs["steps"] = np.int64(FIXTURE_STEPS)
        f.attrs["dhours"] = np.int64(DHOURS)
        f.attrs["initial_state"] = (f"truth trajectory {k}, row {t} (hour {t * DHOURS}) of "
                                    "myriad swe " + " ".join(TRUTH_SWE))
        f.attrs["loop"] = ("xn = (input - mean) / std once; xn = network(xn) each step, carried; "
                           "output[s] = xn * std + mean (float32)")
        f.attrs["channels"] = ",".join(CHANNELS)
        f.attrs["torch_version"] = str(torch.__version__)
        f.attrs["torch_harmonics_version"] = str(torch_harmonics.__version__)
        f.attrs["generator"] = "tools/train_demo.py"
        f.create_dataset("input", data=x0[0].numpy(), **GZ)
        f.create_dataset("output", data=out.numpy(), **GZ)
        f.create_dataset("output_normalized", data=((out - mean) / std).numpy(), **GZ)
    log(f"fixture: {path}")


STAGES = {"data": stage_data, "stats": stage_stats, "train": stage_train, "convert": stage_convert,
          "eval": stage_eval, "fixture": stage_fixture, "myriad-eval": stage_myriad_eval}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--myriad", default=os.path.join(ROOT, ".build", "release", "myriad"))
    ap.add_argument("--work", default="/tmp/myriad-demo", help="training data and PyTorch checkpoints")
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "demo"))
    ap.add_argument("--models", type=int, default=8)
    ap.add_argument("--only", type=int, nargs="+", help="train only these model indices (to run several processes)")
    ap.add_argument("--threads", type=int, default=1,
                    help="PyTorch threads per process; on a loaded machine 1 is several times faster than 2")
    ap.add_argument("--snapshot-every", type=int, default=0, metavar="N",
                    help="also save WORK/model-k.pP.stepS.pt every N steps of a phase (to watch a long phase)")
    ap.add_argument("--stage", choices=["all"] + list(STAGES), default="all")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    for name, fn in STAGES.items():
        if args.stage in ("all", name):
            fn(args)


if __name__ == "__main__":
    main()
