"""The report's figures: what to draw (pure data) and drawing it (matplotlib).

build() turns a Run into FigureSpecs, each a list of panels of series whose
points are the mean over repetitions with a 95% confidence interval (none
with one repetition), plus the figures it left out and why (a metric that
was not measured is never drawn as zero). draw() renders a spec; save()
writes PNG and SVG. The specs are also written as figures.json so the
plotted numbers can be checked.

    specs, omitted = build(run)
    for spec in specs:
        save(spec, "results/x/report")
"""

import dataclasses
import os
import warnings
from typing import Callable, Dict, List, Optional, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=wrong-import-position
from matplotlib import ticker  # pylint: disable=wrong-import-position

from copyscope_report import stats  # pylint: disable=wrong-import-position
from copyscope_report.loader import Cell, Run, size_label  # pylint: disable=wrong-import-position


@dataclasses.dataclass
class Series:
    label: str
    x: List[float]
    y: List[float]
    lo: List[Optional[float]]  # 95% CI bounds, None where not computable
    hi: List[Optional[float]]
    n: List[int]  # repetitions behind each point
    style: str = "-"  # matplotlib line style
    color: Optional[str] = None  # one colour per transport across figures


@dataclasses.dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: List[Series]
    # "size" or "threads": log2 axis with labelled ticks; "time": linear;
    # "run": linear, a label per x value (history_figure.py)
    xkind: str
    # A label per x value for xkind "run": a dashed line before each point
    # whose label is not empty.
    xticks: List[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class FigureSpec:
    id: str
    title: str
    caption: str
    panels: List[Panel]
    footer: str


@dataclasses.dataclass
class Omitted:
    id: str
    title: str
    reason: str


METRIC_LABEL = {
    "throughput_gbps": "throughput (Gbit/s)",
    "transactions_per_sec": "transactions/s",
    "connections_per_sec": "connections/s",
    "latency_p50_us": "latency p50 (µs)",
    "latency_p99_us": "latency p99 (µs)",
    "cycles_per_byte": "CPU cycles per byte",
    "llc_misses_per_kib": "LLC misses per KiB",
    "l1_misses_per_kib": "L1-dcache load misses per KiB",
    "cs_per_s": "context switches/s",
    "background_gbps": "background (Gbit/s)",
    "zc_copied_fraction": "sends copied by the kernel (%)",
    "loss_pct": "datagrams lost (%)",
    "user_cpu_s_per_gb": "user",
    "system_cpu_s_per_gb": "system",
    "softirq_cpu_s_per_gb": "softirq",
    "irq_cpu_s_per_gb": "irq",
}

# The kinds of CPU time per GB moved, each its own line style.
CPU_KINDS = [("user_cpu_s_per_gb", "-"), ("system_cpu_s_per_gb", "--"),
             ("softirq_cpu_s_per_gb", ":"), ("irq_cpu_s_per_gb", "-.")]


def footer(run: Run) -> str:
    h, b = run.host, run.build
    commit = (b.get("git_commit") or "")[:12] or "unknown commit"
    dirty = {1: " (dirty)", 0: ""}.get(int(b.get("git_dirty", -1) or 0), "")
    host = (f"host {h.get('hostname', '?')}: {h.get('cpu_model', '?')}, "
            f"{h.get('cpu_count', '?')} CPUs, {h.get('kernel', '?')}")
    build = (f"build {commit}{dirty} {b.get('compiler', '')} "
             f"{b.get('compilation_mode', '')}").rstrip()
    iso = run.isolation.get("mode", "")
    tail = f"run {run.run_id}, {run.reps()} reps" + (f", {iso}" if iso else "")
    return f"{host}\n{build}; {tail}"


def _point(values: List[float]):
    s = stats.summarize(values)
    return s.mean, s.ci_low, s.ci_high, s.n


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _series(label,
            xs,
            cells: Dict[float, Cell],
            metric,
            scale=1.0,
            style="-",
            color=None) -> Optional[Series]:
    sr = Series(label, [], [], [], [], [], style, color)
    for x in xs:
        c = cells.get(x)
        v = c.values(metric) if c else []
        if not v:
            continue
        m, lo, hi, n = _point([scale * y for y in v])
        sr.x.append(x)
        sr.y.append(m)
        sr.lo.append(lo)
        sr.hi.append(hi)
        sr.n.append(n)
    return sr if sr.x else None


class _Grid:
    """Cells of one mode indexed by transport, size and threads."""

    def __init__(self, run: Run, mode: str):
        self.idx = {(c.transport, c.size, c.threads): c
                    for c in run.cells
                    if c.mode == mode and c.samples}
        self.transports = sorted({k[0] for k in self.idx})
        self.sizes = sorted({k[1] for k in self.idx})
        self.threads = sorted({k[2] for k in self.idx})
        everyone = sorted({c.transport for c in run.cells})
        self.color = {
            t: PALETTE[i % len(PALETTE)] for i, t in enumerate(everyone)
        }

    def has(self, metric: str) -> bool:
        return any(c.values(metric) for c in self.idx.values())

    def vs_size(self, metric, scale=1.0, transports=None) -> List[Panel]:
        panels = []
        for t in self.threads:
            series = []
            for tr in transports or self.transports:
                cells = {s: self.idx.get((tr, s, t)) for s in self.sizes}
                sr = _series(tr,
                             self.sizes,
                             cells,
                             metric,
                             scale,
                             color=self.color[tr])
                if sr:
                    series.append(sr)
            if series:
                panels.append(
                    Panel(f"{t} thread{'s' if t > 1 else ''}", "message size",
                          METRIC_LABEL.get(metric, metric), series, "size"))
        return panels

    def vs_threads(self, metrics: List[Tuple[str, str]], ylabel) -> List[Panel]:
        panels = []
        for s in self.sizes:
            series = []
            for tr in self.transports:
                for metric, style in metrics:
                    cells = {t: self.idx.get((tr, s, t)) for t in self.threads}
                    label = tr if len(
                        metrics) == 1 else f"{tr} {metric.split('_')[1]}"
                    sr = _series(label,
                                 self.threads,
                                 cells,
                                 metric,
                                 style=style,
                                 color=self.color[tr])
                    if sr:
                        series.append(sr)
            if series:
                panels.append(
                    Panel(size_label(s), "threads (connections)", ylabel,
                          series, "threads"))
        return panels

    def by_kind(self, kinds: List[Tuple[str, str]], ylabel) -> List[Panel]:
        """One panel per transport at its fewest threads: one series per
        metric of `kinds` (with its line style) vs message size."""
        panels = []
        for tr in self.transports:
            t = min(k[2] for k in self.idx if k[0] == tr)
            cells = {s: self.idx.get((tr, s, t)) for s in self.sizes}
            series = []
            for metric, style in kinds:
                sr = _series(METRIC_LABEL.get(metric, metric), self.sizes,
                             cells, metric, style=style, color=self.color[tr])
                if sr:
                    series.append(sr)
            if series:
                panels.append(
                    Panel(f"{tr}, {t} thread{'s' if t > 1 else ''}",
                          "message size", ylabel, series, "size"))
        return panels

    def speedup(self, metric, efficiency: bool) -> List[Panel]:
        panels = []
        for s in self.sizes:
            series = []
            for tr in self.transports:
                base = self.idx.get((tr, s, 1))
                if not base or not base.values(metric):
                    continue
                b = stats.summarize(base.values(metric))
                sr = Series(tr, [], [], [], [], [], color=self.color[tr])
                for t in self.threads:
                    c = self.idx.get((tr, s, t))
                    if not c or not c.values(metric):
                        continue
                    r, lo, hi = stats.ratio_ci(
                        stats.summarize(c.values(metric)), b)
                    if r is None:
                        continue
                    if c is base:  # 1 by definition: no interval
                        lo = hi = None
                    k = 1.0 / t if efficiency else 1.0
                    sr.x.append(t)
                    sr.y.append(r * k)
                    sr.lo.append(None if lo is None else lo * k)
                    sr.hi.append(None if hi is None else hi * k)
                    sr.n.append(len(c.values(metric)))
                if len(sr.x) > 1:
                    series.append(sr)
            if series:
                ideal = [1.0 if efficiency else float(t) for t in self.threads]
                series.append(
                    Series("ideal (linear)", list(self.threads), ideal,
                           [None] * len(ideal), [None] * len(ideal),
                           [0] * len(ideal), ":", "grey"))
                panels.append(
                    Panel(
                        size_label(s), "threads (connections)",
                        "parallel efficiency" if efficiency else
                        "speedup over 1 thread", series, "threads"))
        return panels


def latency_under_load(run: Run, mode: str) -> List[Panel]:
    """Latency under load (--background): per transport, background and
    message size, the round trips' p50 and p99 idle (the cell without
    background, when the run has it) and under the background, vs threads,
    and beside them the background's own Gbit/s."""
    idle = {(c.base_transport or c.transport, c.size, c.threads): c
            for c in run.cells
            if c.mode == mode and not c.background and c.samples}
    groups: Dict[Tuple[str, str, int], Dict[int, Cell]] = {}
    for c in run.cells:
        if c.mode == mode and c.background and c.samples:
            groups.setdefault((c.base_transport, c.background, c.size),
                              {})[c.threads] = c
    panels = []
    for (base, bg, size), loaded in sorted(groups.items()):
        threads = sorted(loaded)
        quiet = {t: idle.get((base, size, t)) for t in threads}
        series = []
        for label, cells, color in (("idle", quiet, "#7f7f7f"),
                                    ("under load", loaded, "#d62728")):
            for metric, style in (("latency_p50_us", "-"),
                                  ("latency_p99_us", "--")):
                sr = _series(f"{label} {metric.split('_')[1]}",
                             threads,
                             cells,
                             metric,
                             style=style,
                             color=color)
                if sr:
                    series.append(sr)
        where = f"{base} {size_label(size)}, background {bg}"
        if series:
            panels.append(
                Panel(where, "threads (connections)", "round-trip latency (µs)",
                      series, "threads"))
        sr = _series("background", threads, loaded, "background_gbps",
                     color="#d62728")
        if sr:
            panels.append(
                Panel(where, "threads (connections)",
                      METRIC_LABEL["background_gbps"], [sr], "threads"))
    return panels


def _why_unmeasured(run: Run, metric: str, base: str) -> str:
    if base in run.unmeasured:
        return f"not measured on this machine ({run.unmeasured[base]})"
    for n in run.notes:
        if "counter" in n.lower():
            return f"not measured: {n}"
    return f"the record has no {base} values (not measured in this run)"


def _build_mode(run: Run, mode: str, suffix: str, foot: str):
    g = _Grid(run, mode)
    specs: List[FigureSpec] = []
    omitted: List[Omitted] = []
    primary = next(c.primary() for c in run.cells if c.mode == mode)
    what = {"transactions_per_sec": "transactions/s",
            "connections_per_sec": "connections/s"}.get(primary, "throughput")

    def add(fid, title, caption, make: Callable[[], List[Panel]],
            reason: Optional[str]):
        fid += suffix
        if reason is None:
            panels = make()
            if panels:
                specs.append(FigureSpec(fid, title, caption, panels, foot))
                return
            reason = "no cell has the values this figure needs"
        omitted.append(Omitted(fid, title, reason))

    one_size = "the run has one message size" if len(g.sizes) < 2 else None
    one_t = "the run has one thread count" if len(g.threads) < 2 else None
    add(
        "throughput_vs_size", f"{what} vs message size",
        "Mean over repetitions, 95% CI error bars; one panel per thread count.",
        lambda: g.vs_size(primary), one_size)
    add(
        "throughput_vs_threads", f"{what} vs threads",
        "Mean over repetitions, 95% CI error bars; one panel per message size.",
        lambda: g.vs_threads([(primary, "-")],
                             METRIC_LABEL.get(primary, primary)), one_t)
    if mode == "crr":
        # The connection rate at every cell, even with one size and one
        # thread count: one panel per size, connections/s vs threads.
        add(
            "connection_rate", "connection rate",
            "Connections per second, each connected, used for one request "
            "and one response, and closed (--mode=crr, as netperf's "
            "TCP_CRR); mean over repetitions with 95% CI; one panel per "
            "message size.",
            lambda: g.vs_threads([(primary, "-")],
                                 METRIC_LABEL.get(primary, primary)),
            None if g.has(primary) else "no crr cell has a connection rate")
    lat_reason = None
    if mode not in ("rr", "crr"):
        lat_reason = ("stream mode measures no per-message latency; run with "
                      "--mode=rr for p50/p99")
    elif not g.has("latency_p50_us"):
        lat_reason = f"the {mode} cells have no latency percentiles"
    lat_what = ("Whole-transaction latency percentiles (connect to close)"
                if mode == "crr" else "Round-trip latency percentiles")
    lul_reason = None
    if mode not in ("rr", "crr"):
        lul_reason = "latency under load is an rr and crr figure"
    elif not any(c.background for c in run.cells if c.mode == mode):
        lul_reason = ("no cell ran with a background; run e.g. "
                      "--profile=latency-under-load (--mode=rr "
                      "--background=none,two_copy:1:64K)")
    add(
        "latency_under_load", "latency under load",
        "Round-trip p50 (solid) and p99 (dashed), idle (grey, the same cell "
        "without --background) and with the background's stream flows on the "
        "same path (red), mean over repetitions with 95% CI; beside them the "
        "background's throughput while the round trips were measured.",
        lambda: latency_under_load(run, mode), lul_reason)
    add(
        "latency_vs_threads", "latency p50 and p99 vs threads",
        f"{lat_what} (solid p50, dashed p99), mean over repetitions with 95% "
        "CI.", lambda: g.vs_threads([
            ("latency_p50_us", "-"), ("latency_p99_us", "--")
        ], "transaction latency (µs)"
           if mode == "crr" else "round-trip latency (µs)"), lat_reason)
    for fid, title, metric, base in (
        ("cycles_per_byte_vs_size", "CPU cycles per byte vs message size",
         "cycles_per_byte", "cycles"),
        ("llc_misses_per_kib_vs_size", "LLC misses per KiB vs message size",
         "llc_misses_per_kib", "llc_misses"),
        ("l1_misses_per_kib_vs_size", "L1 misses per KiB vs message size",
         "l1_misses_per_kib", "l1_misses"),
    ):
        add(fid,
            title,
            "Server and client threads together, over the measured interval, "
            "per byte received.",
            lambda m=metric: g.vs_size(m),
            None if g.has(metric) else _why_unmeasured(run, metric, base))
    add(
        "cs_vs_threads", "context switches vs threads",
        "Voluntary + involuntary, server and client threads, per second of the "
        "measured interval.",
        lambda: g.vs_threads([("cs_per_s", "-")], METRIC_LABEL["cs_per_s"]),
        one_t or (None if g.has("cs_per_s") else
                  "the record has no context switch counts"))
    no_base = one_t or (None
                        if 1 in g.threads else "the run has no 1-thread cells")
    add(
        "speedup_vs_threads", f"speedup vs threads ({what})",
        "Mean at N threads over mean at 1 thread; error bars propagate both "
        "CIs (first order).", lambda: g.speedup(primary, False), no_base)
    add("efficiency_vs_threads", "parallel efficiency vs threads",
        "Speedup divided by the thread count. Above 1 (superlinear) is more "
        "than the threads alone can give: the 1-thread cell was held back by a "
        "per-flow limit other than CPU (see the analysis).",
        lambda: g.speedup(primary, True), no_base)
    zc = [
        t for t in g.transports if any(
            c.values("zc_copied_fraction") for k, c in g.idx.items()
            if k[0] == t)
    ]
    add("zc_copied_vs_size", "zero-copy sends copied by the kernel vs size",
        "Fraction of zero-copy completions the kernel flagged as copied.",
        lambda: g.vs_size("zc_copied_fraction", 100.0, zc),
        None if zc else "no transport reported zero-copy completions")
    lossy = [
        t for t in g.transports if any(
            c.values("loss_pct") for k, c in g.idx.items() if k[0] == t)
    ]
    add("loss_vs_size", "datagrams lost vs size",
        "Datagram cells (udp, udp_gso): the share of the numbered datagrams "
        "the receiver never got, below the highest number it got (a late one "
        "is not lost), mean over repetitions with 95% CI; offered_gbps in the "
        "CSV is the rate the senders sent at (--rate, or unpaced).",
        lambda: g.vs_size("loss_pct", 1.0, lossy),
        None if lossy else "no datagram cell (udp, udp_gso) in the run")
    add("cpu_per_gb_by_kind", "CPU time per GB moved, by kind, vs size",
        "Every CPU of the host(s) over the measured interval (/proc/stat), "
        "per GB received: user, system, softirq (protocol work, often the "
        "receive copy) and irq; their sum is the whole cost of moving the "
        "bytes, the worker threads' and the kernel's alike.",
        lambda: g.by_kind(CPU_KINDS, "CPU seconds per GB"),
        None if g.has("softirq_cpu_s_per_gb") else
        "the record has no per-CPU load (recorded from this version on)")
    return specs, omitted


def slice_rates(cell: Cell, sample) -> Tuple[List[float], List[float]]:
    """(x, y) of a sample's slices: x the middle of each slice (seconds into
    the measured interval), y the cell's primary figure over that slice
    alone (stream: Gbit/s received; rr: transactions/s; crr:
    connections/s). As in the trend
    test (harness/record/cell_checks.h), a first or last slice shorter than
    half the median slice (cut by the window's edge, its rate mostly noise)
    is left out, and so are slices of no length."""
    gbps = cell.primary() == "throughput_gbps"
    kept = [sl for sl in sample.slices if sl.length_s > 0]
    if kept:
        half = stats.median([sl.length_s for sl in kept]) / 2.0
        if kept[-1].length_s < half:
            kept.pop()
        if kept and kept[0].length_s < half:
            kept.pop(0)
    xs, ys = [], []
    for sl in kept:
        xs.append(sl.start_s + sl.length_s / 2.0)
        ys.append(sl.bytes * 8 / sl.length_s / 1e9 if gbps else sl.messages /
                  sl.length_s)
    return xs, ys


def _time_series(run: Run, mode: str) -> List[Panel]:
    """One panel per cell of mode (plan order), one line per repetition."""
    panels = []
    for c in run.cells:
        if c.mode != mode:
            continue
        series = []
        for i, sample in enumerate(c.samples):
            xs, ys = slice_rates(c, sample)
            if xs:
                series.append(
                    Series(f"rep {sample.rep}", xs, ys, [None] * len(xs),
                           [None] * len(xs), [1] * len(xs), "-",
                           PALETTE[i % len(PALETTE)]))
        if series:
            metric = c.primary()
            panels.append(
                Panel(f"{c.transport} {size_label(c.size)} x{c.threads}",
                      "time in the measured interval (s)",
                      METRIC_LABEL.get(metric, metric), series, "time"))
    return panels


def build(run: Run) -> Tuple[List[FigureSpec], List[Omitted]]:
    specs, omitted = [], []
    modes = run.modes()
    foot = footer(run)
    for mode in modes:
        suffix = "" if len(modes) == 1 else f"_{mode}"
        s, o = _build_mode(run, mode, suffix, foot)
        specs += s
        omitted += o
        fid, title = "rate_over_time" + suffix, "each cell over time"
        panels = _time_series(run, mode)
        if panels:
            specs.append(
                FigureSpec(
                    fid, title,
                    "Per cell, the primary figure over each --interval slice "
                    "of the measured interval, one line per repetition (a "
                    "first or last slice cut short by the window's edge is "
                    "left out): a line that climbs or falls was not in a "
                    "steady state (the record's trend test says which "
                    "were).", panels,
                    foot))
        else:
            omitted.append(
                Omitted(
                    fid, title, "the record has no interval slices (run "
                    "with --interval=0, or recorded before they were)"))
    return specs, omitted


def _log2_axis(ax, xkind: str, values: List[float]) -> None:
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(ticker.FixedLocator(values))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    fmt = size_label if xkind == "size" else lambda v: str(int(v))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: fmt(int(v))))
    if xkind == "size":
        plt.setp(ax.get_xticklabels(), rotation=30, ha="right")


def _run_axis(ax, values: List[float], labels: List[str]) -> None:
    ax.xaxis.set_major_locator(ticker.FixedLocator(values))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_xticklabels(labels[:len(values)] + [""] *
                       (len(values) - len(labels)))
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    for x, label in zip(values[1:], labels[1:]):
        if label:
            ax.axvline(x - 0.5, color="#888", ls="--", lw=0.8)


def draw(spec: FigureSpec):
    """A matplotlib Figure for spec; each series is one ErrorbarContainer
    (or Line2D when no point has a CI) labelled with the series label."""
    n = len(spec.panels)
    ncols = n if n <= 3 else (2 if n == 4 else 3)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows,
                             ncols,
                             figsize=(4.6 * ncols + 1.8, 3.4 * nrows + 0.9),
                             squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, panel in zip(axes.flat, spec.panels):
        xs = sorted({x for s in panel.series for x in s.x})
        for s in panel.series:
            if any(v is not None for v in s.lo):
                low = [
                    y - (lo if lo is not None else y)
                    for y, lo in zip(s.y, s.lo)
                ]
                high = [(hi if hi is not None else y) - y
                        for y, hi in zip(s.y, s.hi)]
                ax.errorbar(s.x,
                            s.y,
                            yerr=[low, high],
                            fmt="o",
                            ls=s.style,
                            capsize=3,
                            markersize=4,
                            label=s.label,
                            color=s.color)
            else:
                ax.plot(s.x,
                        s.y,
                        marker="o" if s.style != ":" else None,
                        ls=s.style,
                        markersize=4,
                        label=s.label,
                        color=s.color)
        if panel.xkind == "run":
            _run_axis(ax, xs, panel.xticks)
        elif panel.xkind != "time":
            _log2_axis(ax, panel.xkind, xs)
        ax.set_title(panel.title, fontsize=10)
        ax.set_xlabel(panel.xlabel, fontsize=9)
        ax.set_ylabel(panel.ylabel, fontsize=9)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=8)
    # One legend for all panels, right of them: the union of the series.
    handles = {}
    for ax in axes.flat[:n]:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    width = 4.6 * ncols + 1.8
    fig.legend(list(handles.values()),
               list(handles),
               loc="center right",
               fontsize=8,
               frameon=False)
    height = 3.4 * nrows + 0.9
    # The title and the room for it in inches, the same at any height.
    fig.suptitle(spec.title, fontsize=12, y=1 - 0.08 / height, va="top")
    fig.text(0.01, 0.005, spec.footer, fontsize=8, color="#444", va="bottom")
    fig.tight_layout(rect=(0, 0.55 / height, 1 - 1.8 / width,
                           1 - 0.4 / height))
    return fig


def save(spec: FigureSpec, out_dir: str) -> Dict[str, str]:
    """Writes out_dir/<id>.png and .svg; returns {"png": path, "svg": path}.
    matplotlib's warnings (odd data it copes with) stay off stderr, where
    the commands print at most one line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _save(spec, out_dir)


def _save(spec: FigureSpec, out_dir: str) -> Dict[str, str]:
    fig = draw(spec)
    paths = {}
    try:
        for ext in ("png", "svg"):
            paths[ext] = os.path.join(out_dir, f"{spec.id}.{ext}")
            fig.savefig(paths[ext],
                        dpi=100,
                        metadata={"Date": None} if ext == "svg" else None)
    finally:
        plt.close(fig)
    return paths


def to_json(specs: List[FigureSpec], omitted: List[Omitted]) -> dict:
    return {
        "figures": [dataclasses.asdict(s) for s in specs],
        "omitted": [dataclasses.asdict(o) for o in omitted],
    }
