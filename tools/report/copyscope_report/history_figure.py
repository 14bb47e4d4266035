"""History figures: each cell of a run across the runs of its testbed.

The results history (an SQLite file every `copyscope run` adds to, schema in
harness/record/history_schema.cc) is opened read-only and never created.
For each cell of the run that the history holds in two or more runs on the
run's testbed (the record's fingerprint), up to and including this run, a
panel plots the median of its primary metric with its 95% CI, oldest run
first; a dashed line and a tick label mark each run whose build differs
from the run before it.

    specs, omitted = history_figure.build(run, history_figure.default_path(),
                                          figures.footer(run))
"""

import os
import sqlite3
from typing import Dict, List, Tuple

from copyscope_report.figures import (METRIC_LABEL, FigureSpec, Omitted, Panel,
                                      Series)
from copyscope_report.loader import Cell, Run, size_label

TITLE = "history: each cell across the runs of this testbed"
PANELS_PER_FIGURE = 6

_QUERY = """
SELECT r.run_id, r.started_utc, r.git_commit, r.git_dirty, r.version,
       c.transport, c.recv_transport, c.size, c.threads, c.mode, c.fields,
       c.direction, c.request_size, c.response_size, c.metric, c.median,
       c.ci95_low, c.ci95_high
FROM run AS r JOIN cell AS c USING (run_pk)
WHERE r.fingerprint = ? AND r.started_utc <= ?
ORDER BY r.started_utc, r.run_id
"""


def default_path() -> str:
    """Where `copyscope run` keeps the history unless told otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "copyscope", "history.sqlite")


def _key(c: Cell) -> tuple:
    return (c.transport, c.size, c.threads, c.mode, c.fields, c.direction,
            c.request_size, c.response_size)


def _build_label(commit: str, dirty: int, version: str) -> str:
    mark = " dirty" if dirty == 1 else ""
    return f"{(commit or '')[:8] or 'unstamped'}{mark} {version}".strip()


def _label(c: Cell) -> str:
    text = f"{c.transport} {size_label(c.size)} x{c.threads} {c.mode}"
    return text + (f", {c.fields} fields" if c.fields > 1 else "")


def _rows(path: str, fingerprint: str, until: str) -> list:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(_QUERY, (fingerprint, until)).fetchall()
    finally:
        con.close()


def build(run: Run, path: str,
          foot: str) -> Tuple[List[FigureSpec], List[Omitted]]:
    """The history figures of run; a reason in `omitted` when there are
    none to draw (no history, no fingerprint, no earlier runs)."""
    fingerprint = run.host.get("testbed_fingerprint", "")
    if not fingerprint:
        return [], [
            Omitted("history", TITLE, "the record has no testbed "
                    "fingerprint (it predates schema 5)")
        ]
    if not os.path.isfile(path):
        return [], [Omitted("history", TITLE, f"no results history at {path}")]
    try:
        rows = _rows(path, fingerprint, run.started_utc or "9999")
    except sqlite3.Error as e:
        return [], [
            Omitted("history", TITLE,
                    f"the results history {path} cannot be read: {e}")
        ]
    by_key: Dict[tuple, list] = {}
    for r in rows:
        transport = r[5] + (f"+{r[6]}" if r[6] else "")
        by_key.setdefault((transport,) + tuple(r[7:14]), []).append(r)
    panels = []
    for cell in run.cells:
        points = [p for p in by_key.get(_key(cell), []) if p[15] is not None]
        if len(points) < 2:
            continue
        series = Series("median, 95% CI", [], [], [], [], [])
        ticks, builds = [], []
        for i, p in enumerate(points):
            series.x.append(float(i + 1))
            series.y.append(p[15])
            series.lo.append(p[16])
            series.hi.append(p[17])
            series.n.append(0)
            build_label = _build_label(p[2], p[3], p[4])
            changed = not builds or builds[-1] != build_label
            builds.append(build_label)
            ticks.append(build_label if changed else "")
        panels.append(
            Panel(_label(cell), "run, oldest first (build where it changes)",
                  METRIC_LABEL.get(points[0][14], points[0][14]), [series],
                  "run", ticks))
    if not panels:
        return [], [
            Omitted("history", TITLE, "the history holds no earlier run of "
                    "these cells on this testbed")
        ]
    specs = []
    for n, at in enumerate(range(0, len(panels), PANELS_PER_FIGURE)):
        specs.append(
            FigureSpec(
                f"history_{n + 1}", TITLE,
                f"the median of each cell's primary metric and its 95% CI "
                f"in every run of {os.path.basename(path)} on testbed "
                f"{fingerprint[:12]} up to this one; a dashed line where the "
                "build changes", panels[at:at + PANELS_PER_FIGURE], foot))
    return specs, []
