"""Kafka broker class path: jars resolved once with Maven into a cache folder."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from pipeline.broker.errors import BrokerError

logger = logging.getLogger(__name__)

KAFKA_VERSION = "4.4.0"
"""Default broker release; deploy/local/pom.xml carries the same default."""

DEFAULT_POM = Path(__file__).resolve().parents[2] / "deploy" / "local" / "pom.xml"
"""The POM in a source checkout. An installed package has no deploy/ folder: pass pom_path."""

MARKER_NAME = "classpath.txt"
"""File in the cache folder that lists the resolved jar names, written after Maven succeeded."""

_MVN_TIMEOUT_S = 900.0
_OUTPUT_TAIL_LINES = 20


def default_cache_dir(kafka_version: str, environ: Mapping[str, str]) -> Path:
    """Return ``$XDG_CACHE_HOME/socialitica/kafka-VERSION``, or ``~/.cache/...`` without it."""
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "socialitica" / f"kafka-{kafka_version}"


def cached_jars(cache_dir: Path) -> list[Path] | None:
    """Return the jars listed by the cache's marker file, or None when the cache is incomplete."""
    marker = cache_dir / MARKER_NAME
    try:
        names = marker.read_text(encoding="utf-8").split()
    except FileNotFoundError:
        return None
    jars = [cache_dir / "lib" / name for name in names]
    if not jars or not all(jar.is_file() for jar in jars):
        return None
    return jars


def resolve_classpath(
    kafka_version: str,
    cache_dir: Path,
    pom_path: Path = DEFAULT_POM,
    mvn: str = "mvn",
) -> Path:
    """Return the folder of broker jars, running Maven only when the cache is incomplete.

    A filled cache needs no network and no Maven. Concurrent callers wait on a lock file in the
    cache folder, so only one of them runs Maven. Raises BrokerError when Maven is missing or fails.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    lib_dir = cache_dir / "lib"
    with (cache_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        jars = cached_jars(cache_dir)
        if jars is not None:
            logger.info("Using %d cached Kafka %s jars in %s", len(jars), kafka_version, lib_dir)
            return lib_dir
        _download(kafka_version, cache_dir, pom_path, mvn)
    return lib_dir


def _download(kafka_version: str, cache_dir: Path, pom_path: Path, mvn: str) -> None:
    # 1. Check the tools before starting a long download.
    mvn_path = shutil.which(mvn)
    if mvn_path is None:
        raise BrokerError(
            f"mvn not found on PATH (looked for {mvn!r}): install Maven 3.8+ "
            "(apt-get install maven) to download the Kafka broker jars once"
        )
    if not pom_path.is_file():
        raise BrokerError(
            f"broker POM not found at {pom_path}: pass pom_path pointing to deploy/local/pom.xml "
            "of a Socialítica source checkout"
        )

    # 2. Download into a scratch folder, so an interrupted run never looks complete.
    partial = cache_dir / "lib.partial"
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn_path, "-q", "-B", "-Dstyle.color=never", "-f", str(pom_path),
        "dependency:copy-dependencies",
        f"-Dkafka.version={kafka_version}",
        f"-DoutputDirectory={partial}",
    ]  # fmt: skip
    logger.info("Resolving Kafka %s jars with Maven into %s", kafka_version, cache_dir)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=_MVN_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BrokerError(
            f"mvn timed out after {_MVN_TIMEOUT_S:.0f} s resolving Kafka {kafka_version}: "
            "check that Maven Central is reachable and run again"
        ) from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        tail = "\n".join(output[-_OUTPUT_TAIL_LINES:])
        raise BrokerError(
            f"mvn failed with exit code {result.returncode} resolving Kafka {kafka_version} "
            f"from {pom_path}; check the version exists on Maven Central and that the network "
            f"reaches it. Command: {' '.join(command)}\n{tail}"
        )
    broker_jar = partial / f"kafka_2.13-{kafka_version}.jar"
    if not broker_jar.is_file():
        raise BrokerError(
            f"mvn succeeded but {broker_jar} is missing: check that {pom_path} "
            "depends on org.apache.kafka:kafka_2.13:${kafka.version}"
        )

    # 3. Publish the jars, then the marker that declares the cache complete.
    shutil.rmtree(cache_dir / "lib", ignore_errors=True)
    partial.rename(cache_dir / "lib")
    names = sorted(jar.name for jar in (cache_dir / "lib").glob("*.jar"))
    marker_tmp = cache_dir / f"{MARKER_NAME}.tmp"
    marker_tmp.write_text("\n".join(names) + "\n", encoding="utf-8")
    os.replace(marker_tmp, cache_dir / MARKER_NAME)
    logger.info("Resolved %d Kafka %s jars into %s", len(names), kafka_version, cache_dir)
