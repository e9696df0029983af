class NonRecoverableError(Exception):
    pass


class RecoverableError(Exception):
    pass


class OperationRetry(Exception):
    pass
