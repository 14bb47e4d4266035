"""compare flags a planted regression (exit 1), passes identical runs (exit
0), lists one-sided cells and rejects unreadable input (exit 2)."""

import os
import unittest

from copyscope_report import compare, loader, synthetic
from copyscope_report.synthetic import run_cli

# Five repetitions: two cells that do not overlap give p = 2/252 = 0.008.
JITTER = (0.98, 0.99, 1.0, 1.01, 1.02)


def cells(overrides=None, extra=None):
    c = {(t, s, 1): [{
        "throughput_gbps": 10.0 * j
    } for j in JITTER] for t in ("one_copy", "two_copy") for s in (256, 4096)}
    for k, mean in (overrides or {}).items():
        c[k] = [{"throughput_gbps": mean * j} for j in JITTER]
    c.update(extra or {})
    return c


def write(test, name, c, **kw):
    return synthetic.write_run(os.path.join(synthetic.temp_dir(test), name), c,
                               **kw)


class CompareTest(unittest.TestCase):

    def test_identical_runs_pass(self):
        a = write(self, "a", cells())
        rc, out, _ = run_cli("compare", a, a)
        self.assertEqual(rc, 0, out)
        self.assertIn("0 regressed beyond 5%", out)
        self.assertIn("4 no significant change", out)
        self.assertIn("noise floor (the larger run's median over its cells of "
                      "the repetitions' relative MAD): throughput_gbps 1.0%",
                      out)

    def test_planted_regression_fails(self):
        a = write(self, "a", cells())
        b = write(self, "b", cells({("two_copy", 4096, 1): 8.0}))  # -20%
        rc, out, _ = run_cli("compare", a, b, "--fail-above=10")
        self.assertEqual(rc, 1, out)
        self.assertIn("1 regressed beyond 10%", out)
        self.assertIn(
            "FAIL: two_copy 4 KiB x1 throughput_gbps -20.0% [-22.6%, -17.4%]",
            out)
        res = compare.compare(loader.load_run(a), loader.load_run(b), 10)
        (r,) = res.regressed
        self.assertEqual((r.key[2], r.key[3]), ("two_copy", 4096))
        self.assertAlmostEqual(r.change, -0.2)
        self.assertAlmostEqual(r.p, 2 / 252)

    def test_threshold_applies_to_the_favourable_end_of_the_ci(self):
        # B is 12% lower (Hodges-Lehmann), 95% CI [-17.5%, -6.5%]: beyond
        # 10% by its estimate, but not surely; beyond 5% even at best.
        wide = (0.96, 0.98, 1.0, 1.02, 1.04)
        a = write(self, "a", {("x", 64, 1): [{"throughput_gbps": 10 * j}
                                             for j in wide]})
        b = write(self, "b", {("x", 64, 1): [{"throughput_gbps": 8.8 * j}
                                             for j in wide]})
        rc, out, _ = run_cli("compare", a, b, "--fail-above=10")
        self.assertEqual(rc, 0, out)
        self.assertRegex(
            out, r"-12.0% \[-17.5%, -6.5%\] +0.00794 +worse, within threshold")
        rc, out, _ = run_cli("compare", a, b, "--fail-above=5")
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"-12.0% \[-17.5%, -6.5%\] +0.00794 +REGRESSED")

    def test_significant_within_the_noise_floor_is_no_meaningful_change(self):
        # Most cells spread 10% around their median: a 5% drop of a tight
        # cell is significant (no overlap) but within the noise.
        noisy = (0.8, 0.9, 1.0, 1.1, 1.2)

        def run(tight):
            c = {("x", s, 1): [{"throughput_gbps": 10 * j} for j in noisy]
                 for s in (256, 1024, 4096)}
            c[("x", 64, 1)] = [{"throughput_gbps": tight * j} for j in JITTER]
            return c

        a, b = write(self, "a", run(10.0)), write(self, "b", run(9.5))
        rc, out, _ = run_cli("compare", a, b, "--fail-above=0")
        self.assertEqual(rc, 0, out)
        self.assertIn("throughput_gbps 10.0%", out)
        self.assertRegex(
            out, r"x 64 B x1 .* -5.0% \[-7.9%, -2.1%\] +0.00794 +no meaningful "
            r"change \(within the noise floor\)")
        self.assertIn("1 no meaningful change", out)

    def test_threshold_and_improvement(self):
        a = write(self, "a", cells())
        b = write(
            self, "b", cells({
                ("two_copy", 4096, 1): 8.0,
                ("one_copy", 256, 1): 13.0
            }))
        rc, out, _ = run_cli("compare", a, b, "--fail-above=25")
        self.assertEqual(rc, 0, out)
        self.assertIn("1 worse within it", out)
        self.assertIn("1 improved", out)

    def test_one_sided_cells_are_listed(self):
        a = write(
            self, "a", cells(extra={("zero_copy", 256, 1): [{
                                  "throughput_gbps": 1
                              }]}))
        b = write(
            self, "b", cells(extra={("two_copy", 65536, 1): [{
                                  "throughput_gbps": 1
                              }]}))
        rc, out, _ = run_cli("compare", a, b)
        self.assertEqual(rc, 0, out)
        self.assertIn("only in A (1): zero_copy 256 B x1", out)
        self.assertIn("only in B (1): two_copy 64 KiB x1", out)
        self.assertNotIn("differ in", out)
        c = write(self, "c", cells(), isolation="loopback")
        rc, out, _ = run_cli("compare", a, c)
        self.assertIn("the runs also differ in: isolation (netns vs loopback)",
                      out)

    def test_too_few_reps_are_untested_not_failed(self):
        for jitter in ((1.0,), (0.98, 1.0, 1.02)):
            run = lambda m: {("x", 64, 1): [{"throughput_gbps": m * j}
                                            for j in jitter]}
            rc, out, _ = run_cli("compare", write(self, "a", run(10.0)),
                                 write(self, "b", run(5.0)))
            self.assertEqual(rc, 0, out)
            self.assertIn("  -  untested: not enough repetitions to test", out)
            self.assertIn("untested: cells with fewer repetitions than a rank "
                          "test needs to reach p < 0.05 (4 a side are enough",
                          out)
            self.assertIn("1 untested", out)

    def test_rr_latency_regression(self):

        def rr(p99):
            return {
                ("two_copy", 64, 1): [{
                    "transactions_per_sec": 1e4 * j,
                    "latency_p50_us": 10.0 * j,
                    "latency_p99_us": p99 * j
                } for j in JITTER]
            }

        a = write(self, "a", rr(30.0), mode="rr")
        b = write(self, "b", rr(45.0), mode="rr")
        rc, out, _ = run_cli("compare", a, b)
        self.assertEqual(rc, 1, out)
        self.assertIn("latency_p99_us +50.0%", out)
        self.assertIn("transactions_per_sec", out)

    def test_bad_input_exits_2_with_one_line(self):
        a = write(self, "a", cells())
        bad = synthetic.temp_dir(self)
        with open(os.path.join(bad, "run.jsonl"), "w") as f:
            f.write("garbage\n")
        for argv in (("compare", a, "/nonexistent/run"), ("compare", a, bad),
                     ("compare", a), ("compare", a, a, "--fail-above=x"),
                     ("report", "/nonexistent/run"), ()):
            rc, out, err = run_cli(*argv)
            self.assertEqual(rc, 2, argv)
            self.assertEqual(err.count("\n"), 1, err)
            self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
