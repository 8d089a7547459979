"""The report's figures as they are made: each saved as a PNG beside index.html, or a note why it is not."""

import os
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Small, readable figures: a page of them loads fast and the PNGs stay small.
plt.rcParams.update({"figure.dpi": 80, "savefig.dpi": 80, "font.size": 10, "axes.titlesize": 10,
                     "axes.grid": True, "grid.alpha": 0.3, "figure.constrained_layout.use": True})


@dataclass
class Entry:
    section: str
    caption: str
    file: str | None = None   # the PNG, relative to the report directory; None: skipped
    note: str | None = None


@dataclass
class Gallery:
    directory: str
    entries: list = field(default_factory=list)

    def save(self, figure, section, name, caption):
        path = os.path.join(self.directory, name + ".png")
        figure.savefig(path)
        plt.close(figure)
        self.entries.append(Entry(section, caption, file=os.path.basename(path)))

    def skip(self, section, caption, note):
        self.entries.append(Entry(section, caption, note=note))

    @property
    def files(self):
        return [e.file for e in self.entries if e.file]
