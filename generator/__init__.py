"""trackgen: compiles the YAML tracking plan under taxonomy/ into SQL, JSON Schemas, TypeScript and docs.

The package is a pipeline; each stage is one module:
load -> validate -> model -> resolve -> plan -> render -> lint -> emit.
Only ``emit`` writes files and only ``cli`` prints or exits.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
