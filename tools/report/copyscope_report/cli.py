"""Command line: `copyscope report DIR` and `copyscope compare A B`.

    report DIR [--out=PATH]     figures, analysis and report.html in DIR/report/
    compare A B [--fail-above=PCT]
                                per-cell changes with significance; exit 1
                                when a cell regressed beyond PCT percent

Exit status: 0 done, 1 compare found a regression, 2 bad input or an I/O
error (one line on stderr naming the file and the problem), 130 interrupted
(Ctrl-C). Never a traceback: anything unforeseen is one line "internal
error: ..." and exit 2.
"""

import argparse
import json
import math
import os
import re
import sys
from typing import List, Optional

from copyscope_report import (analysis, compare, figures, history_figure,
                              html_page, loader, outdir)


class UsageError(Exception):
    pass


class _StdoutError(Exception):
    """Standard output cannot be written (a closed pipe, a full disk)."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit status 2."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _percentage(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a percentage: give a finite number >= 0, e.g. "
            "--fail-above=5")
    return v


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="copyscope", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    r = sub.add_parser(
        "report", help="figures, analysis and report.html for a results dir")
    r.add_argument("dir", help="a results directory written by `copyscope run`")
    r.add_argument("--out",
                   help="where to write the report (default DIR/report): "
                   "a new path, an empty directory or an earlier report of "
                   "the same run; anything else is refused")
    r.add_argument("--history",
                   metavar="PATH",
                   help="the results history whose earlier runs of each "
                   "cell are drawn (default: copyscope run's, "
                   "$XDG_DATA_HOME/copyscope/history.sqlite); read only")
    c = sub.add_parser("compare", help="what changed from run A to run B")
    c.add_argument("a", help="results directory of the baseline run")
    c.add_argument("b", help="results directory of the new run")
    c.add_argument("--fail-above",
                   type=_percentage,
                   default=5.0,
                   metavar="PCT",
                   help="exit 1 when a cell got significantly worse by more "
                   "than PCT percent (default 5)")
    return p


def write_report(run_dir: str,
                 out: Optional[str] = None,
                 history: Optional[str] = None) -> str:
    """Writes the report of run_dir; returns the report.html path.

    `out` (default run_dir/report) must be absent, an empty directory or an
    earlier report of the same run (see outdir.py); anything else is refused
    before any work and left as it is. The report is built in a temporary
    sibling directory and renamed into place: whole or not at all.
    """
    run = loader.load_run(run_dir)
    dest = outdir.claim(out or os.path.join(run_dir, "report"), run.run_id)
    try:
        tmp = dest.staging()
        analyses = analysis.analyze(run)
        note = loader.completeness_note(run, "figures cover")
        text = (f"{note}\n" if note else "") + analysis.to_text(analyses)
        specs, omitted = figures.build(run)
        more, left_out = history_figure.build(
            run, history or history_figure.default_path(),
            figures.footer(run))
        specs += more
        omitted += left_out
        pngs = {}
        for spec in specs:
            paths = figures.save(spec, tmp)
            with open(paths["png"], "rb") as f:
                pngs[spec.id] = f.read()
        with open(os.path.join(tmp, "figures.json"), "w") as f:
            json.dump(figures.to_json(specs, omitted), f, indent=1)
        with open(os.path.join(tmp, "analysis.txt"), "w") as f:
            f.write(text)
        with open(os.path.join(tmp, "report.html"), "w") as f:
            f.write(html_page.render(run, analyses, specs, omitted, pngs))
        dest.commit(os.listdir(tmp))
    except OSError as e:
        dest.abandon()
        raise outdir.OutError(f"cannot write the report in {dest.out}: "
                              f"{e.strerror or e} (nothing was replaced)") from None
    except BaseException:
        dest.abandon()
        raise
    return os.path.join(dest.out, "report.html")


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as e:
        raise _StdoutError(e.strerror or str(e)) from None


def _drop_stdout() -> None:
    """Points standard output at /dev/null, so the interpreter's last flush
    of what could not be written does not print a traceback at exit."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (tests) or already gone


def _one_line(msg: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], msg)


def _say(msg: str) -> None:
    try:
        print(_one_line(msg), file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass  # stderr is gone too: the exit status is all that is left


def _run(argv: List[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        raise UsageError("copyscope: give a command: report DIR or "
                         "compare A B (see --help)")
    if args.command == "report":
        page = write_report(args.dir, args.out, args.history)
        with open(os.path.join(os.path.dirname(page), "analysis.txt"),
                  encoding="utf-8") as f:
            _write(f.read() + f"report: {page}\n")
        return 0
    a, b = loader.load_run(args.a), loader.load_run(args.b)
    res = compare.compare(a, b, args.fail_above)
    _write(compare.to_text(res))
    return 1 if res.regressed else 0


def main(argv: List[str]) -> int:
    """Runs one command; returns the exit status. Every failure is one line
    on stderr: nothing escapes as a traceback."""
    cmd = "copyscope" + (f" {argv[0]}" if argv and argv[0] in
                         ("report", "compare") else "")
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # names in any locale
            stream.reconfigure(errors="backslashreplace")
    try:
        return _run(argv)
    except UsageError as e:
        msg = str(e)
    except (loader.LoadError, outdir.OutError) as e:
        msg = f"{cmd}: {e}"
    except _StdoutError as e:
        _drop_stdout()
        msg = f"{cmd}: cannot write to standard output: {e}"
    except KeyboardInterrupt:
        _say(f"{cmd}: interrupted")
        return 130
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        msg = f"{cmd}: {where}{e.strerror or e}"
    except Exception as e:  # pylint: disable=broad-except
        msg = (f"{cmd}: internal error: {type(e).__name__}: {e} (a bug: "
               "please report it with the record)")
    _say(msg)
    return 2
