"""Test-only cache of pure work that every ``create_app`` repeats.

Each test builds its own app, and most of ``create_app``'s time goes to Werkzeug
compiling, for each of the portal's URL rules, the Python function that builds its URLs
(``Rule._compile_builder``: an AST made, then compiled). That function depends only on
the rule's parsed parts, its defaults and ``append_unknown``, so the tests compile it once
per rule and reuse it. Rules whose defaults fill one of their variables (resolved through a
converter) are compiled as usual. Nothing changes if Werkzeug's internals do not match.
"""
from werkzeug.routing.rules import Rule

_original = Rule.__dict__.get("_compile_builder")
_builders = {}


def _cached_compile_builder(self, append_unknown=True):
    defaults = self.defaults or {}
    trace = tuple(getattr(self, "_trace", ()))
    if any(dynamic and data in defaults for dynamic, data in trace):
        return _original(self, append_unknown)
    key = (self.rule, trace, tuple(sorted((str(k), repr(v)) for k, v in defaults.items())),
           append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _original(self, append_unknown)
    return builder


def install():
    """Cache URL builders for the rest of the process (idempotent)."""
    if _original is not None:
        Rule._compile_builder = _cached_compile_builder
