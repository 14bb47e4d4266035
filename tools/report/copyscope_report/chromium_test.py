"""report.html renders in headless Chromium: every figure is an inline data:
URI that decodes, nothing else is fetched, and the page is not blank.

Skips (with the reason printed) where Debian's chromium is not installed;
`apt-get install chromium` to run it.
"""

import html.parser
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import matplotlib.image

from copyscope_report import cli, synthetic

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Appended to a copy of the page (the report itself has no script): writes
# what the browser loaded into the DOM that --dump-dom prints.
PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  const res = performance.getEntriesByType("resource").map(r => r.name);
  document.body.setAttribute("data-images", imgs.length);
  document.body.setAttribute("data-decoded", ok);
  document.body.setAttribute("data-resources", JSON.stringify(res));
});
</script>"""


class _Refs(html.parser.HTMLParser):
    """Every URL-bearing attribute of the page."""

    def __init__(self):
        super().__init__()
        self.refs = []
        self.imgs = 0

    def handle_starttag(self, tag, attrs):
        self.imgs += tag == "img"
        for k, v in attrs:
            if k in ("src", "href", "srcset", "poster", "data") and v:
                self.refs.append((tag, k, v))


def chromium(*args, timeout=120):
    profile = tempfile.mkdtemp()
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        f"--user-data-dir={profile}"
    ] + list(args)
    env = dict(os.environ, HOME=profile)
    try:
        return subprocess.run(cmd,
                              capture_output=True,
                              text=True,
                              timeout=timeout,
                              env=env,
                              check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


NO_CHROMIUM = f"{CHROMIUM} not installed (apt-get install chromium)"


class ChromiumTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cells = {(t, s, n): [{
            "throughput_gbps": m * n * j,
            "zc_copied_fraction": 1.0
        } for j in (0.98, 1, 1.02)]
                 for t, m in (("two_copy", 10.0), ("zero_copy", 8.0))
                 for s in (256, 4096, 65536) for n in (1, 2)}
        run = synthetic.write_run(
            os.path.join(synthetic.temp_dir(cls), "run"), cells)
        cls.page = cli.write_report(run)
        with open(cls.page) as f:
            cls.text = f.read()

    def test_every_reference_is_inline(self):
        refs = _Refs()
        refs.feed(self.text)
        self.assertGreaterEqual(refs.imgs, 5)
        srcs = [v for tag, k, v in refs.refs if tag == "img"]
        self.assertEqual(len(srcs), refs.imgs)
        for tag, k, v in refs.refs:
            self.assertTrue(v.startswith("data:image/png;base64,"),
                            (tag, k, v[:40]))

    @unittest.skipUnless(os.access(CHROMIUM, os.X_OK), NO_CHROMIUM)
    def test_renders_every_figure_with_nothing_fetched(self):
        probe = os.path.join(os.path.dirname(self.page), "probe.html")
        with open(probe, "w") as f:
            f.write(self.text.replace("</body>", PROBE + "</body>"))
        r = chromium("--virtual-time-budget=5000", "--dump-dom",
                     "file://" + probe)
        os.remove(probe)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        body = re.search(r"<body([^>]*)>", r.stdout)
        self.assertIsNotNone(body, r.stdout[:500])
        attrs = dict(re.findall(r'(data-[a-z]+)="([^"]*)"', body.group(1)))
        self.assertIn("data-images", attrs, "the load probe did not run")
        n = int(attrs["data-images"])
        self.assertGreaterEqual(n, 5)
        self.assertEqual(int(attrs["data-decoded"]), n)
        self.assertEqual(attrs["data-resources"], "[]")

    @unittest.skipUnless(os.access(CHROMIUM, os.X_OK), NO_CHROMIUM)
    def test_screenshot_is_not_blank(self):
        shot = os.path.join(synthetic.temp_dir(self), "shot.png")
        r = chromium("--window-size=1200,2400", "--hide-scrollbars",
                     f"--screenshot={shot}", "file://" + self.page)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        img = matplotlib.image.imread(shot)
        self.assertEqual(img.shape[:2], (2400, 1200))
        rgb = img[..., :3]
        nonwhite = float((rgb.min(axis=2) < 0.9).mean())
        self.assertGreater(nonwhite, 0.02)
        # The transports' line colours (#1f77b4 blue, #ff7f0e orange) show.
        blue = ((abs(rgb[..., 0] - 0x1f / 255) < 0.08) &
                (abs(rgb[..., 1] - 0x77 / 255) < 0.08) &
                (abs(rgb[..., 2] - 0xb4 / 255) < 0.08)).sum()
        self.assertGreater(int(blue), 50)


if __name__ == "__main__":
    unittest.main(verbosity=2)
