"""The plan at the top of the report: what the files and the configuration say about the run."""

import os
import re

import numpy as np

from .run_files import lead_hours


def rows(run):
    c = run.configuration
    any_file = next(d for d in (run.statistics, run.members, run.scores) if d is not None)
    table = [("run directory", run.directory), ("configuration", run.configuration_path or "not found")]
    m = run.members
    if m is not None:
        checkpoints = str(m.attrs.get("checkpoints", "")).splitlines()
        table += [("checkpoints", f"{len(checkpoints)}: " + ", ".join(s.split(": ", 1)[-1] for s in checkpoints)),
                  ("members per checkpoint", str(m.attrs.get("members_per_checkpoint", ""))),
                  ("perturbation", str(m.attrs.get("perturbation", ""))), ("seed", str(m.attrs.get("seed", "")))]
    elif c.get("checkpoints"):
        table += [("checkpoints", f"{len(c['checkpoints'])}: " + ", ".join(c["checkpoints"])),
                  ("members per checkpoint", str(c.get("members", "")))]
    if run.statistics is not None:
        per_time = run.statistics.attrs.get("members_per_time", "")
    elif m is not None:
        per_time = m.sizes["ensemble"]
    else:
        per_time = run.scores.sizes["rank"] - 1   # ranks 0…M
    table.append(("members per initial time", str(per_time)))
    times = [np.datetime_as_string(t, unit="h") for t in any_file.time.values]
    table += [("initial times", ", ".join(times)),
              ("lead times (h)", ", ".join(f"{h:g}" for h in lead_hours(any_file))),
              ("grid", f"{any_file.sizes.get('lat', '?')} × {any_file.sizes.get('lon', '?')} (lat × lon)"),
              ("variables", ", ".join(f"{v} ({run.units(v) or 'no units'})" for v in run.variables))]
    if c.get("parallel"):
        table.append(("model layout", ", ".join(f"{k}={v}" for k, v in c["parallel"].items())))
    if c.get("model"):
        table.append(("model", str(c["model"])))
    table.append(("files", ", ".join(name for name, d in (("statistics.h5", run.statistics), ("scores.h5", run.scores),
                                                         ("members.h5", run.members)) if d is not None)))
    logged = from_log(os.path.join(run.directory, "run.log"))
    table += logged or [("timings", "not in the run's files: `myriad run` prints them at its end; saved as RUN_DIR/run.log "
                                    "(launch/run does), they are shown here")]
    return table


# The lines of `myriad run`'s log the table shows: its plan (`  layout  …`) and its end (`run finished: …`,
# `  time on rank 0 (wall / CPU): …`).
LOGGED = [("model", r"^\s+model\s+(.*)$"), ("layout", r"^\s+layout\s+(.*)$"), ("memory", r"^\s+memory\s+(.*)$"),
          ("run time", r"^run finished: (.*?); outputs in"), ("timings (rank 0, wall / CPU)", r"^\s+time on rank 0 \(wall / CPU\): (.*)$")]


def from_log(path):
    """Rows from the run's log, when it was saved beside the files (launch/run saves it as run.log)."""
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    rows = []
    for label, pattern in LOGGED:
        found = [m.group(1) for m in (re.match(pattern, line) for line in lines) if m]
        if found:
            rows.append((f"{label} (run.log)", found[-1]))
    return rows
