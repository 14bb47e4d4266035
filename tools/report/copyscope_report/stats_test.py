"""Tests of the statistics: the Student t quantile (SciPy) against tables and
closed forms, the rank test and Hodges-Lehmann interval against tables and a
hand-computed example, the noise floor."""

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

    def test_quantile_range_is_checked(self):
        for p in (0.5, 1.0, 0.2):
            with self.assertRaises(ValueError):
                stats.t_quantile(p, 3)

    def test_large_df_tends_to_normal(self):
        self.assertAlmostEqual(stats.t_quantile(0.975, 1e6), 1.95996, places=4)


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


class RankTestTest(unittest.TestCase):

    def test_u_distribution_matches_the_tables(self):
        # Mann and Whitney (1947): arrangements of 3 + 3 by U.
        self.assertEqual(stats.u_counts(3, 3), [1, 1, 2, 3, 3, 3, 3, 2, 1, 1])
        for m, n in ((4, 4), (5, 5), (2, 7), (6, 9)):
            c = stats.u_counts(m, n)
            self.assertEqual(sum(c), math.comb(m + n, m))
            self.assertEqual(c, c[::-1])
            self.assertEqual(c, stats.u_counts(n, m))
        # Two-sided critical values of U at alpha 0.05 from the standard
        # table (reject when U <= the value): the CI's lower rank is one more.
        table = {(4, 4): 0, (5, 5): 2, (6, 6): 5, (8, 8): 13, (10, 10): 23,
                 (5, 10): 8, (7, 9): 12}
        for (m, n), crit in table.items():
            self.assertEqual(stats._lower_rank(m, n, 0.05), crit + 1, (m, n))
        self.assertEqual(stats._lower_rank(3, 3, 0.05), 0)  # no 95% CI

    def test_large_samples_use_the_normal_approximation(self):
        m = n = 60  # 3600 pairs: beyond the exact table
        c, total = stats.u_counts(m, n), math.comb(m + n, m)
        exact, cum = 0, 0
        while 2 * (cum + c[exact]) <= 0.05 * total:
            cum += c[exact]
            exact += 1
        self.assertLessEqual(abs(stats._lower_rank(m, n, 0.05) - exact), 1)

    def test_hodges_lehmann_by_hand(self):
        a = [10, 11, 12, 13, 14]
        b = [13, 15, 16, 17, 19]
        # b_j - a_i, row per b:  13: 3 2 1 0 -1   15: 5 4 3 2 1
        #   16: 6 5 4 3 2   17: 7 6 5 4 3   19: 9 8 7 6 5
        # sorted: -1 0 1 1 2 2 2 3 3 3 3 4 [4] 4 5 5 5 5 6 6 6 7 7 8 9
        # The median (13th of 25) is 4. With 5 + 5 values P(U <= 2) = 4/252
        # <= 0.025 < P(U <= 3) = 7/252, so the 95% interval runs from the
        # 3rd smallest to the 3rd largest difference: [1, 7] (coverage
        # 1 - 8/252 = 96.8%).
        self.assertEqual(stats.hodges_lehmann(a, b), (4, 1, 7))
        r = stats.mann_whitney(a, b)
        self.assertEqual((r.shift, r.ci_low, r.ci_high), (4, 1, 7))
        self.assertTrue(r.significant())  # U = 23.5 of 25
        back = stats.mann_whitney(b, a)
        self.assertEqual((back.shift, back.ci_low, back.ci_high), (-4, -7, -1))
        self.assertAlmostEqual(back.p, r.p)

    def test_exact_p_of_separated_samples(self):
        # 4 + 4 distinct values, all of b above a: the most extreme of the
        # 70 arrangements, two-sided p = 2/70.
        r = stats.mann_whitney([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0])
        self.assertAlmostEqual(r.p, 2 / 70)
        self.assertEqual((r.shift, r.ci_low, r.ci_high), (4.0, 1.0, 7.0))

    def test_too_few_repetitions_give_no_p_value(self):
        for m, n in ((3, 3), (1, 9), (2, 7), (3, 4)):
            self.assertFalse(stats.rank_testable(m, n), (m, n))
            r = stats.mann_whitney([1.0] * m, [2.0] * n)
            self.assertIsNone(r.p)
            self.assertIsNone(r.shift)
            self.assertFalse(r.significant())
            self.assertTrue(r.reason.startswith(stats.NOT_ENOUGH_REPS))
            self.assertIn(f"{m} against {n} cannot reach p < 0.05", r.reason)
        for m, n in ((4, 4), (3, 5), (2, 8), (1, 40)):
            self.assertTrue(stats.rank_testable(m, n), (m, n))

    def test_no_spread(self):
        r = stats.mann_whitney([5.0] * 4, [5.0] * 4)
        self.assertEqual((r.p, r.shift, r.ci_low, r.ci_high), (1.0, 0, 0, 0))


class DifferenceTest(unittest.TestCase):

    def test_relative_to_the_first_median_and_the_noise_floor(self):
        a = [10, 11, 12, 13, 14]
        b = [13, 15, 16, 17, 19]  # shift 4 [1, 7], see the hand example
        d = stats.difference(a, b)
        self.assertEqual((d.rel, d.rel_low, d.rel_high), (4 / 12, 1 / 12,
                                                         7 / 12))
        self.assertEqual((d.sign, d.within_noise), (1, False))
        d = stats.difference(a, b, floor=0.4)  # 33% is within 40%
        self.assertEqual((d.sign, d.within_noise), (0, True))
        self.assertEqual(stats.difference(b, a).sign, -1)
        self.assertEqual(stats.difference(a, a).sign, 0)
        self.assertFalse(stats.difference(a, a).within_noise)
        d = stats.difference([1, 2, 3], [4, 5, 6])
        self.assertEqual((d.sign, d.rel, d.test.p), (None, None, None))


class NoiseFloorTest(unittest.TestCase):

    def test_relative_mad(self):
        # Median 10, deviations 1 0 1 0 20: MAD 1, the outlier does not count.
        self.assertAlmostEqual(stats.relative_mad([9, 10, 11, 10, 30]), 0.1)
        self.assertIsNone(stats.relative_mad([3.0]))
        self.assertIsNone(stats.relative_mad([-1.0, 0.0, 1.0]))

    def test_median_over_cells(self):
        cells = [[9, 10, 11], [98, 100, 102], [1.0, 1.04, 0.96], [7.0]]
        # 10%, 2%, 4% (the one-value cell has no spread to count).
        self.assertAlmostEqual(stats.noise_floor(cells), 0.04)
        self.assertIsNone(stats.noise_floor([[1.0], [2.0]]))


class RatioTest(unittest.TestCase):

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
