"""The in-tree transports: the one list a new transport is added to.

The harness binary carries these plugins in its runfiles (it discovers them
there, it never names them), and the conformance and ABI tests run against
each of them.
"""

IN_TREE_TRANSPORTS = [
    "//transports/two_copy:two_copy.so",
    "//transports/one_copy:one_copy.so",
    "//transports/zero_copy:zero_copy.so",
    "//transports/uring_send:uring_send.so",
    "//transports/uring_send_zc:uring_send_zc.so",
    "//transports/sendfile:sendfile.so",
    "//transports/splice:splice.so",
    "//transports/uring_recv:uring_recv.so",
    "//transports/tcp_zerocopy_recv:tcp_zerocopy_recv.so",
    "//transports/discard_recv:discard_recv.so",
    "//transports/ktls:ktls.so",
    "//transports/udp:udp.so",
    "//transports/udp_gso:udp_gso.so",
]

# The datagram transports among them (CS_CAP_DATAGRAM): a run's default
# selection leaves them out, so tests of the default selection do too.
DATAGRAM_TRANSPORTS = [
    "//transports/udp:udp.so",
    "//transports/udp_gso:udp_gso.so",
]
