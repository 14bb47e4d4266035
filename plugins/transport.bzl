"""copyscope_transport(): declares one transport plugin in one BUILD block.

    load("//plugins:transport.bzl", "copyscope_transport")

    copyscope_transport(
        name = "two_copy",
        srcs = ["two_copy.cc"],
    )

makes
  :two_copy.so   the plugin: a shared library exporting only
                 copyscope_transport_entry (hidden visibility + a version
                 script), found by the harness under transports/ in its
                 runfiles;
  :two_copy_lib  the same code as a static library, for the transport's own
                 unit tests (link at most one transport per test binary).
"""

def copyscope_transport(name, srcs, deps = [], copts = [], linkopts = [], visibility = None, **kwargs):
    """Declares a transport plugin and its test library."""
    if not name:
        fail("copyscope_transport: name is required")
    if not srcs:
        fail("copyscope_transport(%s): srcs must list the transport's sources" % name)
    if "linkshared" in kwargs or "linkstatic" in kwargs:
        fail("copyscope_transport(%s): linkage is fixed by the macro" % name)

    native.cc_library(
        name = name + "_lib",
        srcs = srcs,
        copts = ["-fvisibility=hidden"] + copts,
        deps = ["//plugins:abi"] + deps,
        alwayslink = 1,
        visibility = visibility,
        **kwargs
    )
    native.cc_binary(
        name = name + ".so",
        linkshared = 1,
        linkopts = [
            "-Wl,--version-script=$(location //plugins:exports.lds)",
            "-Wl,--no-undefined",
        ] + linkopts,
        deps = [
            ":" + name + "_lib",
            "//plugins:exports.lds",
        ],
        visibility = ["//visibility:public"],
    )
