"""Entry point of //tools/report:report (`copyscope report` and `compare`)."""

import sys


def _main() -> int:
    try:
        from copyscope_report import cli  # pylint: disable=import-outside-toplevel
    except KeyboardInterrupt:
        print("copyscope: interrupted", file=sys.stderr)
        return 130
    except ImportError as e:
        print(
            f"copyscope: cannot load the report tool ({e}): it needs "
            "Debian's python3-matplotlib and python3-scipy (tools/bootstrap "
            "installs them)",
            file=sys.stderr)
        return 2
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(_main())
