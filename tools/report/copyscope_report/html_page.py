"""report.html: one self-contained page (inline CSS, figures as data: URIs).

Nothing on the page loads from the network or from other files: every
figure is embedded as a base64 PNG; the SVG files beside it are linked for
reference only.

    page = render(run, analyses, specs, omitted, {"throughput_vs_size": png_bytes})
"""

import base64
import html
from typing import Dict, List

from copyscope_report import analysis, figures, loader
from copyscope_report.loader import Run, size_label

CSS = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 1em; }
dt { font-weight: bold; } dd { margin: 0; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; }
figcaption { font-size: 0.85em; color: #444; white-space: pre-line; }
.note { color: #8a5300; } .unstable { color: #b00; }
.incomplete { color: #b00; font-weight: bold; }
ul.findings li { margin: 0.3em 0; }
"""


def _e(x) -> str:
    return html.escape(str(x))


def _kv(items) -> str:
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items if v)
    return f"<dl>{rows}</dl>"


def _about(run: Run) -> str:
    h, b, p = run.host, run.build, run.plan
    dirty = {
        1: " (dirty tree)",
        0: "",
        -1: " (dirty: unknown)"
    }.get(int(b.get("git_dirty", -1) or 0), "")
    items = [
        ("run", run.run_id),
        ("profile / mode", f"{p.get('profile', '?')} / {p.get('mode', '?')}"),
        ("cells", f"{len(run.cells)} recorded" +
         (f" of {run.cells_planned} planned" if run.cells_planned else "") +
         (f" ({run.completeness})" if run.completeness != "complete" else
          "")),
        ("repetitions", run.reps()),
        ("host", f"{h.get('hostname', '?')}: {h.get('cpu_model', '?')}, "
         f"{h.get('cpu_count', '?')} CPUs, governor {h.get('governor', '?')}"),
        ("kernel", h.get("kernel", "")),
        ("build", f"{b.get('git_commit') or 'unknown commit'}{dirty}, "
         f"{b.get('compiler', '')} "
         f"{b.get('compilation_mode', '')}"),
        ("isolation", f"{run.isolation.get('mode', '?')}: "
         f"{run.isolation.get('reason', '')}"),
    ]
    out = _kv(items)
    if run.notes:
        out += "<ul>" + "".join(
            f"<li class=note>{_e(n)}</li>" for n in run.notes) + "</ul>"
    return out


def _analysis(a: analysis.Analysis) -> str:
    out = [
        f"<h3>{_e(a.mode)} mode: {_e(analysis.method(a))}</h3>"
    ]
    out += [f"<p class=note>{_e(n)}</p>" for n in a.notes]

    def lst(title, items, empty):
        body = "".join(
            f"<li>{_e(i)}</li>" for i in items) or f"<li>{_e(empty)}</li>"
        return f"<h4>{_e(title)}</h4><ul class=findings>{body}</ul>"

    out.append(
        lst("Crossovers", analysis.crossover_lines(a),
            "fewer than two transports: nothing to compare"))
    out.append(
        lst("Zero-copy verdict", [z.text for z in a.zero_copy],
            "no transport reported zero-copy completions"))
    if a.recv_copy:
        out.append(
            lst(analysis.RECV_COPY_TITLE, [r.text for r in a.recv_copy], ""))
    if a.setup:
        out.append(lst("Connection setup", a.setup, ""))
    out.append(
        lst("Thread scaling", [s.text + "." for s in a.scaling],
            "one thread count only"))
    out.append(
        lst("Best transport per cell", [b.text for b in a.best], "no cells"))
    return "\n".join(out)


def _cells_table(run: Run) -> str:
    rows = [
        "<tr><th>mode</th><th>transport</th><th>size</th><th>threads</th>"
        "<th>metric</th><th>n</th><th>mean</th><th>95% CI</th><th>CV</th>"
        "<th>status</th></tr>"
    ]
    for c in sorted(run.cells,
                    key=lambda c: (c.mode, c.threads, c.size, c.transport)):
        s = c.summary(c.primary())
        if s is None:
            cols = ["", "0", "", "", ""]
        else:
            ci = (""
                  if s.ci_low is None else f"{s.ci_low:.4g} – {s.ci_high:.4g}")
            cv = "" if s.cv is None else f"{s.cv * 100:.1f}%"
            cols = [c.primary(), str(s.n), f"{s.mean:.4g}", ci, cv]
        status = c.status + (" (unstable)" if c.unstable else "")
        cls = " class=unstable" if c.unstable or c.status != "ok" else ""
        rows.append("<tr>" + "".join(
            f"<td>{_e(v)}</td>"
            for v in [c.mode, c.transport,
                      size_label(c.size), c.threads] + cols) +
                    f"<td{cls}>{_e(status)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def render(run: Run, analyses: List[analysis.Analysis],
           specs: List[figures.FigureSpec], omitted: List[figures.Omitted],
           pngs: Dict[str, bytes]) -> str:
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>copyscope report: {_e(run.run_id)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>copyscope report: {_e(run.run_id)}</h1>",
    ]
    note = loader.completeness_note(run, "figures cover")
    if note:
        parts.append(f"<p class=incomplete>{_e(note)}</p>")
    parts += [
        _about(run),
        "<h2 id=analysis>Analysis</h2>",
    ]
    parts += [_analysis(a) for a in analyses
             ] or ["<p>No cells with samples.</p>"]
    parts.append("<h2 id=figures>Figures</h2>")
    for s in specs:
        data = base64.b64encode(pngs[s.id]).decode("ascii")
        parts.append(
            f"<figure id='{_e(s.id)}'><img alt='{_e(s.title)}' "
            f"src='data:image/png;base64,{data}'><figcaption><b>{_e(s.title)}"
            f"</b>. {_e(s.caption)} (SVG: {_e(s.id)}.svg beside this page)"
            "</figcaption></figure>")
    if omitted:
        parts.append("<h3>Figures left out</h3><ul>" + "".join(
            f"<li><b>{_e(o.title)}</b>: {_e(o.reason)}</li>" for o in omitted) +
                     "</ul>")
    parts.append("<h2 id=cells>Cells</h2>")
    parts.append(_cells_table(run))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
