"""A small stand-in for cloudify-common's `from cloudify import ctx` in Python scripts run by the
Stratus script plugin: every attribute access goes to the ctx proxy (CTX_SOCKET_URL), like the `ctx`
CLI does. Covers logger, node, instance (runtime_properties read/write), source/target, operation,
deployment, blueprint, returns/abort/retry."""
import json
import os
import urllib.request


class CtxError(Exception):
    pass


def _call(*args):
    req = urllib.request.Request(
        os.environ['CTX_SOCKET_URL'],
        data=json.dumps({'args': list(args)}).encode(),
        headers={'content-type': 'application/json'},
        method='POST',
    )
    with urllib.request.urlopen(req, timeout=30) as res:
        reply = json.loads(res.read().decode())
    if reply.get('type') == 'error':
        p = reply.get('payload') or {}
        raise CtxError('%s: %s' % (p.get('type'), p.get('message')))
    return reply.get('payload')


class _Props(dict):
    """runtime_properties: a dict whose writes go to the proxy at once."""

    def __init__(self, prefix):
        super().__init__(_call(*prefix) or {})
        self._prefix = prefix

    def __setitem__(self, key, value):
        _call(*self._prefix, key, value)
        super().__setitem__(key, value)


class _Logger:
    def __getattr__(self, level):
        return lambda msg, *a: _call('logger', 'warning' if level == 'warn' else level, msg % a if a else msg)


class _Entity:
    def __init__(self, prefix, kind):
        self._prefix, self._kind = prefix, kind

    def __getattr__(self, name):
        if name == 'runtime_properties':
            return _Props([*self._prefix, self._kind, 'runtime-properties'])
        return _call(*self._prefix, self._kind, name)


class _Side:
    def __init__(self, side):
        self.node = _Entity([side], 'node')
        self.instance = _Entity([side], 'instance')


class _Simple:
    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return _call(self._name, attr)


class _Ctx:
    logger = _Logger()
    node = _Entity([], 'node')
    instance = _Entity([], 'instance')
    source = _Side('source')
    target = _Side('target')
    deployment = _Simple('deployment')
    blueprint = _Simple('blueprint')
    operation = _Simple('operation')

    @property
    def execution_id(self):
        return _call('execution-id')

    def returns(self, value):
        _call('returns', value)

    def abort_operation(self, message):
        _call('abort-operation', message)

    def retry_operation(self, message, retry_after=None):
        _call('retry-operation', message, *([] if retry_after is None else [retry_after]))


ctx = _Ctx()
