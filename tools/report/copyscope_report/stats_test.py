"""Tests of the Student t distribution (SciPy), the summaries and Welch's
test, against tables and closed forms."""

import math
import unittest

from copyscope_report import stats


class StudentTTest(unittest.TestCase):

    def test_quantiles_match_the_table(self):
        # t_{0.975, df} from standard tables.
        table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 9: 2.262, 29: 2.045}
        for df, want in table.items():
            self.assertAlmostEqual(stats.t_quantile(0.975, df), want, places=3)
        self.assertAlmostEqual(stats.t_quantile(0.995, 10), 3.169, places=3)

    def test_closed_forms(self):
        # df 1 is the Cauchy distribution: t_p = tan(pi (p - 1/2)); df 2 has
        # t_p = (2p - 1) / sqrt(2 p (1 - p)).
        for p in (0.6, 0.9, 0.975, 0.995, 0.9999):
            self.assertAlmostEqual(stats.t_quantile(p, 1),
                                   math.tan(math.pi * (p - 0.5)),
                                   delta=1e-9 * math.tan(math.pi * (p - 0.5)))
            self.assertAlmostEqual(stats.t_quantile(p, 2),
                                   (2 * p - 1) / math.sqrt(2 * p * (1 - p)),
                                   places=9)
        # Two-sided tail of the Cauchy: 1 - 2 atan(t) / pi.
        for t in (0.5, 1.0, 3.0, 100.0):
            self.assertAlmostEqual(stats.t_sf2(t, 1),
                                   1 - 2 * math.atan(t) / math.pi,
                                   places=12)
            self.assertAlmostEqual(stats.t_sf2(-t, 1), stats.t_sf2(t, 1))

    def test_quantile_range_is_checked(self):
        for p in (0.5, 1.0, 0.2):
            with self.assertRaises(ValueError):
                stats.t_quantile(p, 3)

    def test_large_df_tends_to_normal(self):
        self.assertAlmostEqual(stats.t_quantile(0.975, 1e6), 1.95996, places=4)

    def test_two_sided_tail(self):
        self.assertAlmostEqual(stats.t_sf2(0.0, 5), 1.0)
        self.assertAlmostEqual(stats.t_sf2(2.571, 5), 0.05, places=4)
        self.assertEqual(stats.t_sf2(math.inf, 3), 0.0)


class SummaryTest(unittest.TestCase):

    def test_ci_of_three(self):
        s = stats.summarize([9.8, 10.0, 10.2])
        self.assertAlmostEqual(s.mean, 10.0)
        self.assertAlmostEqual(s.median, 10.0)
        half = 4.302653 * 0.2 / math.sqrt(3)
        self.assertAlmostEqual(s.ci_low, 10.0 - half, places=5)
        self.assertAlmostEqual(s.ci_high, 10.0 + half, places=5)
        self.assertAlmostEqual(s.cv, 0.02)

    def test_one_value_has_no_interval(self):
        s = stats.summarize([3.0])
        self.assertIsNone(s.ci_low)
        self.assertIsNone(s.stddev)
        self.assertIsNone(s.cv)

    def test_empty_is_an_error(self):
        with self.assertRaises(ValueError):
            stats.summarize([])


class WelchTest(unittest.TestCase):

    def test_reference_example(self):
        # Welch's t-test, example 1 of the Wikipedia article (t 2.46,
        # df 24.99, p 0.021).
        a = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1,
            19.6, 19.0, 21.7, 21.4
        ]
        b = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9,
            22.1, 22.9, 20.5, 24.4
        ]
        t = stats.welch(a, b)
        self.assertAlmostEqual(t.t, 2.46, places=2)
        self.assertAlmostEqual(t.df, 24.99, places=2)
        self.assertAlmostEqual(t.p, 0.021, places=3)
        self.assertTrue(t.significant())

    def test_one_rep_is_untestable(self):
        t = stats.welch([1.0], [2.0, 2.1])
        self.assertIsNone(t.p)
        self.assertEqual(t.reason, stats.NOT_ENOUGH_REPS)
        self.assertFalse(t.significant())

    def test_no_spread(self):
        self.assertEqual(stats.welch([1, 1], [1, 1]).p, 1.0)
        self.assertEqual(stats.welch([1, 1], [2, 2]).p, 0.0)

    def test_ratio_ci(self):
        num = stats.summarize([19.6, 20.0, 20.4])
        den = stats.summarize([9.8, 10.0, 10.2])
        r, lo, hi = stats.ratio_ci(num, den)
        self.assertAlmostEqual(r, 2.0)
        self.assertLess(lo, 2.0)
        self.assertGreater(hi, 2.0)
        self.assertAlmostEqual(hi - 2.0, 2.0 - lo)


if __name__ == "__main__":
    unittest.main(verbosity=2)
