"""The analysis section: findings computed from the record, with their tests.

Every comparison is Welch's t-test over the repetitions of two cells at
ALPHA = 0.05; with fewer than two repetitions a side it says so instead of
guessing. Higher is better for the primary metric (throughput in stream
mode, transactions per second in rr mode).

    a = analyze(load_run(path))
    print(to_text(a))
    a.crossovers[0].headline  # "one_copy beats two_copy from 16 KiB at 1 thread, ..."
"""

import dataclasses
import itertools
from typing import Dict, List, Optional, Tuple

from copyscope_report import stats
from copyscope_report.loader import Cell, Run, size_label

REFERENCE = "two_copy"  # what zero-copy transports are measured against


def threads_label(t: int) -> str:
    return f"{t} thread" if t == 1 else f"{t} threads"


def pct(x: float) -> str:
    return f"{x * 100:+.1f}%"


def pval(p: Optional[float]) -> str:
    if p is None:
        return "untested"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


@dataclasses.dataclass
class Diff:
    """b against a on one metric: sign +1 b significantly higher, -1 lower, 0 no
    significant difference, None untestable."""
    sign: Optional[int]
    rel: Optional[float]  # mean(b)/mean(a) - 1
    p: Optional[float]


def diff(a: Cell, b: Cell, metric: str) -> Diff:
    va, vb = a.values(metric), b.values(metric)
    if not va or not vb:
        return Diff(None, None, None)
    ma, mb = sum(va) / len(va), sum(vb) / len(vb)
    rel = (mb / ma - 1.0) if ma else None
    t = stats.welch(va, vb)
    if t.p is None:
        return Diff(None, rel, None)
    if not t.significant():
        return Diff(0, rel, t.p)
    return Diff(1 if mb > ma else -1, rel, t.p)


def _index(run: Run, mode: str) -> Dict[Tuple[str, int, int], Cell]:
    return {(c.transport, c.size, c.threads): c
            for c in run.cells
            if c.mode == mode and c.samples}


def _axes(idx) -> Tuple[List[str], List[int], List[int]]:
    return (sorted({k[0] for k in idx}), sorted({k[1] for k in idx}),
            sorted({k[2] for k in idx}))


def primary_metric(run: Run, mode: str) -> str:
    for c in run.cells:
        if c.mode == mode:
            return c.primary()
    return "throughput_gbps"


# ---------------------------------------------------------------------------
# Best transport per (size, threads).


@dataclasses.dataclass
class Best:
    size: int
    threads: int
    verdict: str  # "best", "tie", "untested", "single"
    best: str  # highest mean
    tied: List[str]  # transports not significantly below the best (incl.)
    text: str


def best_per_cell(run: Run, mode: str) -> List[Best]:
    idx = _index(run, mode)
    metric = primary_metric(run, mode)
    transports, sizes, threads = _axes(idx)
    out = []
    for t in threads:
        for s in sizes:
            cells = [idx[(x, s, t)] for x in transports if (x, s, t) in idx]
            cells = [c for c in cells if c.values(metric)]
            if not cells:
                continue
            where = f"{size_label(s)}, {threads_label(t)}"
            cells.sort(key=lambda c: -stats.summarize(c.values(metric)).mean)
            top = cells[0]
            if len(cells) == 1:
                out.append(
                    Best(s, t, "single", top.transport, [top.transport],
                         f"{where}: only {top.transport} measured"))
                continue
            diffs = [(c, diff(c, top, metric)) for c in cells[1:]]
            if any(d.p is None for _, d in diffs):
                d = diffs[0][1]
                margin = f" by {pct(d.rel)}" if d.rel is not None else ""
                out.append(
                    Best(
                        s, t, "untested", top.transport, [top.transport],
                        f"{where}: {stats.NOT_ENOUGH_REPS} ({top.transport} "
                        f"highest{margin} over {diffs[0][0].transport})"))
                continue
            tied = [top.transport
                   ] + [c.transport for c, d in diffs if d.sign != 1]
            if len(tied) == 1:
                c2, d2 = diffs[0]
                out.append(
                    Best(
                        s, t, "best", top.transport, tied,
                        f"{where}: {top.transport}, {pct(d2.rel)} over "
                        f"{c2.transport} ({pval(d2.p)})"))
            else:
                # The p-value against the closest tied competitor.
                c2, d2 = next(
                    (c, d) for c, d in diffs if c.transport == tied[1])
                out.append(
                    Best(
                        s, t, "tie", top.transport, tied,
                        f"{where}: no significant difference between "
                        f"{', '.join(tied)} (highest mean {top.transport}; "
                        f"{pval(d2.p)} against {c2.transport})"))
    return out


# ---------------------------------------------------------------------------
# Crossover sizes between each pair of transports, per thread count.


@dataclasses.dataclass
class PairAtThreads:
    threads: int
    signs: List[Tuple[int, Optional[int], Optional[float], Optional[float]]]
    # (size, sign, rel, p): sign +1 = `a` significantly higher than `b`.
    winner: Optional[str]  # wins at the largest sizes, up to the top size
    from_size: Optional[int]  # smallest size from which `winner` always wins
    crossover: Optional[int]  # from_size when the other one wins below it
    phrase: str  # "from 16 KiB", "at every size", "not (no significant ...)"


@dataclasses.dataclass
class Crossover:
    a: str
    b: str
    per_threads: List[PairAtThreads]
    headline: str
    no_difference: bool = False  # at every size and thread count


def _pair_at(a: str, b: str, t: int, sizes, idx, metric) -> PairAtThreads:
    signs = []
    for s in sizes:
        ca, cb = idx.get((a, s, t)), idx.get((b, s, t))
        if ca is None or cb is None:
            continue
        d = diff(cb, ca, metric)  # + when a is higher
        signs.append((s, d.sign, d.rel, d.p))
    p = PairAtThreads(t, signs, None, None, None, "")
    tested = [x for x in signs if x[1] is not None]
    if not signs:
        p.phrase = "not measured"
        return p
    if not tested:
        p.phrase = "untested: " + stats.NOT_ENOUGH_REPS
        return p
    top_sign = signs[-1][1]
    if top_sign in (1, -1):
        j = len(signs) - 1
        while j > 0 and signs[j - 1][1] == top_sign:
            j -= 1
        p.winner = a if top_sign == 1 else b
        p.from_size = signs[j][0]
        below = [x for x in signs[:j] if x[1] == -top_sign]
        if below:
            p.crossover = p.from_size
        p.phrase = "at every size" if j == 0 else f"from {size_label(p.from_size)}"
        return p
    if all(x[1] in (0, None) for x in signs):
        p.phrase = "no significant difference at any size"
        return p
    # Mixed, with no winner at the largest size: where each one is higher.
    parts = []
    for who, sign in ((a, 1), (b, -1)):
        at = [size_label(x[0]) for x in signs if x[1] == sign]
        if at:
            parts.append(f"{who} higher at {', '.join(at)} only")
    rest = {x[1] for x in signs if x[1] in (0, None)}
    if rest:
        parts.append("no significant difference at the other sizes" if rest ==
                     {0} else "no significant difference or "
                     "untested at the other sizes")
    p.phrase = "; ".join(parts)
    return p


def crossovers(run: Run, mode: str) -> List[Crossover]:
    idx = _index(run, mode)
    metric = primary_metric(run, mode)
    transports, sizes, threads = _axes(idx)
    out = []
    for a, b in itertools.combinations(transports, 2):
        per = [_pair_at(a, b, t, sizes, idx, metric) for t in threads]
        per = [p for p in per if p.signs]
        if not per:
            continue
        # Orient the sentence on the transport that wins large sizes most.
        wins_a = sum(1 for p in per if p.winner == a)
        wins_b = sum(1 for p in per if p.winner == b)
        x, y = (a, b) if wins_a >= wins_b else (b, a)
        parts, others = [], []
        for p in per:
            tl = threads_label(p.threads)
            if p.winner == x:
                below = f" ({y} higher below)" if p.crossover else ""
                parts.append(f"{p.phrase} at {tl}{below}")
            elif p.winner == y:
                others.append(f"not at {tl} ({y} wins {p.phrase})")
            else:
                others.append(f"not at {tl} ({p.phrase})")
        nothing = all(
            p.phrase == "no significant difference at any size" for p in per)
        if nothing:
            headline = (f"{x} vs {y}: no significant difference at any size "
                        "and thread count")
        elif wins_a == 0 and wins_b == 0:
            headline = f"{x} vs {y}: " + "; ".join(
                f"at {threads_label(p.threads)}, {p.phrase}" for p in per)
        else:
            headline = f"{x} beats {y} " + ", ".join(parts + others)
        out.append(Crossover(a, b, per, headline, nothing))
    return out


# ---------------------------------------------------------------------------
# Zero-copy verdict.


@dataclasses.dataclass
class ZeroCopy:
    transport: str
    copied_min: float
    copied_max: float
    ratio_min: Optional[float]  # throughput / REFERENCE's
    ratio_max: Optional[float]
    lower: int  # cells significantly below REFERENCE
    higher: int
    same: int
    untested: int
    text: str


def zero_copy(run: Run, mode: str) -> List[ZeroCopy]:
    idx = _index(run, mode)
    metric = primary_metric(run, mode)
    out = []
    zc = sorted(
        {k[0] for k, c in idx.items() if c.values("zc_copied_fraction")})
    for x in zc:
        medians = [
            c.summary("zc_copied_fraction").median
            for k, c in idx.items()
            if k[0] == x and c.values("zc_copied_fraction")
        ]
        lo, hi = min(medians), max(medians)
        if lo >= 0.99:
            what = "the kernel copied every send: no copy was avoided"
        elif hi <= 0.01:
            what = "the kernel avoided the copy for (nearly) every send"
        else:
            what = "the kernel copied part of the sends"
        text = (f"{x}: {what} (copied fraction {lo * 100:.0f}%"
                f"{'' if hi == lo else f' to {hi * 100:.0f}%'} across "
                f"{len(medians)} cells)")
        iso = run.isolation.get("mode", "")
        if iso and lo >= 0.99:
            text += (f"; expected here: the receiver is on the same host "
                     f"({iso}), and the kernel copies zero-copy data it "
                     "delivers locally")
        z = ZeroCopy(x, lo, hi, None, None, 0, 0, 0, 0, "")
        ratios = []
        for (tr, s, t), c in sorted(idx.items()):
            ref = idx.get((REFERENCE, s, t))
            if tr != x or ref is None:
                continue
            d = diff(ref, c, metric)
            if d.rel is not None:
                ratios.append(1.0 + d.rel)
            if d.sign is None:
                z.untested += 1
            elif d.sign > 0:
                z.higher += 1
            elif d.sign < 0:
                z.lower += 1
            else:
                z.same += 1
        if ratios:
            z.ratio_min, z.ratio_max = min(ratios), max(ratios)
            n = len(ratios)
            span = (f"{z.ratio_min:.2f}x" if round(z.ratio_min, 2) == round(
                z.ratio_max, 2) else
                    f"{z.ratio_min:.2f}x to {z.ratio_max:.2f}x")
            text += f". Against {REFERENCE} its {metric} is {span}: "
            if z.untested == n:
                text += stats.NOT_ENOUGH_REPS
            else:
                text += (f"significantly lower in {z.lower} of {n} cells, "
                         f"higher in {z.higher}, no significant difference "
                         f"in {z.same}")
                if z.untested:
                    text += f", untested in {z.untested}"
        elif x != REFERENCE:
            text += f". No {REFERENCE} cells to compare its cost with"
        text += "."
        if ratios and z.untested < len(ratios):
            if z.higher == 0 and lo >= 0.99:
                text += (
                    f" Verdict: no benefit on this path; it avoided no copy "
                    f"and was never significantly faster than {REFERENCE}.")
            elif z.higher == 0:
                text += (f" Verdict: never significantly faster than "
                         f"{REFERENCE} here.")
            else:
                where = [
                    f"{size_label(k[1])}/{k[2]}t" for k, c in sorted(
                        idx.items(), key=lambda i: (i[0][2], i[0][1]))
                    if k[0] == x and (REFERENCE, k[1], k[2]) in idx and
                    diff(idx[(REFERENCE, k[1], k[2])], c, metric).sign == 1
                ]
                text += (f" Verdict: significantly faster than {REFERENCE} at "
                         f"{', '.join(where)} (size/threads).")
        z.text = text
        out.append(z)
    return out


# ---------------------------------------------------------------------------
# Thread scaling.


@dataclasses.dataclass
class Scaling:
    transport: str
    size: int
    speedup: Optional[float]  # at max_threads over 1 thread
    max_threads: int
    peak_threads: int
    falls_after: Optional[
        int]  # peak, when a larger count is significantly lower
    text: str


def scaling(run: Run, mode: str) -> List[Scaling]:
    idx = _index(run, mode)
    metric = primary_metric(run, mode)
    transports, sizes, threads = _axes(idx)
    out = []
    if len(threads) < 2:
        return out
    for x in transports:
        for s in sizes:
            cs = [(t, idx[(x, s, t)]) for t in threads if (x, s, t) in idx]
            cs = [(t, c) for t, c in cs if c.values(metric)]
            if len(cs) < 2:
                continue
            means = {t: c.summary(metric).mean for t, c in cs}
            tmax = cs[-1][0]
            peak = max(means, key=lambda t: means[t])
            speedup = (means[tmax] / means[1]) if means.get(1) else None
            falls = None
            drop = None
            for t, c in cs:
                if t > peak:
                    d = diff(dict(cs)[peak], c, metric)
                    if d.sign == -1:
                        falls, drop = peak, (t, d)
                        break
            where = f"{x} at {size_label(s)}"
            text = f"{where}: "
            if speedup is not None:
                text += (f"{speedup:.2f}x at {threads_label(tmax)} over 1 "
                         f"(efficiency {speedup / tmax * 100:.0f}%)")
            else:
                text += "no 1-thread cell for a speedup"
            if falls is not None:
                t, d = drop
                text += (f"; throughput falls after {threads_label(falls)} "
                         f"({threads_label(t)}: {pct(d.rel)}, {pval(d.p)})")
            elif peak != tmax:
                text += (f"; peaks at {threads_label(peak)}, later counts not "
                         "significantly lower")
            out.append(Scaling(x, s, speedup, tmax, peak, falls, text))
    return out


# ---------------------------------------------------------------------------


@dataclasses.dataclass
class Analysis:
    mode: str
    metric: str
    best: List[Best]
    crossovers: List[Crossover]
    zero_copy: List[ZeroCopy]
    scaling: List[Scaling]
    notes: List[str]


def analyze(run: Run) -> List[Analysis]:
    """One Analysis per mode present in the run."""
    out = []
    for mode in run.modes():
        notes = []
        if run.reps() < 2:
            notes.append(
                f"Each cell has one repetition: {stats.NOT_ENOUGH_REPS}; "
                "run with --reps=3 or more for significance tests.")
        cpus = run.host.get("cpu_count")
        if cpus:
            notes.append(f"The host has {cpus} CPUs; each connection uses "
                         "a server and a client thread.")
        out.append(
            Analysis(mode, primary_metric(run, mode), best_per_cell(run, mode),
                     crossovers(run, mode), zero_copy(run, mode),
                     scaling(run, mode), notes))
    return out


def crossover_lines(a: Analysis) -> List[str]:
    """The crossover findings; pairs never significantly different share a line."""
    lines = [c.headline + "." for c in a.crossovers if not c.no_difference]
    same = [f"{c.a}/{c.b}" for c in a.crossovers if c.no_difference]
    if same:
        lines.append(
            "No significant difference at any size and thread count: " +
            ", ".join(same) + ".")
    return lines


def to_text(analyses: List[Analysis]) -> str:
    lines = []
    for a in analyses:
        lines.append(f"== Analysis ({a.mode} mode; compared on {a.metric}, "
                     f"Welch t-test, alpha {stats.ALPHA}) ==")
        lines.extend(a.notes)
        lines.append("")
        lines.append("Crossovers:")
        lines.extend(f"  {line}" for line in crossover_lines(a))
        if not a.crossovers:
            lines.append("  fewer than two transports: nothing to compare")
        lines.append("Zero-copy verdict:")
        lines.extend(f"  {z.text}" for z in a.zero_copy)
        if not a.zero_copy:
            lines.append("  no transport reported zero-copy completions")
        lines.append("Thread scaling:")
        lines.extend(f"  {s.text}." for s in a.scaling)
        if not a.scaling:
            lines.append("  one thread count only")
        lines.append("Best transport per cell:")
        lines.extend(f"  {b.text}" for b in a.best)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
