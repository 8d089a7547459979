"""Angular power spectra by lead from statistics.h5: the members' mean spectrum and the ensemble mean's."""

import numpy as np
import matplotlib.pyplot as plt

from .run_files import lead_hours
from .scores import _some_leads

SECTION = "Spectra"


def draw(run, gallery):
    stats = run.statistics
    if stats is None or "wavenumber" not in stats.dims:
        gallery.skip(SECTION, "member and ensemble-mean spectra by lead",
                     "no spectra in statistics.h5 (statistics.spectra: false)" if stats is not None else "no statistics.h5 in the run")
        return
    hours = lead_hours(stats)
    leads = _some_leads(hours, run.completed_leads(stats), count=4)
    l = stats.wavenumber.values
    keep = l > 0
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(leads)))
    for v in run.variables:
        figure, axis = plt.subplots(figsize=(5.6, 3.8))
        for colour, lead in zip(colours, leads):
            axis.loglog(l[keep], stats[f"{v}_spectrum_members"].values[0, lead][keep], color=colour, label=f"members, {hours[lead]:g} h")
            axis.loglog(l[keep], stats[f"{v}_spectrum_mean"].values[0, lead][keep], color=colour, linestyle="--",
                        label=f"mean, {hours[lead]:g} h")
        units = stats[f"{v}_spectrum_members"].attrs.get("units", "")
        axis.set(xlabel="total wavenumber l (1)", ylabel=f"power ({units})" if units else "power",
                 title=f"{v} angular power spectrum — run {run.name}")
        axis.legend(fontsize=7, ncol=2)
        gallery.save(figure, SECTION, f"spectrum_{v}",
                     f"{v}: mean spectrum of the members (solid) and spectrum of the ensemble mean (dashed); the mean loses small scales as the members diverge")
