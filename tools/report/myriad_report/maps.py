"""Maps per variable at chosen leads: ensemble mean, spread, exceedance probability, and with a truth the
truth and the mean's error — all from statistics.h5 (and the truth file)."""

import numpy as np
import matplotlib.pyplot as plt

from .run_files import lead_hours

SECTION = "Maps"


def chosen_leads(run, dataset, count=2):
    """The middle and the last written lead after 0 (lead 0 only when nothing else is written)."""
    done = [i for i in run.completed_leads(dataset) if lead_hours(dataset)[i] > 0] or run.completed_leads(dataset)
    if not done:
        return []
    picks = [done[(len(done) - 1) // 2], done[-1]]
    return sorted(set(picks))[:count]


def _panel(axis, lon, lat, values, title, label, cmap="viridis", symmetric=False, vmin=None, vmax=None):
    if symmetric:
        limit = np.nanmax(np.abs(values)) or 1
        vmin, vmax = -limit, limit
    mesh = axis.pcolormesh(lon, lat, values, cmap=cmap, vmin=vmin, vmax=vmax, shading="nearest")
    axis.set_title(title)
    axis.set_xlabel("longitude (degrees_east)")
    axis.set_ylabel("latitude (degrees_north)")
    axis.set_aspect("auto")
    axis.grid(False)
    plt.colorbar(mesh, ax=axis, label=label, shrink=0.9)


def draw(run, gallery):
    stats = run.statistics
    if stats is None:
        gallery.skip(SECTION, "maps of mean, spread and exceedance probability", "no statistics.h5 in the run")
        return
    lon, lat = stats.lon.values, stats.lat.values
    hours = lead_hours(stats)
    for variable in run.variables:
        units = run.units(variable) or "1"
        for lead in chosen_leads(run, stats):
            time = stats.time.values[0]
            mean = stats[f"{variable}_mean"].values[0, lead]
            spread = stats[f"{variable}_std"].values[0, lead]
            panels = [(mean, "ensemble mean", f"{variable} ({units})", {}),
                      (spread, "ensemble spread (standard deviation)", f"{variable} ({units})", {"cmap": "magma"})]
            exceedance = f"{variable}_exceedance"
            if exceedance in stats:
                # The threshold whose probabilities vary most at this lead: the most telling map.
                probabilities = stats[exceedance].values[:, 0, lead]
                k = int(np.nanargmax(np.nanvar(probabilities.reshape(len(probabilities), -1), axis=1)))
                threshold = stats[stats[exceedance].dims[0]].values[k]
                panels.append((probabilities[k], f"P({variable} > {threshold:g} {units})",
                               "probability (1)", {"cmap": "Blues", "vmin": 0, "vmax": 1}))
            valid = np.datetime64(time) + np.timedelta64(int(round(hours[lead] * 3600)), "s")
            truth = run.truth_field(variable, valid)
            if truth is not None and truth.shape == mean.shape:
                limits = {"vmin": float(np.nanmin(mean)), "vmax": float(np.nanmax(mean))}
                panels[0][3].update(limits)
                panels.append((truth, "truth", f"{variable} ({units})", dict(limits)))
                panels.append((mean - truth, "error of the mean (mean − truth)", f"{variable} ({units})",
                               {"cmap": "RdBu_r", "symmetric": True}))
            columns = min(3, len(panels))
            rows = (len(panels) + columns - 1) // columns
            figure, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.0 * rows), squeeze=False)
            for axis, (values, title, label, options) in zip(axes.flat, panels):
                _panel(axis, lon, lat, values, title, label, **options)
            for axis in list(axes.flat)[len(panels):]:
                axis.set_visible(False)
            start = np.datetime_as_string(time, unit="h")
            figure.suptitle(f"{variable}, lead {hours[lead]:g} h from {start} — run {run.name}")
            if truth is not None:
                note = ""
            elif run.is_derived(variable):
                note = (" (a derived variable, output.derived: the truth file holds no field of it, so truth and error are "
                        "not drawn; its scores verify against the truth derived in the run)")
            else:
                note = " (no truth for this valid time: truth and error not drawn)"
            gallery.save(figure, SECTION, f"map_{variable}_{hours[lead]:g}h",
                         f"{variable} at lead {hours[lead]:g} h, initial time {start}{note}")
