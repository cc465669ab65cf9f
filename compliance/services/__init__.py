"""Writes of the compliance app: measures (the overlay), penalty cases, imports.

The sweep's own services live in `compliance.sweep`.
"""
