"""Tests of reading run.jsonl into the report's model."""

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
                    "cs": 100,
                }, {
                    "throughput_gbps": 8.0,
                    "cycles": 4e9,
                    "cs": 200,
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
        # 8 Gbit/s over 1 s is 1e9 bytes: 4 cycles per byte.
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

    def test_role_figures_add_up_when_totals_are_absent(self):
        d = synthetic.write_run(
            os.path.join(self.tmp, "r3"), {
                ("two_copy", 4096, 1): [{
                    "throughput_gbps": 8.0,
                    "server_cycles_per_byte": 1.5,
                    "client_cycles_per_byte": 2.0,
                    "server_context_switches_per_second": 10.0,
                    "client_context_switches_per_second": 30.0,
                }]
            })
        c = loader.load_run(d).cells[0]
        self.assertEqual(c.values("cycles_per_byte"), [3.5])
        self.assertEqual(c.values("cs_per_s"), [40.0])

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
