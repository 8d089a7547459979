"""python -m myriad_report RUN_DIR [--config CONFIG]: writes RUN_DIR/report/index.html and its figures."""

import argparse
import os
import sys

from . import maps, page, plan, plumes, scores, spectra
from .gallery import Gallery
from .run_files import load


def build(directory, configuration=None, output=None):
    run = load(directory, configuration)
    output = output or os.path.join(directory, "report")
    os.makedirs(output, exist_ok=True)
    gallery = Gallery(output)
    maps.draw(run, gallery)
    plumes.draw(run, gallery)
    scores.draw_lead_curves(run, gallery)
    scores.draw_rank_histograms(run, gallery)
    scores.draw_reliability(run, gallery)
    spectra.draw(run, gallery)
    index = os.path.join(output, "index.html")
    page.write(index, run, plan.rows(run), gallery)
    return index, gallery


def main(argv=None):
    parser = argparse.ArgumentParser(prog="myriad report", description=__doc__)
    parser.add_argument("run_dir", help="output directory of a `myriad run` (statistics.h5, scores.h5, members.h5)")
    parser.add_argument("--config", help="the run's YAML configuration (default: the one members.h5 names)")
    parser.add_argument("--output", help="report directory (default: RUN_DIR/report)")
    arguments = parser.parse_args(argv)
    if not os.path.isdir(arguments.run_dir):
        sys.exit(f"myriad report: {arguments.run_dir} is not a directory; give the output directory of a `myriad run`")
    if arguments.config and not os.path.isfile(arguments.config):
        sys.exit(f"myriad report: --config {arguments.config}: no such file; give the run's YAML configuration")
    try:
        index, gallery = build(arguments.run_dir, arguments.config, arguments.output)
    except (OSError, KeyError, ValueError, IndexError) as error:
        if os.environ.get("MYRIAD_REPORT_DEBUG") == "1":
            raise
        sys.exit(f"myriad report: {arguments.run_dir}: {type(error).__name__}: {error}; are these the files of a finished "
                 "`myriad run` (not a stopped one)? MYRIAD_REPORT_DEBUG=1 shows where it failed")
    skipped = [e for e in gallery.entries if not e.file]
    print(f"report: {index} ({len(gallery.files)} figures" + (f", {len(skipped)} skipped: see the page" if skipped else "") + ")")


if __name__ == "__main__":
    main()
