"""Tests of reading run.jsonl into the report's model."""

import hashlib
import json
import os
import unittest

from copyscope_report import loader, synthetic


class LoaderTest(unittest.TestCase):

    def setUp(self):
        self.tmp = synthetic.temp_dir(self)

    def test_reads_the_protobuf_json_mapping(self):
        d = synthetic.write_run(
            os.path.join(self.tmp, "r1"), {
                ("two_copy", 4096, 2): [{
                    "throughput_gbps": 8.0,
                    "cycles": 4e9,
                    "cycles_per_byte": 4.0,
                    "cs": 100,
                    "cs_per_s": 100.0,
                }, {
                    "throughput_gbps": 8.0,
                    "cycles": 4e9,
                    "cycles_per_byte": 4.0,
                    "cs": 200,
                    "cs_per_s": 200.0,
                }]
            })
        run = loader.load_run(d)
        self.assertEqual(run.run_id, "r1")
        self.assertEqual(run.host["cpu_count"], 2)
        self.assertEqual(run.build["git_commit"][:4], "0123")
        self.assertEqual(len(run.cells), 1)
        c = run.cells[0]
        self.assertEqual((c.transport, c.size, c.threads, c.mode),
                         ("two_copy", 4096, 2, "stream"))
        self.assertEqual(c.values("throughput_gbps"), [8.0, 8.0])
        # The record's own derived figures (the harness computes them).
        self.assertEqual(c.values("cycles_per_byte"), [4.0, 4.0])
        self.assertEqual(c.values("cs_per_s"), [100.0, 200.0])
        self.assertEqual(c.values("llc_misses_per_kib"), [])

    def test_camel_case_names_and_absent_defaults(self):
        # The default proto3 JSON spelling (lowerCamelCase) reads the same.
        p = os.path.join(self.tmp, "run.jsonl")
        with open(p, "w") as f:
            f.write(json.dumps({"runId": "x", "schemaVersion": 1}) + "\n")
            f.write(
                json.dumps({
                    "key": {
                        "transport": "zero_copy",
                        "size": "64",
                        "threads": 1,
                        "requestSize": "32"
                    },
                    "samples": [
                        {
                            "rep": 1,
                            "status": "ok",
                            # proto3 JSON leaves out a zero value.
                            "metrics": [{
                                "name": "zc_copied_fraction"
                            }]
                        },
                        {
                            "rep": 2,
                            "status": "failed: connection reset"
                        }
                    ]
                }) + "\n")
        run = loader.load_run(p)
        self.assertEqual((run.run_id, run.schema_version), ("x", 1))
        c = run.cells[0]
        self.assertEqual((c.size, c.request_size), (64, 32))
        self.assertEqual(c.values("zc_copied_fraction"), [0.0])
        self.assertEqual(c.failed, ["failed: connection reset"])
        self.assertEqual(c.primary(), "throughput_gbps")
        self.assertEqual(c.samples[0].slices, [])

    def test_slices_in_either_spelling(self):
        p = os.path.join(self.tmp, "slices.jsonl")
        sample = {
            "rep": 1,
            "slices": [{
                "start_s": 0.1,
                "length_s": 0.1,
                "bytes": "1000",
                "messages": 10
            }, {
                "startS": 0.2,
                "lengthS": 0.05,
                "bytes": 400
            }]
        }
        key = {"transport": "two_copy", "size": "64", "threads": 1}
        with open(p, "w") as f:
            for line in ({"runId": "x", "schemaVersion": 5}, {
                    "key": key,
                    "samples": [sample]
            }):
                f.write(json.dumps(line) + "\n")
        (c,) = loader.load_run(p).cells
        self.assertEqual(c.samples[0].slices, [
            loader.Slice(0.1, 0.1, 1000, 10),
            loader.Slice(0.2, 0.05, 400, 0)
        ])

    def test_a_separate_receive_plugin_joins_the_transport_label(self):
        p = os.path.join(self.tmp, "recv.jsonl")
        cells = [("two_copy", ""), ("two_copy", "uring_recv"),
                 ("zero_copy", "tcp_zerocopy_recv")]
        with open(p, "w") as f:
            f.write(json.dumps({"runId": "x", "schemaVersion": 1}) + "\n")
            for transport, recv in cells:
                key = {"transport": transport, "size": "4096", "threads": 1}
                if recv:
                    key["recvTransport"] = recv
                f.write(json.dumps({"key": key, "samples": []}) + "\n")
        run = loader.load_run(p)
        self.assertEqual(
            [(c.transport, c.recv_transport) for c in run.cells],
            [("two_copy", ""), ("two_copy+uring_recv", "uring_recv"),
             ("zero_copy+tcp_zerocopy_recv", "tcp_zerocopy_recv")])
        # Distinct experiments: the pair is part of the cell's key.
        self.assertEqual(len({c.key for c in run.cells}), 3)

    def test_figures_come_from_the_record_never_recomputed(self):
        # cycles and bytes are there, cycles_per_byte is not: the report
        # does not make it up (the harness's metrics catalogue derives it).
        d = synthetic.write_run(
            os.path.join(self.tmp, "r3"), {
                ("two_copy", 4096, 1): [{
                    "throughput_gbps": 8.0,
                    "cycles": 4e9,
                    "cs": 100,
                    "server_cycles_per_byte": 1.5,
                    "client_cycles_per_byte": 2.0,
                }]
            })
        c = loader.load_run(d).cells[0]
        self.assertEqual(c.values("cycles_per_byte"), [])
        self.assertEqual(c.values("cs_per_s"), [])
        self.assertEqual(c.values("server_cycles_per_byte"), [1.5])

    def test_unmeasured_counters_keep_their_reason(self):
        d = synthetic.write_run(os.path.join(self.tmp, "r2"),
                                {("a", 64, 1): [{
                                     "throughput_gbps": 1.0
                                 }]},
                                perf=synthetic.unsupported_perf("no PMU here"))
        run = loader.load_run(d)
        self.assertEqual(run.unmeasured["cycles"], "cycles: no PMU here")
        self.assertIn("llc_misses", run.unmeasured)

    def test_errors_are_one_line(self):
        cases = [os.path.join(self.tmp, "missing"), self.tmp]
        bad = os.path.join(self.tmp, "bad")
        os.mkdir(bad)
        with open(os.path.join(bad, "run.jsonl"), "w") as f:
            f.write('{"runId": "x"}\n{not json\n')
        cases.append(bad)
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        open(os.path.join(empty, "run.jsonl"), "w").close()
        cases.append(empty)
        for path in cases:
            with self.assertRaises(loader.LoadError) as e:
                loader.load_run(path)
            self.assertNotIn("\n", str(e.exception))
            self.assertIn(path, str(e.exception))

    def test_size_label(self):
        self.assertEqual(loader.size_label(4096), "4 KiB")
        self.assertEqual(loader.size_label(1 << 20), "1 MiB")
        self.assertEqual(loader.size_label(1536), "1536 B")


def _mutated(tmp, name, header_fn=None, cell_fn=None, raw_cell=None):
    """A record whose header and first cell were changed by the functions."""
    d = synthetic.write_run(
        os.path.join(tmp, name), {
            ("two_copy", 4096, 1): [{
                "throughput_gbps": 8.0,
                "cycles": 4e9
            }]
        },
        perf=synthetic.unsupported_perf(),
        trailer=None)
    p = os.path.join(d, "run.jsonl")
    with open(p) as f:
        header, cell = [json.loads(x) for x in f.read().splitlines()]
    if header_fn:
        header_fn(header)
    if cell_fn:
        cell_fn(cell)
    with open(p, "w") as f:
        f.write(json.dumps(header) + "\n")
        f.write((raw_cell or json.dumps(cell)) + "\n")
    return d


def _sample0(c):
    return c["samples"][0]


class MalformedRecordTest(unittest.TestCase):
    """Well-formed JSON with wrong types or values: a LoadError naming the
    file, the line and the field, never another exception."""

    CASES = [
        # (name, header change, cell change, expected "line: field: problem")
        ("host number", lambda h: h.update(host=5), None,
         "1: host: expected an object, got a number"),
        ("commit number", lambda h: h["build"].update(git_commit=5), None,
         "1: build.git_commit: expected a string, got a number"),
        ("dirty string", lambda h: h["build"].update(git_dirty="x"), None,
         '1: build.git_dirty: expected a whole number, got "x"'),
        ("notes of numbers", lambda h: h.update(notes=[1]), None,
         "1: notes[0]: expected a string, got a number"),
        ("planned huge", lambda h: h.update(cells_planned=10**400), None,
         "1: cells_planned: a number of 401 digits is out of range"),
        ("run id list", lambda h: h.update(run_id=["x"]), None,
         "1: run_id: expected a string, got a list"),
        ("key list", None, lambda c: c.update(key=[1]),
         "2: key: expected an object, got a list"),
        ("transport number", None, lambda c: c["key"].update(transport=7),
         "2: key.transport: expected a string, got a number"),
        ("no transport", None, lambda c: c["key"].pop("transport"),
         "2: key.transport: a cell has no transport"),
        ("size huge", None, lambda c: c["key"].update(size=10**30),
         "2: key.size: a number of 31 digits is out of range (0 "
         "to 18446744073709551615)"),
        ("size zero", None, lambda c: c["key"].pop("size"),
         "2: key.size: 0 is not a message size (1 byte or more)"),
        ("size negative", None, lambda c: c["key"].update(size="-1"),
         '2: key.size: "-1" is out of range'),
        ("size fraction", None, lambda c: c["key"].update(size=1.5),
         "2: key.size: expected a whole number, got 1.5"),
        ("size NaN", None, lambda c: c["key"].update(size=float("nan")),
         "2: key.size: expected a whole number, got nan"),
        ("threads zero", None, lambda c: c["key"].update(threads=0),
         "2: key.threads: 0 is not a thread count (1 or more)"),
        ("mode path", None, lambda c: c["key"].update(mode="../x"),
         '2: key.mode: "../x" is not a mode name'),
        ("transport newline", None,
         lambda c: c["key"].update(transport="a\nb"),
         '2: key.transport: "a\\nb" holds a control character'),
        ("surrogate", None, lambda c: c["key"].update(transport="\ud800"),
         "2: key.transport: not valid Unicode text"),
        ("samples object", None, lambda c: c.update(samples={"a": 1}),
         "2: samples: expected a list, got an object"),
        ("metric value list", None,
         lambda c: _sample0(c)["metrics"][0].update(value=[1]),
         "2: samples[0].metrics[0].value: expected a number, got a list"),
        ("metric value huge", None,
         lambda c: _sample0(c)["metrics"][0].update(value=1e300),
         "2: samples[0].metrics[0].value: 1e+300 is out of range"),
        ("metric name number", None,
         lambda c: _sample0(c)["metrics"][1].update(name=3),
         "2: samples[0].metrics[1].name: expected a string, got a number"),
        ("rep object", None, lambda c: _sample0(c).update(rep={}),
         "2: samples[0].rep: expected a whole number, got an object"),
        ("slices object", None, lambda c: _sample0(c).update(slices={}),
         "2: samples[0].slices: expected a list, got an object"),
        ("slice bytes negative", None,
         lambda c: _sample0(c).update(slices=[{"bytes": "-1"}]),
         '2: samples[0].slices[0].bytes: "-1" is out of range'),
        ("perf not a list", None,
         lambda c: _sample0(c)["connections"][0]["server"].update(perf="x"),
         "2: samples[0].connections[0].server.perf: expected a list, got a "
         "string"),
        ("unstable string", None, lambda c: c.update(unstable="yes"),
         "2: unstable: expected true or false, got a string"),
    ]

    def test_each_case_names_its_field(self):
        tmp = synthetic.temp_dir(self)
        for i, (name, hf, cf, want) in enumerate(self.CASES):
            with self.subTest(name):
                d = _mutated(tmp, f"r{i}", hf, cf)
                with self.assertRaises(loader.LoadError) as e:
                    loader.load_run(d)
                msg = str(e.exception)
                self.assertIn(f"{d}/run.jsonl:{want}", msg)
                self.assertNotIn("\n", msg)

    def test_non_finite_values_are_not_measured_not_errors(self):
        # proto3 JSON writes NaN and infinities as strings; Python's JSON
        # also reads the bare tokens.
        tmp = synthetic.temp_dir(self)
        for v in ("NaN", "Infinity", "-Infinity", float("nan"), float("inf")):
            d = _mutated(
                tmp, f"v{v}", None,
                lambda c: _sample0(c)["metrics"][1].update(value=v))
            c = loader.load_run(d).cells[0]
            self.assertEqual(c.values("throughput_gbps"), [])
            self.assertEqual(c.values("cycles"), [4e9])

    def test_derived_values_stay_finite(self):
        # A window of 1e-300 s would give a context switch rate of 1e303/s.
        tmp = synthetic.temp_dir(self)
        d = _mutated(
            tmp, "w", None, lambda c: [
                _sample0(c)["metrics"].append({
                    "name": "cs",
                    "value": 1000.0
                }),
                _sample0(c)["connections"][0].update(window_s=1e-300)
            ])
        c = loader.load_run(d).cells[0]
        self.assertEqual(c.values("cs"), [1000.0])
        self.assertEqual(c.values("cs_per_s"), [])

    def test_lines_that_are_not_records(self):
        tmp = synthetic.temp_dir(self)
        for name, raw, want in (
            ("array", "[1, 2]",
             "2: expected a JSON object per line, got a list"),
            ("no key", '{"samples": []}', "2: a cell line without a key"),
            ("deep", "[" * 100000 + "]" * 100000,
             "2: nested too deeply to be a record"),
            ("latin1", '{"key": "caf\xe9"}', "2: not UTF-8 text (byte 13)"),
        ):
            with self.subTest(name):
                d = _mutated(tmp, name, raw_cell="{}")
                with open(os.path.join(d, "run.jsonl"), "rb") as f:
                    head = f.read().split(b"\n")[0]
                with open(os.path.join(d, "run.jsonl"), "wb") as f:
                    f.write(head + b"\n" + raw.encode("latin-1") + b"\n")
                with self.assertRaises(loader.LoadError) as e:
                    loader.load_run(d)
                self.assertIn(f"run.jsonl:{want}", str(e.exception))


class TrailerTest(unittest.TestCase):
    """complete, interrupted, stopped, incomplete (no trailer) and damaged
    records."""

    CELLS = {("two_copy", s, 1): [{
        "throughput_gbps": 8.0
    }] for s in (64, 4096)}

    def setUp(self):
        self.tmp = synthetic.temp_dir(self)

    def write(self, name, **kw):
        return synthetic.write_run(os.path.join(self.tmp, name), self.CELLS,
                                   **kw)

    def damaged(self, d, want):
        with self.assertRaises(loader.LoadError) as e:
            loader.load_run(d)
        self.assertIn(want, str(e.exception))
        self.assertNotIn("\n", str(e.exception))

    def test_trailer_is_the_checksum_of_everything_before_it(self):
        d = self.write("ok")
        with open(os.path.join(d, "run.jsonl"), "rb") as f:
            data = f.read()
        body, last = data[:-1].rsplit(b"\n", 1)
        t = json.loads(last)["trailer"]
        self.assertEqual(t["sha256"], hashlib.sha256(body + b"\n").hexdigest())
        self.assertEqual(t["cells"], 2)
        run = loader.load_run(d)
        self.assertEqual(run.completeness, "complete")
        self.assertEqual(len(run.cells), 2)
        self.assertIsNone(loader.completeness_note(run, "figures cover"))

    def test_states(self):
        for state, want in (
            ("interrupted", "was interrupted (SIGINT, SIGTERM or SIGHUP)"),
            ("stopped: no space left on device",
             "stopped: no space left on device"),
            ("paused", "is not complete (its trailer says 'paused')"),
        ):
            d = self.write(state.split(":")[0], trailer=state)
            run = loader.load_run(d)
            self.assertEqual(run.completeness, state)
            self.assertEqual(
                loader.completeness_note(run, "figures cover"),
                f"note: {d} {want}; figures cover its 2 cells of 2 planned")

    def test_no_trailer_is_incomplete_and_read(self):
        d = self.write("old", trailer=None)
        run = loader.load_run(d)
        self.assertEqual(run.completeness, "incomplete")
        self.assertEqual(len(run.cells), 2)
        self.assertEqual(
            loader.completeness_note(run, "figures cover"),
            f"note: {d} is incomplete: no trailer (the run was killed or is "
            "still running, or a copyscope without trailers wrote it); "
            "figures cover its 2 cells of 2 planned")
        # The header's own "trailer" field (run.pb's end marker) is not one.
        p = os.path.join(d, "run.jsonl")
        with open(p) as f:
            lines = f.read().splitlines()
        header = json.loads(lines[0])
        header["trailer"] = "8029759185026510703"
        with open(p, "w") as f:
            f.write("\n".join([json.dumps(header)] + lines[1:]) + "\n")
        self.assertEqual(loader.load_run(d).completeness, "incomplete")

    def test_checksum_mismatch(self):
        self.damaged(self.write("sha", trailer_sha256="0" * 64),
                     "run.jsonl:4: damaged record: checksum mismatch")
        # One digit changed after the run wrote it: still JSON, still a
        # record, but not the one the trailer names.
        d = self.write("edit")
        p = os.path.join(d, "run.jsonl")
        with open(p, "rb") as f:
            data = f.read()
        with open(p, "wb") as f:
            f.write(data.replace(b'"throughput_gbps", "value": 8.0',
                                 b'"throughput_gbps", "value": 9.0', 1))
        self.damaged(d, "checksum mismatch")
        self.damaged(self.write("fmt", trailer_sha256="ABC"),
                     'trailer.sha256: "ABC" is not a SHA-256 in lowercase hex')

    def test_cell_count_mismatch(self):
        self.damaged(self.write("n", trailer_cells=5),
                     "run.jsonl:4: damaged record: the trailer counts 5 "
                     "cells, the file has 2")

    def test_cut_short(self):
        d = self.write("cut")
        p = os.path.join(d, "run.jsonl")
        with open(p, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        # Inside the trailer, and inside the last cell (no trailer yet).
        for cut, line in ((len(data) - 10, 4),
                          (len(data) - len(lines[3]) - 30, 3)):
            with open(p, "wb") as f:
                f.write(data[:cut])
            self.damaged(d, f"run.jsonl:{line}: damaged record: the line is "
                         "cut short (the file ends inside it)")

    def test_trailer_before_the_end(self):
        d = self.write("mid")
        p = os.path.join(d, "run.jsonl")
        with open(p, "rb") as f:
            lines = f.read().split(b"\n")
        with open(p, "wb") as f:
            f.write(b"\n".join([lines[0], lines[3], lines[1], lines[2], b""]))
        self.damaged(d, "run.jsonl:2: damaged record: a trailer before the "
                     "end of the record")


if __name__ == "__main__":
    unittest.main(verbosity=2)
