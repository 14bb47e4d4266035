"""Report output directories that are created, never replaced blindly.

`report --out=PATH` may name:
  - a path that does not exist (it is created before any work),
  - an empty directory,
  - a report directory that copyscope itself wrote for the same run,
    recognised by its marker file, whose manifest lists every file it wrote.

Anything else (a file, a symlink, the run directory, a foreign or non-empty
directory, a report of another run, a report someone added files to) is
refused before any work with a one-line error; nothing is removed.

The report is built in a temporary sibling directory and renamed into place
at the end. rename(2) replaces only an empty directory, so a path that
changed in the meantime makes the final step fail instead of destroying it.
Temporary directories left behind by a killed report (named with the pid of
their writer) are removed by the next report into the same parent.

    out = outdir.claim("results/run/report", run_id)
    tmp = out.staging()
    ... write files into tmp ...
    out.commit(["report.html", ...])
"""

import errno
import json
import os
import shutil
import stat
import tempfile
from typing import Iterable, List, Optional

MARKER = ".copyscope-report"
_TMP_PREFIX = ".copyscope-report-tmp."
_OLD_PREFIX = ".copyscope-report-old."


class OutError(Exception):
    """The output path cannot be used; str() is one line naming the fix."""


def _marker(path: str) -> Optional[dict]:
    """The marker of a report directory, or None when it has none."""
    try:
        with open(os.path.join(path, MARKER), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    return data


def _is_own_report(path: str, run_id: str) -> Optional[str]:
    """None when path is a report of run_id holding only its own files;
    otherwise why it is not."""
    marker = _marker(path)
    if marker is None:
        return "is not empty and is not a copyscope report"
    if marker.get("run_id") != run_id:
        return (f"is the report of another run ({marker.get('run_id')!r}, "
                f"not {run_id!r})")
    own = set(str(f) for f in marker["files"]) | {MARKER}
    foreign = sorted(set(os.listdir(path)) - own)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        return f"holds files copyscope did not write ({shown})"
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: str) -> List[str]:
    """Removes temporary directories of killed reports in parent.

    Only directories named by this module, with a dead writer pid, are
    removed. Returns their names.
    """
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        for prefix in (_TMP_PREFIX, _OLD_PREFIX):
            if not name.startswith(prefix):
                continue
            pid = name[len(prefix):].split(".", 1)[0]
            if not pid.isdigit() or _pid_alive(int(pid)):
                continue
            full = os.path.join(parent, name)
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full, ignore_errors=True)
                removed.append(name)
    return removed


class Claim:
    """An output directory this process may write; see the module comment."""

    def __init__(self, out: str, run_id: str, created: bool,
                 replaces: bool) -> None:
        self.out = out
        self.run_id = run_id
        self._created = created  # we made an empty directory at out
        self._replaces = replaces  # out is an earlier report of this run
        self._tmp: Optional[str] = None

    def staging(self) -> str:
        """A private temporary directory beside out to build the report in."""
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{os.getpid()}.",
                                         dir=os.path.dirname(self.out))
        return self._tmp

    def commit(self, files: Iterable[str]) -> None:
        """Writes the marker and renames the staging directory into place."""
        tmp = self.staging()
        names = sorted(set(files))
        with open(os.path.join(tmp, MARKER), "w", encoding="utf-8") as f:
            json.dump({"run_id": self.run_id, "files": names}, f)
            f.write("\n")
        os.chmod(tmp, 0o755)
        old = None
        if self._replaces:
            old = tempfile.mkdtemp(prefix=f"{_OLD_PREFIX}{os.getpid()}.",
                                   dir=os.path.dirname(self.out))
            moved = os.path.join(old, "report")
            os.rename(self.out, moved)
            why = _is_own_report(moved, self.run_id)
            if why is not None:  # changed since claim(): put it back
                os.rename(moved, self.out)
                os.rmdir(old)
                raise OutError(f"{self.out} {why}; nothing was replaced "
                               "(choose a new path with --out)")
        try:
            os.rename(tmp, self.out)  # only onto an absent or empty directory
        except OSError as e:
            if old is not None:
                os.rename(os.path.join(old, "report"), self.out)
                os.rmdir(old)
            raise OutError(f"cannot put the report at {self.out}: "
                           f"{e.strerror}; nothing was replaced (choose a "
                           "new path with --out)") from None
        self._tmp = None
        self._created = False
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abandon(self) -> None:
        """Removes what this claim made (staging, the empty directory)."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._created:
            try:
                os.rmdir(self.out)  # only while still empty
            except OSError:
                pass
            self._created = False


def claim(out: str, run_id: str) -> Claim:
    """Checks that out may receive the report of run_id and claims it."""
    out = os.path.abspath(out)
    parent = os.path.dirname(out)
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutError(f"cannot use {out}: {e.strerror} "
                       "(choose another path with --out)") from None
    if st is None:
        try:
            os.makedirs(parent, exist_ok=True)
            remove_stale(parent)
            os.mkdir(out)
        except FileExistsError:
            raise OutError(f"{out} appeared while the report started; "
                           "nothing was replaced (choose a new path with "
                           "--out)") from None
        except OSError as e:
            raise OutError(f"cannot create {out}: {e.strerror} "
                           "(choose another path with --out)") from None
        return Claim(out, run_id, created=True, replaces=False)
    if stat.S_ISLNK(st.st_mode):
        raise OutError(f"{out} is a symbolic link; the report is never "
                       "written through one (give a new path with --out)")
    if not stat.S_ISDIR(st.st_mode):
        raise OutError(f"{out} exists and is not a directory; it is left "
                       "as it is (give a new path with --out)")
    try:
        empty = not os.listdir(out)
    except OSError as e:
        raise OutError(f"cannot read {out}: {e.strerror} "
                       "(choose another path with --out)") from None
    if empty:
        remove_stale(parent)
        return Claim(out, run_id, created=False, replaces=False)
    why = _is_own_report(out, run_id)
    if why is not None:
        raise OutError(f"{out} {why}; it is left as it is (give a new or "
                       "empty directory with --out)")
    if not os.access(parent, os.W_OK):
        raise OutError(f"cannot replace {out}: {os.strerror(errno.EACCES)} "
                       "on its parent (choose another path with --out)")
    remove_stale(parent)
    return Claim(out, run_id, created=False, replaces=True)
