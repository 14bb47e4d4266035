"""The misbehaving test plugins of //tests/plugins, one fault each (README.md).

Never in transports/ (whose plugins every run loads): a test that wants one
takes it as data, e.g. data = ["//tests/plugins:crash_send.so"], or all of
them through //tests/plugins:all.
"""

BAD_PLUGINS = [
    "crash_send",
    "exit_recv",
    "hang_recv",
    "abort_probe",
    "hang_probe",
    "corrupt_send",
    "absurd_counts",
    "long_name",
    "many_options",
]
