"""Exports for adoption and HR teams: inactive people and counts per group, as XLSX or CSV."""
