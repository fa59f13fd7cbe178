"""Faust agents that turn login and interaction events into per-user last-seen state."""
