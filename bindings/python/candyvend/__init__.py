# SPDX-License-Identifier: MIT
"""Python bindings for libcandyvend (ctypes, standard library only).

    from candyvend import LaneConfig, Machine, Sim, SimCard

    with Sim(stock=[10]) as sim, \\
         Machine([LaneConfig("A1", "Gummy Bears", 150, count=10)], sim=sim) as m:
        vend = m.buy("A1", SimCard.APPROVED)
        m.settle()
        print(vend.state, m.lane("A1").count, vend.receipt.render())

Libraries load from CANDYVEND_LIB_DIR (directories, os.pathsep-separated) or
the installed sonames. See docs/python.md.
"""
from ._clib import lib as _lib
from .enums import (AlertKind, BreakerState, CardEntry, DeclineReason, EventType, GpioActive,
                    LaneAvailability, LogLevel, Msg, PaymentOp, PayResult, ReceiptStatus,
                    RecoveryAction, SimCard, SimFault, Status, VendReason, VendState, VerifyMode)
from .errors import (BusyError, CandyvendError, ClosedError, CorruptError, FullError,
                     InvalidArgumentError, JamError, MisuseError, NoMemoryError, NotFoundError,
                     NotPricedError, NotSupportedError, OutOfServiceError,
                     PaymentUnavailableError, SensorError, SoldOutError, StateError,
                     StorageIOError, VersionError, error_for)
from .machine import Event, Lane, LaneConfig, Machine, ServiceMode, Vend
from .receipt import Receipt
from .sim import Sim
from .storage import PosixStorage, RamStorage
from ._values import Record


def version():
    """Version of the loaded library ("0.1.0")."""
    return _lib.version().decode()


def status_text(status):
    """The library's text for a status code."""
    return _lib.status_str(int(status)).decode()


__all__ = [name for name in dir() if not name.startswith("_")]
