"""The analysis section: findings computed from the record, with their tests.

Every comparison of two cells is a Mann-Whitney U test over their
repetitions at ALPHA = 0.05, with the Hodges-Lehmann shift (the median of
the pairwise differences) as the size of the difference, relative to the
first cell's median. A significant shift smaller than the noise floor (the
median over the mode's cells of their relative MAD: how far repetitions of
one cell lie from each other) is no meaningful difference. With too few
repetitions for the test it says so instead of guessing. Higher is better
for the primary metric (throughput in stream mode, transactions per second
in rr mode, connections per second in crr mode).

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
    """b against a on one metric: sign +1 b meaningfully higher, -1 lower, 0
    no meaningful difference (not significant, or within the noise floor),
    None untestable."""
    sign: Optional[int]
    rel: Optional[float]  # shift of b over median(a); untested: of the medians
    p: Optional[float]
    within_noise: bool = False  # significant, but below the noise floor


def diff(a: Cell, b: Cell, metric: str, floor: Optional[float]) -> Diff:
    va, vb = a.values(metric), b.values(metric)
    if not va or not vb:
        return Diff(None, None, None)
    d = stats.difference(va, vb, floor)
    if d.test.p is None:
        ma = stats.median(va)
        return Diff(None, (stats.median(vb) / ma - 1.0) if ma else None, None)
    return Diff(d.sign, d.rel, d.test.p, d.within_noise)


def no_difference(diffs) -> str:
    """How to say that none of diffs (all sign 0) is a difference."""
    if any(d.within_noise for d in diffs):
        return "no meaningful difference"
    return "no significant difference"


def primary_metric(run: Run, mode: str) -> str:
    for c in run.cells:
        if c.mode == mode:
            return c.primary()
    return "throughput_gbps"


@dataclasses.dataclass
class Scope:
    """The cells of one mode, indexed by (transport, size, threads), the
    metric they are compared on and its noise floor."""
    idx: Dict[Tuple[str, int, int], Cell]
    metric: str
    floor: Optional[float]
    transports: List[str]
    sizes: List[int]
    threads: List[int]

    def diff(self, a: Cell, b: Cell) -> Diff:
        return diff(a, b, self.metric, self.floor)


def scope(run: Run, mode: str) -> Scope:
    idx = {(c.transport, c.size, c.threads): c
           for c in run.cells
           if c.mode == mode and c.samples}
    metric = primary_metric(run, mode)
    return Scope(idx, metric,
                 stats.noise_floor(c.values(metric) for c in idx.values()),
                 sorted({k[0] for k in idx}), sorted({k[1] for k in idx}),
                 sorted({k[2] for k in idx}))


# ---------------------------------------------------------------------------
# Best transport per (size, threads).


@dataclasses.dataclass
class Best:
    size: int
    threads: int
    verdict: str  # "best", "tie", "untested", "single"
    best: str  # highest median
    tied: List[str]  # transports not meaningfully below the best (incl.)
    text: str


def best_per_cell(sc: Scope) -> List[Best]:
    out = []
    for t in sc.threads:
        for s in sc.sizes:
            cells = [
                sc.idx[(x, s, t)] for x in sc.transports if (x, s, t) in sc.idx
            ]
            cells = [c for c in cells if c.values(sc.metric)]
            if not cells:
                continue
            where = f"{size_label(s)}, {threads_label(t)}"
            cells.sort(key=lambda c: -stats.median(c.values(sc.metric)))
            top = cells[0]
            if len(cells) == 1:
                out.append(
                    Best(s, t, "single", top.transport, [top.transport],
                         f"{where}: only {top.transport} measured"))
                continue
            diffs = [(c, sc.diff(c, top)) for c in cells[1:]]
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
                none = no_difference([d for c, d in diffs if d.sign != 1])
                noise = ""
                if d2.within_noise:
                    noise = (f", {pct(d2.rel)} within the noise floor of "
                             f"{sc.floor * 100:.1f}%")
                out.append(
                    Best(
                        s, t, "tie", top.transport, tied,
                        f"{where}: {none} between {', '.join(tied)} (highest "
                        f"median {top.transport}; {pval(d2.p)} against "
                        f"{c2.transport}{noise})"))
    return out


# ---------------------------------------------------------------------------
# Crossover sizes between each pair of transports, per thread count.


@dataclasses.dataclass
class PairAtThreads:
    threads: int
    signs: List[Tuple[int, Optional[int], Optional[float], Optional[float]]]
    # (size, sign, rel, p): sign +1 = `a` meaningfully higher than `b`.
    winner: Optional[str]  # wins at the largest sizes, up to the top size
    from_size: Optional[int]  # smallest size from which `winner` always wins
    crossover: Optional[int]  # from_size when the other one wins below it
    phrase: str  # "from 16 KiB", "at every size", "not (no significant ...)"
    none: str = ""  # "no significant/meaningful difference" at every size


def _pair_at(a: str, b: str, t: int, sc: Scope) -> PairAtThreads:
    signs, diffs = [], []
    for s in sc.sizes:
        ca, cb = sc.idx.get((a, s, t)), sc.idx.get((b, s, t))
        if ca is None or cb is None:
            continue
        d = sc.diff(cb, ca)  # + when a is higher
        signs.append((s, d.sign, d.rel, d.p))
        diffs.append(d)
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
    zeros = [d for d in diffs if d.sign == 0]
    if all(x[1] in (0, None) for x in signs):
        p.none = no_difference(zeros)
        p.phrase = f"{p.none} at any size"
        return p
    # Mixed, with no winner at the largest size: where each one is higher.
    parts = []
    for who, sign in ((a, 1), (b, -1)):
        at = [size_label(x[0]) for x in signs if x[1] == sign]
        if at:
            parts.append(f"{who} higher at {', '.join(at)} only")
    rest = {x[1] for x in signs if x[1] in (0, None)}
    if rest:
        parts.append(f"{no_difference(zeros)} at the other sizes" if rest ==
                     {0} else f"{no_difference(zeros)} or "
                     "untested at the other sizes")
    p.phrase = "; ".join(parts)
    return p


@dataclasses.dataclass
class Crossover:
    a: str
    b: str
    per_threads: List[PairAtThreads]
    headline: str
    # "no significant/meaningful difference" at every size and thread count
    no_difference: str = ""


def crossovers(sc: Scope) -> List[Crossover]:
    out = []
    for a, b in itertools.combinations(sc.transports, 2):
        per = [_pair_at(a, b, t, sc) for t in sc.threads]
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
        nothing = ""
        if all(p.none for p in per):
            nothing = ("no meaningful difference" if any(
                p.none == "no meaningful difference" for p in per) else
                       "no significant difference")
        if nothing:
            headline = f"{x} vs {y}: {nothing} at any size and thread count"
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
    lower: int  # cells meaningfully below REFERENCE
    higher: int
    same: int
    untested: int
    text: str


def zero_copy(run: Run, sc: Scope) -> List[ZeroCopy]:
    idx, metric = sc.idx, sc.metric
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
            d = sc.diff(ref, c)
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
                         f"higher in {z.higher}, no meaningful difference "
                         f"in {z.same}")
                if z.untested:
                    text += f", untested in {z.untested}"
        elif x != REFERENCE:
            text += f". No {REFERENCE} cells to compare its cost with"
        text += "."
        softirq = [
            v for v in (_median(c, "softirq_cpu_s_per_gb")
                        for k, c in idx.items() if k[0] == x) if v is not None
        ]
        if softirq:
            text += (f" Softirq time per GB moved (the hosts' CPUs): "
                     f"{min(softirq):.2f}"
                     f"{'' if len(softirq) == 1 else f' to {max(softirq):.2f}'}"
                     " CPU-s.")
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
                    sc.diff(idx[(REFERENCE, k[1], k[2])], c).sign == 1
                ]
                text += (f" Verdict: significantly faster than {REFERENCE} at "
                         f"{', '.join(where)} (size/threads).")
        z.text = text
        out.append(z)
    return out


# ---------------------------------------------------------------------------
# What the receive copy costs: two_copy's recv() against discard_recv's
# recv(MSG_TRUNC), which does all of TCP's receive work but the copy.

COPY_RECEIVER = "two_copy"
RECV_COPY_TITLE = ("What the receive copy costs (recv() against "
                   "recv(MSG_TRUNC), receiving side's CPU per GB)")
DISCARD_RECEIVER = "discard_recv"
# discard_recv sends exactly as two_copy does (transports/common/
# gather_send.h), so its own cells pair with two_copy's.
_SENDS_AS = {DISCARD_RECEIVER: COPY_RECEIVER}


def receiving_role(c: Cell) -> str:
    return "server" if c.direction == "client-to-server" else "client"


def recv_cpu_s_per_gb(c: Cell) -> List[float]:
    """CPU seconds of the receiving role's threads per GB it received, one
    value per repetition (from {role}_bytes_per_cpu_s)."""
    return [
        1e9 / v
        for v in c.values(f"{receiving_role(c)}_bytes_per_cpu_s")
        if v > 0
    ]


@dataclasses.dataclass
class RecvCopy:
    size: int
    threads: int
    sender: str
    copy_cpu: float  # medians, CPU-s per GB of the receiving side
    discard_cpu: float
    cost: float  # copy_cpu - discard_cpu
    p: Optional[float]  # rank test of the two cells' values, None untested
    text: str


def recv_copy(run: Run) -> List[RecvCopy]:
    """One finding per (sender, size, threads, direction, fields) of stream
    mode where one cell received with two_copy and one with discard_recv."""
    groups: Dict[tuple, Dict[str, Cell]] = {}
    for c in run.cells:
        if c.mode != "stream" or not c.samples:
            continue
        sender = c.transport.split("+")[0]
        receiver = c.recv_transport or sender
        if receiver not in (COPY_RECEIVER, DISCARD_RECEIVER):
            continue
        key = (_SENDS_AS.get(sender, sender), c.size, c.threads, c.direction,
               c.fields)
        groups.setdefault(key, {})[receiver] = c
    out = []
    for (sender, size, threads, _, _), pair in sorted(groups.items()):
        if len(pair) != 2:
            continue
        a, b = pair[COPY_RECEIVER], pair[DISCARD_RECEIVER]
        va, vb = recv_cpu_s_per_gb(a), recv_cpu_s_per_gb(b)
        if not va or not vb:
            continue
        ma, mb = stats.median(va), stats.median(vb)
        cost = ma - mb
        test = stats.mann_whitney(va, vb)
        text = (f"{size_label(size)}, {threads_label(threads)} ({sender} "
                f"sending): the receiving side used {ma:.3f} CPU-s per GB "
                f"with the copy ({a.transport}) and {mb:.3f} without it "
                f"({b.transport}): the receive copy costs {cost:.3f} CPU-s "
                f"per GB ({cost:.3f} ns per byte), {cost / ma * 100:.0f}% of "
                f"the receiving side's CPU")
        ta, tb = _median(a, "throughput_gbps"), _median(b, "throughput_gbps")
        if ta and tb:
            text += (f"; throughput {ta:.2f} against {tb:.2f} Gbit/s "
                     f"({tb / ta:.2f}x)")
        tested = pval(test.p) if test.p is not None else stats.NOT_ENOUGH_REPS
        text += f" ({tested})."
        out.append(
            RecvCopy(size, threads, sender, ma, mb, cost, test.p, text))
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
        int]  # peak, when a larger count is meaningfully lower
    text: str
    # (threads, efficiency) where the efficiency is above 1: more than the
    # threads alone can give, so the 1-thread cell was held back.
    superlinear: List[Tuple[int, float]] = dataclasses.field(
        default_factory=list)


# What held TCP back (the senders' TCP_INFO; harness/record/tcp_limits.h).
RETRANSMIT_NOTABLE_PCT = 0.1
LIMITED_NOTABLE_PCT = 10.0


def _median(c: Cell, metric: str) -> Optional[float]:
    s = c.summary(metric)
    return s.median if s is not None else None


def _pct_text(p: float) -> str:
    if p >= 10:
        return f"{p:.0f}%"
    if p >= 1:
        return f"{p:.1f}%"
    return f"{p:.2g}%"


def held_back(c: Cell) -> str:
    """What stood out in a cell's TCP_INFO, e.g. "3.1% of segments
    retransmitted, rwnd-limited 40% of the time"; "" when nothing did."""
    notes = []
    r = _median(c, "tcp_retrans_pct")
    if r is not None and r > RETRANSMIT_NOTABLE_PCT:
        notes.append(f"{_pct_text(r)} of segments retransmitted")
    for metric, what in (("tcp_rwnd_limited_pct", "rwnd-limited"),
                         ("tcp_sndbuf_limited_pct", "sndbuf-limited")):
        v = _median(c, metric)
        if v is not None and v > LIMITED_NOTABLE_PCT:
            notes.append(f"{what} {_pct_text(v)} of the time")
    return ", ".join(notes)


def tcp_limits(run: Run, sc: Scope) -> List[str]:
    """One line per cell whose connections TCP held back."""
    where = run.isolation.get("mode", "")
    out = []
    for (tr, s, t), c in sorted(sc.idx.items()):
        why = held_back(c)
        if why:
            out.append(f"{tr} {size_label(s)} {threads_label(t)}"
                       f"{f' ({where})' if where else ''}: {why}")
    return out


# crr: the connection-setup figures of a sample (metrics.h) and what they
# mean when they rose.
SETUP_PROBLEMS = (("listen_overflows", "listen queue overflowed"),
                  ("syn_retrans", "connects retried (SYNs sent again)"))
# harness/record/tcp_limits.h: kPortUseNotable.
PORT_USE_NOTABLE_PCT = 50.0


def connection_setup(run: Run, sc: Scope) -> List[str]:
    """crr: one line per cell whose connections were not all set up at
    once (the namespaces' TcpExt counters over the window), and the most
    TIME_WAIT sockets the client's namespace held."""
    where = run.isolation.get("mode", "")
    out = []
    tw = []
    for (tr, s, t), c in sorted(sc.idx.items()):
        notes = []
        for metric, what in SETUP_PROBLEMS:
            v = c.values(metric)
            hit = [x for x in v if x > 0]
            if hit:
                notes.append(f"{what} {sum(hit):.0f} times in {len(hit)} of "
                             f"{len(v)} samples")
        use = c.values("port_use_pct")
        crowded = [x for x in use if x > PORT_USE_NOTABLE_PCT]
        if crowded:
            notes.append(f"one server port took up to {max(crowded):.0f}% of "
                         f"the ephemeral ports in {len(crowded)} of "
                         f"{len(use)} samples (past half, connect() searches "
                         "ports still in TIME_WAIT and the rate falls)")
        tw += c.values("time_wait_sockets")
        if notes:
            out.append(f"{tr} {size_label(s)} {threads_label(t)}"
                       f"{f' ({where})' if where else ''}: "
                       + ", ".join(notes))
    if tw:
        out.append(f"TIME_WAIT sockets in the client's namespace at the end "
                   f"of a sample: up to {max(tw):.0f} (each transaction "
                   "leaves one for 60 s; an exhausted ephemeral port range "
                   "fails the cell, naming it)")
    return out


def per_flow_limits(run: Run) -> str:
    """The likely per-flow limits that make 1 thread slow, for run's path."""
    if run.isolation.get("mode") == "netns":
        first = "a single veth flow, whose packets one softirq handles"
    else:
        first = "a single flow's own limit (e.g. one softirq for its packets)"
    return f"{first}, retransmissions, or a send/receive window limit"


def _superlinear_text(sc: Scope, cells: Dict[int, Cell],
                      sl: List[Tuple[int, float]], limits: str) -> str:
    """The naming of superlinear efficiency and its likely cause."""
    where = ", ".join(f"{threads_label(t)}: efficiency {e * 100:.0f}%"
                      for t, e in sl)
    # What the 1-thread cell's own TCP_INFO says comes before any guess.
    seen = held_back(cells[1])
    if seen:
        text = (f"superlinear ({where}): more than the threads alone can "
                f"give; the 1-thread cell was held back: {seen}")
    else:
        text = (f"superlinear ({where}): more than the threads alone can "
                f"give, so the 1-thread cell was likely held back by a "
                f"per-flow limit other than CPU ({limits}), not sped up by "
                f"threads")
    base = cells[1].summary(sc.metric)
    within = []
    for t, _ in sl:
        _, lo, _ = stats.ratio_ci(cells[t].summary(sc.metric), base)
        if lo is not None and lo <= t:
            within.append(threads_label(t))
    if within:
        text += (f"; at {', '.join(within)} within the spread of the "
                 "repetitions (the 95% CI of the speedup reaches linear)")
    return text


def scaling(run: Run, sc: Scope) -> List[Scaling]:
    idx, metric, threads = sc.idx, sc.metric, sc.threads
    limits = per_flow_limits(run)
    out = []
    if len(threads) < 2:
        return out
    for x in sc.transports:
        for s in sc.sizes:
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
                    d = sc.diff(dict(cs)[peak], c)
                    if d.sign == -1:
                        falls, drop = peak, (t, d)
                        break
            superlinear = []
            if means.get(1):
                superlinear = [
                    (t, means[t] / means[1] / t)
                    for t, _ in cs
                    if t > 1 and means[t] / means[1] > t * (1 + 1e-9)
                ]
            where = f"{x} at {size_label(s)}"
            text = f"{where}: "
            if speedup is not None:
                text += f"{speedup:.2f}x at {threads_label(tmax)} over 1"
                if speedup <= tmax:
                    text += f" (efficiency {speedup / tmax * 100:.0f}%)"
            else:
                text += "no 1-thread cell for a speedup"
            if superlinear:
                text += "; " + _superlinear_text(sc, dict(cs), superlinear,
                                                 limits)
            if falls is not None:
                t, d = drop
                text += (f"; throughput falls after {threads_label(falls)} "
                         f"({threads_label(t)}: {pct(d.rel)}, {pval(d.p)})")
            elif peak != tmax:
                text += (f"; peaks at {threads_label(peak)}, later counts not "
                         "meaningfully lower")
            out.append(
                Scaling(x, s, speedup, tmax, peak, falls, text, superlinear))
    return out


# ---------------------------------------------------------------------------


@dataclasses.dataclass
class Analysis:
    mode: str
    metric: str
    floor: Optional[float]  # the noise floor of metric (see module comment)
    best: List[Best]
    crossovers: List[Crossover]
    zero_copy: List[ZeroCopy]
    scaling: List[Scaling]
    notes: List[str]
    limits: List[str] = dataclasses.field(default_factory=list)
    recv_copy: List[RecvCopy] = dataclasses.field(default_factory=list)
    setup: List[str] = dataclasses.field(default_factory=list)  # crr


def analyze(run: Run) -> List[Analysis]:
    """One Analysis per mode present in the run."""
    out = []
    for mode in run.modes():
        sc = scope(run, mode)
        notes = []
        reps = max((len(c.values(sc.metric)) for c in sc.idx.values()),
                   default=0)
        if not stats.rank_testable(reps, reps):
            notes.append(
                f"Each cell has at most {reps} repetition"
                f"{'' if reps == 1 else 's'}: {stats.NOT_ENOUGH_REPS} (a rank "
                f"test needs {stats.MIN_REPS_HINT} a side to reach p < "
                f"{stats.ALPHA:g}); run with --reps=5 or more.")
        if sc.floor is not None:
            notes.append(
                f"Noise floor: a cell's repetitions lie a median "
                f"{sc.floor * 100:.1f}% from their median (relative MAD, "
                "median over the cells); a significant difference smaller "
                "than that is reported as no meaningful difference.")
        cpus = run.host.get("cpu_count")
        if cpus:
            notes.append(f"The host has {cpus} CPUs; each connection uses "
                         "a server and a client thread.")
        out.append(
            Analysis(mode, sc.metric, sc.floor, best_per_cell(sc),
                     crossovers(sc), zero_copy(run, sc), scaling(run, sc),
                     notes, tcp_limits(run, sc),
                     recv_copy(run) if mode == "stream" else [],
                     connection_setup(run, sc) if mode == "crr" else []))
    return out


def crossover_lines(a: Analysis) -> List[str]:
    """The crossover findings; pairs never different share a line."""
    lines = [c.headline + "." for c in a.crossovers if not c.no_difference]
    for none in ("no significant difference", "no meaningful difference"):
        same = [f"{c.a}/{c.b}" for c in a.crossovers if c.no_difference == none]
        if same:
            lines.append(f"{none.capitalize()} at any size and thread count: "
                         + ", ".join(same) + ".")
    return lines


def method(a: Analysis) -> str:
    """How a's comparisons were made, for headings."""
    return (f"compared on {a.metric}, Mann-Whitney U test over the "
            f"repetitions, alpha {stats.ALPHA}")


def to_text(analyses: List[Analysis]) -> str:
    lines = []
    for a in analyses:
        lines.append(f"== Analysis ({a.mode} mode; {method(a)}) ==")
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
        if a.recv_copy:
            lines.append(f"{RECV_COPY_TITLE}:")
            lines.extend(f"  {r.text}" for r in a.recv_copy)
        if a.limits:
            lines.append("What held TCP back (the senders' TCP_INFO):")
            lines.extend(f"  {line}" for line in a.limits)
        if a.setup:
            lines.append("Connection setup (the namespaces' TcpExt counters "
                         "and TIME_WAIT sockets):")
            lines.extend(f"  {line}" for line in a.setup)
        lines.append("Thread scaling:")
        lines.extend(f"  {s.text}." for s in a.scaling)
        if not a.scaling:
            lines.append("  one thread count only")
        lines.append("Best transport per cell:")
        lines.extend(f"  {b.text}" for b in a.best)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
