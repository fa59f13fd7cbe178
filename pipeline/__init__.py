"""Socialítica: streaming engagement analytics for enterprise social networks."""
