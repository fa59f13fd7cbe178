"""Exceptions of the directory subsystem."""

from pipeline.errors import SocialiticaError


class DirectoryError(SocialiticaError):
    """Base class for directory and absence errors."""


class InputFormatError(DirectoryError):
    """An input file cannot be read at all (missing columns, unknown format, not UTF-8)."""


class SnapshotError(DirectoryError):
    """A directory snapshot cannot be applied, for example because it lists no users."""
