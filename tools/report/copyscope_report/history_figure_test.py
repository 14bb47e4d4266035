"""Tests of history_figure: the cells of a run across a history's runs."""

import os
import sqlite3
import tempfile
import unittest

from copyscope_report import figures, history_figure, loader

# The tables history_figure reads (harness/record/history_schema.cc).
SCHEMA = """
CREATE TABLE run (run_pk INTEGER PRIMARY KEY, run_id TEXT, started_utc TEXT,
  fingerprint TEXT, git_commit TEXT, git_dirty INTEGER, version TEXT);
CREATE TABLE cell (cell_pk INTEGER PRIMARY KEY, run_pk INTEGER,
  transport TEXT, recv_transport TEXT, size INTEGER, threads INTEGER,
  mode TEXT, fields INTEGER, direction TEXT, request_size INTEGER,
  response_size INTEGER, status TEXT, metric TEXT, median REAL,
  ci95_low REAL, ci95_high REAL, n INTEGER, unstable INTEGER);
"""


def _run(started: str = "2026-01-01T00:03:00Z") -> loader.Run:
    run = loader.Run(path="r", run_id="r3", started_utc=started)
    run.host = {"testbed_fingerprint": "fp" * 32}
    run.cells = [
        loader.Cell("two_copy", 65536, 1, fields=8),
        loader.Cell("two_copy+uring_recv", 4096, 1, recv_transport="uring_recv"),
        loader.Cell("one_copy", 4096, 2),
    ]
    return run


class HistoryFigureTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.path = os.path.join(self.dir, "history.sqlite")
        con = sqlite3.connect(self.path)
        con.executescript(SCHEMA)
        runs = [
            # run_id, started, fingerprint, commit, median
            ("r0", "2026-01-01T00:00:00Z", "fp" * 32, "aaaaaaaa11", 10.0),
            ("r1", "2026-01-01T00:01:00Z", "fp" * 32, "aaaaaaaa11", 11.0),
            ("elsewhere", "2026-01-01T00:01:30Z", "ff" * 32, "aaaaaaaa11", 1.0),
            ("r2", "2026-01-01T00:02:00Z", "fp" * 32, "bbbbbbbb22", 5.0),
            ("r3", "2026-01-01T00:03:00Z", "fp" * 32, "bbbbbbbb22", 5.5),
            ("later", "2026-01-01T00:04:00Z", "fp" * 32, "bbbbbbbb22", 99.0),
        ]
        for pk, (rid, started, fp, commit, median) in enumerate(runs):
            con.execute("INSERT INTO run VALUES (?, ?, ?, ?, ?, 0, '0.1.0')",
                        (pk, rid, started, fp, commit))
            cells = [("two_copy", "", 65536, 1, 8, median)]
            if rid == "r3":  # the receive pairing: in this run only
                cells.append(("two_copy", "uring_recv", 4096, 1, 0, 3.0))
            for transport, recv, size, threads, fields, m in cells:
                con.execute(
                    "INSERT INTO cell (run_pk, transport, recv_transport, "
                    "size, threads, mode, fields, direction, request_size, "
                    "response_size, status, metric, median, ci95_low, "
                    "ci95_high, n, unstable) VALUES (?, ?, ?, ?, ?, 'stream', "
                    "?, 'server-to-client', 0, 0, 'ok', 'throughput_gbps', "
                    "?, ?, ?, 3, 0)", (pk, transport, recv, size, threads,
                                       fields, m, m - 0.5, m + 0.5))
        con.commit()
        con.close()

    def test_a_cell_across_the_runs_of_its_testbed_up_to_this_one(self):
        specs, omitted = history_figure.build(_run(), self.path, "foot")
        self.assertEqual(omitted, [])
        self.assertEqual([s.id for s in specs], ["history_1"])
        (panel,) = specs[0].panels  # the others have no earlier run
        self.assertEqual(panel.title, "two_copy 64 KiB x1 stream, 8 fields")
        self.assertEqual(panel.xkind, "run")
        (series,) = panel.series
        self.assertEqual(series.y, [10.0, 11.0, 5.0, 5.5])
        self.assertEqual(series.lo, [9.5, 10.5, 4.5, 5.0])
        self.assertEqual(series.x, [1.0, 2.0, 3.0, 4.0])
        # The build, where it changes.
        self.assertEqual(panel.xticks,
                         ["aaaaaaaa 0.1.0", "", "bbbbbbbb 0.1.0", ""])
        self.assertIn("throughput", panel.ylabel)
        paths = figures.save(specs[0], self.dir)
        self.assertTrue(os.path.getsize(paths["png"]) > 0)

    def test_no_history_no_fingerprint_or_no_earlier_run_says_why(self):
        missing = os.path.join(self.dir, "none.sqlite")
        specs, omitted = history_figure.build(_run(), missing, "")
        self.assertEqual(specs, [])
        self.assertIn("no results history at", omitted[0].reason)
        self.assertFalse(os.path.exists(missing))  # read, never made
        old = _run()
        old.host = {}
        self.assertIn("fingerprint", history_figure.build(
            old, self.path, "")[1][0].reason)
        first = _run("2026-01-01T00:00:30Z")  # only r0 before it
        self.assertIn("no earlier run", history_figure.build(
            first, self.path, "")[1][0].reason)

    def test_a_file_that_is_no_history_is_a_reason_not_an_error(self):
        bad = os.path.join(self.dir, "bad.sqlite")
        with open(bad, "w") as f:
            f.write("not a database, just text that is long enough\n" * 4)
        specs, omitted = history_figure.build(_run(), bad, "")
        self.assertEqual(specs, [])
        self.assertIn("cannot be read", omitted[0].reason)


if __name__ == "__main__":
    unittest.main()
