"""Employee directory: profile records, loaders, manager resolution, history and absences."""
