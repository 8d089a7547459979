"""Checks netCDF files against the CF conventions with cfchecker (tools/requirements-test.txt), offline.

    python tools/cf/check.py [--warnings] [--allow-string-variables] FILE...

Prints every ERROR and FATAL message (and WARN with --warnings) and, per file, the counts; exits 1 when any file has an error. The CF
standard-name table is the one compliance-checker ships as package data; the area-type and region tables are
stand-ins beside this script (Myriad's files use neither). Used by CFComplianceTests.

--allow-string-variables: cfchecker 4.1.0 reports every variable-length string variable as an error ("vlen
types not supported"), although CF 1.8 (section 2.2) allows the string type; with this flag those messages
are counted as warnings (the `channel` and `valid_time` names of `myriad forward`'s makani-layout files).
"""

import importlib.util
import io
import os
import sys
import tempfile
from contextlib import redirect_stdout

from cfchecker.cfchecks import CFChecker, FatalCheckerError

flags = [a for a in sys.argv[1:] if a.startswith("--")]
files = [a for a in sys.argv[1:] if not a.startswith("--")]
here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.find_spec("compliance_checker")
if spec is None:
    sys.exit("tools/cf/check.py: compliance-checker is not installed (launch/test installs it with --no-deps): "
             "its package data holds the CF standard-name table")
table = os.path.join(os.path.dirname(spec.origin), "data", "cf-standard-name-table.xml")

failed = False
scratch = tempfile.mkdtemp(prefix="myriad-cf-check-")
for path in files:
    checker = CFChecker(cfStandardNamesXML=table, cfAreaTypesXML=os.path.join(here, "area-type-table.xml"),
                        cfRegionNamesXML=os.path.join(here, "standardized-region-list.xml"), version="1.8", silent=True)
    # CF 2.1 says a netCDF file's name should end in .nc and cfchecker refuses any other; Myriad's files are
    # named .h5 (netCDF-4 is HDF5), so the checker reads them through a .nc link.
    link = os.path.join(scratch, os.path.basename(path) + ".nc")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.abspath(path), link)
    try:
        with redirect_stdout(io.StringIO()):
            results = checker.checker(link)
    except FatalCheckerError:
        results = checker.results
    counts = {"FATAL": 0, "ERROR": 0, "WARN": 0}
    places = [("global", results["global"])] + list(results["variables"].items())
    if "--allow-string-variables" in flags:
        for _, messages in places:
            strings = [m for m in messages["ERROR"] if "string type (vlen types not supported)" in m]
            messages["ERROR"] = [m for m in messages["ERROR"] if m not in strings]
            messages["WARN"] += strings
    for place, messages in places:
        for category in counts:
            counts[category] += len(messages[category])
            for message in messages[category] if category != "WARN" or "--warnings" in flags else []:
                print(f"{os.path.basename(path)}: {place}: {category} {message}")
    print(f"{os.path.basename(path)}: {counts['FATAL']} fatal, {counts['ERROR']} errors, {counts['WARN']} warnings")
    failed = failed or counts["FATAL"] + counts["ERROR"] > 0
for name in os.listdir(scratch):
    os.remove(os.path.join(scratch, name))
os.rmdir(scratch)
sys.exit(1 if failed else 0)
