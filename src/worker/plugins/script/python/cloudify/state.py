"""`from cloudify.state import ctx_parameters`: the operation inputs (they arrive as environment
variables; JSON-looking values are decoded)."""
import json
import os

from . import ctx  # noqa: F401  (cloudify.state also exposes ctx)


def _inputs():
    names = json.loads(os.environ.get('STRATUS_CTX_INPUTS', '[]'))
    out = {}
    for n in names:
        v = os.environ.get(n, '')
        try:
            out[n] = json.loads(v)
        except ValueError:
            out[n] = v
    return out


ctx_parameters = _inputs()
