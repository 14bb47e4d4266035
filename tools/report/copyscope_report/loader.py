"""Reads a copyscope results directory into the small model the report uses.

The source is run.jsonl, the protobuf JSON mapping of harness/record.proto
(a header object, then one object per cell). JSON rather than run.pb keeps
the report free of generated Python protobuf code; both files hold the same
record. Field names are accepted in either JSON spelling (lowerCamelCase
or the .proto's snake_case), 64-bit integers as strings or numbers, and
absent scalars read as the proto3 default, as the mapping specifies.

    run = load_run("results/20240101T000000Z-ab12")
    for cell in run.cells:
        s = cell.summary("throughput_gbps")   # None when not measured

A cell whose receiving side used a plugin of its own (`copyscope run
--recv`) is labelled "SENDER+RECEIVER" (e.g. "two_copy+uring_recv"): the
pair is the transport everywhere the report compares transports.
"""

import dataclasses
import json
import math
import os
import re
from typing import Any, Dict, List, Optional, Tuple

from copyscope_report import stats

RECORD_FILE = "run.jsonl"

# Perf events the harness maps to metric names (harness/results.h).
PERF_EVENT_METRIC = {
    "cycles": "cycles",
    "L1-dcache-load-misses": "l1_misses",
    "cache-misses": "llc_misses",
}


class LoadError(Exception):
    """An unreadable or malformed results record; str() is one line."""


@dataclasses.dataclass
class Sample:
    rep: int
    metrics: Dict[str, float]  # recorded metrics plus the derived ones


CellKey = Tuple[str, str, str, int, int, int, int, int]


@dataclasses.dataclass
class Cell:
    transport: str  # "sender+receiver" when a separate plugin received
    size: int
    threads: int
    mode: str = "stream"
    direction: str = "server-to-client"
    fields: int = 0
    request_size: int = 0
    response_size: int = 0
    status: str = "ok"
    unstable: bool = False
    primary_metric: str = ""
    recv_transport: str = ""  # the receiving plugin, when not the sender's
    samples: List[Sample] = dataclasses.field(default_factory=list)  # ok ones
    failed: List[str] = dataclasses.field(default_factory=list)

    @property
    def key(self) -> CellKey:
        """Identity of the experiment, for matching cells across runs."""
        return (self.mode, self.direction, self.transport, self.size,
                self.threads, self.fields, self.request_size,
                self.response_size)

    def values(self, metric: str) -> List[float]:
        return [
            s.metrics[metric]
            for s in self.samples
            if metric in s.metrics and math.isfinite(s.metrics[metric])
        ]

    def summary(self, metric: str) -> Optional[stats.Summary]:
        v = self.values(metric)
        return stats.summarize(v) if v else None

    def primary(self) -> str:
        if self.primary_metric:
            return self.primary_metric
        return "transactions_per_sec" if self.mode == "rr" else "throughput_gbps"


@dataclasses.dataclass
class Run:
    path: str
    run_id: str = ""
    schema_version: int = 0
    plan: Dict[str, Any] = dataclasses.field(default_factory=dict)
    host: Dict[str, Any] = dataclasses.field(default_factory=dict)
    build: Dict[str, Any] = dataclasses.field(default_factory=dict)
    isolation: Dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: List[str] = dataclasses.field(default_factory=list)
    cells: List[Cell] = dataclasses.field(default_factory=list)
    cells_planned: int = 0
    interrupted: bool = False
    # Per metric (cycles, l1_misses, llc_misses): why it was not measured.
    unmeasured: Dict[str, str] = dataclasses.field(default_factory=dict)

    def modes(self) -> List[str]:
        return sorted({c.mode for c in self.cells})

    def reps(self) -> int:
        return max((len(c.samples) for c in self.cells), default=0)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _normalize(obj: Any) -> Any:
    """Recursively renames lowerCamelCase keys to snake_case."""
    if isinstance(obj, dict):
        return {_snake(k): _normalize(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_normalize(v) for v in obj]
    return obj


def _num(v: Any, default: float = 0.0) -> float:
    if v is None:
        return default
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    return float(str(v))  # "123", "NaN", "Infinity" (proto3 JSON strings)


def _int(v: Any, default: int = 0) -> int:
    return int(_num(v, default))


def _derive(metrics: Dict[str, float], sample: Dict[str, Any]) -> None:
    """Adds the normalised metrics the report plots, server and client
    together: cycles_per_byte, {llc,l1}_misses_per_kib, cs_per_s. A value the
    record already has is kept; else it comes from the unprefixed totals
    over the bytes received, or as the sum of the two roles' figures."""
    conns = sample.get("connections", [])
    nbytes = sum(_num(c.get("bytes")) for c in conns)
    windows = [
        _num(c.get("window_s")) for c in conns if _num(c.get("window_s")) > 0
    ]
    if nbytes > 0:
        metrics.setdefault("bytes", nbytes)
        if "cycles" in metrics:
            metrics.setdefault("cycles_per_byte", metrics["cycles"] / nbytes)
        for m in ("llc_misses", "l1_misses"):
            if m in metrics:
                metrics.setdefault(m + "_per_kib",
                                   metrics[m] / (nbytes / 1024.0))
    if windows and "cs" in metrics:
        metrics.setdefault("cs_per_s",
                           metrics["cs"] / (sum(windows) / len(windows)))
    for total, role_figure in (("cycles_per_byte", "cycles_per_byte"),
                               ("llc_misses_per_kib", "llc_misses_per_kib"),
                               ("l1_misses_per_kib", "l1_misses_per_kib"),
                               ("cs_per_s", "context_switches_per_second")):
        roles = [
            metrics.get(f"{r}_{role_figure}") for r in ("server", "client")
        ]
        if total not in metrics and None not in roles:
            metrics[total] = roles[0] + roles[1]


def _unmeasured_reasons(sample: Dict[str, Any], out: Dict[str, str]) -> None:
    for conn in sample.get("connections", []):
        for side in ("server", "client"):
            for pc in conn.get(side, {}).get("perf", []):
                metric = PERF_EVENT_METRIC.get(pc.get("event", ""))
                state = pc.get("state", "")
                if metric and state in ("unsupported", "not_run"):
                    why = pc.get("reason") or state.replace("_", " ")
                    out.setdefault(metric, f"{pc.get('event')}: {why}")


def _cell(obj: Dict[str, Any], unmeasured: Dict[str, str]) -> Cell:
    key = obj.get("key", {})
    recv = key.get("recv_transport") or ""
    cell = Cell(
        transport=key.get("transport", "") + (f"+{recv}" if recv else ""),
        recv_transport=recv,
        size=_int(key.get("size")),
        threads=_int(key.get("threads")),
        mode=key.get("mode") or "stream",
        direction=key.get("direction") or "server-to-client",
        fields=_int(key.get("fields")),
        request_size=_int(key.get("request_size")),
        response_size=_int(key.get("response_size")),
        status=obj.get("status") or "ok",
        unstable=bool(obj.get("unstable", False)),
        primary_metric=obj.get("primary_metric", ""),
    )
    if not key.get("transport"):
        raise LoadError("a cell has no transport in its key")
    for i, s in enumerate(obj.get("samples", [])):
        status = s.get("status") or "ok"
        if status != "ok":
            cell.failed.append(status)
            continue
        metrics = {
            m.get("name", ""): _num(m.get("value"))
            for m in s.get("metrics", [])
        }
        metrics.pop("", None)
        _derive(metrics, s)
        _unmeasured_reasons(s, unmeasured)
        cell.samples.append(Sample(_int(s.get("rep"), i + 1), metrics))
    return cell


def _is_cell(obj: Dict[str, Any]) -> bool:
    return "key" in obj and isinstance(obj["key"], dict)


def parse_lines(lines, path: str = "<record>") -> Run:
    """Parses run.jsonl content (an iterable of lines) into a Run."""
    header: Dict[str, Any] = {}
    raw_cells: List[Dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = _normalize(json.loads(line))
        except ValueError as e:
            raise LoadError(f"{path}:{n}: not JSON ({e})") from None
        if not isinstance(obj, dict):
            raise LoadError(f"{path}:{n}: expected a JSON object per line")
        if _is_cell(obj):
            raw_cells.append(obj)
        elif isinstance(obj.get("cell"), dict):
            raw_cells.append(obj["cell"])
        else:
            raw_cells.extend(obj.pop("cells", []))
            header.update(obj)
    if not header and not raw_cells:
        raise LoadError(f"{path}: empty record")
    run = Run(
        path=path,
        run_id=header.get("run_id", ""),
        schema_version=_int(header.get("schema_version")),
        plan=header.get("plan", {}),
        host=header.get("host", {}),
        build=header.get("build", {}),
        isolation=header.get("isolation", {}),
        notes=list(header.get("notes", [])),
        cells_planned=_int(header.get("cells_planned")),
        interrupted=bool(header.get("interrupted", False)),
    )
    try:
        run.cells = [_cell(c, run.unmeasured) for c in raw_cells]
    except (TypeError, ValueError, AttributeError) as e:
        raise LoadError(f"{path}: malformed cell ({e})") from None
    return run


def load_run(path: str) -> Run:
    """Loads a results directory (or its run.jsonl). Raises LoadError."""
    f = os.path.join(path, RECORD_FILE) if os.path.isdir(path) else path
    if not os.path.exists(path):
        raise LoadError(f"{path}: no such results directory "
                        "(give a directory written by `copyscope run`)")
    try:
        with open(f, encoding="utf-8") as fh:
            run = parse_lines(fh, f)
    except FileNotFoundError:
        raise LoadError(f"{path}: no {RECORD_FILE} in it (give a directory "
                        "written by `copyscope run`)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise LoadError(f"{f}: cannot read ({e})") from None
    if not run.run_id:
        run.run_id = os.path.basename(
            os.path.normpath(
                path if os.path.isdir(path) else os.path.dirname(path) or "."))
    return run


def size_label(size: int) -> str:
    """4096 -> '4 KiB', 1536 -> '1536 B'."""
    for unit, div in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= div and size % div == 0:
            return f"{size // div} {unit}"
    return f"{size} B"
