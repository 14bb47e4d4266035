"""Run-to-run comparison: per cell the change of each metric, tested.

Cells match on their full key (mode, direction, transport, size, threads,
fields, request and response sizes); cells on one side only are listed.
Each metric's change is mean(B)/mean(A) - 1 with Welch's t-test over the
repetitions. A cell regressed when a metric moved the bad way (throughput
down, latency up) significantly and by more than fail_above percent.

    result = compare(load_run(a), load_run(b), fail_above=5.0)
    print(to_text(result))
    sys.exit(1 if result.regressed else 0)
"""

import dataclasses
from typing import List, Optional

from copyscope_report import stats
from copyscope_report.loader import Cell, CellKey, Run, size_label

# Metrics compared when a cell has them: (name, higher is better).
LATENCY_METRICS = (("latency_p50_us", False), ("latency_p99_us", False))

REGRESSED = "REGRESSED"
WORSE_WITHIN = "worse, within threshold"
IMPROVED = "improved"
NO_CHANGE = "no significant change"
UNTESTED = "untested: " + stats.NOT_ENOUGH_REPS


@dataclasses.dataclass
class Change:
    key: CellKey
    label: str
    metric: str
    a: stats.Summary
    b: stats.Summary
    change: float  # fraction: -0.1 = 10% lower in B
    p: Optional[float]
    verdict: str


@dataclasses.dataclass
class Result:
    a_name: str
    b_name: str
    fail_above: float
    changes: List[Change]
    only_a: List[str]
    only_b: List[str]
    notes: List[str]

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


def _verdict(ch: float, t: stats.TTest, higher_better: bool,
             fail_above: float) -> str:
    if t.p is None:
        return UNTESTED
    if not t.significant():
        return NO_CHANGE
    worse = ch < 0 if higher_better else ch > 0
    if not worse:
        return IMPROVED
    return REGRESSED if abs(ch) * 100.0 > fail_above else WORSE_WITHIN


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
    res = Result(a.run_id, b.run_id, fail_above, [],
                 sorted(label(ia[k]) for k in ia.keys() - ib.keys()),
                 sorted(label(ib[k]) for k in ib.keys() - ia.keys()), [])
    for run, side in ((a, "A"), (b, "B")):
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
        if ca.mode == "rr":
            metrics += list(LATENCY_METRICS)
        for m, higher_better in metrics:
            va, vb = ca.values(m), cb.values(m)
            if not va or not vb:
                continue
            sa, sb = stats.summarize(va), stats.summarize(vb)
            ch = (sb.mean / sa.mean - 1.0) if sa.mean else 0.0
            t = stats.welch(va, vb)
            res.changes.append(
                Change(k, label(ca), m, sa, sb, ch, t.p,
                       _verdict(ch, t, higher_better, fail_above)))
    return res


def _fmt(s: stats.Summary) -> str:
    if s.ci_low is None:
        return f"{s.mean:.4g}"
    return f"{s.mean:.4g} ±{(s.ci_high - s.ci_low) / 2:.2g}"


def to_text(r: Result) -> str:
    lines = [f"copyscope compare: A = {r.a_name}, B = {r.b_name}"]
    lines += [f"  {n}" for n in r.notes]
    lines.append("")
    head = ("cell", "metric", "A (mean ±95% CI)", "B", "change", "p", "verdict")
    rows = [head]
    for c in r.changes:
        rows.append(
            (c.label, c.metric, _fmt(c.a), _fmt(c.b), f"{c.change * 100:+.1f}%",
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
        f"{counts.get(UNTESTED, 0)} untested; "
        f"{len(r.only_a)} only in A, {len(r.only_b)} only in B")
    if r.regressed:
        lines.append("FAIL: " +
                     "; ".join(f"{c.label} {c.metric} {c.change * 100:+.1f}%"
                               for c in r.regressed))
    return "\n".join(lines) + "\n"
