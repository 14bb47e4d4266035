"""Parsers for tools/compare-peers: what iperf3, sockperf and copyscope
print, turned into one number each (and round-trip percentiles for rr),
plus the per-case summary. Standard library only.

  from peer_outputs import parse_iperf3, summarize
  gbps = parse_iperf3(open("iperf3.json").read())["value"]
  s = summarize([(copyscope_sample, peer_sample), ...])   # medians, ratios

`python3 tools/peer_outputs.py` (or `tools/compare-peers --self-test`)
checks the parsers on outputs captured from real runs, in
tests/bench/testdata/.
"""

import csv
import json
import os
import re
import statistics
import sys

TESTDATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "tests", "bench", "testdata")


class Failure(Exception):
    """A run that produced no measurement; the message says why."""


# --------------------------------------------------------------------------
# Parsers (pure functions; --self-test checks them on captured outputs).

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_iperf3(text):
    """iperf3 -J client output -> receiver Gbit/s (and with -u the loss)."""
    # iperf3 -u may print a warning line before its JSON ("UDP block size
    # 1472 exceeds TCP MSS 1448, ...").
    brace = text.find("\n{")
    if not text.lstrip().startswith("{") and brace >= 0:
        text = text[brace + 1:]
    try:
        data = json.loads(text)
    except ValueError as e:
        raise Failure("iperf3 printed no JSON (%s): %.200s" % (e, text))
    if data.get("error"):
        raise Failure("iperf3: %s" % data["error"])
    try:
        bps = data["end"]["sum_received"]["bits_per_second"]
    except (KeyError, TypeError):
        raise Failure("iperf3 JSON has no end.sum_received.bits_per_second")
    out = {"value": bps / 1e9}
    # -u: the receiver's loss, in percent of the datagrams sent.
    lost = data["end"]["sum_received"].get("lost_percent")
    if isinstance(lost, (int, float)):
        out["loss_pct"] = float(lost)
    return out


def parse_sockperf(text):
    """sockperf ping-pong (--full-rtt) output -> transactions/s, p50, p99."""
    text = ANSI.sub("", text)
    err = re.search(r"sockperf: ERROR: (.*)", text)
    if err:
        raise Failure("sockperf: %s" % err.group(1).strip())
    valid = re.search(
        r"\[Valid Duration\] RunTime=([0-9.]+) sec; SentMessages=(\d+); "
        r"ReceivedMessages=(\d+)", text)
    total = re.search(r"Total (\d+) observations", text)
    if not valid or not total:
        raise Failure("sockperf output has no [Valid Duration] summary")
    if "Round trip is" not in text:
        raise Failure("sockperf reported one-way latency; run it with "
                      "--full-rtt for round trips")
    seconds = float(valid.group(1))
    observations = int(total.group(1))
    if seconds <= 0 or observations == 0:
        raise Failure("sockperf measured nothing (RunTime=%s)" % seconds)
    pct = {}
    for m in re.finditer(r"percentile (\d+\.\d+) = +([0-9.]+)", text):
        pct[float(m.group(1))] = float(m.group(2))
    if 50.0 not in pct or 99.0 not in pct:
        raise Failure("sockperf output has no 50th/99th percentile lines")
    return {"value": observations / seconds, "p50_us": pct[50.0],
            "p99_us": pct[99.0]}


def _number(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _from_metrics(metrics, status, rr, crr=False):
    """A cell's {metric: median} -> the measurement, or raises."""
    if status not in (None, "", "ok"):
        raise Failure("copyscope cell: %s" % status)
    if crr:
        cps = _number(metrics.get("connections_per_sec"))
        p50 = _number(metrics.get("latency_p50_us"))
        if cps is None or p50 is None:
            raise Failure("copyscope reported no connections_per_sec and "
                          "latency_p50_us for the crr cell")
        return {"value": cps, "p50_us": p50,
                "p99_us": _number(metrics.get("latency_p99_us"))}
    if rr:
        tps = _number(metrics.get("transactions_per_sec"))
        p50 = _number(metrics.get("latency_p50_us"))
        if tps is None or p50 is None:
            raise Failure("copyscope reported no transactions_per_sec and "
                          "latency_p50_us for the rr cell")
        return {"value": tps, "p50_us": p50,
                "p99_us": _number(metrics.get("latency_p99_us"))}
    g = _number(metrics.get("throughput_gbps"))
    if g is None:
        raise Failure("copyscope reported no throughput_gbps")
    out = {"value": g}
    loss = _number(metrics.get("loss_pct"))  # datagram cells
    if loss is not None:
        out["loss_pct"] = loss
    return out


def parse_copyscope_json(text, rr, crr=False):
    """`copyscope run --json` stdout (one run: cells[], each with its
    aggregates[] of {metric, median, ...}) -> the one cell's measurement
    (stream: Gbit/s; rr: transactions/s; crr: connections/s; with p50 and
    p99 in us for rr and crr)."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise Failure("copyscope --json printed no JSON (%s): %.200s" %
                      (e, text))
    cells = data.get("cells") if isinstance(data, dict) else None
    if not cells:
        raise Failure("copyscope --json output has no cells")
    cell = cells[0]
    metrics = {a.get("metric"): a.get("median")
               for a in cell.get("aggregates", [])}
    return _from_metrics(metrics, cell.get("status"), rr, crr)


def parse_copyscope_csv(text, rr):
    """summary.csv of a results directory -> the one cell's measurement."""
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise Failure("summary.csv has no rows")
    row = dict(rows[0])
    if rr and "latency_p50_us" not in row:
        row["latency_p50_us"] = row.get("latency_us")  # p50 in rr mode
    return _from_metrics(row, row.get("status"), rr)


def summarize(pairs):
    """[(copyscope, peer)] measurements -> medians and ratios."""
    cs = [a["value"] for a, _ in pairs]
    peer = [b["value"] for _, b in pairs]
    ratios = [a / b for a, b in zip(cs, peer) if b > 0]
    out = {"cs_median": statistics.median(cs),
           "peer_median": statistics.median(peer),
           "ratio_min": min(ratios) if ratios else None,
           "ratio_max": max(ratios) if ratios else None}
    out["ratio"] = (out["cs_median"] / out["peer_median"]
                    if out["peer_median"] > 0 else None)
    for side, idx in (("cs", 0), ("peer", 1)):
        for q in ("p50_us", "p99_us", "loss_pct"):
            vals = [p[idx][q] for p in pairs if p[idx].get(q) is not None]
            out["%s_%s" % (side, q)] = statistics.median(vals) if vals else None
    return out


def self_test(testdata=TESTDATA):
    """Runs the parsers on outputs captured from real runs."""
    def read(name):
        with open(os.path.join(testdata, name)) as f:
            return f.read()

    failures = []

    def check(what, cond):
        print("%s %s" % ("ok  " if cond else "FAIL", what))
        if not cond:
            failures.append(what)

    raw = json.loads(read("iperf3_256.json"))
    want = raw["end"]["sum_received"]["bits_per_second"] / 1e9
    got = parse_iperf3(read("iperf3_256.json"))
    check("iperf3: receiver Gbit/s", abs(got["value"] - want) < 1e-12)
    check("iperf3: block size of the capture is 256",
          raw["start"]["test_start"]["blksize"] == 256)
    try:
        parse_iperf3(read("iperf3_refused.json"))
        check("iperf3: an error JSON raises", False)
    except Failure as e:
        check("iperf3: an error JSON raises with its message",
              "Connection refused" in str(e))

    text = read("sockperf_pp_64.txt")
    got = parse_sockperf(text)
    plain = ANSI.sub("", text)
    obs = int(re.search(r"Total (\d+) observations", plain).group(1))
    secs = float(re.search(r"Valid Duration\] RunTime=([0-9.]+)",
                           plain).group(1))
    check("sockperf: transactions/s = observations / valid seconds",
          abs(got["value"] - obs / secs) < 1e-9)
    p50 = float(re.search(r"percentile 50\.000 = +([0-9.]+)", plain).group(1))
    p99 = float(re.search(r"percentile 99\.000 = +([0-9.]+)", plain).group(1))
    check("sockperf: p50 and p99", got["p50_us"] == p50 and got["p99_us"] == p99)
    try:
        parse_sockperf(read("sockperf_pp_refused.txt"))
        check("sockperf: an error raises", False)
    except Failure as e:
        check("sockperf: an error raises with its message", "refused" in str(e))
    try:
        parse_sockperf(plain.replace("Round trip is", "Latency is"))
        check("sockperf: one-way output is refused", False)
    except Failure:
        check("sockperf: one-way output is refused", True)

    s = summarize([({"value": 2.0}, {"value": 1.0}),
                   ({"value": 3.0}, {"value": 4.0}),
                   ({"value": 4.0}, {"value": 2.0})])
    check("summary: medians, ratio of medians, min/max pair ratio",
          s["cs_median"] == 3.0 and s["peer_median"] == 2.0 and
          s["ratio"] == 1.5 and
          s["ratio_min"] == 0.75 and s["ratio_max"] == 2.0)

    raw = json.loads(read("copyscope_stream_4k.json"))
    agg = {a["metric"]: a["median"] for a in raw["cells"][0]["aggregates"]}
    got = parse_copyscope_json(read("copyscope_stream_4k.json"), False)
    check("copyscope --json: stream throughput_gbps median",
          got["value"] == agg["throughput_gbps"])
    got = parse_copyscope_csv(read("copyscope_stream_4k_summary.csv"), False)
    check("copyscope summary.csv: stream throughput agrees with --json",
          abs(got["value"] - agg["throughput_gbps"]) < 1e-3)
    raw = json.loads(read("copyscope_rr_64.json"))
    agg = {a["metric"]: a["median"] for a in raw["cells"][0]["aggregates"]}
    got = parse_copyscope_json(read("copyscope_rr_64.json"), True)
    check("copyscope --json: rr transactions/s, p50, p99",
          got["value"] == agg["transactions_per_sec"] and
          got["p50_us"] == agg["latency_p50_us"] and
          got["p99_us"] == agg["latency_p99_us"])
    got_csv = parse_copyscope_csv(read("copyscope_rr_64_summary.csv"), True)
    check("copyscope summary.csv: rr agrees with --json",
          abs(got_csv["value"] - got["value"]) < 1 and
          abs(got_csv["p50_us"] - got["p50_us"]) < 1e-3)
    try:
        parse_copyscope_json(read("copyscope_stream_4k.json"), True)
        check("copyscope: a stream cell is not taken for an rr one", False)
    except Failure:
        check("copyscope: a stream cell is not taken for an rr one", True)
    bad = json.dumps({"cells": [{"status": "failed: two_copy receiver: x",
                                 "aggregates": []}]})
    try:
        parse_copyscope_json(bad, False)
        check("copyscope: a failed cell raises", False)
    except Failure as e:
        check("copyscope: a failed cell raises with its status",
              "receiver" in str(e))
    print("self-test: %s" % ("passed" if not failures else
                             "%d failed" % len(failures)))
    return 0 if not failures else 1



if __name__ == "__main__":
    sys.exit(self_test())
