"""`report --out` never destroys what it did not write: each refused path is
left byte for byte as it was, with exit 2 and one line on stderr."""

import contextlib
import io
import os
import unittest
import unittest.mock

from copyscope_report import cli, outdir, synthetic


def _snapshot(path):
    """Every file under path (or path itself) with its bytes."""
    if os.path.isfile(path) or os.path.islink(path):
        with open(path, "rb") as f:
            return {path: f.read()}
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[full] = f.read()
    return out


class ReportOutTest(unittest.TestCase):

    def setUp(self):
        self.tmp = synthetic.temp_dir(self)
        self.run_dir = synthetic.write_run(
            os.path.join(self.tmp, "run-a"), {
                ("two_copy", 4096, 1): [{
                    "throughput_gbps": 10.0 + d
                } for d in (-0.1, 0.0, 0.1)]
            })

    def report(self, *args):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(err):
            rc = cli.main(["report", self.run_dir, *args])
        return rc, err.getvalue()

    def assert_refused(self, path, want):
        before = _snapshot(path)
        rc, err = self.report(f"--out={path}")
        self.assertEqual(rc, 2, err)
        self.assertIn(want, err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertEqual(_snapshot(path), before)
        self.assertEqual(
            [n for n in os.listdir(os.path.dirname(path))
             if n.startswith(".copyscope-report")], [])

    def test_existing_file_is_left_alone(self):
        victim = os.path.join(self.tmp, "notes.txt")
        with open(victim, "w") as f:
            f.write("precious\n")
        self.assert_refused(victim, "is not a directory")

    def test_run_directory_is_left_alone(self):
        self.assert_refused(self.run_dir, "not a copyscope report")
        self.assertTrue(os.path.isfile(os.path.join(self.run_dir, "run.jsonl")))

    def test_parent_of_the_run_is_left_alone(self):
        self.assert_refused(self.tmp, "not a copyscope report")

    def test_foreign_directory_is_left_alone(self):
        d = os.path.join(self.tmp, "mine")
        os.mkdir(d)
        with open(os.path.join(d, "keep"), "w") as f:
            f.write("x")
        self.assert_refused(d, "not a copyscope report")

    def test_symlink_is_not_followed(self):
        target = os.path.join(self.tmp, "target")
        os.mkdir(target)
        link = os.path.join(self.tmp, "link")
        os.symlink(target, link)
        rc, err = self.report(f"--out={link}")
        self.assertEqual(rc, 2, err)
        self.assertIn("symbolic link", err)
        self.assertEqual(os.listdir(target), [])

    def test_new_and_empty_paths_are_written(self):
        for out in (os.path.join(self.tmp, "new", "deeper"),
                    os.path.join(self.tmp, "empty")):
            if out.endswith("empty"):
                os.mkdir(out)
            rc, err = self.report(f"--out={out}")
            self.assertEqual(rc, 0, err)
            self.assertTrue(os.path.isfile(os.path.join(out, "report.html")))
            self.assertTrue(os.path.isfile(os.path.join(out, outdir.MARKER)))

    def test_own_report_of_the_same_run_is_replaced(self):
        rc, err = self.report()
        self.assertEqual(rc, 0, err)
        out = os.path.join(self.run_dir, "report")
        os.unlink(os.path.join(out, "analysis.txt"))
        rc, err = self.report()
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.isfile(os.path.join(out, "analysis.txt")))
        self.assertEqual(
            sorted(os.listdir(self.run_dir)), ["report", "run.jsonl"])

    def test_own_report_with_a_user_file_is_left_alone(self):
        self.assertEqual(self.report()[0], 0)
        out = os.path.join(self.run_dir, "report")
        with open(os.path.join(out, "my-notes.md"), "w") as f:
            f.write("mine")
        self.assert_refused(out, "did not write (my-notes.md)")

    def test_report_of_another_run_is_left_alone(self):
        out = os.path.join(self.tmp, "rep")
        self.assertEqual(self.report(f"--out={out}")[0], 0)
        other = synthetic.write_run(
            os.path.join(self.tmp, "run-b"),
            {("one_copy", 4096, 1): [{"throughput_gbps": 3.0}]})
        self.run_dir = other
        self.assert_refused(out, "report of another run")

    def test_stale_temporaries_of_a_killed_report_are_removed(self):
        # A pid that cannot be alive: above the kernel's pid_max.
        stale = os.path.join(self.tmp, ".copyscope-report-tmp.99999999.x")
        os.mkdir(stale)
        foreign = os.path.join(self.tmp, ".report-someone-else")
        os.mkdir(foreign)
        self.assertEqual(self.report(f"--out={self.tmp}/r")[0], 0)
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.isdir(foreign))

    def test_failure_removes_only_what_it_made(self):
        out = os.path.join(self.tmp, "fresh")
        with unittest.mock.patch.object(cli.html_page, "render",
                                        side_effect=RuntimeError("boom")):
            with self.assertRaises(RuntimeError):
                cli.write_report(self.run_dir, out)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(sorted(os.listdir(self.tmp)), ["run-a"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
