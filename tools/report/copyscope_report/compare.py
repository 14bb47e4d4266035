"""Run-to-run comparison: per cell the change of each metric, tested.

Cells match on their full key (mode, direction, transport, size, threads,
fields, request and response sizes); cells on one side only are listed.
Each metric's change is the Hodges-Lehmann shift of B against A (the median
of the pairwise differences of their repetitions) over A's median, with
its 95% confidence interval, tested with the Mann-Whitney U test. The
verdict, in this order:
  untested           too few repetitions for the test (4 a side are enough)
  no significant     p >= ALPHA
  no meaningful      significant, but the shift is smaller than the noise
                     floor: the larger of the two runs' median relative MAD
                     of a cell's repetitions, for that metric
  improved           moved the good way (throughput up, latency down)
  REGRESSED          moved the bad way, and even the CI's favourable end is
                     worse than fail_above percent (as benchstat does)
  worse, within      moved the bad way, less surely than that

    result = compare(load_run(a), load_run(b), fail_above=5.0)
    print(to_text(result))
    sys.exit(1 if result.regressed else 0)
"""

import dataclasses
from typing import Dict, List, Optional

from copyscope_report import stats
from copyscope_report.loader import (Cell, CellKey, Run, completeness_note,
                                     size_label)

# Metrics compared when a cell has them: (name, higher is better).
LATENCY_METRICS = (("latency_p50_us", False), ("latency_p99_us", False))

REGRESSED = "REGRESSED"
WORSE_WITHIN = "worse, within threshold"
IMPROVED = "improved"
NO_CHANGE = "no significant change"
NOT_MEANINGFUL = "no meaningful change (within the noise floor)"
UNTESTED = "untested: " + stats.NOT_ENOUGH_REPS


@dataclasses.dataclass
class Change:
    key: CellKey
    label: str
    metric: str
    a: stats.Summary
    b: stats.Summary
    # The shift of B against A over A's median, and its 95% CI (fractions:
    # -0.1 = 10% lower in B); None when untested or A's median is 0.
    change: Optional[float]
    ci_low: Optional[float]
    ci_high: Optional[float]
    p: Optional[float]
    verdict: str


@dataclasses.dataclass
class Result:
    a_name: str
    b_name: str
    fail_above: float
    floors: Dict[str, Optional[float]]  # the noise floor per metric
    changes: List[Change]
    only_a: List[str]
    only_b: List[str]
    notes: List[str]
    # Runs that are not complete, said first (loader.completeness_note).
    warnings: List[str] = dataclasses.field(default_factory=list)

    @property
    def regressed(self) -> List[Change]:
        return [c for c in self.changes if c.verdict == REGRESSED]


def _labels(cells: List[Cell]):
    """Label function that names only the key parts that vary."""
    keys = [c.key for c in cells]
    varies = [len({k[i] for k in keys}) > 1 for i in range(8)]

    def label(c: Cell) -> str:
        parts = []
        if varies[0]:
            parts.append(c.mode)
        if varies[1]:
            parts.append(c.direction)
        parts += [c.transport, size_label(c.size), f"x{c.threads}"]
        if varies[5]:
            parts.append(f"{c.fields} fields")
        if varies[6] or varies[7]:
            parts.append(f"req {c.request_size} resp {c.response_size}")
        return " ".join(parts)

    return label


def _change(a: List[float], b: List[float], higher_better: bool,
            fail_above: float, floor: Optional[float]):
    """(change, ci_low, ci_high, p, verdict) of b against a."""
    d = stats.difference(a, b, floor)
    ch, lo, hi, p = d.rel, d.rel_low, d.rel_high, d.test.p
    if p is None:
        return ch, lo, hi, p, UNTESTED
    if ch is None:
        return ch, lo, hi, p, "untested: A's median is 0"
    if d.sign == 0:
        return ch, lo, hi, p, NOT_MEANINGFUL if d.within_noise else NO_CHANGE
    if (d.sign > 0) == higher_better:
        return ch, lo, hi, p, IMPROVED
    favourable = hi if higher_better else -lo  # the CI's best case, as a loss
    regressed = -favourable * 100.0 > fail_above
    return ch, lo, hi, p, REGRESSED if regressed else WORSE_WITHIN


def _floor(run: Run, metric: str) -> Optional[float]:
    return stats.noise_floor(c.values(metric) for c in run.cells)


def _host_line(run: Run) -> str:
    h, b = run.host, run.build
    return (
        f"{run.run_id}: {h.get('hostname', '?')} ({h.get('cpu_model', '?')}, "
        f"{h.get('cpu_count', '?')} CPUs), build "
        f"{(b.get('git_commit') or 'unknown')[:12]}, {run.reps()} reps")


def compare(a: Run, b: Run, fail_above: float = 5.0) -> Result:
    ia = {c.key: c for c in a.cells if c.samples}
    ib = {c.key: c for c in b.cells if c.samples}
    label = _labels(list(ia.values()) + list(ib.values()))
    res = Result(a.run_id, b.run_id, fail_above, {}, [],
                 sorted(label(ia[k]) for k in ia.keys() - ib.keys()),
                 sorted(label(ib[k]) for k in ib.keys() - ia.keys()), [])
    for run, side in ((a, "A"), (b, "B")):
        note = completeness_note(run, "the comparison covers")
        if note:
            res.warnings.append(note)
        res.notes.append(f"{side} = {_host_line(run)}")
        failed = [c for c in run.cells if not c.samples]
        if failed:
            res.notes.append(f"{side} has {len(failed)} cells without an ok "
                             "sample; they are not compared")
    differ = []
    for what, get in (("isolation", lambda r: r.isolation.get("mode")),
                      ("profile", lambda r: r.plan.get("profile")),
                      ("duration_s", lambda r: r.plan.get("duration_s")),
                      ("messages", lambda r: r.plan.get("messages")),
                      ("kernel", lambda r: r.host.get("kernel"))):
        if get(a) != get(b):
            differ.append(f"{what} ({get(a) or '-'} vs {get(b) or '-'})")
    if differ:
        res.notes.append("the runs also differ in: " + "; ".join(differ))
    if a.host.get("cpu_model") != b.host.get("cpu_model"):
        res.notes.append("the runs are from different CPU models: changes may "
                         "reflect the machine, not the code")
    for k in sorted(ia.keys() & ib.keys()):
        ca, cb = ia[k], ib[k]
        metrics = [(ca.primary(), True)]
        if ca.mode in ("rr", "crr"):
            metrics += list(LATENCY_METRICS)
        for m, higher_better in metrics:
            va, vb = ca.values(m), cb.values(m)
            if not va or not vb:
                continue
            if m not in res.floors:
                both = [_floor(a, m), _floor(b, m)]
                res.floors[m] = max((f for f in both if f is not None),
                                    default=None)
            res.changes.append(
                Change(k, label(ca), m, stats.summarize(va),
                       stats.summarize(vb),
                       *_change(va, vb, higher_better, fail_above,
                                res.floors[m])))
    if any(c.verdict == UNTESTED for c in res.changes):
        res.notes.append(
            f"untested: cells with fewer repetitions than a rank test needs to "
            f"reach p < {stats.ALPHA:g} ({stats.MIN_REPS_HINT} a side are "
            "enough; run with --reps=5 or more)")
    floors = [
        f"{m} {f * 100:.1f}%" for m, f in res.floors.items() if f is not None
    ]
    if floors:
        res.notes.append(
            "noise floor (the larger run's median over its cells of the "
            "repetitions' relative MAD): " + ", ".join(floors) +
            "; a significant change smaller than that is no meaningful change")
    return res


def _fmt(s: stats.Summary) -> str:
    return f"{s.median:.4g} (n={s.n})"


def _pct(x: Optional[float]) -> str:
    return "-" if x is None else f"{x * 100:+.1f}%"


def _change_text(c: Change) -> str:
    if c.change is None:
        return "-"
    if c.ci_low is None:
        return _pct(c.change)
    return f"{_pct(c.change)} [{_pct(c.ci_low)}, {_pct(c.ci_high)}]"


def to_text(r: Result) -> str:
    lines = r.warnings + [f"copyscope compare: A = {r.a_name}, B = {r.b_name}"]
    lines += [f"  {n}" for n in r.notes]
    lines.append("")
    head = ("cell", "metric", "A (median)", "B (median)",
            "change [95% CI]", "p", "verdict")
    rows = [head]
    for c in r.changes:
        rows.append((c.label, c.metric, _fmt(c.a), _fmt(c.b), _change_text(c),
                     "-" if c.p is None else f"{c.p:.3g}", c.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        lines.append("  ".join(
            v.ljust(w) for v, w in zip(row, widths)).rstrip())
    for side, only in (("A", r.only_a), ("B", r.only_b)):
        if only:
            lines.append("")
            lines.append(f"only in {side} ({len(only)}): " + "; ".join(only))
    counts = {}
    for c in r.changes:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    lines.append("")
    lines.append(
        f"summary: {len(r.changes)} comparisons over "
        f"{len({c.key for c in r.changes})} cells: "
        f"{counts.get(REGRESSED, 0)} regressed beyond {r.fail_above:g}%, "
        f"{counts.get(WORSE_WITHIN, 0)} worse within it, "
        f"{counts.get(IMPROVED, 0)} improved, "
        f"{counts.get(NO_CHANGE, 0)} no significant change, "
        f"{counts.get(NOT_MEANINGFUL, 0)} no meaningful change, "
        f"{sum(v for k, v in counts.items() if k.startswith('untested'))} "
        "untested; "
        f"{len(r.only_a)} only in A, {len(r.only_b)} only in B")
    if r.regressed:
        lines.append("FAIL: " + "; ".join(f"{c.label} {c.metric} "
                                          f"{_change_text(c)}"
                                          for c in r.regressed))
    return "\n".join(lines) + "\n"
