"""index.html: the plan as a table, then every figure by section, or the note why it is missing."""

import html
import os


def write(path, run, rows, gallery):
    e = html.escape
    parts = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
             f"<title>Myriad run report: {e(run.name)}</title>",
             "<style>body{font-family:sans-serif;margin:1.5em;max-width:1500px}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}"
             "figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}.note{color:#a15c00}</style>",
             "</head><body>", f"<h1>Myriad run report: {e(run.name)}</h1>", "<h2>Plan</h2>", "<table>"]
    parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows]
    parts.append("</table>")
    if run.notes:
        parts.append("<ul>" + "".join(f"<li class=\"note\">{e(n)}</li>" for n in run.notes) + "</ul>")
    section = None
    for entry in gallery.entries:
        if entry.section != section:
            section = entry.section
            parts.append(f"<h2>{e(section)}</h2>")
        if entry.file:
            parts.append(f"<figure><img src=\"{e(entry.file)}\" alt=\"{e(entry.caption)}\">"
                         f"<figcaption>{e(entry.caption)}</figcaption></figure>")
        else:
            parts.append(f"<p class=\"note\">Not drawn: {e(entry.caption)} — {e(entry.note)}.</p>")
    parts.append("</body></html>")
    temporary = path + ".partial"
    with open(temporary, "w") as f:
        f.write("\n".join(parts) + "\n")
    os.replace(temporary, path)
