"""Entry point of //tools/report:report (`copyscope report` and `compare`)."""

import sys

from copyscope_report import cli

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
