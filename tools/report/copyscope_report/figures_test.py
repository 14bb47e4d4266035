"""The figures draw the record's values: checked on the specs, on the
matplotlib artists and in figures.json, for a record with known values."""

import json
import math
import os
import unittest
import unittest.mock
import warnings

import matplotlib.image

from copyscope_report import analysis, cli, figures, loader, synthetic

T95_2DF = 4.302653  # Student t, 0.975 quantile, 2 degrees of freedom


def known_stream():
    """two_copy: 10 Gbit/s at 1 thread, 16 at 2; one_copy 5 at 1, 12 at 2,
    each as mean of [m-0.2, m, m+0.2]. Counters: cycles measured (2 cycles per
    byte) on two_copy only; zero_copy copies half of its sends."""
    cells = {}
    for size in (1024, 65536):
        for tr, by_t in (("two_copy", {
                1: 10.0,
                2: 16.0
        }), ("one_copy", {
                1: 5.0,
                2: 12.0
        })):
            for t, m in by_t.items():
                cells[(tr, size, t)] = []
                for d in (-0.2, 0.0, 0.2):
                    # As the harness records them: 1 s windows, so cs_per_s
                    # is cs; cycles of 2 per byte moved.
                    v = {
                        "throughput_gbps": m + d,
                        "cs": 1000.0 * t,
                        "cs_per_s": 1000.0 * t
                    }
                    if tr == "two_copy":
                        v["cycles"] = 2.0 * (m + d) * 1e9 / 8
                        v["cycles_per_byte"] = 2.0
                        # CPU time per GB by kind, as the per-CPU load
                        # gives it: softirq twice the user time.
                        v["user_cpu_s_per_gb"] = 0.1
                        v["system_cpu_s_per_gb"] = 0.3
                        v["softirq_cpu_s_per_gb"] = 0.2
                        v["irq_cpu_s_per_gb"] = 0.01
                    cells[(tr, size, t)].append(v)
        cells[("zero_copy", size, 1)] = [{
            "throughput_gbps": 9.0,
            "zc_copied_fraction": f
        } for f in (0.4, 0.5, 0.6)]
    return cells


class FiguresTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = synthetic.write_run(os.path.join(synthetic.temp_dir(cls),
                                                   "known"),
                                      known_stream(),
                                      perf=[{
                                          "event": "cache-misses",
                                          "state": "unsupported",
                                          "reason": "PMU not available"
                                      }])
        cls.record = loader.load_run(cls.dir)
        specs, omitted = figures.build(cls.record)
        cls.specs = {s.id: s for s in specs}
        cls.omitted = {o.id: o for o in omitted}

    def series(self, fid, panel_title, label):
        panel = next(
            p for p in self.specs[fid].panels if p.title == panel_title)
        return next(s for s in panel.series if s.label == label)

    def test_throughput_vs_size_points_and_ci(self):
        s = self.series("throughput_vs_size", "2 threads", "one_copy")
        self.assertEqual(s.x, [1024, 65536])
        for y in s.y:
            self.assertAlmostEqual(y, 12.0)
        half = T95_2DF * 0.2 / math.sqrt(3)
        self.assertAlmostEqual(s.lo[0], 12.0 - half, places=6)
        self.assertAlmostEqual(s.hi[0], 12.0 + half, places=6)
        self.assertEqual(s.n, [3, 3])
        titles = [p.title for p in self.specs["throughput_vs_size"].panels]
        self.assertEqual(titles, ["1 thread", "2 threads"])

    def test_drawn_artists_carry_the_values(self):
        spec = self.specs["throughput_vs_threads"]
        fig = figures.draw(spec)
        try:
            ax = fig.axes[0]  # 1 KiB
            drawn = {c.get_label(): c for c in ax.containers}
            c = drawn["two_copy"]
            line, _, (bars,) = c.lines
            self.assertEqual(list(line.get_xdata()), [1, 2])
            for got, want in zip(line.get_ydata(), [10.0, 16.0]):
                self.assertAlmostEqual(got, want)
            half = T95_2DF * 0.2 / math.sqrt(3)
            lo_hi = [(seg[0][1], seg[1][1]) for seg in bars.get_segments()]
            self.assertAlmostEqual(lo_hi[1][0], 16.0 - half, places=6)
            self.assertAlmostEqual(lo_hi[1][1], 16.0 + half, places=6)
            self.assertIn("synthetic-host", fig.texts[-1].get_text())
            self.assertIn("0123456789ab", fig.texts[-1].get_text())
        finally:
            figures.plt.close(fig)

    def test_speedup_and_efficiency(self):
        s = self.series("speedup_vs_threads", "64 KiB", "one_copy")
        self.assertEqual(s.x, [1, 2])
        self.assertAlmostEqual(s.y[1], 12.0 / 5.0)
        self.assertEqual((s.y[0], s.lo[0], s.hi[0]), (1.0, None, None))
        self.assertLess(s.lo[1], s.y[1])
        e = self.series("efficiency_vs_threads", "64 KiB", "one_copy")
        self.assertAlmostEqual(e.y[1], 12.0 / 5.0 / 2)
        ideal = self.series("speedup_vs_threads", "64 KiB", "ideal (linear)")
        self.assertEqual(ideal.y, [1.0, 2.0])

    def test_counters_drawn_where_measured_only(self):
        s = self.series("cycles_per_byte_vs_size", "1 thread", "two_copy")
        for y in s.y:
            self.assertAlmostEqual(y, 2.0)
        labels = [
            x.label
            for p in self.specs["cycles_per_byte_vs_size"].panels
            for x in p.series
        ]
        self.assertNotIn("one_copy", labels)  # not measured: not drawn
        self.assertIn("PMU not available",
                      self.omitted["llc_misses_per_kib_vs_size"].reason)
        self.assertIn("l1_misses_per_kib_vs_size", self.omitted)
        self.assertIn("--mode=rr", self.omitted["latency_vs_threads"].reason)

    def test_context_switches_and_zero_copy(self):
        s = self.series("cs_vs_threads", "1 KiB", "two_copy")
        self.assertEqual(s.y, [1000.0, 2000.0])  # per second of a 1 s window
        z = self.series("zc_copied_vs_size", "1 thread", "zero_copy")
        for y in z.y:
            self.assertAlmostEqual(y, 50.0)
        panels = self.specs["zc_copied_vs_size"].panels
        self.assertEqual([p.title for p in panels], ["1 thread"])

    def test_cpu_per_gb_by_kind(self):
        spec = self.specs["cpu_per_gb_by_kind"]
        self.assertEqual([p.title for p in spec.panels],
                         ["two_copy, 1 thread"])  # one_copy has no load
        kinds = {
            s.label: s.y[0] for s in spec.panels[0].series
        }
        self.assertEqual(set(kinds), {"user", "system", "softirq", "irq"})
        self.assertAlmostEqual(kinds["softirq"], 0.2)
        self.assertAlmostEqual(kinds["system"], 0.3)

    def test_rr_latency_figure(self):
        cells = {("two_copy", 64, t): [{
            "transactions_per_sec": 1e4 * t,
            "latency_p50_us": 10.0 * t + d,
            "latency_p99_us": 30.0 * t + d
        } for d in (-1.0, 0.0, 1.0)] for t in (1, 2)}
        d = synthetic.write_run(os.path.join(synthetic.temp_dir(self), "rr"),
                                cells,
                                mode="rr")
        specs, omitted = figures.build(loader.load_run(d))
        spec = next(s for s in specs if s.id == "latency_vs_threads")
        (panel,) = spec.panels
        by = {s.label: s for s in panel.series}
        self.assertEqual(by["two_copy p50"].y, [10.0, 20.0])
        self.assertEqual(by["two_copy p99"].y, [30.0, 60.0])
        self.assertEqual(by["two_copy p99"].style, "--")
        tput = next(s for s in specs if s.id == "throughput_vs_threads")
        self.assertEqual(tput.panels[0].series[0].y, [1e4, 2e4])
        self.assertNotIn("zc_copied_vs_size", [s.id for s in specs])
        self.assertIn("zc_copied_vs_size", [o.id for o in omitted])

    def test_crr_connection_rate_figure(self):
        cells = {("two_copy", size, 1): [{
            "connections_per_sec": 2e4 - size + d,
            "latency_p50_us": 50.0 + d,
            "latency_p99_us": 90.0 + d,
            "listen_overflows": 12.0 if d > 0 else 0.0,
            "syn_retrans": 0.0,
            "time_wait_sockets": 21000.0,
            "port_use_pct": 60.0 if size == 1024 and d < 0 else 20.0,
        } for d in (-1.0, 0.0, 1.0)] for size in (64, 1024)}
        d = synthetic.write_run(os.path.join(synthetic.temp_dir(self), "crr"),
                                cells,
                                mode="crr")
        run = loader.load_run(d)
        self.assertEqual(run.cells[0].primary(), "connections_per_sec")
        specs, omitted = figures.build(run)
        ids = [s.id for s in specs]
        # Drawn even with one thread count: a panel per size.
        spec = next(s for s in specs if s.id == "connection_rate")
        self.assertEqual([p.title for p in spec.panels], ["64 B", "1 KiB"])
        self.assertEqual(spec.panels[0].ylabel, "connections/s")
        self.assertEqual(spec.panels[0].series[0].y, [2e4 - 64])
        self.assertIn("connections/s vs message size",
                      [s.title for s in specs])
        self.assertIn("latency_vs_threads", ids)
        lat = next(s for s in specs if s.id == "latency_vs_threads")
        self.assertIn("connect to close", lat.caption)
        self.assertNotIn("connection_rate", [o.id for o in omitted])
        # The analysis names the overflowing cells and the TIME_WAIT count.
        (a,) = analysis.analyze(run)
        self.assertEqual(a.metric, "connections_per_sec")
        text = analysis.to_text([a])
        self.assertIn("two_copy 64 B 1 thread (netns): listen queue overflowed 12 times in 1 of 3 samples",
                      text)
        self.assertIn("up to 21000", text)
        self.assertIn("one server port took up to 60% of the ephemeral ports "
                      "in 1 of 3 samples", text)

    def test_report_files(self):
        out = os.path.join(synthetic.temp_dir(self), "rep")
        page = cli.write_report(self.dir, out)
        self.assertTrue(os.path.isfile(page))
        with open(os.path.join(out, "figures.json")) as f:
            side = json.load(f)
        ids = [f["id"] for f in side["figures"]]
        self.assertEqual(sorted(ids), sorted(self.specs))
        fig = next(
            f for f in side["figures"] if f["id"] == "throughput_vs_size")
        s = next(
            s for s in fig["panels"][0]["series"] if s["label"] == "two_copy")
        self.assertEqual([round(y, 9) for y in s["y"]], [10.0, 10.0])
        for fid in ids:
            img = matplotlib.image.imread(os.path.join(out, fid + ".png"))
            self.assertGreater(img.shape[0], 100)
            self.assertGreater(float(img.std()), 0.01)  # not blank
            with open(os.path.join(out, fid + ".svg")) as f:
                self.assertIn("<svg", f.read(2000))
        # A second report replaces the first whole, with no temporary left.
        cli.write_report(self.dir, out)
        leftovers = [n for n in os.listdir(os.path.dirname(out)) if n != "rep"]
        self.assertEqual(leftovers, [])

    def test_matplotlib_warnings_stay_off_stderr(self):
        real = figures.draw

        def noisy(spec):
            warnings.warn("Data has no positive values, and therefore cannot "
                          "be log-scaled.")
            return real(spec)

        out = synthetic.temp_dir(self)
        with unittest.mock.patch.object(figures, "draw", noisy), \
                warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            paths = figures.save(self.specs["throughput_vs_size"], out)
        self.assertEqual([str(w.message) for w in seen], [])
        self.assertTrue(os.path.isfile(paths["png"]))

    def test_a_cell_without_values_is_a_gap_not_a_zero(self):
        cells = {("two_copy", s, 1): [{
            "throughput_gbps": 5.0
        }] for s in (64, 4096)}
        cells[("two_copy", 1024, 1)] = [{"messages_per_sec": 1.0}]
        d = synthetic.write_run(os.path.join(synthetic.temp_dir(self), "gap"),
                                cells)
        specs, _ = figures.build(loader.load_run(d))
        s = specs[0].panels[0].series[0]
        self.assertEqual(s.x, [64, 4096])
        self.assertEqual(s.y, [5.0, 5.0])
        self.assertEqual(s.lo, [None, None])  # one repetition: no interval

    def test_rate_over_time_from_the_slices(self):
        # 0.05 s cut by the window's start (half the median: kept), two
        # whole 0.1 s slices, 0.01 s cut by its end (under half: left out):
        # 8, 10 and 11 Gbit/s.
        slices = [(0.0, 0.05, 50_000_000, 5), (0.1, 0.1, 125_000_000, 10),
                  (0.2, 0.1, 137_500_000, 11), (0.3, 0.01, 99_000_000, 1)]
        cells = {
            ("two_copy", 4096, 1): [{
                "throughput_gbps": 10.0,
                "_slices": slices
            }, {
                "throughput_gbps": 10.0,
                "_slices": slices[1:3]
            }],
            ("one_copy", 4096, 1): [{
                "throughput_gbps": 9.0
            }],
        }
        d = synthetic.write_run(os.path.join(synthetic.temp_dir(self), "ts"),
                                cells)
        specs, _ = figures.build(loader.load_run(d))
        spec = next(s for s in specs if s.id == "rate_over_time")
        # one_copy has no slices: no panel.
        self.assertEqual([p.title for p in spec.panels],
                         ["two_copy 4 KiB x1"])
        (panel,) = spec.panels
        self.assertEqual(panel.xkind, "time")
        first, second = panel.series
        self.assertEqual((first.label, second.label), ("rep 1", "rep 2"))
        for got, want in zip(first.x, [0.025, 0.15, 0.25]):
            self.assertAlmostEqual(got, want)
        for got, want in zip(first.y, [8.0, 10.0, 11.0]):
            self.assertAlmostEqual(got, want)
        self.assertEqual(len(first.y), 3)
        self.assertEqual(len(second.y), 2)
        fig = figures.draw(spec)
        try:
            self.assertEqual(fig.axes[0].get_xscale(), "linear")
            (line, _) = fig.axes[0].get_lines()[:2]
            self.assertEqual(len(line.get_xdata()), 3)
        finally:
            figures.plt.close(fig)

    def test_rr_rate_over_time_is_transactions_per_second(self):
        cells = {("two_copy", 64, 1): [{
            "transactions_per_sec": 1e4,
            "_slices": [(0.0, 0.1, 12_800, 1000), (0.1, 0.1, 25_600, 2000)]
        }]}
        d = synthetic.write_run(os.path.join(synthetic.temp_dir(self), "rr"),
                                cells,
                                mode="rr")
        specs, _ = figures.build(loader.load_run(d))
        spec = next(s for s in specs if s.id == "rate_over_time")
        self.assertEqual(spec.panels[0].ylabel, "transactions/s")
        for got, want in zip(spec.panels[0].series[0].y, [1e4, 2e4]):
            self.assertAlmostEqual(got, want)

    def test_no_slices_no_time_series(self):
        self.assertNotIn("rate_over_time", self.specs)
        self.assertIn("no interval slices",
                      self.omitted["rate_over_time"].reason)



class LatencyUnderLoadTest(unittest.TestCase):
    """--background: p50/p99 idle and under load, and the background's
    Gbit/s, from cells with known values."""

    @staticmethod
    def cell(background, p50, p99, gbps=None):
        c = loader.Cell(
            transport="two_copy" + (f" under {background}" if background else
                                    ""),
            size=64,
            threads=1,
            mode="rr",
            background=background,
            base_transport="two_copy")
        for d in (-1.0, 0.0, 1.0):
            m = {"transactions_per_sec": 40000.0, "latency_p50_us": p50 + d,
                 "latency_p99_us": p99 + d}
            if gbps is not None:
                m["background_gbps"] = gbps + d
            c.samples.append(loader.Sample(len(c.samples) + 1, m))
        return c

    def test_idle_and_loaded_latency_beside_the_background(self):
        run = loader.Run(path="x")
        run.cells = [
            self.cell("", 16.0, 60.0),
            self.cell("two_copy:1:65536", 20.0, 300.0, gbps=3.0)
        ]
        specs, omitted = figures.build(run)
        by_id = {s.id: s for s in specs}
        self.assertIn("latency_under_load", by_id, [o.reason for o in omitted])
        lat, bg = by_id["latency_under_load"].panels
        ys = {sr.label: sr.y for sr in lat.series}
        self.assertEqual(ys["idle p50"], [16.0])
        self.assertEqual(ys["idle p99"], [60.0])
        self.assertEqual(ys["under load p50"], [20.0])
        self.assertEqual(ys["under load p99"], [300.0])
        self.assertEqual(bg.series[0].y, [3.0])
        self.assertIn("background two_copy:1:65536", lat.title)

    def test_left_out_with_why_when_no_cell_had_a_background(self):
        run = loader.Run(path="x")
        run.cells = [self.cell("", 16.0, 60.0)]
        _, omitted = figures.build(run)
        reasons = {o.id: o.reason for o in omitted}
        self.assertIn("--background", reasons["latency_under_load"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
