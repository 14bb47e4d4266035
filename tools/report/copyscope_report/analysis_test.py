"""The analysis finds planted crossovers, non-differences and slow-downs."""

import os
import tempfile
import unittest

from copyscope_report import analysis, loader, synthetic

SIZES = (256, 1024, 4096, 16384)
# Five repetitions: the fewest with which a rank test of two cells that do
# not overlap gives p < 0.05 (2/252 = 0.008); 4 is the least that can.
JITTER_A = (0.98, 0.99, 1.00, 1.01, 1.02)
JITTER_B = (0.97, 0.995, 1.005, 1.01, 1.02)  # another spread: sides differ


def reps(mean, jitter=JITTER_A, **extra):
    return [dict({"throughput_gbps": mean * j}, **extra) for j in jitter]


def planted():
    """1 thread: two_copy is faster up to 1 KiB, equal at 4 KiB, slower at
    16 KiB. 8 threads: the same distributions, so no difference anywhere.
    zero_copy is 10% below two_copy everywhere and copies every send."""
    cells = {}
    one_copy_1t = {256: 8.0, 1024: 8.0, 4096: 10.0, 16384: 12.0}
    for s in SIZES:
        cells[("two_copy", s, 1)] = reps(10.0)
        cells[("one_copy", s, 1)] = reps(one_copy_1t[s], JITTER_B)
        cells[("two_copy", s, 8)] = reps(10.0)
        cells[("one_copy", s, 8)] = reps(10.0, JITTER_B)
        cells[("zero_copy", s, 1)] = reps(9.0, zc_copied_fraction=1.0)
        cells[("zero_copy", s, 8)] = reps(9.0, zc_copied_fraction=1.0)
    return cells


def load(cells, **kw):
    with tempfile.TemporaryDirectory(
            dir=os.environ.get("TEST_TMPDIR") or None) as tmp:
        return loader.load_run(
            synthetic.write_run(os.path.join(tmp, "run"), cells, **kw))


class CrossoverTest(unittest.TestCase):

    def setUp(self):
        self.a = analysis.analyze(load(planted(), isolation="loopback"))[0]

    def pair(self, a, b):
        return next(c for c in self.a.crossovers if {c.a, c.b} == {a, b})

    def test_planted_crossover(self):
        c = self.pair("one_copy", "two_copy")
        at1 = next(p for p in c.per_threads if p.threads == 1)
        self.assertEqual(at1.winner, "one_copy")
        self.assertEqual(at1.from_size, 16384)
        self.assertEqual(at1.crossover, 16384)
        # Signs are one_copy against two_copy (c.a, c.b in name order).
        self.assertEqual((c.a, c.b), ("one_copy", "two_copy"))
        self.assertEqual([s[1] for s in at1.signs], [-1, -1, 0, 1])
        self.assertEqual(
            c.headline,
            "one_copy beats two_copy from 16 KiB at 1 thread (two_copy higher "
            "below), not at 8 threads (no significant difference at any size)")

    def test_planted_non_difference(self):
        at8 = next(p for p in self.pair("one_copy", "two_copy").per_threads
                   if p.threads == 8)
        self.assertIsNone(at8.winner)
        self.assertEqual([s[1] for s in at8.signs], [0, 0, 0, 0])
        best = {(b.size, b.threads): b for b in self.a.best}
        self.assertEqual(best[(4096, 8)].verdict, "tie")
        self.assertEqual(set(best[(4096, 8)].tied), {"one_copy", "two_copy"})
        self.assertIn("no significant difference between", best[(4096, 8)].text)
        self.assertIn("highest median", best[(4096, 8)].text)
        self.assertEqual(best[(16384, 1)].verdict, "best")
        self.assertEqual(best[(16384, 1)].best, "one_copy")
        self.assertEqual(best[(256, 1)].best, "two_copy")
        # At 4 KiB, 1 thread two_copy and one_copy are equal; both beat zero_copy.
        self.assertEqual(set(best[(4096, 1)].tied), {"one_copy", "two_copy"})

    def test_winner_everywhere(self):
        c = self.pair("two_copy", "zero_copy")
        self.assertTrue(
            c.headline.startswith(
                "two_copy beats zero_copy at every size at 1 thread"))

    def test_zero_copy_verdict(self):
        (z,) = self.a.zero_copy
        self.assertEqual(z.transport, "zero_copy")
        self.assertEqual((z.copied_min, z.copied_max), (1.0, 1.0))
        self.assertEqual((z.lower, z.higher, z.same, z.untested), (8, 0, 0, 0))
        self.assertAlmostEqual(z.ratio_min, 0.9)
        self.assertIn("copied every send", z.text)
        self.assertIn("the receiver is on the same host (loopback)", z.text)
        self.assertIn("Verdict: no benefit on this path", z.text)
        self.assertIn("significantly lower in 8 of 8 cells", z.text)


class WorkingZeroCopyTest(unittest.TestCase):

    def test_faster_where_it_avoids_the_copy(self):
        cells = {}
        for s in (4096, 65536):
            cells[("two_copy", s, 1)] = reps(10.0)
            cells[("zero_copy", s, 1)] = reps(10.0 if s == 4096 else 15.0,
                                              JITTER_B,
                                              zc_copied_fraction=0.0)
        (z,) = analysis.analyze(load(cells))[0].zero_copy
        self.assertEqual((z.lower, z.higher, z.same), (0, 1, 1))
        self.assertIn("avoided the copy for (nearly) every send", z.text)
        self.assertIn("significantly faster than two_copy at 64 KiB/1t", z.text)


class ScalingTest(unittest.TestCase):

    def test_throughput_falls_after_the_peak(self):
        cells = {
            ("two_copy", 4096, 1): reps(10.0),
            ("two_copy", 4096, 2): reps(18.0),
            ("two_copy", 4096, 4): reps(18.0, JITTER_B),
            ("two_copy", 4096, 8): reps(12.0),
        }
        (s,) = analysis.analyze(load(cells))[0].scaling
        self.assertAlmostEqual(s.speedup, 1.2)
        self.assertEqual(s.peak_threads, 2)
        self.assertEqual(s.falls_after, 2)
        self.assertIn("falls after 2 threads (8 threads: -33.3%, p=0.008)",
                      s.text)

    def test_superlinear_efficiency_is_named_with_its_likely_cause(self):
        # netns: one veth flow is slow, two flows move 4.5 times as much.
        cells = {
            ("two_copy", 4096, 1): reps(2.0),
            ("two_copy", 4096, 2): reps(9.0),
        }
        (s,) = analysis.analyze(load(cells, isolation="netns"))[0].scaling
        self.assertEqual(s.superlinear, [(2, 2.25)])
        self.assertEqual(
            s.text, "two_copy at 4 KiB: 4.50x at 2 threads over 1; "
            "superlinear (2 threads: efficiency 225%): more than the threads "
            "alone can give, so the 1-thread cell was likely held back by a "
            "per-flow limit other than CPU (a single veth flow, whose packets "
            "one softirq handles, retransmissions, or a send/receive window "
            "limit), not sped up by threads")
        self.assertNotIn("(efficiency", s.text)

    def test_superlinear_names_what_the_1_thread_cells_tcp_info_saw(self):
        # The same speedup, with the 1-thread cell's retransmissions and
        # receive window recorded: they are named, before any guess.
        cells = {
            ("two_copy", 4096, 1):
                reps(2.0, tcp_retrans_pct=3.1, tcp_rwnd_limited_pct=40.0),
            ("two_copy", 4096, 2):
                reps(9.0, tcp_retrans_pct=0.01, tcp_rwnd_limited_pct=1.0),
        }
        a = analysis.analyze(load(cells, isolation="netns"))[0]
        (s,) = a.scaling
        self.assertTrue(
            s.text.endswith(
                "superlinear (2 threads: efficiency 225%): more than the "
                "threads alone can give; the 1-thread cell was held back: "
                "3.1% of segments retransmitted, rwnd-limited 40% of the "
                "time"), s.text)
        self.assertEqual(a.limits, [
            "two_copy 4 KiB 1 thread (netns): 3.1% of segments "
            "retransmitted, rwnd-limited 40% of the time"
        ])
        self.assertIn("What held TCP back", analysis.to_text([a]))

    def test_softirq_per_gb_joins_the_zero_copy_verdict(self):
        cells = {
            ("two_copy", 65536, 1): reps(10.0),
            ("zero_copy", 65536, 1):
                reps(9.0, zc_copied_fraction=1.0, softirq_cpu_s_per_gb=0.25),
        }
        (z,) = analysis.analyze(load(cells, isolation="netns"))[0].zero_copy
        self.assertIn("Softirq time per GB moved (the hosts' CPUs): 0.25 "
                      "CPU-s.", z.text)

    def test_superlinear_at_a_middle_count_within_the_noise(self):
        cells = {
            ("one_copy", 64, 1): reps(10.0, (0.9, 0.95, 1.0, 1.05, 1.1)),
            ("one_copy", 64, 2): reps(20.4, (0.9, 0.95, 1.0, 1.05, 1.1)),
            ("one_copy", 64, 4): reps(30.0),
        }
        (s,) = analysis.analyze(load(cells, isolation="loopback"))[0].scaling
        self.assertEqual([t for t, _ in s.superlinear], [2])
        self.assertTrue(
            s.text.startswith("one_copy at 64 B: 3.00x at 4 threads over 1 "
                              "(efficiency 75%); superlinear (2 threads: "
                              "efficiency 102%)"), s.text)
        self.assertIn("(a single flow's own limit", s.text)
        self.assertTrue(
            s.text.endswith("; at 2 threads within the spread of the "
                            "repetitions (the 95% CI of the speedup reaches "
                            "linear)"), s.text)

    def test_linear_or_below_is_not_superlinear(self):
        cells = {
            ("two_copy", 64, 1): reps(10.0),
            ("two_copy", 64, 2): reps(20.0),
        }
        (s,) = analysis.analyze(load(cells))[0].scaling
        self.assertEqual(s.superlinear, [])
        self.assertEqual(s.text,
                         "two_copy at 64 B: 2.00x at 2 threads over 1 "
                         "(efficiency 100%)")

    def test_no_fall_when_not_significant(self):
        cells = {
            ("two_copy", 64, 1): reps(10.0),
            ("two_copy", 64, 2): reps(10.0, JITTER_B),
        }
        (s,) = analysis.analyze(load(cells))[0].scaling
        self.assertIsNone(s.falls_after)


class NoiseFloorTest(unittest.TestCase):

    def test_significant_but_within_the_noise_is_no_meaningful_difference(self):
        # At 64 B, b is 5% above a with no overlap (p = 0.008); the other
        # cells spread 10% around their median, so the run's noise floor
        # (median of 1%, 1%, 10%, 10%, 10%) is 10%.
        noisy = (0.8, 0.9, 1.0, 1.1, 1.2)
        cells = {
            ("a", 64, 1): reps(10.0),
            ("b", 64, 1): reps(10.5),
            ("a", 4096, 1): reps(10.0, noisy),
            ("b", 4096, 1): reps(10.0, noisy),
            ("a", 65536, 1): reps(10.0, noisy),
        }
        a = analysis.analyze(load(cells))[0]
        self.assertAlmostEqual(a.floor, 0.1)
        best = {b.size: b for b in a.best}
        self.assertEqual(best[64].verdict, "tie")
        self.assertEqual(
            best[64].text, "64 B, 1 thread: no meaningful difference between "
            "b, a (highest median b; p=0.008 against a, +5.0% within the noise "
            "floor of 10.0%)")
        self.assertEqual(
            best[4096].text, "4 KiB, 1 thread: no significant difference "
            "between a, b (highest median a; p=1.000 against b)")
        (c,) = a.crossovers
        self.assertEqual(c.no_difference, "no meaningful difference")
        self.assertEqual(analysis.crossover_lines(a), [
            "No meaningful difference at any size and thread count: a/b."
        ])
        self.assertIn("Noise floor: a cell's repetitions lie a median 10.0%",
                      analysis.to_text([a]))

    def test_beyond_the_noise_floor_is_a_difference(self):
        cells = {("a", 64, 1): reps(10.0), ("b", 64, 1): reps(10.5)}
        a = analysis.analyze(load(cells))[0]
        self.assertAlmostEqual(a.floor, 0.01)
        (b,) = a.best
        self.assertEqual(b.verdict, "best")
        self.assertEqual(b.text, "64 B, 1 thread: b, +5.0% over a (p=0.008)")


class TooFewRepsTest(unittest.TestCase):

    def test_says_it_cannot_test(self):
        for n, jitter in ((1, (1.0,)), (3, (0.98, 1.0, 1.02))):
            cells = {(t, s, 1): reps(v, jitter)
                     for t, v in (("a", 1.0), ("b", 2.0)) for s in (64, 4096)}
            a = analysis.analyze(load(cells))[0]
            self.assertTrue(all(b.verdict == "untested" for b in a.best))
            self.assertEqual(
                a.best[0].text, "64 B, 1 thread: not enough repetitions to "
                "test (b highest by +100.0% over a)")
            self.assertIn("not enough repetitions to test",
                          a.crossovers[0].headline)
            text = analysis.to_text([a])
            self.assertIn(
                f"Each cell has at most {n} repetition"
                f"{'s' if n > 1 else ''}: not enough repetitions to test (a "
                "rank test needs 4 a side to reach p < 0.05)", text)
            self.assertNotIn("p=", text)



class RecvCopyTest(unittest.TestCase):
    """Receive cost: client_bytes_per_cpu_s (the receiving role, server to
    client) of 4e9 B/CPU-s is 0.25 CPU-s per GB; 1e10 is 0.1."""

    def cells(self, copy_rx, discard_rx):
        return {
            (copy_rx, 65536, 1):
                reps(20.0, client_bytes_per_cpu_s=4e9),
            (discard_rx, 65536, 1):
                reps(30.0, JITTER_B, client_bytes_per_cpu_s=1e10),
            ("one_copy", 65536, 1):
                reps(25.0, client_bytes_per_cpu_s=5e9),
        }

    def test_states_the_cost_per_byte(self):
        for copy_rx, discard_rx, sender in (
            ("two_copy", "discard_recv", "two_copy"),  # each its own plugin
            ("zero_copy+two_copy", "zero_copy+discard_recv", "zero_copy"),
        ):
            a = analysis.analyze(load(self.cells(copy_rx, discard_rx)))[0]
            (r,) = a.recv_copy
            self.assertEqual((r.size, r.threads, r.sender),
                             (65536, 1, sender))
            self.assertAlmostEqual(r.copy_cpu, 0.25)
            self.assertAlmostEqual(r.discard_cpu, 0.1)
            self.assertAlmostEqual(r.cost, 0.15)
            self.assertIn(
                "the receive copy costs 0.150 CPU-s per GB (0.150 ns per "
                "byte), 60% of the receiving side's CPU", r.text)
            self.assertIn("throughput 20.00 against 30.15 Gbit/s (1.51x)",
                          r.text)
            self.assertIn("What the receive copy costs", analysis.to_text([a]))

    def test_nothing_without_both_receivers(self):
        cells = self.cells("two_copy", "discard_recv")
        del cells[("discard_recv", 65536, 1)]
        a = analysis.analyze(load(cells))[0]
        self.assertEqual(a.recv_copy, [])
        self.assertNotIn("receive copy", analysis.to_text([a]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
