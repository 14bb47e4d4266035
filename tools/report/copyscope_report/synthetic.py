"""Synthetic results records with known values, for the tests.

Writes run.jsonl the way the harness does (harness/record_io.cc: protobuf
JSON mapping of harness/record.proto with the .proto's field names, 64-bit
integers as strings, a header line then one line per cell, then the
trailer line {"trailer": {"state", "cells", "sha256"}}), so the tests
exercise the real loader. The trailer can be left out (an incomplete
record) or made wrong (a damaged one).

    cells = {("two_copy", 4096, 1): [{"throughput_gbps": 10.0}, ...], ...}
    path = write_run(tmpdir, cells, mode="stream")

Tests write only inside directories from temp_dir(test), which are removed
when the test ends; run_cli(...) runs a command as `copyscope` would.
"""

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
from typing import Dict, List, Optional, Tuple

HOST = {
    "kernel": "Linux 6.1.0 #1 SMP x86_64",
    "hostname": "synthetic-host",
    "cpu_model": "Synthetic CPU @ 3.00GHz",
    "cpu_count": 2,
    "governor": "performance",
}
BUILD = {
    "version": "0.1",
    "stamped": True,
    "git_commit": "0123456789abcdef0123456789abcdef01234567",
    "git_dirty": 0,
    "compiler": "gcc 12.2.0",
    "compilation_mode": "opt",
}


def temp_dir(test) -> str:
    """A new directory (under Bazel's TEST_TMPDIR when set) that is removed
    when test ends: a TestCase, or its class (from setUpClass)."""
    d = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR") or None)
    if isinstance(test, type):
        test.addClassCleanup(shutil.rmtree, d, ignore_errors=True)
    else:
        test.addCleanup(shutil.rmtree, d, ignore_errors=True)
    return d


def run_cli(*argv, stdout=None):
    """(exit status, stdout, stderr) of cli.main(argv); stdout may be a
    stream of the test's own, whose text is then not returned."""
    from copyscope_report import cli  # pylint: disable=import-outside-toplevel
    out, err = stdout or io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(list(argv))
    return rc, (out.getvalue() if stdout is None else ""), err.getvalue()


def _sample(rep: int, metrics: Dict[str, float], window_s: float,
            nbytes: Optional[float], perf: List[dict],
            slices: List[Tuple[float, float, int, int]]) -> dict:
    conn = {"index": 0, "window_s": window_s, "messages": "1000"}
    if nbytes is not None:
        conn["bytes"] = str(int(nbytes))
    if perf:
        conn["server"] = {"side": "server", "perf": perf}
        conn["client"] = {"side": "client", "perf": perf}
    out = {
        "rep": rep,
        "status": "ok",
        "metrics": [{
            "name": k,
            "value": v
        } for k, v in sorted(metrics.items())],
        "connections": [conn],
    }
    if slices:
        out["slices"] = [{
            "startS": start,
            "lengthS": length,
            "bytes": str(b),
            "messages": str(m)
        } for start, length, b, m in slices]
    return out


def cell_json(transport: str,
              size: int,
              threads: int,
              reps: List[Dict[str, float]],
              mode: str = "stream",
              perf: Optional[List[dict]] = None) -> dict:
    primary = {"rr": "transactions_per_sec",
               "crr": "connections_per_sec"}.get(mode, "throughput_gbps")
    samples = []
    for i, m in enumerate(reps, 1):
        window = 1.0
        nbytes = m.pop("_bytes", None)
        # (start_s, length_s, bytes, messages) of each --interval slice
        slices = m.pop("_slices", [])
        if nbytes is None and "throughput_gbps" in m:
            nbytes = m["throughput_gbps"] * 1e9 / 8 * window
        samples.append(_sample(i, m, window, nbytes, perf or [], slices))
    key = {
        "transport": transport,
        "size": str(size),
        "threads": threads,
        "fields": 1,
        "mode": mode,
        "direction": "server-to-client",
    }
    if "+" in transport:  # "sender+receiver": a cell of --recv
        key["transport"], key["recv_transport"] = transport.split("+", 1)
    return {
        "key": key,
        "status": "ok",
        "samples": samples,
        "primary_metric": primary,
    }


def write_run(directory: str,
              cells: Dict[Tuple[str, int, int], List[Dict[str, float]]],
              mode: str = "stream",
              isolation: str = "netns",
              perf: Optional[List[dict]] = None,
              notes: Optional[List[str]] = None,
              trailer: Optional[str] = "complete",
              trailer_cells: Optional[int] = None,
              trailer_sha256: Optional[str] = None) -> str:
    """Writes directory/run.jsonl; returns directory.

    trailer is the trailer's state ("complete", "interrupted", "stopped:
    no space left on device"), None for no trailer; trailer_cells and
    trailer_sha256 replace the true cell count and checksum.
    """
    os.makedirs(directory, exist_ok=True)
    transports = sorted({k[0] for k in cells})
    sizes = sorted({k[1] for k in cells})
    threads = sorted({k[2] for k in cells})
    reps = max(len(v) for v in cells.values())
    header = {
        "schema_version": 1,
        "run_id": os.path.basename(os.path.normpath(directory)),
        "started_utc": "2024-01-01T00:00:00Z",
        "finished_utc": "2024-01-01T00:01:00Z",
        "plan": {
            "profile": "synthetic",
            "mode": mode,
            "transports": transports,
            "sizes": [str(s) for s in sizes],
            "threads": threads,
            "reps": reps,
        },
        "host": HOST,
        "build": BUILD,
        "isolation": {
            "mode": isolation,
            "reason": "synthetic"
        },
        "notes": notes or [],
        "cells_planned": len(cells),
    }
    lines = [json.dumps(header)] + [
        json.dumps(cell_json(tr, size, th, [dict(r) for r in reps_], mode,
                             perf))
        for (tr, size, th), reps_ in sorted(cells.items())
    ]
    body = "".join(x + "\n" for x in lines).encode("utf-8")
    if trailer is not None:
        body += trailer_line(body, trailer, trailer_cells, trailer_sha256)
    with open(os.path.join(directory, "run.jsonl"), "wb") as f:
        f.write(body)
    return directory


def trailer_line(body: bytes,
                 state: str = "complete",
                 cells: Optional[int] = None,
                 sha256: Optional[str] = None) -> bytes:
    """The trailer line that ends body (a header line and cell lines)."""
    t = {
        "state": state,
        "cells": len(body.splitlines()) - 1 if cells is None else cells,
        "sha256": sha256 or hashlib.sha256(body).hexdigest(),
    }
    return (json.dumps({"trailer": t}) + "\n").encode("utf-8")


def unsupported_perf(
        reason: str = "hardware counters not supported") -> List[dict]:
    return [{
        "event": e,
        "state": "unsupported",
        "reason": reason
    } for e in ("cycles", "L1-dcache-load-misses", "cache-misses")]
