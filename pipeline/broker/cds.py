"""Class data sharing (AppCDS) archive of the broker's classes, to cut JVM start time.

The first broker that a LocalBroker both starts and stops writes the archive at JVM exit
(``-XX:ArchiveClassesAtExit``). Later JVMs map it (``-XX:SharedArchiveFile``) instead of loading and
verifying thousands of classes again. Restarts of Kafka 4.4.0 on OpenJDK 17.0.15 were measured
on 2 cores shared with other jobs. At load 2 a restart took about 4 s without the archive and 2 s
with it plus ``-XX:TieredStopAtLevel=1``. At load 5 it took 13-14 s without and 2-3 s with.

An archive that does not match the JVM or the class path is ignored by the JVM, which then starts
as without one (``-Xshare:auto`` is the default).
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)


def archive_path(cache_dir: Path, java_path: str) -> Path:
    """Return the archive file for this JVM build; a JDK upgrade changes the name."""
    real_java = Path(java_path).resolve()
    try:
        stamp = f"{real_java}:{real_java.stat().st_mtime_ns}"
    except OSError:
        stamp = str(real_java)
    digest = hashlib.sha256(stamp.encode("utf-8")).hexdigest()[:12]
    return cache_dir / f"classes-{digest}.jsa"


def use_options(archive: Path) -> list[str] | None:
    """Return the JVM options that map ``archive``, or None when it does not exist yet."""
    if not archive.is_file():
        return None
    return [f"-XX:SharedArchiveFile={archive}"]


def dump_options(archive: Path) -> tuple[list[str], Path]:
    """Return the JVM options that write a new archive at exit, and the scratch file they write.

    Pass the scratch file to :func:`publish` after the JVM exited. The per-class CDS warnings
    of the dump go nowhere, because they are long and expected.
    """
    scratch = archive.with_name(f"{archive.name}.{uuid.uuid4().hex[:8]}.partial")
    return [f"-XX:ArchiveClassesAtExit={scratch}", "-Xlog:cds=error", "-Xlog:cds+dynamic=error"], scratch


def publish(scratch: Path, archive: Path, clean_exit: bool) -> None:
    """Move a finished archive into place, or delete the scratch file after an unclean exit."""
    if not scratch.exists():
        return
    if not clean_exit or scratch.stat().st_size == 0:
        scratch.unlink(missing_ok=True)
        return
    os.replace(scratch, archive)
    logger.info("Wrote class data sharing archive %s; later broker starts map it", archive)
