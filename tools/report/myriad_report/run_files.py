"""A run's files, as the report reads them: statistics.h5, scores.h5, members.h5 (each when written), the
run configuration (YAML, when found) and, through it, the truth file. Nothing else of the run is read."""

import json
import os
import re
from dataclasses import dataclass, field

import h5py
import numpy as np
import xarray as xr
import yaml


def _open(path):
    if not os.path.exists(path):
        return None
    try:
        return xr.open_dataset(path, decode_timedelta=True)
    except (OSError, ValueError) as error:
        raise SystemExit(f"myriad report: {path} cannot be read as netCDF-4 ({str(error).splitlines()[0]}); "
                         "it is not a file of a finished `myriad run`: rerun the run, or remove the file") from None


def lead_hours(dataset):
    """The lead_time coordinate in hours (xarray decodes it as timedeltas)."""
    values = dataset["lead_time"].values
    if np.issubdtype(values.dtype, np.timedelta64):
        return values / np.timedelta64(1, "h")
    return values.astype(float)


@dataclass
class RunFiles:
    directory: str
    statistics: xr.Dataset | None
    scores: xr.Dataset | None
    members: xr.Dataset | None
    configuration_path: str | None
    configuration: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def name(self):
        """The run's name in titles: its directory, as given."""
        return os.path.normpath(self.directory)

    @property
    def variables(self):
        """The variables with statistics, member output or scores, in file order."""
        if self.statistics is not None:   # <v>_mean beside <v>_std (not <v>_spectrum_mean)
            return [n[: -len("_mean")] for n in self.statistics.data_vars
                    if n.endswith("_mean") and n[: -len("_mean")] + "_std" in self.statistics]
        if self.members is not None:
            return [n for n in self.members.data_vars if {"ensemble", "lat", "lon"} <= set(self.members[n].dims)]
        return [n[: -len("_crps_fair")] for n in self.scores.data_vars if n.endswith("_crps_fair")]

    def units(self, variable):
        for dataset in (self.members, self.statistics, self.scores):
            if dataset is not None:
                for name in (variable, f"{variable}_mean", f"{variable}_rmse"):
                    if name in dataset and "units" in dataset[name].attrs:
                        return dataset[name].attrs["units"]
        return None

    def label(self, variable):
        """`height (m)`: the variable with its units, for axes."""
        units = self.units(variable)
        return f"{variable} ({units})" if units else variable

    def completed_leads(self, dataset):
        """Indices of the lead times written (the `completed` flag; all when the file has none)."""
        hours = lead_hours(dataset)
        if "completed" in dataset:
            done = np.asarray(dataset["completed"].values) == 1
            return [i for i in range(len(hours)) if done[i]]
        return list(range(len(hours)))

    def is_derived(self, variable):
        """Whether `variable` is a derived variable of the configuration (output.derived)."""
        return variable in ((self.configuration.get("output") or {}).get("derived") or [])

    # The truth, through the configuration's statistics.truth (a makani-layout file with data.json).

    def truth_field(self, variable, valid_time):
        """The truth of `variable` at `valid_time` (numpy datetime64) on the run's grid, or None."""
        truth = (self.configuration.get("statistics") or {}).get("truth")
        if not truth:
            return None
        path = self._resolve(truth)
        if path is None:
            self._note(f"the truth file {truth} of the configuration was not found: maps and plumes are drawn without the truth")
            return None
        metadata_path = os.path.join(os.path.dirname(path), "data.json")
        try:
            with open(metadata_path) as f:
                metadata = json.load(f)
            channels = metadata["coords"]["channel"]
            start = np.datetime64(metadata["start_time"].replace("Z", ""))
            dhours = metadata["dhours"]
        except (OSError, KeyError, ValueError) as error:
            self._note(f"{metadata_path}: {error}; maps and plumes are drawn without the truth")
            return None
        if variable not in channels:
            return None
        hours = (np.datetime64(valid_time, "s") - start) / np.timedelta64(1, "h")
        per = metadata.get("times_per_trajectory")
        if hours < 0 or hours % dhours != 0 or (per and hours / dhours >= per):
            return None
        index = int(hours // dhours)
        with h5py.File(path, "r") as f:
            if index >= f["fields"].shape[0]:
                return None
            data = f["fields"][index, channels.index(variable)]
        grid = self.statistics if self.statistics is not None else self.members
        lat = np.asarray(metadata["coords"].get("lat", []))
        if grid is not None and len(lat) == data.shape[0] and len(grid.lat) < data.shape[0]:
            rows = [int(np.argmin(np.abs(lat - y))) for y in grid.lat.values]
            lon = np.asarray(metadata["coords"].get("lon", []))
            cols = [int(np.argmin(np.abs(lon - x))) for x in grid.lon.values]
            data = data[np.ix_(rows, cols)]
        return np.asarray(data, dtype=float)

    def _resolve(self, path):
        candidates = [path] if os.path.isabs(path) else [path, os.path.join(os.path.dirname(self.configuration_path or ""), path)]
        return next((c for c in candidates if os.path.exists(c)), None)

    def _note(self, text):
        if text not in self.notes:
            self.notes.append(text)


def _configuration_path(members, given):
    """The configuration: as given, else from members.h5's `source` (`myriad run CONFIG`)."""
    if given:
        return given
    if members is not None:
        match = re.match(r"myriad run (.+)$", str(members.attrs.get("source", "")))
        if match and os.path.exists(match.group(1)):
            return match.group(1)
    return None


def load(directory, configuration=None):
    statistics = _open(os.path.join(directory, "statistics.h5"))
    scores = _open(os.path.join(directory, "scores.h5"))
    members = _open(os.path.join(directory, "members.h5"))
    if statistics is None and scores is None and members is None:
        raise SystemExit(f"myriad report: {directory} holds none of statistics.h5, scores.h5, members.h5; "
                         "give the output directory of a finished `myriad run`")
    path = _configuration_path(members, configuration)
    document = {}
    if path:
        with open(path) as f:
            document = yaml.safe_load(f) or {}
    run = RunFiles(directory, statistics, scores, members, path, document)
    if path is None:
        run.notes.append("no run configuration found (give --config): the plan table shows only what the files hold, "
                         "and there is no truth for maps and plumes")
    return run
