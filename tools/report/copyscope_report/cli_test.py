"""report and compare never show a traceback: bad input files, I/O errors,
Ctrl-C and bad flags are one line on stderr with exit 2 (130 for Ctrl-C)."""

import contextlib
import errno
import io
import os
import signal
import subprocess
import sys
import unittest
import unittest.mock

from copyscope_report import cli, loader, synthetic
from copyscope_report.synthetic import run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT_PY = os.path.join(os.path.dirname(HERE), "report.py")


def cells():
    return {(t, s, 1): [{
        "throughput_gbps": m * j
    } for j in (0.98, 0.99, 1.0, 1.01, 1.02)]
            for t, m in (("a", 10.0), ("b", 8.0))
            for s in (64, 4096)}


class _Alarm(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds):
    """Fails (instead of hanging) when the body blocks, e.g. on a FIFO."""

    def fire(*_):
        raise _Alarm(f"still blocked after {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


class _FullStdout(io.StringIO):

    def write(self, s):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class CliErrorsTest(unittest.TestCase):

    def setUp(self):
        self.tmp = synthetic.temp_dir(self)
        self.good = synthetic.write_run(os.path.join(self.tmp, "good"), cells())

    def assert_one_line(self, argv, rc_want, *want, **kw):
        rc, out, err = run_cli(*argv, **kw)
        self.assertEqual(rc, rc_want, err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertNotIn("Traceback", err)
        for w in want:
            self.assertIn(w, err)
        return out, err

    def test_fifo_is_refused_without_blocking(self):
        run = os.path.join(self.tmp, "fifo-run")
        os.mkdir(run)
        fifo = os.path.join(run, "run.jsonl")
        os.mkfifo(fifo)
        with deadline(10):
            for argv in (("report", run), ("compare", self.good, run),
                         ("compare", fifo, self.good)):
                self.assert_one_line(argv, 2, f"{fifo}: is a FIFO, not a "
                                     "record file")
        self.assertEqual(os.listdir(run), ["run.jsonl"])

    def test_directory_and_device_are_refused(self):
        run = os.path.join(self.tmp, "dir-run")
        os.makedirs(os.path.join(run, "run.jsonl"))
        self.assert_one_line(("compare", self.good, run), 2,
                             "run.jsonl: is a directory, not a record file")
        self.assert_one_line(("compare", self.good, "/dev/null"), 2,
                             "/dev/null: is a character device")

    def test_unreadable_record(self):
        denied = OSError(errno.EACCES, os.strerror(errno.EACCES))
        with unittest.mock.patch.object(loader.os, "open",
                                        side_effect=denied):
            self.assert_one_line(("compare", self.good, self.good), 2,
                                 "run.jsonl: cannot read (Permission denied)")

    def test_no_space_for_the_report(self):
        full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        out = os.path.join(self.tmp, "rep")
        with unittest.mock.patch.object(cli.figures, "save", side_effect=full):
            self.assert_one_line(("report", self.good, f"--out={out}"), 2,
                                 f"cannot write the report in {out}: No space "
                                 "left on device (nothing was replaced)")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["good"])

    def test_stdout_that_cannot_be_written(self):
        for argv in (("compare", self.good, self.good), ("report", self.good)):
            self.assert_one_line(argv,
                                 2,
                                 "cannot write to standard output: No space "
                                 "left on device",
                                 stdout=_FullStdout())

    def test_ctrl_c_is_one_line_and_130(self):
        for where, argv in (("load_run", ("compare", self.good, self.good)),
                            ("load_run", ("report", self.good))):
            with unittest.mock.patch.object(cli.loader,
                                            where,
                                            side_effect=KeyboardInterrupt):
                _, err = self.assert_one_line(argv, 130)
                self.assertEqual(err, f"copyscope {argv[0]}: interrupted\n")
        # While the report is written: nothing of it is left behind.
        out = os.path.join(self.tmp, "rep")
        with unittest.mock.patch.object(cli.html_page,
                                        "render",
                                        side_effect=KeyboardInterrupt):
            self.assert_one_line(("report", self.good, f"--out={out}"), 130,
                                 "interrupted")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["good"])

    def test_anything_unforeseen_is_an_internal_error_line(self):
        with unittest.mock.patch.object(cli.compare,
                                        "compare",
                                        side_effect=ZeroDivisionError("boom")):
            _, err = self.assert_one_line(("compare", self.good, self.good), 2)
        self.assertTrue(
            err.startswith("copyscope compare: internal error: "
                           "ZeroDivisionError: boom"), err)

    def test_fail_above_must_be_a_finite_percentage(self):
        for bad in ("nan", "inf", "-inf", "-1", "1e999", "five", ""):
            _, err = self.assert_one_line(
                ("compare", self.good, self.good, f"--fail-above={bad}"), 2,
                "e.g. --fail-above=5")
            self.assertIn(repr(bad), err)
        rc, _, err = run_cli("compare", self.good, self.good,
                             "--fail-above=0")
        self.assertEqual(rc, 0, err)

    def test_control_characters_stay_on_one_line(self):
        odd = os.path.join(self.tmp, "a\nb")
        self.assert_one_line(("compare", self.good, odd), 2, "a\\nb")


class CompletenessTest(unittest.TestCase):
    """A run that is not complete is said in the first line of output, and
    its cells are still reported; a damaged one is refused."""

    def setUp(self):
        self.tmp = synthetic.temp_dir(self)
        self.good = synthetic.write_run(os.path.join(self.tmp, "good"), cells())

    def test_report_of_an_interrupted_run(self):
        d = synthetic.write_run(os.path.join(self.tmp, "int"),
                                cells(),
                                trailer="interrupted")
        rc, out, err = run_cli("report", d)
        self.assertEqual(rc, 0, err)
        first = out.splitlines()[0]
        self.assertEqual(
            first, f"note: {d} was interrupted (SIGINT, SIGTERM or SIGHUP); "
            "figures cover its 4 cells of 4 planned")
        with open(os.path.join(d, "report", "analysis.txt")) as f:
            self.assertEqual(f.readline().rstrip("\n"), first)
        with open(os.path.join(d, "report", "report.html")) as f:
            self.assertIn(f"<p class=incomplete>{first}</p>", f.read())
        self.assertTrue(
            os.path.isfile(os.path.join(d, "report", "throughput_vs_size.png")))

    def test_report_of_a_record_without_trailer(self):
        d = synthetic.write_run(os.path.join(self.tmp, "old"),
                                cells(),
                                trailer=None)
        rc, out, err = run_cli("report", d)
        self.assertEqual(rc, 0, err)
        self.assertTrue(
            out.startswith(f"note: {d} is incomplete: no trailer (the run "
                           "was killed or is still running"), out)

    def test_compare_says_first_which_run_is_not_complete(self):
        b = synthetic.write_run(os.path.join(self.tmp, "b"),
                                cells(),
                                trailer="stopped: no space left on device")
        rc, out, err = run_cli("compare", self.good, b)
        self.assertEqual(rc, 0, err)
        self.assertEqual(
            out.splitlines()[0],
            f"note: {b} stopped: no space left on device; the comparison "
            "covers its 4 cells of 4 planned")
        self.assertTrue(out.splitlines()[1].startswith("copyscope compare:"))
        rc, out, _ = run_cli("compare", self.good, self.good)
        self.assertTrue(out.startswith("copyscope compare:"), out)

    def test_damaged_record_is_refused(self):
        d = synthetic.write_run(os.path.join(self.tmp, "bad"),
                                cells(),
                                trailer_sha256="f" * 64)
        for argv in (("report", d), ("compare", self.good, d)):
            rc, out, err = run_cli(*argv)
            self.assertEqual(rc, 2, err)
            self.assertEqual(out, "")
            self.assertEqual(err.count("\n"), 1, err)
            self.assertIn("run.jsonl:6: damaged record: checksum mismatch",
                          err)
        self.assertFalse(os.path.exists(os.path.join(d, "report")))


class ProcessTest(unittest.TestCase):
    """The real entry point, in its own process."""

    def setUp(self):
        self.tmp = synthetic.temp_dir(self)
        self.good = synthetic.write_run(os.path.join(self.tmp, "good"), cells())

    def run_report(self, *argv, stdout=subprocess.PIPE):
        env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE))
        return subprocess.run([sys.executable, REPORT_PY, *argv],
                              stdout=stdout,
                              stderr=subprocess.PIPE,
                              text=True,
                              env=env,
                              timeout=60,
                              check=False)

    def test_full_stdout_is_one_line_not_a_traceback(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        with open("/dev/full", "w") as full:
            r = self.run_report("compare", self.good, self.good, stdout=full)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(
            r.stderr, "copyscope compare: cannot write to standard output: "
            "No space left on device\n")

    def test_fifo_in_a_real_process(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        r = self.run_report("compare", self.good, fifo)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn("is a FIFO", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
