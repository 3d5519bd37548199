"""Output folders that are complete or absent.

A run (or an ensemble of runs) is written into a hidden temporary folder beside its target, and the
temporary folder is renamed into place only once every file is written (manifest last). A run killed
at any moment therefore leaves the target either absent or complete; what it leaves behind is a
hidden `.<name>.partial-*` folder, never a folder that looks like a finished run.

    target = check_target(out, force=args.force, inputs=[scenario_path])   # before any compute
    with publish_dir(target, force=args.force) as rd:
        write files into rd.tmp ...
    # rd.final now holds them all

Default folder names are reserved atomically (`unique=True`): two runs started in the same second
with the same scenario get two folders (`name`, `name-2`, ...).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .fmt import tr

__all__ = ["OutputError", "RunDir", "printable", "check_target", "publish_dir", "publish_file",
           "prepare_resumable", "PARTIAL"]

PARTIAL = ".partial-"      # marks temporary folders: ".<name>.partial-<random>"
_MAX_TRIES = 1000


class OutputError(Exception):
    """An output folder the run cannot or must not write; str() is one line."""


def printable(text: str, limit: int = 80) -> str:
    """A user-given name safe to print on one line: control characters (terminal escapes, newlines)
    replaced by '?', and cut to `limit` characters."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= limit else clean[:limit - 1] + "…"


def _os_reason(e: OSError) -> str:
    if e.errno == errno.ENAMETOOLONG:
        return tr("un nom de ce chemin est trop long pour le système de fichiers (moins de 255 octets "
                  "par nom)",
                  "a name in this path is too long for the file system (keep each name under 255 bytes)")
    return e.strerror or str(e)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _contains(folder: Path, path: Path) -> bool:
    """True if path is folder or lies inside it (both resolved)."""
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def prepare_resumable(out: Path, marker: str, earlier: tuple[str, str], error: type[Exception]) -> None:
    """The folder of a resumable command (compare, sensitivity): new, empty, or an earlier run of
    the same command, recognised by its `marker` file, which is then resumed. Anything else raises
    `error` with one line naming the folder and the fix; `earlier` names such a run (fr, en)."""
    if out.exists() and not out.is_dir():
        raise error(f"--out {out}: " + tr("existe et n'est pas un dossier ; choisissez un autre chemin",
                                          "exists and is not a folder; choose another path"))
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file():
        raise error(f"--out {out}: " + tr(
            f"dossier non vide et qui n'est pas {earlier[0]} ; choisissez un dossier nouveau ou vide",
            f"folder not empty and not {earlier[1]}; choose a new or empty folder"))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise error(f"--out {out}: " + tr(f"impossible de créer le dossier ({_os_reason(e)})",
                                          f"cannot create the folder ({_os_reason(e)})")) from None


def check_target(out: str | Path, force: bool = False, inputs: Iterable[str | Path] = ()) -> Path:
    """Check that `out` may receive a run folder, before any compute; return it as a Path.

    Refused with a one-line OutputError: an existing file, a non-empty folder (unless force), the
    current folder or one of its parents, a folder holding one of the `inputs` (even with force: a
    run never replaces its own scenario file), a name too long for the file system."""
    path = Path(out)
    shown = printable(str(out))
    try:
        res = path.resolve()
        if path.exists() and not path.is_dir():
            raise OutputError(f"--out {shown}: " + tr("existe et n'est pas un dossier ; choisissez un nom de dossier",
                                                       "exists and is not a folder; choose a folder name"))
        if _contains(res, Path.cwd().resolve()):
            raise OutputError(f"--out {shown}: " + tr(
                "est le dossier courant ou l'un de ses parents ; donnez un nouveau nom de dossier",
                "is the current folder or one of its parents; give a new folder name"))
        for f in inputs:
            if f is not None and _contains(res, Path(f).resolve()):
                raise OutputError(f"--out {shown}: " + tr(
                    f"contient le fichier d'entrée {Path(f).name} ; donnez un autre dossier pour ne pas "
                    "le remplacer",
                    f"holds the input file {Path(f).name}; give another folder so it is not replaced"))
        if path.is_dir() and any(path.iterdir()) and not force:
            raise OutputError(f"--out {shown}: " + tr(
                "le dossier existe et n'est pas vide ; donnez un nouveau dossier ou ajoutez --force "
                "pour le remplacer",
                "folder exists and is not empty; give a new folder or add --force to replace it"))
        if len(os.fsencode(res.name)) > 200:
            raise OutputError(f"--out {shown}: " + tr("nom de dossier trop long (moins de 200 octets)",
                                                       "folder name too long (keep it under 200 bytes)"))
    except OSError as e:
        raise OutputError(f"--out {shown}: {_os_reason(e)}") from None
    return path


def _reserve(target: Path, unique: bool) -> tuple[Path, Path]:
    """(final target, temporary folder). With unique, the first free name among target,
    target-2, target-3, ... is reserved by creating its temporary folder exclusively."""
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    if not unique:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:100]}{PARTIAL}", dir=parent))
        os.chmod(tmp, 0o777 & ~_umask())     # mkdtemp makes it private; a run folder is not
        return target, tmp
    for k in range(1, _MAX_TRIES + 1):
        cand = target if k == 1 else target.with_name(f"{target.name}-{k}")
        tmp = parent / f".{cand.name}{PARTIAL}reserved"
        if cand.exists():
            continue
        try:
            tmp.mkdir()
        except FileExistsError:            # another run holds this name
            continue
        if cand.exists():                  # published between our check and our mkdir
            tmp.rmdir()
            continue
        return cand, tmp
    raise OutputError(f"{printable(str(target))}: " + tr(
        f"aucun nom de dossier libre après {_MAX_TRIES} essais ; faites le ménage dans le dossier",
        f"no free folder name after {_MAX_TRIES} tries; clean the folder"))


@dataclass(frozen=True)
class RunDir:
    """Where to write (`tmp`, a hidden folder beside the target) and where it will be published
    (`final`: the target, or with unique names the first free one among target, target-2, ...)."""

    tmp: Path
    final: Path


@contextmanager
def publish_dir(target: str | Path, force: bool = False, unique: bool = False) -> Iterator[RunDir]:
    """Give a fresh temporary folder beside `target`; on normal exit rename it to its final name.

    On an exception the temporary folder is removed (after a kill it stays hidden) and the target is
    untouched. An existing empty target — or, with force, a non-empty one — is replaced: the old
    folder is moved aside first and deleted after, so the target is never a mix of two runs."""
    target = Path(target)
    try:
        final, tmp = _reserve(target, unique)
    except OSError as e:
        raise OutputError(tr("impossible d'écrire dans le dossier de sortie", "cannot write to output folder")
                          + f" {printable(str(target))}: {_os_reason(e)}") from None
    try:
        yield RunDir(tmp, final)
        _fsync_tree(tmp)
        _swap_in(tmp, final, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_tree(folder: Path) -> None:
    """Flush the written files to disk so that a crash right after the rename leaves no empty file."""
    for p in folder.iterdir():
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _swap_in(tmp: Path, final: Path, force: bool) -> None:
    if final.is_dir():
        if any(final.iterdir()) and not force:
            raise OutputError(f"--out {printable(str(final))}: " + tr(
                "une autre simulation a écrit ce dossier entre-temps ; donnez un nouveau dossier ou "
                "ajoutez --force",
                "another run wrote this folder meanwhile; give a new folder or add --force"))
        old = Path(tempfile.mkdtemp(prefix=f".{final.name[:100]}.old-", dir=final.parent))
        os.rename(final, old / "x")          # final is absent from here ...
        os.rename(tmp, final)                # ... to here: never a mix
        shutil.rmtree(old, ignore_errors=True)
    elif final.exists():
        raise OutputError(f"--out {printable(str(final))}: " + tr("existe et n'est pas un dossier", "exists and is not a folder"))
    else:
        os.rename(tmp, final)
    _fsync_dir(final.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish_file(target: str | Path, write) -> Path:
    """Write one file atomically: `write(tmp_path)` writes a temporary file beside target, which is
    then renamed over target (a reader sees the old file or the new one, never half of one)."""
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name[:100]}{PARTIAL}", dir=target.parent or ".")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
