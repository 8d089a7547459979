#!/usr/bin/env python3
"""Tests of tools/convert_checkpoint.py against the committed SFNO fixtures (no pytest needed).

    /work/venv-fixtures/bin/python tools/test_convert_checkpoint.py [FIXTURE_DIR]

FIXTURE_DIR defaults to Tests/MyriadTests/Fixtures/sfno. Needs torch, h5py and numpy (the versions pinned
in tools/convert_checkpoint.py), not torch-harmonics nor makani. Checks that every weight is copied bit
for bit (both makani weight layouts, `module.` prefix, legacy and zip serialisation) and that bad input is
refused with exit status 1, a message naming the problem, and no output file (nor temporary file) left.
Prints 'N passed, N failed' and exits 1 if anything failed.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONVERTER = os.path.join(HERE, "convert_checkpoint.py")
FIXTURES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "MyriadTests", "Fixtures", "sfno")
TH_CASES = ["th-sfno-eq33x64", "th-sfno-lg32x64", "th-sfno-proj-eq33x64"]
MAKANI = "makani-hens-33x64"
MAKANI_CASES = [MAKANI, "makani-diag-33x64"]

results = []


def test(fn):
    try:
        fn()
        results.append((fn.__name__, None))
    except Exception:
        results.append((fn.__name__, traceback.format_exc()))
    return fn


def run(*args):
    return subprocess.run([sys.executable, CONVERTER, *args], capture_output=True, text=True)


def bits(a):
    a = np.ascontiguousarray(a)
    assert a.dtype == np.float32, a.dtype
    return a.view(np.uint32)


def assert_same_weights(h5path, state):
    """Every state-dict tensor is in weights/ bit for bit (complex as [..., 2]) and nothing else is."""
    with h5py.File(h5path, "r") as f:
        stored = set(f["weights"])
        assert stored == set(state), f"keys differ: {sorted(stored ^ set(state))[:5]}"
        for k, v in state.items():
            want = torch.view_as_real(v).numpy() if v.is_complex() else v.numpy()
            got = f["weights"][k][...]
            assert got.dtype == np.float32, (k, got.dtype)
            assert got.shape == want.shape, (k, got.shape, want.shape)
            assert np.array_equal(bits(got), bits(want)), f"{k}: not bit for bit"


def expect_refusal(r, out, *words):
    assert r.returncode == 1, f"exit {r.returncode}, stderr: {r.stderr}"
    assert "refused" in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, f"{w!r} not in message: {r.stderr}"
    folder = os.path.dirname(out)
    assert not os.path.exists(out), "output file left behind"
    leftovers = [n for n in os.listdir(folder) if n.startswith(".convert-")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def makani_state(package):
    ckpt = torch.load(os.path.join(package, "training_checkpoints", "best_ckpt_mp0.tar"), weights_only=False,
                      pickle_module=__import__("convert_checkpoint")._PickleModule)
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in ckpt["model_state"].items()}, ckpt


sys.path.insert(0, HERE)
tmp = tempfile.mkdtemp(prefix="test-convert-")


@test
def torch_harmonics_bit_for_bit():
    for case in TH_CASES:
        out = os.path.join(tmp, case + ".h5")
        r = run("torch-harmonics", os.path.join(FIXTURES, case + ".pt"), os.path.join(FIXTURES, case + ".json"), out)
        assert r.returncode == 0, r.stderr
        assert_same_weights(out, torch.load(os.path.join(FIXTURES, case + ".pt")))
        with h5py.File(out) as f:
            assert f.attrs["format"] == "myriad-sfno-checkpoint" and f.attrs["format_version"] == 1
            assert f.attrs["architecture"] == "torch-harmonics-sfno"


@test
def committed_checkpoints_are_current():
    """The committed .h5 files hold the same weights as a fresh conversion (the fixtures are in sync)."""
    for case in TH_CASES:
        assert_same_weights(os.path.join(FIXTURES, case + ".h5"), torch.load(os.path.join(FIXTURES, case + ".pt")))
    for case in MAKANI_CASES:
        state, _ = makani_state(os.path.join(FIXTURES, case))
        assert_same_weights(os.path.join(FIXTURES, case + ".h5"), state)


@test
def makani_v010_bit_for_bit():
    for case in MAKANI_CASES:
        pkg = os.path.join(FIXTURES, case)
        out = os.path.join(tmp, case + ".h5")
        r = run("makani", pkg, out)
        assert r.returncode == 0, r.stderr
        state, ckpt = makani_state(pkg)
        assert all(k.startswith("module.") for k in ckpt["model_state"]), "fixture should carry the DDP prefix"
        assert_same_weights(out, state)
        with h5py.File(out) as f:
            assert f.attrs["architecture"] == "makani-sfno"
            assert f.attrs["source_weight_layout"] == "v0.1.0"
            means = np.squeeze(np.load(os.path.join(pkg, "global_means.npy"))).astype(np.float32)
            stds = np.squeeze(np.load(os.path.join(pkg, "global_stds.npy"))).astype(np.float32)
            assert np.array_equal(f["normalization/means"][...], means)
            assert np.array_equal(f["normalization/stds"][...], stds)
            assert ("static/orography" in f) == bool(f.attrs["add_orography"])
            assert len(f["channels/in"]) == f.attrs["in_chans"]


def grouped_package(dest, groups=1):
    """A copy of the makani fixture as current makani saves it: filter weight [groups, in, out, l], zip, no prefix."""
    src = os.path.join(FIXTURES, MAKANI)
    shutil.copytree(src, dest)
    state, ckpt = makani_state(src)
    new = {}
    for k, v in state.items():
        if k.endswith("filter.filter.weight"):
            v = v.unsqueeze(0) if groups == 1 else v.reshape(groups, v.shape[0] // groups, v.shape[1], v.shape[2])
        new[k] = v
    torch.save({"model_state": new, "epoch": 0}, os.path.join(dest, "training_checkpoints", "best_ckpt_mp0.tar"))
    return state


@test
def makani_grouped_layout_bit_for_bit():
    pkg = os.path.join(tmp, "grouped")
    state = grouped_package(pkg)
    out = os.path.join(tmp, "grouped.h5")
    r = run("makani", pkg, out)
    assert r.returncode == 0, r.stderr
    assert_same_weights(out, state)  # group axis of size 1 dropped, values untouched
    with h5py.File(out) as f:
        assert f.attrs["source_weight_layout"] == "grouped"


@test
def refuses_two_groups():
    pkg = os.path.join(tmp, "grouped2")
    grouped_package(pkg, groups=2)
    out = os.path.join(tmp, "out-groups.h5")
    expect_refusal(run("makani", pkg, out), out, "channel groups", "model.blocks.0.filter.filter.weight")


@test
def refuses_wrong_shape():
    case = TH_CASES[0]
    state = torch.load(os.path.join(FIXTURES, case + ".pt"))
    state["blocks.1.mlp.fwd.0.weight"] = state["blocks.1.mlp.fwd.0.weight"][:-1]
    pt = os.path.join(tmp, "wrong-shape.pt")
    torch.save(state, pt)
    out = os.path.join(tmp, "out-wrong-shape.h5")
    expect_refusal(run("torch-harmonics", pt, os.path.join(FIXTURES, case + ".json"), out), out,
                   "blocks.1.mlp.fwd.0.weight", "shape")


@test
def refuses_missing_key():
    case = TH_CASES[1]
    state = torch.load(os.path.join(FIXTURES, case + ".pt"))
    del state["blocks.2.global_conv.weight"]
    pt = os.path.join(tmp, "missing.pt")
    torch.save(state, pt)
    out = os.path.join(tmp, "out-missing.h5")
    expect_refusal(run("torch-harmonics", pt, os.path.join(FIXTURES, case + ".json"), out), out,
                   "missing", "blocks.2.global_conv.weight")


@test
def refuses_unexpected_key():
    case = TH_CASES[2]
    state = torch.load(os.path.join(FIXTURES, case + ".pt"))
    state["blocks.0.inner_skip.weight"] = torch.zeros(16, 16, 1, 1)
    pt = os.path.join(tmp, "extra.pt")
    torch.save(state, pt)
    out = os.path.join(tmp, "out-extra.h5")
    expect_refusal(run("torch-harmonics", pt, os.path.join(FIXTURES, case + ".json"), out), out,
                   "unexpected", "blocks.0.inner_skip.weight")


@test
def refuses_wrong_hyperparameters():
    """Kwargs that do not match the weights (embed_dim) are caught by the shape check."""
    case = TH_CASES[0]
    kw = json.load(open(os.path.join(FIXTURES, case + ".json")))
    kw["embed_dim"] += 8
    kj = os.path.join(tmp, "kw.json")
    json.dump(kw, open(kj, "w"))
    out = os.path.join(tmp, "out-kw.h5")
    expect_refusal(run("torch-harmonics", os.path.join(FIXTURES, case + ".pt"), kj, out), out, "encoder.0.weight")


@test
def refuses_unknown_kwarg():
    case = TH_CASES[0]
    kw = json.load(open(os.path.join(FIXTURES, case + ".json")))
    kw["operator_type"] = "diagonal"
    kj = os.path.join(tmp, "kw2.json")
    json.dump(kw, open(kj, "w"))
    out = os.path.join(tmp, "out-kw2.h5")
    expect_refusal(run("torch-harmonics", os.path.join(FIXTURES, case + ".pt"), kj, out), out, "operator_type")


@test
def torch_harmonics_normalization():
    """--normalization and --dhours: names, float32 means/stds, zscore, dhours; weights still bit for bit."""
    case = TH_CASES[0]  # 8 -> 8 channels
    stats = {"channels": [f"c{i}" for i in range(8)], "means": [1000.0 + i for i in range(8)],
             "stds": [0.1 * (i + 1) for i in range(8)]}
    sj = os.path.join(tmp, "stats.json")
    json.dump(stats, open(sj, "w"))
    out = os.path.join(tmp, "norm.h5")
    r = run("torch-harmonics", os.path.join(FIXTURES, case + ".pt"), os.path.join(FIXTURES, case + ".json"), out,
            "--normalization", sj, "--dhours", "6")
    assert r.returncode == 0, r.stderr
    assert_same_weights(out, torch.load(os.path.join(FIXTURES, case + ".pt")))
    with h5py.File(out) as f:
        assert f.attrs["normalization"] == "zscore" and f.attrs["dhours"] == 6
        assert np.array_equal(f["normalization/means"][...], np.array(stats["means"], np.float32))
        assert f["normalization/stds"].dtype == np.float32
        assert np.array_equal(f["normalization/stds"][...], np.array(stats["stds"], np.float32))
        for g in ("in", "out", "state"):
            assert [c.decode() for c in f["channels/" + g][...]] == stats["channels"]
    with h5py.File(os.path.join(FIXTURES, case + ".h5")) as f:  # without the options: as before
        assert f.attrs["normalization"] == "none" and "normalization" not in f

    stats["stds"][3] = 0.0
    json.dump(stats, open(sj, "w"))
    out = os.path.join(tmp, "norm-bad.h5")
    expect_refusal(run("torch-harmonics", os.path.join(FIXTURES, case + ".pt"), os.path.join(FIXTURES, case + ".json"),
                       out, "--normalization", sj), out, "std", "positive")
    stats["stds"][3] = 1.0
    stats["means"] = stats["means"][:7]
    json.dump(stats, open(sj, "w"))
    expect_refusal(run("torch-harmonics", os.path.join(FIXTURES, case + ".pt"), os.path.join(FIXTURES, case + ".json"),
                       out, "--normalization", sj), out, "7 means")
    case = TH_CASES[2]  # 7 -> 5 channels: no single state
    expect_refusal(run("torch-harmonics", os.path.join(FIXTURES, case + ".pt"), os.path.join(FIXTURES, case + ".json"),
                       out, "--normalization", sj), out, "in_chans = out_chans")


@test
def refuses_unknown_architecture():
    out = os.path.join(tmp, "out-arch.h5")
    r = run("fourcastnet", os.path.join(FIXTURES, MAKANI), out)
    assert r.returncode != 0 and not os.path.exists(out), r
    assert "fourcastnet" in r.stderr, r.stderr


@test
def refuses_unsupported_makani_config():
    pkg = os.path.join(tmp, "layernorm")
    shutil.copytree(os.path.join(FIXTURES, MAKANI), pkg)
    cfg = json.load(open(os.path.join(pkg, "config.json")))
    cfg["normalization_layer"] = "layer_norm"
    json.dump(cfg, open(os.path.join(pkg, "config.json"), "w"))
    out = os.path.join(tmp, "out-ln.h5")
    expect_refusal(run("makani", pkg, out), out, "normalization_layer", "layer_norm")


@test
def refuses_channel_count_mismatch():
    pkg = os.path.join(tmp, "channels")
    shutil.copytree(os.path.join(FIXTURES, MAKANI), pkg)
    cfg = json.load(open(os.path.join(pkg, "config.json")))
    cfg["add_orography"] = False
    json.dump(cfg, open(os.path.join(pkg, "config.json"), "w"))
    out = os.path.join(tmp, "out-ch.h5")
    expect_refusal(run("makani", pkg, out), out, "N_in_channels")


@test
def refuses_unreadable_checkpoint():
    pkg = os.path.join(tmp, "garbage")
    shutil.copytree(os.path.join(FIXTURES, MAKANI), pkg)
    with open(os.path.join(pkg, "training_checkpoints", "best_ckpt_mp0.tar"), "wb") as f:
        f.write(b"not a checkpoint")
    out = os.path.join(tmp, "out-garbage.h5")
    expect_refusal(run("makani", pkg, out), out, "best_ckpt_mp0.tar", "cannot be read")


@test
def refuses_missing_package_file():
    pkg = os.path.join(tmp, "nomeans")
    shutil.copytree(os.path.join(FIXTURES, MAKANI), pkg)
    os.remove(os.path.join(pkg, "global_stds.npy"))
    out = os.path.join(tmp, "out-nomeans.h5")
    expect_refusal(run("makani", pkg, out), out, "global_stds.npy")


@test
def failure_keeps_existing_output():
    """A refused conversion does not touch a file already at OUT.h5."""
    out = os.path.join(tmp, "existing.h5")
    with open(out, "wb") as f:
        f.write(b"previous")
    r = run("torch-harmonics", os.path.join(tmp, "missing.pt"), os.path.join(FIXTURES, TH_CASES[1] + ".json"), out)
    assert r.returncode == 1
    assert open(out, "rb").read() == b"previous"


shutil.rmtree(tmp)
failed = [(n, e) for n, e in results if e]
for n, e in failed:
    print(f"FAIL {n}\n{e}")
for n, e in results:
    if not e:
        print(f"ok   {n}")
print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
