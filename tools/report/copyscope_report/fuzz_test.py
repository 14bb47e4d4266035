"""Fuzz test of the loader and the two commands, as a bounded unit test.

In the manner of a fuzz target: records from synthetic.write_run are
mutated with a fixed seed (bytes flipped, the file cut at any offset,
JSON values swapped for values of other types, keys deleted, huge, NaN and
infinite numbers inserted, lines dropped, repeated or swapped, nesting
deepened) and each must either load or be refused with a one-line
LoadError: any other exception fails the test. A sample of them then goes
through `report` and `compare`, which must exit 0, 1 or 2 with no traceback
and no "internal error" on stderr.

Most JSON mutations re-seal the trailer (a true checksum and cell
count over the mutated lines), so they reach the parts of the loader behind
the checksum. Iteration i uses random.Random(f"{SEED}:{i}"): a failure names
i and its mutations, and is replayed alone with FUZZ_ONLY=i. FUZZ_SECONDS
and FUZZ_ITERATIONS change the bounds (e.g. for a longer local run).
"""

import json
import os
import random
import time
import traceback
import unittest

from copyscope_report import loader, synthetic
from copyscope_report.synthetic import run_cli

SEED = 20240607
ITERATIONS = int(os.environ.get("FUZZ_ITERATIONS", "3000"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "4"))
MIN_ITERATIONS = 300  # fewer than this in the time bound: the test is void
ONLY = os.environ.get("FUZZ_ONLY")

JITTER = (0.97, 0.99, 1.0, 1.01, 1.03)

# Values of every JSON type, and the awkward ones within types.
ODD_VALUES = [
    None, True, False, 0, -1, 1.5, -0.0, 2**63, 2**64, -(2**63), 10**400,
    1e308, -1e308, 5e-324,
    float("nan"),
    float("inf"),
    float("-inf"), "NaN", "Infinity", "-Infinity", "", "x", "x" * 5000,
    "\ud800", "a\nb", "../../x", "18446744073709551616", "-1", "1e3", [], {},
    [1, "a", None], {
        "key": {}
    }, {
        "trailer": {}
    }
]


def base_records(tmp):
    """The seeds of the corpus: a stream run (perf counters unsupported, two
    transports, sizes and thread counts), an rr run with latencies, and
    records without a trailer or interrupted."""
    stream = {(t, s, n): [{
        "throughput_gbps": m * n * j,
        "cycles": 2e9 * j,
        "cs": 100.0 * n,
        "zc_copied_fraction": 1.0
    } for j in JITTER] for t, m in (("two_copy", 10.0), ("zero_copy", 9.0))
              for s in (256, 65536) for n in (1, 2)}
    rr = {("two_copy", 64, n): [{
        "transactions_per_sec": 1e4 * n * j,
        "latency_p50_us": 10.0 * j,
        "latency_p99_us": 30.0 * j
    } for j in JITTER] for n in (1, 2)}
    out = []
    for name, cells, kw in (
        ("stream", stream, {"perf": synthetic.unsupported_perf()}),
        ("rr", rr, {"mode": "rr"}),
        ("old", rr, {"mode": "rr", "trailer": None}),
        ("int", stream, {"trailer": "interrupted"}),
    ):
        d = synthetic.write_run(os.path.join(tmp, name), cells, **kw)
        with open(os.path.join(d, "run.jsonl"), "rb") as f:
            out.append(f.read())
    return out


def _nodes(v, path=()):
    """Every (container, key) of a JSON value, depth first."""
    if isinstance(v, dict):
        for k in list(v):
            yield v, k
            yield from _nodes(v[k])
    elif isinstance(v, list):
        for i in range(len(v)):
            yield v, i
            yield from _nodes(v[i])


def _odd(rng):
    v = rng.choice(ODD_VALUES)
    return json.loads(json.dumps(v)) if isinstance(v, (list, dict)) else v


def _mutate_json(rng, data, log):
    """A JSON-level mutation of one line of data (bytes); None when the line
    chosen is not JSON."""
    lines = data.split(b"\n")
    body = [i for i, x in enumerate(lines) if x.strip()]
    if not body:
        return None
    i = rng.choice(body)
    try:
        obj = json.loads(lines[i])
    except ValueError:
        return None
    nodes = list(_nodes(obj))
    for _ in range(rng.randint(1, 3)):
        if not nodes:
            break
        parent, key = rng.choice(nodes)
        op = rng.choice(("swap", "swap", "delete", "huge", "deepen"))
        if op == "delete" and isinstance(parent, dict):
            del parent[key]
            log.append(f"line {i + 1}: delete {key!r}")
            nodes = list(_nodes(obj))
            continue
        if op == "huge" or op == "delete":
            parent[key] = rng.choice(
                [1e308, -1e308, 10**30, 2**64,
                 float("nan"),
                 float("inf"), "NaN", "Infinity", 1e30, 1e31])
        elif op == "deepen":
            parent[key] = json.loads("[" * 50 + "1" + "]" * 50)
        else:
            parent[key] = _odd(rng)
        log.append(f"line {i + 1}: {op} [{key!r}] = {str(parent[key])[:40]}")
    lines[i] = json.dumps(obj, allow_nan=True).encode("utf-8", "surrogatepass")
    return b"\n".join(lines)


def _reseal(data):
    """data with its trailer (if any) made true again for its lines."""
    lines = data.rstrip(b"\n").split(b"\n")
    try:
        last = json.loads(lines[-1])
    except ValueError:
        return data
    if not (isinstance(last, dict) and list(last) == ["trailer"]):
        return data
    body = b"".join(x + b"\n" for x in lines[:-1])
    state = last["trailer"].get("state") if isinstance(last["trailer"],
                                                       dict) else None
    if not isinstance(state, str):
        state = "complete"
    return body + synthetic.trailer_line(body, state)


def mutate(rng, seeds, log):
    data = rng.choice(seeds)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.choices(("flip", "truncate", "json", "lines"), (1, 1, 5, 1))[0]
        if op == "flip" and data:
            b = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(b))
                b[at] = rng.randrange(256) if rng.random() < 0.5 else b[at] ^ (
                    1 << rng.randrange(8))
            data = bytes(b)
            log.append("flip bytes")
        elif op == "truncate" and data:
            at = rng.randrange(len(data) + 1)
            data = data[:at]
            log.append(f"truncate at {at}")
        elif op == "json":
            new = _mutate_json(rng, data, log)
            if new is not None:
                data = new
                if rng.random() < 0.6:
                    data = _reseal(data)
                    log.append("reseal")
        elif op == "lines":
            lines = data.split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            how = rng.choice(("drop", "repeat", "swap"))
            if how == "drop":
                del lines[i]
            elif how == "repeat":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
            log.append(f"lines: {how} {i} {j}")
            if rng.random() < 0.5:
                data = _reseal(data)
                log.append("reseal")
    return data


class FuzzTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = synthetic.temp_dir(cls)
        cls.seeds = base_records(os.path.join(cls.tmp, "seeds"))

    def _case(self, i):
        rng = random.Random(f"{SEED}:{i}")
        log = []
        data = mutate(rng, self.seeds, log)
        try:
            run = loader.parse_record(data, "fuzz.jsonl")
        except loader.LoadError as e:
            self.assertNotIn("\n", str(e), f"iteration {i}: {log}")
            return data, None
        except Exception:  # pylint: disable=broad-except
            self.fail(f"iteration {i} ({'; '.join(log)}): not a LoadError:\n"
                      f"{traceback.format_exc()}")
        self.assertIsInstance(run, loader.Run)
        return data, run

    def test_loader_loads_or_refuses_in_one_line(self):
        if ONLY is not None:
            self._case(int(ONLY))
            return
        start = time.monotonic()
        n = loaded = 0
        while n < ITERATIONS and time.monotonic() - start < SECONDS:
            _, run = self._case(n)
            loaded += run is not None
            n += 1
        self.assertGreaterEqual(n, min(MIN_ITERATIONS, ITERATIONS))
        # Both outcomes are reached: the mutations are neither all fatal nor
        # all harmless.
        self.assertGreater(loaded, n // 20, (loaded, n))
        self.assertLess(loaded, n - n // 20, (loaded, n))

    def test_report_and_compare_exit_cleanly(self):
        """Mutants through the two commands, from files: 0, 1 or 2, one line
        at most on stderr, never a traceback or an internal error."""
        base = os.path.join(self.tmp, "base")
        os.makedirs(base)
        with open(os.path.join(base, "run.jsonl"), "wb") as f:
            f.write(self.seeds[0])
        reports = compares = 0
        for i in range(ITERATIONS):
            if reports >= 6 and compares >= 40:
                break
            data, run = self._case(100000 + i)
            # Loadable mutants are the interesting ones past the loader.
            if run is None and i % 4:
                continue
            d = os.path.join(self.tmp, f"m{i}")
            os.makedirs(d)
            with open(os.path.join(d, "run.jsonl"), "wb") as f:
                f.write(data)
            argvs = [("compare", base, d), ("compare", d, base)]
            if reports < 6 and run is not None and run.cells:
                argvs.append(("report", d, f"--out={d}/report"))
                reports += 1
            for argv in argvs:
                rc, _, err = run_cli(*argv)
                what = f"iteration {100000 + i}: {' '.join(argv[:1])}: {err}"
                self.assertIn(rc, (0, 1, 2), what)
                self.assertNotIn("Traceback", err, what)
                self.assertNotIn("internal error", err, what)
                self.assertLessEqual(err.count("\n"), 1, what)
                self.assertEqual(rc == 2, err.count("\n") == 1, what)
                compares += argv[0] == "compare"
        self.assertGreaterEqual(reports, 3)
        self.assertGreaterEqual(compares, 20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
