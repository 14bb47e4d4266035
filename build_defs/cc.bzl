"""Small macros over the native C++ rules, so BUILD files list what differs.

    load("//build_defs:cc.bzl", "cc_module", "cc_unit_tests")

    cc_unit_tests(
        tests = {
            "units_test": [":units"],           # units_test.cc, its deps
            "plan_test": [":plan", "//plugins:loader"],
        },
    )
"""

load("@rules_cc//cc:defs.bzl", "cc_library", "cc_test")

def cc_unit_tests(tests, size = "small", deps = [], data = [], tags = []):
    """One cc_test per entry of `tests`: NAME.cc with gtest_main.

    Args:
      tests: dict from test name to its own deps.
      size: the Bazel test size of every test.
      deps: deps added to every test (besides Abseil and gtest_main).
      data: runtime files of every test.
      tags: tags of every test.
    """
    if not tests:
        fail("cc_unit_tests: give at least one test")
    for name, own in tests.items():
        cc_test(
            name = name,
            size = size,
            srcs = [name + ".cc"],
            data = data,
            tags = tags,
            deps = own + deps + [
                "@system//:absl",
                "@system//:gtest_main",
            ],
        )

def cc_module(name, srcs = None, hdrs = None, deps = [], **kwargs):
    """A library of one concern: NAME.h with NAME.cc beside it.

    Args:
      name: the library, and the stem of its files.
      srcs: the sources, when not [NAME.cc] ([] for a header-only one).
      hdrs: the headers, when not [NAME.h].
      deps: as for cc_library.
      **kwargs: any other cc_library attribute (visibility, linkopts, ...).
    """
    cc_library(
        name = name,
        srcs = [name + ".cc"] if srcs == None else srcs,
        hdrs = [name + ".h"] if hdrs == None else hdrs,
        deps = deps,
        **kwargs
    )
