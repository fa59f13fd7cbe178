"""Base exception of the project; each subsystem derives its own errors from it."""


class SocialiticaError(Exception):
    """An error the user can act on; the message names the value and the fix."""
