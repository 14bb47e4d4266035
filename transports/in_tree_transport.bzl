"""in_tree_transport(): an in-tree transport and its unit test, in one call.

    load("//transports:in_tree_transport.bzl", "in_tree_transport")

    in_tree_transport(
        name = "two_copy",
        common = ["counters", "endpoint", "error_text", "probe", "send_loop"],
    )

makes what copyscope_transport() (//plugins:transport.bzl) makes from
two_copy.cc, :two_copy.so and :two_copy_lib, depending on the named
libraries of //transports/common (one per header the .cc includes) and on
any other labels in deps, and
  :two_copy_test  a small cc_test of two_copy_test.cc, linked with
                  :two_copy_lib, the unit tests every socket transport
                  passes (//transports/common:socket_transport_tests) and
                  gtest_main.

send_only_submits = True is for a transport whose send() returns before the
socket took the bytes (io_uring): its test also links the asynchronous
tests (//transports/common:async_transport_tests) and skips the two shared
tests that expect send() itself to block and to see short writes.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")
load("//plugins:transport.bzl", "copyscope_transport")

# The shared tests that need send() to block until the socket took the bytes.
_SEND_BLOCKS_TESTS = [
    "SocketTransport.SendTimesOutWhenPeerDoesNotRead",
    "SocketTransport.ShortWritesOnNonBlockingSmallBuffers",
]

def in_tree_transport(
        name,
        common = [],
        deps = [],
        srcs = None,
        test_srcs = None,
        test_deps = [],
        send_only_submits = False):
    """Declares an in-tree transport plugin, its test library and its test."""
    if not name:
        fail("in_tree_transport: name is required")
    copyscope_transport(
        name = name,
        srcs = srcs if srcs != None else [name + ".cc"],
        deps = ["//transports/common:" + lib for lib in common] + deps,
    )
    test_deps = [":" + name + "_lib", "//transports/common:socket_transport_tests"] + test_deps
    args = []
    if send_only_submits:
        test_deps.append("//transports/common:async_transport_tests")
        args.append("--gtest_filter=-" + ":".join(_SEND_BLOCKS_TESTS))
    cc_test(
        name = name + "_test",
        size = "small",
        srcs = test_srcs if test_srcs != None else [name + "_test.cc"],
        args = args,
        deps = test_deps + ["@system//:gtest_main"],
    )
