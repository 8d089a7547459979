"""Plumes at a few points: every member's time series (members.h5), the 10–90 % band and the truth."""

import numpy as np
import matplotlib.pyplot as plt

from .run_files import lead_hours

SECTION = "Plumes"
# Points spread over the globe: mid-latitudes of both hemispheres and the tropics.
POINTS = [(45.0, 0.0), (0.0, 90.0), (-45.0, 225.0)]


def _nearest(values, target):
    return int(np.argmin(np.abs(np.asarray(values) - target)))


def draw(run, gallery):
    members = run.members
    if members is None:
        gallery.skip(SECTION, "plumes at points", "no members.h5 in the run (output.members: false): no member time series")
        return
    hours = lead_hours(members)
    time = members.time.values[0]
    valid = members["member_valid"].values[:, 0] if "member_valid" in members else None
    for variable in [v for v in run.variables if v in members]:
        figure, axes = plt.subplots(1, len(POINTS), figsize=(4.4 * len(POINTS), 3.2), squeeze=False)
        for axis, (lat, lon) in zip(axes[0], POINTS):
            i, j = _nearest(members.lat.values, lat), _nearest(members.lon.values, lon)
            series = members[variable].values[:, 0, :, i, j].astype(float)   # [ensemble, lead]
            if valid is not None:
                series = series[valid == 1]
            for line in series:
                axis.plot(hours, line, color="tab:blue", alpha=0.25, linewidth=0.8)
            if len(series):
                low, high = np.nanquantile(series, [0.1, 0.9], axis=0)
                axis.fill_between(hours, low, high, color="tab:orange", alpha=0.3, label="10–90 %")
                axis.plot(hours, np.nanmean(series, axis=0), color="black", linewidth=1.5, label="ensemble mean")
            truth = [run.truth_field(variable, np.datetime64(time) + np.timedelta64(int(h * 3600), "s")) for h in hours]
            if all(t is not None for t in truth):
                axis.plot(hours, [t[i, j] for t in truth], color="tab:red", linewidth=2, linestyle="--", label="truth")
            axis.set_title(f"{members.lat.values[i]:.1f}° N, {members.lon.values[j]:.1f}° E")
            axis.set_xlabel("lead time (h)")
            axis.set_ylabel(run.label(variable))
        axes[0][0].plot([], [], color="tab:blue", alpha=0.5, label=f"members ({len(series)})")
        axes[0][0].legend(fontsize=8)
        start = np.datetime_as_string(time, unit="h")
        figure.suptitle(f"{variable} plumes from {start} — run {run.name}")
        gallery.save(figure, SECTION, f"plume_{variable}", f"{variable}: every valid member at three points, initial time {start}")
