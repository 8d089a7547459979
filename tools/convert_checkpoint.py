#!/usr/bin/env python3
"""Convert a PyTorch SFNO checkpoint into a Myriad checkpoint file (HDF5), see docs/checkpoint-format.md.

    python3 tools/convert_checkpoint.py makani PACKAGE_DIR OUT.h5
    python3 tools/convert_checkpoint.py torch-harmonics STATE_DICT.pt KWARGS.json OUT.h5 \
        [--normalization STATS.json] [--dhours N]

makani: a makani model package directory (what makani's `save_model_package` writes and HENS ships):
config.json, global_means.npy, global_stds.npy, orography.nc and land_mask.nc (when the config adds
them), training_checkpoints/best_ckpt_mp0.tar. The network is makani's `SphericalFourierNeuralOperatorNet`
(nettype "SFNO") as of makani v0.1.0 (NVIDIA/makani tag v0.1.0 = the HENS code); the spectral filter
weight is accepted in both layouts, v0.1.0's [in, out, l] and current makani's [groups = 1, in, out, l].
A `module.` prefix (DistributedDataParallel) is stripped. Nothing of makani is imported.

torch-harmonics: the state dict of `torch_harmonics.examples.models.SphericalFourierNeuralOperator`
(torch-harmonics 0.9.3, examples/models/sfno.py) and a JSON object with the keyword arguments it was
constructed with (missing ones take 0.9.3's defaults). Such a state dict carries no normalisation, channel
names or time step; `--normalization STATS.json` adds them (a JSON object with `channels`, `means` and `stds`,
one entry per state channel; the network then works on z-scored fields as makani's), `--dhours N` the hours
per step.

Every weight is checked against the shape the hyperparameters imply, every key of the checkpoint must
be used, and anything that cannot be mapped is refused with a message naming what and why; the exit
status is then 1 and no output file exists. Output is written to a temporary name beside OUT.h5 and
renamed at the end. Weights are copied bit for bit: float32 stays float32, complex64 becomes float32
with a trailing axis of 2 (real, imaginary), as torch.view_as_real.

Tested with (pin these to reproduce the fixtures):
    CPython 3.11.7, torch==2.14.1, h5py==3.16.0, numpy==2.4.6 (torch-harmonics==0.9.3 is not needed here)
"""

import argparse
import io
import json
import math
import os
import pickle
import sys
import tempfile
import zipfile

import h5py
import numpy as np
import torch

FORMAT = "myriad-sfno-checkpoint"
FORMAT_VERSION = 1
CONVERTER = "tools/convert_checkpoint.py"


class ConversionError(Exception):
    """Something in the input that cannot be mapped to the Myriad format. The message says what and why."""


# MARK: - helpers

def truncate_sht(nlat, nlon, lmax, mmax, grid):
    """torch-harmonics 0.9.3 truncation.truncate_sht: defaults, then triangular lmax = mmax = min."""
    if not lmax:
        lmax = nlat if grid == "legendre-gauss" else (nlat - 1 if grid == "lobatto" else (nlat + 1) // 2)
    if not mmax:
        mmax = nlon // 2 + 1
    lmax = min(lmax, mmax)
    return lmax, lmax


def grid_latitudes(grid, nlat):
    """Latitudes in degrees, row 0 north, of the torch-harmonics grid nodes (float64)."""
    if grid == "equiangular":
        theta = np.pi * np.arange(nlat) / (nlat - 1)
    elif grid == "legendre-gauss":
        x, _ = np.polynomial.legendre.leggauss(nlat)  # ascending cos(theta)
        theta = np.arccos(x[::-1])
    else:
        raise ConversionError(f"grid type {grid!r} is not supported (equiangular or legendre-gauss)")
    return 90.0 - np.degrees(theta)


def weight_array(key, tensor):
    """float32 numpy array of a state-dict tensor, complex64 as [..., 2]; refuse anything else."""
    if not isinstance(tensor, torch.Tensor):
        raise ConversionError(f"weight {key!r}: not a tensor but {type(tensor).__name__}")
    t = tensor.detach().cpu()
    if t.dtype == torch.float32:
        return t.contiguous().numpy()
    if t.dtype == torch.complex64:
        return torch.view_as_real(t.contiguous()).numpy()
    raise ConversionError(f"weight {key!r}: dtype {t.dtype}, expected float32 or complex64 "
                          "(convert the model to float32 before saving)")


def check_keys(state, expected, where):
    """Every expected key present with its shape, and no key left over."""
    missing = [k for k in expected if k not in state]
    if missing:
        raise ConversionError(f"{where}: missing weight(s) {', '.join(repr(k) for k in missing[:8])}"
                              + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
                              + " that the hyperparameters require")
    extra = [k for k in state if k not in expected]
    if extra:
        raise ConversionError(f"{where}: unexpected weight(s) {', '.join(repr(k) for k in extra[:8])}"
                              + (f" and {len(extra) - 8} more" if len(extra) > 8 else "")
                              + ": the checkpoint has parts this converter does not know how to map")
    arrays = {}
    for key, (shape, complex_) in expected.items():
        a = weight_array(key, state[key])
        want = tuple(shape) + ((2,) if complex_ else ())
        if state[key].is_complex() != complex_:
            raise ConversionError(f"{where}: weight {key!r} is {'complex' if state[key].is_complex() else 'real'}, "
                                  f"expected {'complex64' if complex_ else 'float32'}")
        if a.shape != want:
            raise ConversionError(f"{where}: weight {key!r} has shape {list(state[key].shape)}, "
                                  f"expected {list(shape)} from the hyperparameters")
        arrays[key] = a
    return arrays


class _Stand_in:
    """Placeholder for a pickled object whose class is not importable here (makani's YParams etc.)."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.__dict__["_state"] = state


class _Unpickler(pickle.Unpickler):
    SAFE = ("torch", "collections", "numpy", "builtins", "_codecs", "copyreg", "datetime")

    def find_class(self, module, name):
        if module.split(".")[0] in self.SAFE:
            return super().find_class(module, name)
        return type(name, (_Stand_in,), {"__module__": module})


class _PickleModule:
    """`pickle_module` for torch.load that tolerates makani's pickled `params` object."""
    Unpickler = _Unpickler
    load = pickle.load
    __name__ = "pickle"


def load_torch(path):
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file")
    try:
        with open(path, "rb") as f:
            is_zip = zipfile.is_zipfile(f)
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=_PickleModule,
                          mmap=is_zip)
    except ConversionError:
        raise
    except Exception as e:  # torch raises many kinds
        raise ConversionError(f"{path}: cannot be read as a PyTorch checkpoint ({type(e).__name__}: {e})")


# MARK: - writing

def write_file(out_path, attrs, weights, extra):
    """Write to a temporary file in the same folder, then rename over out_path."""
    folder = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(folder):
        raise ConversionError(f"{out_path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".convert-", suffix=".h5.part", dir=folder)
    os.close(fd)
    try:
        with h5py.File(tmp, "w", track_order=True) as f:
            for k, v in attrs.items():
                f.attrs[k] = v
            g = f.create_group("weights", track_order=True)
            for k in sorted(weights):
                g.create_dataset(k, data=weights[k])
            for path, value in extra.items():
                f.create_dataset(path, data=value)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def strings(names):
    return np.array([str(n) for n in names], dtype=h5py.string_dtype("utf-8"))


# MARK: - makani

MAKANI_DEFAULTS = dict(  # SphericalFourierNeuralOperatorNet.__init__ defaults, makani v0.1.0 sfnonet.py:275-311
    spectral_transform="sht", model_grid_type="equiangular", sht_grid_type="legendre-gauss",
    filter_type="linear", operator_type="dhconv", scale_factor=8, embed_dim=32, num_layers=4,
    repeat_layers=1, use_mlp=True, mlp_ratio=2.0, encoder_ratio=1, decoder_ratio=1,
    activation_function="gelu", encoder_layers=1, pos_embed="none", normalization_layer="instance_norm",
    max_modes=None, hard_thresholding_fraction=1.0, big_skip=True, factorization=None, separable=False,
    bias=False,
)


def read_netcdf_variable(path, name):
    """Variable `name`, first time index, as float32, read with h5py (netCDF-4 files are HDF5)."""
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file (the config asks for it)")
    try:
        with h5py.File(path, "r") as f:
            if name not in f:
                raise ConversionError(f"{path}: no variable {name!r} (makani reads {name}[0, :, :])")
            d = f[name]
            for packed in ("scale_factor", "add_offset"):
                if packed in d.attrs:
                    raise ConversionError(f"{path}: variable {name!r} is packed ({packed}); unpack it first")
            if d.ndim != 3:
                raise ConversionError(f"{path}: variable {name!r} has shape {d.shape}, expected [time, lat, lon]")
            return np.asarray(d[0, :, :]).astype(np.float32)
    except ConversionError:
        raise
    except OSError as e:
        raise ConversionError(f"{path}: not a netCDF-4/HDF5 file ({e})")


def convert_makani(package, out_path):
    where = f"makani package {package}"
    cfg_path = os.path.join(package, "config.json")
    if not os.path.isfile(cfg_path):
        raise ConversionError(f"{where}: no config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg = {k: (None if v == "None" else v) for k, v in cfg.items()}  # as makani's ParamsBase.update_params
    p = dict(MAKANI_DEFAULTS)
    p.update(cfg)

    def need(key):
        if key not in cfg:
            raise ConversionError(f"{where}: config.json has no {key!r}")
        return cfg[key]

    # what this converter (and Myriad) can run
    if need("nettype") != "SFNO":
        raise ConversionError(f"{where}: nettype {cfg['nettype']!r}; only makani's 'SFNO' is supported")
    rules = [("spectral_transform", {"sht"}), ("filter_type", {"linear"}), ("operator_type", {"dhconv", "diagonal"}),
             ("normalization_layer", {"instance_norm", "none"}), ("activation_function", {"gelu", "relu", "silu"}),
             ("pos_embed", {"none", "direct", None, "None"}), ("model_grid_type", {"equiangular", "legendre-gauss"}),
             ("sht_grid_type", {"equiangular", "legendre-gauss"})]
    for key, allowed in rules:
        if p[key] not in allowed:
            raise ConversionError(f"{where}: {key} = {p[key]!r} is not supported (supported: "
                                  f"{', '.join(sorted(str(a) for a in allowed))})")
    if p["factorization"] is not None:
        raise ConversionError(f"{where}: factorization = {p['factorization']!r}: factorised spectral weights are not supported")
    if p["separable"]:
        raise ConversionError(f"{where}: separable = true is not supported")
    if p["bias"] not in (False, None):
        raise ConversionError(f"{where}: spectral filter bias = {p['bias']!r} is not supported")
    if int(p["repeat_layers"]) != 1:
        raise ConversionError(f"{where}: repeat_layers = {p['repeat_layers']} is not supported (only 1)")
    for key, want in (("n_history", 0), ("n_future", 0)):
        if int(cfg.get(key, 0)) != want:
            raise ConversionError(f"{where}: {key} = {cfg[key]}; only {want} is supported")
    if cfg.get("history_normalization_mode", "none") != "none":
        raise ConversionError(f"{where}: history_normalization_mode = {cfg['history_normalization_mode']!r}; only 'none'")
    if cfg.get("target", "default") != "default":
        raise ConversionError(f"{where}: target = {cfg['target']!r}; only 'default' (direct prediction) is supported")
    if cfg.get("normalization", "zscore") != "zscore":
        raise ConversionError(f"{where}: normalization = {cfg.get('normalization')!r}; only 'zscore' is supported")
    add_grid = bool(cfg.get("add_grid", False))
    gridtype = cfg.get("gridtype", "sinusoidal")
    if add_grid and gridtype != "sinusoidal":
        raise ConversionError(f"{where}: gridtype = {gridtype!r}; only 'sinusoidal' grid features are supported")

    # shapes (model_registry.get_model, sfnonet.py:324-326, 516-539)
    inp_shape = (int(need("img_crop_shape_x")), int(need("img_crop_shape_y")))
    img_shape = (int(need("img_shape_x")), int(need("img_shape_y")))
    if inp_shape != img_shape:
        raise ConversionError(f"{where}: crop {inp_shape} differs from image {img_shape}; cropped models are not supported")
    out_shape = (int(cfg["out_shape_x"]), int(cfg["out_shape_y"])) if "out_shape_x" in cfg and "out_shape_y" in cfg else inp_shape
    if out_shape != inp_shape:
        raise ConversionError(f"{where}: out_shape {out_shape} differs from inp_shape {inp_shape}; not supported")
    scale_factor = p["scale_factor"]
    h, w = int(inp_shape[0] // scale_factor), int(inp_shape[1] // scale_factor)
    if p["max_modes"] is not None:
        modes_lat, modes_lon = (int(m) for m in p["max_modes"])
    else:
        modes_lat = int(h * p["hard_thresholding_fraction"])
        modes_lon = int((w // 2 + 1) * p["hard_thresholding_fraction"])
    lmax, mmax = truncate_sht(h, w, modes_lat, modes_lon, p["sht_grid_type"])

    in_channels = list(need("in_channels"))
    out_channels = list(need("out_channels"))
    if in_channels != out_channels:
        raise ConversionError(f"{where}: in_channels != out_channels; only models that predict their own inputs are supported")
    names_all = list(need("channel_names"))
    try:
        state_names = [names_all[i] for i in in_channels]
    except IndexError:
        raise ConversionError(f"{where}: in_channels index outside channel_names")
    n_state = len(state_names)
    add_zenith = bool(cfg.get("add_zenith", False))
    nfreq = int(cfg.get("grid_num_frequencies", 1)) if add_grid else 0
    add_oro = bool(cfg.get("add_orography", False))
    add_lsm = bool(cfg.get("add_landmask", False))
    aux_names = (["cos_zenith"] if add_zenith else [])
    for k in range(1, nfreq + 1):
        aux_names += [f"sin{k}_lat", f"sin{k}_lon"]
    aux_names += (["orography"] if add_oro else []) + (["land_sea_mask_0", "land_sea_mask_1"] if add_lsm else [])
    in_chans = int(need("N_in_channels"))
    out_chans = int(need("N_out_channels"))
    if in_chans != n_state + len(aux_names):
        raise ConversionError(f"{where}: N_in_channels = {in_chans}, but {n_state} state channels + "
                              f"{len(aux_names)} auxiliary channels (zenith {int(add_zenith)}, grid {2 * nfreq}, "
                              f"orography {int(add_oro)}, land mask {2 * int(add_lsm)}) = {n_state + len(aux_names)}")
    if out_chans != n_state:
        raise ConversionError(f"{where}: N_out_channels = {out_chans} but {n_state} state channels")

    E = int(p["embed_dim"])
    L = int(p["num_layers"])
    enc_layers = int(p["encoder_layers"])
    enc_hidden = int(p["encoder_ratio"] * E)
    dec_hidden = int(p["decoder_ratio"] * E)
    mlp_hidden = int(E * p["mlp_ratio"])

    # expected keys (sfnonet.py, layers.py EncoderDecoder/MLP, spectral_convolution.py SpectralConv)
    exp = {}

    def encdec(prefix, din, dhid, dout):
        cur = din
        for i in range(enc_layers):
            exp[f"{prefix}.fwd.{2 * i}.weight"] = ((dhid, cur, 1, 1), False)
            exp[f"{prefix}.fwd.{2 * i}.bias"] = ((dhid,), False)
            cur = dhid
        exp[f"{prefix}.fwd.{2 * enc_layers}.weight"] = ((dout, cur, 1, 1), False)

    encdec("model.encoder", in_chans, enc_hidden, E)
    filt = (E, E, lmax) if p["operator_type"] == "dhconv" else (E, E, lmax, mmax)
    for i in range(L):
        b = f"model.blocks.{i}"
        exp[f"{b}.filter.filter.weight"] = (filt, True)
        if p["normalization_layer"] == "instance_norm":
            for n in ("norm0", "norm1"):
                exp[f"{b}.{n}.weight"] = ((E,), False)
                exp[f"{b}.{n}.bias"] = ((E,), False)
        if p["use_mlp"]:
            exp[f"{b}.mlp.fwd.0.weight"] = ((mlp_hidden, E, 1, 1), False)
            exp[f"{b}.mlp.fwd.0.bias"] = ((mlp_hidden,), False)
            exp[f"{b}.mlp.fwd.3.weight"] = ((E, mlp_hidden, 1, 1), False)
            exp[f"{b}.mlp.fwd.3.bias"] = ((E,), False)
        exp[f"{b}.outer_skip.weight"] = ((E, E, 1, 1), False)
    encdec("model.decoder", E, dec_hidden, out_chans)
    if p["big_skip"]:
        exp["model.residual_transform.weight"] = ((out_chans, in_chans, 1, 1), False)
    if p["pos_embed"] == "direct":
        exp["model.pos_embed"] = ((1, E, inp_shape[0], inp_shape[1]), False)

    # checkpoint
    ckpt_path = os.path.join(package, "training_checkpoints", "best_ckpt_mp0.tar")
    ckpt = load_torch(ckpt_path)
    if not isinstance(ckpt, dict) or "model_state" not in ckpt:
        raise ConversionError(f"{ckpt_path}: no 'model_state' in the checkpoint (keys: {list(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__})")
    state = dict(ckpt["model_state"])
    if state and all(k.startswith("module.") for k in state):  # torch consume_prefix_in_state_dict_if_present
        state = {k[len("module."):]: v for k, v in state.items()}
    layout = "v0.1.0"
    for i in range(L):  # current makani: filter weight [num_groups, in/g, out/g, l]
        key = f"model.blocks.{i}.filter.filter.weight"
        if key in state and isinstance(state[key], torch.Tensor) and state[key].dim() == len(filt) + 1:
            if state[key].shape[0] != 1:
                raise ConversionError(f"{where}: weight {key!r} has {state[key].shape[0]} channel groups "
                                      f"(shape {list(state[key].shape)}); only num_groups = 1 is supported")
            state[key] = state[key][0]
            layout = "grouped"
    weights = check_keys(state, exp, where)
    if layout == "grouped":
        print("convert_checkpoint: warning: the filter weights have current makani's group axis; the weights are "
              "converted, but Myriad applies makani v0.1.0's preprocessing (see tools/fixtures/SFNO-NOTES.md), which "
              "has not been checked against current makani's", file=sys.stderr)

    # normalisation (earth2mip networks.Inference: squeeze(npy)[in_channels], as float32)
    norm = {}
    for name, fname in (("means", "global_means.npy"), ("stds", "global_stds.npy")):
        path = os.path.join(package, fname)
        if not os.path.isfile(path):
            raise ConversionError(f"{where}: no {fname}")
        a = np.squeeze(np.load(path))
        if a.ndim != 1:
            raise ConversionError(f"{path}: shape {np.load(path).shape}, expected (1, C, 1, 1)")
        if max(in_channels) >= a.shape[0]:
            raise ConversionError(f"{path}: {a.shape[0]} channels, in_channels needs {max(in_channels) + 1}")
        norm[name] = a[in_channels].astype(np.float32)
    if not np.all(np.isfinite(norm["means"])) or not np.all(np.isfinite(norm["stds"])) or np.any(norm["stds"] == 0):
        raise ConversionError(f"{where}: global means/stds contain NaN, infinity or a zero std")

    extra = {"normalization/means": norm["means"], "normalization/stds": norm["stds"],
             "channels/state": strings(state_names), "channels/out": strings(state_names),
             "channels/in": strings(state_names + aux_names)}
    if add_oro:
        oro = read_netcdf_variable(os.path.join(package, "orography.nc"), "Z")
        if oro.shape != img_shape:
            raise ConversionError(f"{package}/orography.nc: Z has shape {oro.shape}, model grid is {img_shape}")
        extra["static/orography"] = oro
    if add_lsm:
        lsm = read_netcdf_variable(os.path.join(package, "land_mask.nc"), "LSM")
        if lsm.shape != img_shape:
            raise ConversionError(f"{package}/land_mask.nc: LSM has shape {lsm.shape}, model grid is {img_shape}")
        if int(np.trunc(lsm).max()) != 1 or lsm.min() < 0:
            raise ConversionError(f"{package}/land_mask.nc: LSM must lie in [0, 1] and reach 1 somewhere "
                                  "(makani one-hot encodes trunc(LSM) into max + 1 classes and needs 2)")
        extra["static/land_sea_mask"] = lsm
    lat = np.asarray(cfg["lat"], dtype=np.float64) if "lat" in cfg else grid_latitudes(p["model_grid_type"], img_shape[0])
    lon = np.asarray(cfg["lon"], dtype=np.float64) if "lon" in cfg else 360.0 * np.arange(img_shape[1]) / img_shape[1]
    if lat.shape != (img_shape[0],) or lon.shape != (img_shape[1],):
        raise ConversionError(f"{where}: lat/lon in config.json have {lat.shape}/{lon.shape} values, grid is {img_shape}")
    data_grid = cfg.get("data_grid_type", p["model_grid_type"])
    if add_grid and data_grid != p["model_grid_type"]:
        raise ConversionError(f"{where}: data_grid_type {data_grid!r} != model_grid_type {p['model_grid_type']!r}: "
                              "makani's grid conversion of the grid features is not supported")
    extra["grid/lat"] = lat
    extra["grid/lon"] = lon

    dhours = int(cfg.get("dhours", 6)) * int(cfg.get("dt", 1))
    attrs = {
        "format": FORMAT, "format_version": np.int64(FORMAT_VERSION), "architecture": "makani-sfno",
        "source": f"makani model package ({os.path.basename(os.path.abspath(package))})",
        "source_weight_layout": layout, "converter": CONVERTER,
        "inp_shape": np.array(inp_shape, np.int64), "out_shape": np.array(out_shape, np.int64),
        "internal_shape": np.array((h, w), np.int64),
        "grid": p["model_grid_type"], "grid_internal": p["sht_grid_type"],
        "scale_factor": np.float64(scale_factor), "hard_thresholding_fraction": np.float64(p["hard_thresholding_fraction"]),
        "lmax": np.int64(lmax), "mmax": np.int64(mmax),
        "in_chans": np.int64(in_chans), "out_chans": np.int64(out_chans), "embed_dim": np.int64(E),
        "num_layers": np.int64(L), "mlp_ratio": np.float64(p["mlp_ratio"]), "mlp_hidden_dim": np.int64(mlp_hidden),
        "use_mlp": np.int64(bool(p["use_mlp"])), "mlp_output_bias": np.int64(1),
        "activation": p["activation_function"], "normalization_layer": p["normalization_layer"], "norm_eps": np.float64(1e-6),
        "operator_type": p["operator_type"], "spectral_bias": np.int64(0),
        "encoder_hidden_layers": np.int64(enc_layers), "encoder_hidden_dim": np.int64(enc_hidden),
        "decoder_hidden_layers": np.int64(enc_layers), "decoder_hidden_dim": np.int64(dec_hidden),
        "encoder_bias": np.int64(0), "decoder_bias": np.int64(0),
        "inner_skip": "none", "outer_skip": "linear",
        "big_skip": np.int64(bool(p["big_skip"])), "pos_embed": "direct" if p["pos_embed"] == "direct" else "none",
        "dhours": np.int64(dhours),
        "n_state_channels": np.int64(n_state),
        "add_zenith": np.int64(add_zenith), "add_grid": np.int64(add_grid), "grid_num_frequencies": np.int64(nfreq),
        "add_orography": np.int64(add_oro), "add_landmask": np.int64(add_lsm),
        "normalization": "zscore",
    }
    write_file(out_path, attrs, weights, extra)


# MARK: - torch-harmonics

TH_DEFAULTS = dict(  # SphericalFourierNeuralOperator.__init__ defaults, torch-harmonics 0.9.3 examples/models/sfno.py:239-260
    img_size=[128, 256], grid="equiangular", grid_internal="legendre-gauss", scale_factor=3, in_chans=3, out_chans=3,
    embed_dim=256, num_layers=4, activation_function="gelu", encoder_layers=1, use_mlp=True, mlp_ratio=2.0,
    drop_rate=0.0, drop_path_rate=0.0, normalization_layer="none", hard_thresholding_fraction=1.0,
    residual_prediction=False, pos_embed="none", bias=False,
)


def read_normalization(path, n):
    """channels, means, stds (float32 [n]) from a JSON object with `channels`, `means`, `stds`."""
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file")
    try:
        with open(path) as f:
            s = json.load(f)
    except json.JSONDecodeError as e:
        raise ConversionError(f"{path}: not JSON ({e})")
    if not isinstance(s, dict) or not all(k in s for k in ("channels", "means", "stds")):
        raise ConversionError(f"{path}: expected a JSON object with keys channels, means, stds")
    names, means, stds = s["channels"], s["means"], s["stds"]
    if not (isinstance(names, list) and all(isinstance(c, str) and c for c in names)) or len(set(names)) != len(names):
        raise ConversionError(f"{path}: channels must be a list of distinct non-empty strings")
    for key, v in (("means", means), ("stds", stds)):
        if not (isinstance(v, list) and all(isinstance(a, (int, float)) and math.isfinite(a) for a in v)):
            raise ConversionError(f"{path}: {key} must be a list of finite numbers")
    if not len(names) == len(means) == len(stds) == n:
        raise ConversionError(f"{path}: {len(names)} channels, {len(means)} means, {len(stds)} stds; the network "
                              f"has {n} state channels (in_chans = out_chans)")
    stds = np.array(stds, dtype=np.float32)
    if not (stds > 0).all():
        raise ConversionError(f"{path}: every std must be positive")
    return names, np.array(means, dtype=np.float32), stds


def convert_torch_harmonics(state_path, kwargs_path, out_path, normalization_path=None, dhours=0):
    where = f"torch-harmonics checkpoint {state_path}"
    if not os.path.isfile(kwargs_path):
        raise ConversionError(f"{kwargs_path}: no such file")
    try:
        with open(kwargs_path) as f:
            kw = json.load(f)
    except json.JSONDecodeError as e:
        raise ConversionError(f"{kwargs_path}: not JSON ({e})")
    if not isinstance(kw, dict):
        raise ConversionError(f"{kwargs_path}: expected a JSON object of constructor keyword arguments")
    unknown = sorted(set(kw) - set(TH_DEFAULTS))
    if unknown:
        raise ConversionError(f"{kwargs_path}: unknown constructor argument(s) {unknown} for torch-harmonics 0.9.3 "
                              "SphericalFourierNeuralOperator")
    p = dict(TH_DEFAULTS)
    p.update(kw)
    for key, allowed in (("grid", {"equiangular", "legendre-gauss"}), ("grid_internal", {"equiangular", "legendre-gauss"}),
                         ("activation_function", {"gelu", "relu", "identity"}),
                         ("normalization_layer", {"none", "instance_norm", "layer_norm"}),
                         ("pos_embed", {"none", "sequence", "spectral", "learnable lat", "learnable latlon"})):
        if p[key] not in allowed:
            raise ConversionError(f"{kwargs_path}: {key} = {p[key]!r} is not supported (supported: {', '.join(sorted(allowed))})")

    nlat, nlon = (int(v) for v in p["img_size"])
    sf = p["scale_factor"]
    h = (nlat - 1) // sf + 1  # sfno.py:290-291
    w = nlon // sf
    modes_lat = h
    modes_lon = (w // 2 + 1) - 1  # sfno.py:334-338
    modes = int(min(modes_lat, modes_lon) * p["hard_thresholding_fraction"])
    lmax, mmax = truncate_sht(h, w, modes, modes, p["grid_internal"])
    Cin, Cout, E, L = int(p["in_chans"]), int(p["out_chans"]), int(p["embed_dim"]), int(p["num_layers"])
    mlp_hidden = int(E * p["mlp_ratio"])
    bias = bool(p["bias"])
    fc2 = 3 if p["drop_rate"] > 0.0 else 2  # _layers.py:258-262

    exp = {"encoder.0.weight": ((E, Cin, 1, 1), False)}
    if bias:
        exp["encoder.0.bias"] = ((E,), False)
    pe = p["pos_embed"]
    if pe in ("sequence", "spectral", "learnable latlon"):
        exp["pos_embed.position_embeddings"] = ((1, E, nlat, nlon), False)
    elif pe == "learnable lat":
        exp["pos_embed.position_embeddings"] = ((1, E, nlat, 1), False)
    for i in range(L):
        b = f"blocks.{i}"
        exp[f"{b}.global_conv.weight"] = ((E, E, lmax), True)
        if bias:
            exp[f"{b}.global_conv.bias"] = ((1, E, 1, 1), False)
        g = (nlat, nlon) if i == L - 1 else (h, w)
        if p["normalization_layer"] == "instance_norm":
            exp[f"{b}.norm.weight"] = ((E,), False)
            exp[f"{b}.norm.bias"] = ((E,), False)
        elif p["normalization_layer"] == "layer_norm":
            exp[f"{b}.norm.weight"] = (g, False)
            exp[f"{b}.norm.bias"] = (g, False)
        if p["use_mlp"]:
            exp[f"{b}.mlp.fwd.0.weight"] = ((mlp_hidden, E, 1, 1), False)
            exp[f"{b}.mlp.fwd.0.bias"] = ((mlp_hidden,), False)
            exp[f"{b}.mlp.fwd.{fc2}.weight"] = ((E, mlp_hidden, 1, 1), False)
    exp["decoder.0.weight"] = ((Cout, E, 1, 1), False)
    if bias:
        exp["decoder.0.bias"] = ((Cout,), False)
    if p["residual_prediction"] and Cin != Cout:
        exp["residual_projection.weight"] = ((Cout, Cin, 1, 1), False)

    state = load_torch(state_path)
    if isinstance(state, dict) and "model_state" in state and isinstance(state["model_state"], dict):
        state = state["model_state"]
    if not isinstance(state, dict):
        raise ConversionError(f"{where}: expected a state dict, got {type(state).__name__}")
    state = dict(state)
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    weights = check_keys(state, exp, where)

    norm = None
    if normalization_path is not None:
        if Cin != Cout:
            raise ConversionError(f"{normalization_path}: normalisation needs in_chans = out_chans (the state is the "
                                  f"input and the output); the network has {Cin} -> {Cout}")
        norm = read_normalization(normalization_path, Cout)
    if dhours < 0:
        raise ConversionError(f"--dhours {dhours}: must be positive (or 0: not known)")

    lat = grid_latitudes(p["grid"], nlat)
    lon = 360.0 * np.arange(nlon) / nlon
    attrs = {
        "format": FORMAT, "format_version": np.int64(FORMAT_VERSION), "architecture": "torch-harmonics-sfno",
        "source": f"torch-harmonics 0.9.3 state dict ({os.path.basename(state_path)})", "converter": CONVERTER,
        "inp_shape": np.array((nlat, nlon), np.int64), "out_shape": np.array((nlat, nlon), np.int64),
        "internal_shape": np.array((h, w), np.int64), "grid": p["grid"], "grid_internal": p["grid_internal"],
        "scale_factor": np.float64(sf), "hard_thresholding_fraction": np.float64(p["hard_thresholding_fraction"]),
        "lmax": np.int64(lmax), "mmax": np.int64(mmax),
        "in_chans": np.int64(Cin), "out_chans": np.int64(Cout), "embed_dim": np.int64(E), "num_layers": np.int64(L),
        "mlp_ratio": np.float64(p["mlp_ratio"]), "mlp_hidden_dim": np.int64(mlp_hidden), "use_mlp": np.int64(bool(p["use_mlp"])),
        "mlp_output_bias": np.int64(0), "mlp_fc2_index": np.int64(fc2),
        "activation": p["activation_function"], "normalization_layer": p["normalization_layer"], "norm_eps": np.float64(1e-6),
        "operator_type": "driscoll-healy", "spectral_bias": np.int64(bias),
        "encoder_hidden_layers": np.int64(0), "encoder_hidden_dim": np.int64(0),
        "decoder_hidden_layers": np.int64(0), "decoder_hidden_dim": np.int64(0),
        "encoder_bias": np.int64(bias), "decoder_bias": np.int64(bias),
        "inner_skip": "none", "outer_skip": "identity",
        "big_skip": np.int64(bool(p["residual_prediction"])), "pos_embed": pe,
        "dhours": np.int64(dhours), "n_state_channels": np.int64(Cout),
        "add_zenith": np.int64(0), "add_grid": np.int64(0), "grid_num_frequencies": np.int64(0),
        "add_orography": np.int64(0), "add_landmask": np.int64(0),
        "normalization": "zscore" if norm is not None else "none",
    }
    if norm is None:
        extra = {"channels/in": strings([f"in{i:03d}" for i in range(Cin)]),
                 "channels/out": strings([f"out{i:03d}" for i in range(Cout)]),
                 "channels/state": strings([f"out{i:03d}" for i in range(Cout)])}
    else:
        names, means, stds = norm
        extra = {"channels/in": strings(names), "channels/out": strings(names), "channels/state": strings(names),
                 "normalization/means": means, "normalization/stds": stds}
    extra.update({"grid/lat": lat, "grid/lon": lon})
    write_file(out_path, attrs, weights, extra)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="architecture", metavar="{makani,torch-harmonics}")
    a = sub.add_parser("makani", help="makani model package directory")
    a.add_argument("package")
    a.add_argument("output")
    b = sub.add_parser("torch-harmonics", help="torch-harmonics example SFNO state dict + constructor kwargs")
    b.add_argument("state_dict")
    b.add_argument("kwargs_json")
    b.add_argument("output")
    b.add_argument("--normalization", metavar="STATS.json",
                   help="z-score statistics of the state: JSON object with channels, means, stds")
    b.add_argument("--dhours", type=int, default=0, help="hours per step (default 0: not known)")
    args = ap.parse_args(argv)
    if args.architecture is None:
        ap.print_usage(sys.stderr)
        print(f"{ap.prog}: error: say which architecture: makani or torch-harmonics", file=sys.stderr)
        return 2
    try:
        if args.architecture == "makani":
            if not os.path.isdir(args.package):
                raise ConversionError(f"{args.package}: not a directory (a makani model package is a folder)")
            convert_makani(args.package, args.output)
        else:
            convert_torch_harmonics(args.state_dict, args.kwargs_json, args.output, args.normalization, args.dhours)
    except ConversionError as e:
        print(f"convert_checkpoint: refused: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
