# SPDX-License-Identifier: MIT
"""cv_status codes turned into Python exceptions carrying the library's message."""
from ._clib import lib
from .enums import Status


class CandyvendError(Exception):
    """A libcandyvend call failed.

    Attributes: status (a Status), function (the C function that answered),
    and the library's own text in the message, e.g.
    "cv_machine_select: lane is sold out (CV_E_SOLD_OUT)".
    """

    def __init__(self, status, function="", detail=""):
        self.status = Status(status) if status in Status._value2member_map_ else status
        self.function = function
        text = lib.status_str(int(status)).decode()
        name = lib.status_name(int(status)).decode()
        message = "%s (%s)" % (text, name)
        if detail:
            message = "%s: %s" % (message, detail)
        if function:
            message = "%s: %s" % (function, message)
        super().__init__(message)


class InvalidArgumentError(CandyvendError, ValueError):
    """CV_E_INVAL."""


class NoMemoryError(CandyvendError, MemoryError):
    """CV_E_NOMEM."""


class BusyError(CandyvendError):
    """CV_E_BUSY."""


class StorageIOError(CandyvendError, OSError):
    """CV_E_IO."""


class NotSupportedError(CandyvendError, NotImplementedError):
    """CV_E_NOTSUP."""


class VersionError(CandyvendError):
    """CV_E_VERSION."""


class FullError(CandyvendError):
    """CV_E_FULL."""


class CorruptError(CandyvendError):
    """CV_E_CORRUPT."""


class JamError(CandyvendError):
    """CV_E_JAM."""


class StateError(CandyvendError):
    """CV_E_STATE: not allowed in the current state."""


class NotFoundError(CandyvendError, LookupError):
    """CV_E_NOT_FOUND: no such lane, vend or record."""


class SoldOutError(CandyvendError):
    """CV_E_SOLD_OUT."""


class OutOfServiceError(CandyvendError):
    """CV_E_OUT_OF_SERVICE."""


class NotPricedError(CandyvendError):
    """CV_E_NOT_PRICED."""


class SensorError(CandyvendError):
    """CV_E_SENSOR."""


class MisuseError(CandyvendError):
    """CV_E_MISUSE: the API was called incorrectly (e.g. from the listener)."""


class ClosedError(MisuseError):
    """A closed (or never opened) object was used; nothing reached C."""

    def __init__(self, what, function=""):
        super().__init__(Status.E_MISUSE, function, "%s is closed" % what)


class PaymentUnavailableError(CandyvendError):
    """CV_E_PAYMENT_UNAVAILABLE."""


_BY_STATUS = {
    Status.E_INVAL: InvalidArgumentError,
    Status.E_NOMEM: NoMemoryError,
    Status.E_BUSY: BusyError,
    Status.E_IO: StorageIOError,
    Status.E_NOTSUP: NotSupportedError,
    Status.E_VERSION: VersionError,
    Status.E_FULL: FullError,
    Status.E_CORRUPT: CorruptError,
    Status.E_JAM: JamError,
    Status.E_STATE: StateError,
    Status.E_NOT_FOUND: NotFoundError,
    Status.E_SOLD_OUT: SoldOutError,
    Status.E_OUT_OF_SERVICE: OutOfServiceError,
    Status.E_NOT_PRICED: NotPricedError,
    Status.E_SENSOR: SensorError,
    Status.E_MISUSE: MisuseError,
    Status.E_PAYMENT_UNAVAILABLE: PaymentUnavailableError,
}


def error_for(status, function="", detail=""):
    """The exception for a failed status (any value, known or not)."""
    return _BY_STATUS.get(status, CandyvendError)(status, function, detail)


def check(status, function, detail=""):
    """Returns a Status for CV_OK and CV_PENDING; raises for every failure."""
    if status in (Status.OK, Status.PENDING):
        return Status(status)
    raise error_for(status, function, detail)
