"""Developer tools that are not part of the generator: the PostgREST-compatible gateway (gateway.py)."""
