#!/usr/bin/env python3
"""Writes the hwloc 2.x XML topology fixtures of this directory.

Run from this directory: ./make_fixtures.py
Check each result with: lstopo --input <file>.xml --of console
"""


class Gen:
    """Emits hwloc v2 XML objects with consistent cpusets and gp indexes."""

    def __init__(self):
        self.gp = 0
        self.lines = []

    @staticmethod
    def mask(pus):
        value = 0
        for pu in pus:
            value |= 1 << pu
        # hwloc writes 32-bit words separated by commas, most significant first.
        words = []
        while True:
            words.append("0x%08x" % (value & 0xFFFFFFFF))
            value >>= 32
            if not value:
                break
        return ",".join(reversed(words))

    def open(self, depth, otype, os_index, pus, nodes, extra="", leaf=False,
             root=False):
        self.gp += 1
        attrs = 'type="%s"' % otype
        if os_index is not None:
            attrs += ' os_index="%d"' % os_index
        cs = self.mask(pus)
        ns = self.mask(nodes)
        attrs += ' cpuset="%s" complete_cpuset="%s"' % (cs, cs)
        if root:
            attrs += ' allowed_cpuset="%s"' % cs
        attrs += ' nodeset="%s" complete_nodeset="%s"' % (ns, ns)
        if root:
            attrs += ' allowed_nodeset="%s"' % ns
        attrs += ' gp_index="%d"%s' % (self.gp, extra)
        pad = "  " * depth
        self.lines.append("%s<object %s%s>" % (pad, attrs, "/" if leaf else ""))

    def close(self, depth):
        self.lines.append("  " * depth + "</object>")

    def info(self, depth, name, value):
        self.lines.append('%s<info name="%s" value="%s"/>' %
                          ("  " * depth, name, value))

    def cache(self, depth, ctype, level, size, pus, nodes, kind=0, os_index=None):
        extra = (' cache_size="%d" depth="%d" cache_linesize="64"'
                 ' cache_associativity="8" cache_type="%d"' % (size, level, kind))
        self.open(depth, ctype, os_index, pus, nodes, extra)

    def numa(self, depth, os_index, pus, memory):
        self.open(depth, "NUMANode", os_index, pus, [os_index],
                  ' local_memory="%d"' % memory)
        self.lines.append("  " * (depth + 1) +
                          '<page_type size="4096" count="%d"/>' % (memory // 4096))
        self.close(depth)

    def core(self, depth, core_os, pus, nodes):
        """A Core with its PUs (and no caches of its own)."""
        self.open(depth, "Core", core_os, pus, nodes)
        for pu in pus:
            self.open(depth + 1, "PU", pu, [pu], nodes, leaf=True)
        self.close(depth)

    def write(self, path, body, cpukinds=()):
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<!DOCTYPE topology SYSTEM "hwloc2.dtd">',
               '<topology version="2.0">']
        self.lines = []
        body(self)
        out += self.lines
        out += ['  <support name="discovery.pu"/>',
                '  <support name="discovery.numa"/>',
                '  <support name="discovery.numa_memory"/>']
        for pus, efficiency, infos in cpukinds:
            eff = "" if efficiency is None else ' forced_efficiency="%d"' % efficiency
            out.append('  <cpukind cpuset="%s"%s>' % (self.mask(pus), eff))
            for name, value in infos:
                out.append('    <info name="%s" value="%s"/>' % (name, value))
            out.append("  </cpukind>")
        out.append("</topology>")
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")


def machine_open(g, pus, nodes, infos):
    g.open(1, "Machine", 0, pus, nodes, root=True)
    for name, value in infos:
        g.info(2, name, value)


GIB = 1 << 30
KIB = 1 << 10


def hybrid(g):
    """i7-12700-like: 8 P-cores x 2 threads (PUs 0-15) + 4 E-cores (16-19)."""
    all_pus = list(range(20))
    machine_open(g, all_pus, [0], [("Backend", "Linux"), ("OSName", "Linux"),
                                   ("Architecture", "x86_64")])
    g.open(2, "Package", 0, all_pus, [0])
    g.info(3, "CPUVendor", "GenuineIntel")
    g.info(3, "CPUModel", "12th Gen Intel(R) Core(TM) i7-12700")
    g.numa(3, 0, all_pus, 32 * GIB)
    g.cache(3, "L3Cache", 3, 25 * 1024 * KIB, all_pus, [0])
    for p in range(8):
        pus = [2 * p, 2 * p + 1]
        g.cache(4, "L2Cache", 2, 1280 * KIB, pus, [0])
        g.cache(5, "L1Cache", 1, 48 * KIB, pus, [0], kind=1)
        g.cache(6, "L1iCache", 1, 32 * KIB, pus, [0], kind=2)
        g.core(7, 4 * p, pus, [0])
        g.close(6)
        g.close(5)
        g.close(4)
    e_pus = [16, 17, 18, 19]
    g.cache(4, "L2Cache", 2, 2048 * KIB, e_pus, [0])
    for e, pu in enumerate(e_pus):
        g.cache(5, "L1Cache", 1, 32 * KIB, [pu], [0], kind=1)
        g.cache(6, "L1iCache", 1, 64 * KIB, [pu], [0], kind=2)
        g.core(7, 32 + e, [pu], [0])
        g.close(6)
        g.close(5)
    g.close(4)
    g.close(3)  # L3
    g.close(2)  # Package
    g.close(1)  # Machine


def numa_server(g):
    """2 packages x 4 cores x 2 threads, one NUMA node per package.

    Linux numbers the first thread of every core first (0-7), then the
    second threads (8-15): core c of package p holds PUs 4p+c and 8+4p+c.
    """
    all_pus = list(range(16))
    machine_open(g, all_pus, [0, 1], [("Backend", "Linux"), ("OSName", "Linux"),
                                      ("Architecture", "x86_64")])
    for p in range(2):
        pkg_pus = sorted([4 * p + c for c in range(4)] +
                         [8 + 4 * p + c for c in range(4)])
        g.open(2, "Package", p, pkg_pus, [p])
        g.info(3, "CPUVendor", "GenuineIntel")
        g.info(3, "CPUModel", "Intel(R) Xeon(R) Silver 4208 CPU @ 2.10GHz")
        g.numa(3, p, pkg_pus, 64 * GIB)
        g.cache(3, "L3Cache", 3, 11 * 1024 * KIB, pkg_pus, [p], os_index=p)
        for c in range(4):
            pus = [4 * p + c, 8 + 4 * p + c]
            g.cache(4, "L2Cache", 2, 1024 * KIB, pus, [p])
            g.core(5, c, pus, [p])
            g.close(4)
        g.close(3)
        g.close(2)
    g.close(1)


def vm_2core(g):
    """A plain 2-core VM: 2 cores, 1 thread each, no CPU kinds."""
    all_pus = [0, 1]
    machine_open(g, all_pus, [0], [("Backend", "Linux"), ("OSName", "Linux"),
                                   ("Architecture", "x86_64")])
    g.open(2, "Package", 0, all_pus, [0])
    g.info(3, "CPUModel", "QEMU Virtual CPU version 2.5+")
    g.numa(3, 0, all_pus, 4 * GIB)
    for c in all_pus:
        g.core(3, c, [c], [0])
    g.close(2)
    g.close(1)


def arm_big_little(g):
    """ARM big.LITTLE: 4 little cores (PUs 0-3) + 4 big cores (PUs 4-7).

    Kinds carry only FrequencyMaxMHz (no CoreType), as on Linux/ARM.
    """
    all_pus = list(range(8))
    machine_open(g, all_pus, [0], [("Backend", "Linux"), ("OSName", "Linux"),
                                   ("Architecture", "aarch64")])
    g.open(2, "Package", 0, all_pus, [0])
    g.numa(3, 0, all_pus, 8 * GIB)
    for c in all_pus:
        g.core(3, c, [c], [0])
    g.close(2)
    g.close(1)


def main():
    Gen().write("hybrid_i7_12700.xml", hybrid, cpukinds=[
        (range(16, 20), None, [("CoreType", "IntelAtom"),
                               ("FrequencyMaxMHz", "3600")]),
        (range(0, 16), None, [("CoreType", "IntelCore"),
                              ("FrequencyMaxMHz", "4900")]),
    ])
    Gen().write("numa_2socket.xml", numa_server)
    Gen().write("vm_2core.xml", vm_2core)
    Gen().write("arm_big_little.xml", arm_big_little, cpukinds=[
        (range(0, 4), None, [("FrequencyMaxMHz", "1800")]),
        (range(4, 8), None, [("FrequencyMaxMHz", "2400")]),
    ])


if __name__ == "__main__":
    main()
