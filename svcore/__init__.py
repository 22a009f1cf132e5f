"""Cross-cutting definitions shared by the ETL, the query layer and the dashboard.

Nothing in here imports from ``etl``, ``dashboard`` or ``svdash``: vocabularies, the
serious-violence definition, area settings, the warehouse layout and disclosure rules each
live in exactly one module so they are never re-typed elsewhere.
"""
