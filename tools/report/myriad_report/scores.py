"""Verification against the truth, from scores.h5: spread and ensemble-mean RMSE, spread–skill, CRPS and fair
CRPS and the outlier fraction against lead; rank histograms per lead; reliability diagrams per threshold."""

import numpy as np
import matplotlib.pyplot as plt

from .run_files import lead_hours

NO_SCORES = "no scores.h5 in the run (statistics.truth not set): nothing is verified"


def _lead_panels(run, title):
    variables = run.variables
    figure, axes = plt.subplots(1, len(variables), figsize=(4.2 * len(variables), 3.2), squeeze=False)
    figure.suptitle(f"{title} — run {run.name}")
    return figure, zip(axes[0], variables)


def _done(run, scores):
    hours = lead_hours(scores)
    done = run.completed_leads(scores)
    return hours[done], done


def draw_lead_curves(run, gallery):
    section = "Scores against lead"
    scores = run.scores
    if scores is None:
        for caption in ["spread and ensemble-mean RMSE", "spread–skill", "CRPS and fair CRPS", "outlier fraction"]:
            gallery.skip(section, caption, NO_SCORES)
        return
    hours, done = _done(run, scores)

    figure, panels = _lead_panels(run, "Ensemble spread and ensemble-mean RMSE")
    for axis, v in panels:
        axis.plot(hours, scores[f"{v}_rmse"].values[done], "o-", label="RMSE of the mean")
        axis.plot(hours, scores[f"{v}_spread"].values[done], "s--", label="spread")
        axis.set(title=v, xlabel="lead time (h)", ylabel=run.label(v))
        axis.legend(fontsize=8)
    gallery.save(figure, section, "spread_rmse", "spread and RMSE of the ensemble mean, over all initial times")

    # A ratio: on a log axis 0.5 and 2 are equally far from 1, and a lead-0 ratio of 60 (no analysis error)
    # does not flatten the leads that matter.
    figure, panels = _lead_panels(run, "Spread–skill ratio (Fortin; 1: spread matches the error)")
    for axis, v in panels:
        ratio = scores[f"{v}_spread_skill"].values[done]
        axis.plot(hours, ratio, "o-")
        axis.axhline(1, color="black", linestyle=":", label="1")
        axis.set_yscale("log")
        axis.set(title=v, xlabel="lead time (h)", ylabel="sqrt((M+1)/M) spread / RMSE (1)")
        axis.legend(fontsize=8)
    gallery.save(figure, section, "spread_skill", "spread–skill ratio with 1 marked")

    figure, panels = _lead_panels(run, "CRPS and fair CRPS")
    for axis, v in panels:
        axis.plot(hours, scores[f"{v}_crps"].values[done], "o-", label="CRPS")
        axis.plot(hours, scores[f"{v}_crps_fair"].values[done], "s--", label="fair CRPS")
        axis.set(title=v, xlabel="lead time (h)", ylabel=run.label(v))
        axis.legend(fontsize=8)
    gallery.save(figure, section, "crps", "CRPS and fair CRPS (the estimate for an infinite ensemble)")

    figure, panels = _lead_panels(run, "Outlier fraction: truth outside the ensemble's range")
    for axis, v in panels:
        axis.plot(hours, scores[f"{v}_outlier_fraction"].values[done], "o-", label="outlier fraction")
        m = scores[f"{v}_members"].values[done].astype(float)
        m[m <= 0] = np.nan
        axis.plot(hours, 2 / (m + 1), color="black", linestyle=":", label="2/(M+1), M members")
        axis.set(title=v, xlabel="lead time (h)", ylabel="fraction of grid points (1)")
        axis.set_ylim(bottom=0)
        axis.legend(fontsize=8)
    gallery.save(figure, section, "outliers", "outlier fraction with its expected value 2/(M+1) for a reliable ensemble")


def _some_leads(hours, done, count=6):
    """Up to `count` written leads, evenly spread, lead 0 left out when others exist."""
    usable = [i for i in done if hours[i] > 0] or list(done)
    if len(usable) <= count:
        return usable
    return [usable[round(k * (len(usable) - 1) / (count - 1))] for k in range(count)]


def draw_rank_histograms(run, gallery):
    section = "Rank histograms"
    scores = run.scores
    if scores is None:
        gallery.skip(section, "rank histograms per lead", NO_SCORES)
        return
    hours = lead_hours(scores)
    leads = _some_leads(hours, run.completed_leads(scores))
    for v in run.variables:
        histogram = scores[f"{v}_rank_histogram"].values
        figure, axes = plt.subplots(1, len(leads), figsize=(2.6 * len(leads), 2.8), squeeze=False, sharey=True)
        for axis, lead in zip(axes[0], leads):
            counts = histogram[lead].astype(float)
            share = counts / counts.sum() if counts.sum() > 0 else counts
            ranks = np.arange(len(share))
            axis.bar(ranks, share, width=1.0, color="tab:blue", edgecolor="none")
            axis.axhline(1 / len(share), color="black", linestyle=":")
            axis.set(title=f"lead {hours[lead]:g} h", xlabel="rank of the truth")
        axes[0][0].set_ylabel("share of grid points (1)")
        figure.suptitle(f"{v} rank histograms (dotted: flat) — run {run.name}")
        gallery.save(figure, section, f"rank_histogram_{v}", f"{v}: rank of the truth among the members per lead")


def draw_reliability(run, gallery):
    section = "Reliability"
    scores = run.scores
    if scores is None:
        gallery.skip(section, "reliability diagrams per threshold", NO_SCORES)
        return
    hours = lead_hours(scores)
    leads = _some_leads(hours, run.completed_leads(scores), count=3)
    drawn = False
    for v in run.variables:
        name = f"{v}_reliability_observed"
        if name not in scores:
            continue
        threshold_dim = scores[name].dims[0]
        thresholds = scores[threshold_dim].values
        figure, axes = plt.subplots(2, len(thresholds), figsize=(3.8 * len(thresholds), 5.2), squeeze=False,
                                    gridspec_kw={"height_ratios": [3, 1]})
        for k, threshold in enumerate(thresholds):
            top, bottom = axes[0][k], axes[1][k]
            top.plot([0, 1], [0, 1], color="black", linestyle=":", label="perfect")
            for lead in leads:
                forecast = scores[f"{v}_reliability_forecast"].values[k, lead]
                observed = scores[name].values[k, lead]
                counts = scores[f"{v}_reliability_count"].values[k, lead]
                keep = counts > 0
                top.plot(forecast[keep], observed[keep], "o-", label=f"{hours[lead]:g} h")
                bottom.bar(scores.probability_bin.values + 0.02 * (leads.index(lead) - 1), counts, width=0.03)
            units = run.units(v) or ""
            top.set(title=f"{v} > {threshold:g} {units}", xlabel="forecast probability (1)",
                    ylabel="observed frequency (1)", xlim=(0, 1), ylim=(0, 1))
            top.legend(fontsize=8)
            bottom.set(xlabel="forecast probability bin (1)", ylabel="grid points")
            bottom.set_yscale("symlog")
        figure.suptitle(f"{v} reliability per threshold — run {run.name}")
        gallery.save(figure, section, f"reliability_{v}", f"{v}: observed frequency against forecast probability, per threshold")
        drawn = True
    if not drawn:
        gallery.skip(section, "reliability diagrams per threshold", "no thresholds in the configuration (statistics.thresholds)")
