"""Reads a copyscope results directory into the small model the report uses.

The source is run.jsonl, the protobuf JSON mapping of harness/record.proto
(a header object, then one object per cell). JSON rather than run.pb keeps
the report free of generated Python protobuf code; both files hold the same
record. Field names are accepted in either JSON spelling (lowerCamelCase
or the .proto's snake_case), 64-bit integers as strings or numbers, and
absent (or null) fields read as the proto3 default, as the mapping
specifies.

Nothing in the file is trusted: every field the report uses is read through
a typed accessor (record_fields.Obj) that checks its JSON type and range,
so a record that is well-formed JSON but wrong (a number where an object
belongs, a size of 10^400, a lone surrogate in a name) is a LoadError
naming the file, the line and the field, e.g.
    results/x/run.jsonl:3: samples[0].metrics[2].value: expected a number, got a list
The input must be a regular file (a FIFO is refused before it is read, so
nothing blocks).

The harness ends a finished record with a trailer line,
    {"trailer": {"state": S, "cells": N, "sha256": H}}
S "complete", "interrupted" or "stopped: REASON", N the cell lines before
it and H the SHA-256 (lowercase hex) of every byte before the trailer line.
run.completeness is S, or "incomplete" for a record without a trailer (the
run was killed or is still going, or an older harness wrote it); it is
read all the same. A damaged record (a checksum or cell count that does not
match, a line cut short or not JSON, a trailer before the end) is a
LoadError saying which.

    run = load_run("results/20240101T000000Z-ab12")
    for cell in run.cells:
        s = cell.summary("throughput_gbps")   # None when not measured

A cell whose receiving side used a plugin of its own (`copyscope run
--recv`) is labelled "SENDER+RECEIVER" (e.g. "two_copy+uring_recv"): the
pair is the transport everywhere the report compares transports.
"""

import dataclasses
import hashlib
import json
import math
import os
import re
import stat
from typing import Any, Dict, List, Optional, Tuple

from copyscope_report import stats
from copyscope_report.record_fields import (INT32, MAX_VALUE, UINT32,
                                            UINT64, LoadError, Obj, kind,
                                            short)

RECORD_FILE = "run.jsonl"

# Perf events the harness maps to metric names (harness/results.h).
PERF_EVENT_METRIC = {
    "cycles": "cycles",
    "L1-dcache-load-misses": "l1_misses",
    "cache-misses": "llc_misses",
}

_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,64}\Z")  # modes: used in file names

# The primary metric of a mode, for records that do not name it.
PRIMARY_BY_MODE = {
    "rr": "transactions_per_sec",
    "crr": "connections_per_sec",
}


@dataclasses.dataclass(frozen=True)
class Slice:
    """One --interval slice of a sample's measured interval (record.proto
    Slice): what the measuring side counted from start_s for length_s."""
    start_s: float
    length_s: float
    bytes: int
    messages: int


@dataclasses.dataclass
class Sample:
    rep: int
    metrics: Dict[str, float]  # recorded metrics plus the derived ones
    slices: List[Slice] = dataclasses.field(default_factory=list)


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
    # --background (latency under load): "TRANSPORT:THREADS:SIZE" of the
    # stream flows beside the round trips ("" for none); transport then
    # reads "two_copy under two_copy:1:65536", base_transport "two_copy".
    background: str = ""
    base_transport: str = ""
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
        return PRIMARY_BY_MODE.get(self.mode, "throughput_gbps")


@dataclasses.dataclass
class Run:
    path: str
    run_id: str = ""
    started_utc: str = ""
    schema_version: int = 0
    # The header's fields the report uses, type-checked; absent ones absent.
    plan: Dict[str, Any] = dataclasses.field(default_factory=dict)
    host: Dict[str, Any] = dataclasses.field(default_factory=dict)
    build: Dict[str, Any] = dataclasses.field(default_factory=dict)
    isolation: Dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: List[str] = dataclasses.field(default_factory=list)
    cells: List[Cell] = dataclasses.field(default_factory=list)
    cells_planned: int = 0
    interrupted: bool = False  # the header's flag (harness before trailers)
    # "complete", "interrupted", "stopped: REASON" (the trailer's state), or
    # INCOMPLETE when the record has no trailer.
    completeness: str = "complete"
    source: str = ""  # the path the user named (directory or file)
    # Per metric (cycles, l1_misses, llc_misses): why it was not measured.
    unmeasured: Dict[str, str] = dataclasses.field(default_factory=dict)

    def modes(self) -> List[str]:
        return sorted({c.mode for c in self.cells})

    def reps(self) -> int:
        return max((len(c.samples) for c in self.cells), default=0)


# The header fields the report reads (record.proto), with their types.
HOST_FIELDS = {
    "kernel": str,
    "hostname": str,
    "cpu_model": str,
    "cpu_count": INT32,
    "governor": str,
    "interface": str,
    "testbed_fingerprint": str
}
BUILD_FIELDS = {
    "version": str,
    "stamped": bool,
    "git_commit": str,
    "git_dirty": INT32,
    "compiler": str,
    "compilation_mode": str
}
PLAN_FIELDS = {
    "profile": str,
    "mode": str,
    "direction": str,
    "duration_s": float,
    "messages": UINT64,
    "reps": INT32
}
ISOLATION_FIELDS = {"mode": str, "reason": str}

# ---------------------------------------------------------------------------
# The record.


def _unmeasured_reasons(conns: List[Obj], out: Dict[str, str]) -> None:
    for conn in conns:
        for side in ("server", "client"):
            for pc in conn.obj(side).objs("perf"):
                event = pc.name("event")
                metric = PERF_EVENT_METRIC.get(event)
                state = pc.raw("state")  # an enum: a name, or its number
                if not isinstance(state, str) or metric is None:
                    continue
                if state in ("unsupported", "not_run"):
                    why = pc.str("reason") or state.replace("_", " ")
                    out.setdefault(metric, f"{event}: {why}")


def _sample(s: Obj, i: int, unmeasured: Dict[str, str]) -> Sample:
    metrics: Dict[str, float] = {}
    for m in s.objs("metrics"):
        name = m.name("name")
        if name:
            metrics[name] = m.num("value")
    _unmeasured_reasons(s.objs("connections"), unmeasured)
    slices = [
        Slice(x.num("start_s"), x.num("length_s"), x.int("bytes", UINT64),
              x.int("messages", UINT64)) for x in s.objs("slices")
    ]
    return Sample(s.int("rep", INT32, i + 1), metrics, slices)


def _cell(obj: Obj, unmeasured: Dict[str, str]) -> Cell:
    key = obj.obj("key")
    transport = key.name("transport")
    if not transport:
        raise LoadError(f"{key.where}.transport: a cell has no transport")
    recv = key.name("recv_transport")
    background = key.name("background")
    mode = key.name("mode") or "stream"
    if not _NAME.match(mode):
        raise LoadError(f"{key.where}.mode: {short(mode)} is not a mode name "
                        "(letters, digits, _ . + -)")
    size = key.int("size", UINT64)
    if size < 1:
        raise LoadError(f"{key.where}.size: {size} is not a message size (1 "
                        "byte or more)")
    threads = key.int("threads", INT32)
    if threads < 1:
        raise LoadError(f"{key.where}.threads: {threads} is not a thread "
                        "count (1 or more)")
    base = transport + (f"+{recv}" if recv else "")
    cell = Cell(
        transport=base + (f" under {background}" if background else ""),
        recv_transport=recv,
        background=background,
        base_transport=base,
        size=size,
        threads=threads,
        mode=mode,
        direction=key.name("direction") or "server-to-client",
        fields=key.int("fields", UINT32),
        request_size=key.int("request_size", UINT64),
        response_size=key.int("response_size", UINT64),
        status=obj.str("status") or "ok",
        unstable=obj.bool("unstable"),
        primary_metric=obj.name("primary_metric"),
    )
    for i, s in enumerate(obj.objs("samples")):
        status = s.str("status") or "ok"
        if status != "ok":
            cell.failed.append(status)
            continue
        cell.samples.append(_sample(s, i, unmeasured))
    return cell


def _json(line: bytes, at: str) -> Any:
    try:
        return json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise LoadError(f"{at}: not UTF-8 text (byte {e.start + 1})") from None
    except RecursionError:
        raise LoadError(f"{at}: nested too deeply to be a record") from None
    except ValueError as e:
        raise LoadError(f"{at}: damaged record: not JSON ({e})") from None


def _header(run: Run, h: Obj) -> None:
    run.run_id = h.name("run_id")
    run.started_utc = h.str("started_utc")
    run.schema_version = h.int("schema_version", UINT32)
    run.plan = h.obj("plan").pick(PLAN_FIELDS)
    run.host = h.obj("host").pick(HOST_FIELDS)
    run.build = h.obj("build").pick(BUILD_FIELDS)
    run.isolation = h.obj("isolation").pick(ISOLATION_FIELDS)
    run.notes = h.strs("notes")
    run.cells_planned = h.int("cells_planned", UINT32)
    run.interrupted = h.bool("interrupted")


INCOMPLETE = "incomplete"
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def _is_trailer(obj: Any) -> bool:
    return isinstance(obj, dict) and list(obj) == ["trailer"]


def _trailer(obj: Dict[str, Any], body: bytes, at: str) -> Tuple[str, int]:
    """The (state, cell count) of a trailer line that follows body (the
    bytes before it); LoadError when its checksum does not match body."""
    t = Obj(obj, "").obj("trailer")
    state = t.name("state")
    if not state:
        raise LoadError(f"{at}: trailer.state: missing (expected complete, "
                        "interrupted or stopped: REASON)")
    sha = t.str("sha256")
    if not _SHA256.match(sha):
        raise LoadError(f"{at}: trailer.sha256: {short(sha)} is not a SHA-256 "
                        "in lowercase hex")
    if hashlib.sha256(body).hexdigest() != sha:
        raise LoadError(
            f"{at}: damaged record: checksum mismatch (the SHA-256 of the "
            f"{len(body)} bytes before the trailer is not the one it "
            "names: the file changed after the run wrote it)")
    return state, t.int("cells", UINT64, -1)


def parse_record(data: bytes, path: str = "<record>") -> Run:
    """Parses the bytes of run.jsonl into a Run.

    Line 1 is the header (a Run without its cells, or with them as
    "cells"); every further line is a Cell (or {"cell": Cell}), up to the
    trailer, which must be the last line (see the module comment).
    """
    run = Run(path=path, completeness=INCOMPLETE)
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the file ends with a newline, as it should
    last = max((i for i, x in enumerate(lines) if x.strip()), default=-1)
    try:
        end = json.loads(lines[last]) if last >= 0 else None
    except (ValueError, RecursionError):
        end = None
        if not data.endswith(b"\n"):
            raise LoadError(f"{path}:{last + 1}: damaged record: the line is "
                            "cut short (the file ends inside it)") from None
    counted = None
    if _is_trailer(end):
        start = sum(len(x) + 1 for x in lines[:last])
        run.completeness, counted = _trailer(end, data[:start],
                                             f"{path}:{last + 1}")
        lines = lines[:last]
    seen = 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        at = f"{path}:{n}"
        obj = _json(line, at)
        if _is_trailer(obj):
            raise LoadError(f"{at}: damaged record: a trailer before the end "
                            "of the record")
        if not isinstance(obj, dict):
            raise LoadError(f"{at}: expected a JSON object per line, got "
                            f"{kind(obj)}")
        try:
            top = Obj(obj, "")
            seen += 1
            if seen == 1:
                _header(run, top)
                cells = top.objs("cells")
            elif top.has("cell"):
                cells = [top.obj("cell")]
            elif top.has("key"):
                cells = [top]
            else:
                raise LoadError("a cell line without a key")
            run.cells += [_cell(c, run.unmeasured) for c in cells]
        except LoadError as e:
            raise LoadError(f"{at}: {e}") from None
    if not seen:
        raise LoadError(f"{path}: empty record")
    if counted is not None and counted != seen - 1:
        raise LoadError(
            f"{path}:{last + 1}: damaged record: the trailer counts "
            f"{'no' if counted < 0 else counted} cells, the file has "
            f"{seen - 1}")
    return run


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def _not_regular(mode: int) -> Optional[str]:
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a file")


def read_record(f: str) -> bytes:
    """The bytes of the record file f. A FIFO, device or directory is
    refused before it is opened for reading, and it is opened non-blocking,
    so nothing can block on it. Raises LoadError."""
    try:
        st = os.stat(f)
        what = _not_regular(st.st_mode)
        if what is None:
            fd = os.open(
                f, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
            try:
                what = _not_regular(os.fstat(fd).st_mode)  # swapped since?
                if what is None:
                    with os.fdopen(fd, "rb", closefd=False) as fh:
                        return fh.read()
            finally:
                os.close(fd)
    except OSError as e:
        raise LoadError(f"{f}: cannot read ({e.strerror or e})") from None
    raise LoadError(f"{f}: is {what}, not a record file (give a directory "
                    "written by `copyscope run`)")


def load_run(path: str) -> Run:
    """Loads a results directory (or its run.jsonl). Raises LoadError."""
    try:
        is_dir = os.path.isdir(path)
        exists = is_dir or os.path.lexists(path)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise LoadError(f"{path!r}: cannot use this path ({e})") from None
    if not exists:
        raise LoadError(f"{path}: no such results directory "
                        "(give a directory written by `copyscope run`)")
    f = os.path.join(path, RECORD_FILE) if is_dir else path
    try:
        os.lstat(f)
    except FileNotFoundError:
        raise LoadError(f"{path}: no {RECORD_FILE} in it (give a directory "
                        "written by `copyscope run`)") from None
    except OSError:
        pass  # read_record says what
    run = parse_record(read_record(f), f)
    run.source = path
    if not run.run_id:
        run.run_id = os.path.basename(
            os.path.normpath(
                path if is_dir else os.path.dirname(path) or "."))
    return run


def completeness_note(run: Run, covers: str) -> Optional[str]:
    """One line saying that run is not complete and what the output covers
    (covers: e.g. "figures cover"); None for a complete record."""
    name = run.source or run.path
    n = len(run.cells)
    of = f" of {run.cells_planned} planned" if run.cells_planned else ""
    state = run.completeness
    if state == "complete":
        return None
    if state == INCOMPLETE:
        header = (", though its header says it was interrupted"
                  if run.interrupted else "")
        what = (f"is incomplete: no trailer (the run was killed or is still "
                f"running, or a copyscope without trailers wrote it{header})")
    elif state == "interrupted":
        what = "was interrupted (SIGINT, SIGTERM or SIGHUP)"
    elif state.startswith("stopped:"):
        what = state
    else:
        what = f"is not complete (its trailer says {state!r})"
    return f"note: {name} {what}; {covers} its {n} cells{of}"


def size_label(size: int) -> str:
    """4096 -> '4 KiB', 1536 -> '1536 B'."""
    for unit, div in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= div and size % div == 0:
            return f"{size // div} {unit}"
    return f"{size} B"
