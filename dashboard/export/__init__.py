"""Exports reuse the query and figure functions, so what is exported is what is on screen."""
