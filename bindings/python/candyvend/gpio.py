# SPDX-License-Identifier: MIT
"""The Linux GPIO backends' configuration (libcandyvend-gpio), for checking
configuration files from a test rig or a deployment script:

    from candyvend.gpio import GpioConfig, GpioConfigError

    config = GpioConfig.load("/etc/candyvend/gpio.conf")
    print(config.chip, [lane.label for lane in config.lanes])

Importing this module raises ImportError when libcandyvend-gpio is not
available (built with -Dgpio=disabled, or libgpiod missing). Opening the
lines (cv_gpio_open) is not wrapped: the rig has no GPIO chip.
"""
import ctypes
import os

from . import _clib
from ._clib import cv_gpio_config, cv_gpio_error, lib
from ._values import Record, text, to_record
from .enums import Status
from .errors import InvalidArgumentError, check

if not lib.has(_clib.GPIO):
    raise ImportError("candyvend.gpio needs libcandyvend-gpio: %s" % lib.missing[_clib.GPIO])


class GpioConfigError(InvalidArgumentError):
    """A configuration was refused. Attributes: line (1-based line of the
    text, 0 when the problem has none, e.g. a missing 'beam' line) and
    message (the library's words), besides those of CandyvendError."""

    def __init__(self, function, error):
        self.line = error.line
        self.message = text(error.message)
        where = "line %d: " % self.line if self.line else ""
        super().__init__(Status.E_INVAL, function, where + self.message)


class GpioConfig:
    """A checked struct cv_gpio_config, read-only: chip, consumer, lanes (a
    tuple of Records of struct cv_gpio_lane_config, lane_count of them, their
    polarities as GpioActive), beam_offset, beam_active, beam_debounce_ms,
    beam_stuck_ms, index_debounce_ms, motor_timeout_ms."""

    def __init__(self, struct):
        if not isinstance(struct, cv_gpio_config):
            raise TypeError("use GpioConfig.parse() or GpioConfig.load()")
        self._struct = struct
        fields = to_record(struct).as_dict()
        fields["lanes"] = tuple(to_record(struct.lanes[i]) for i in range(struct.lane_count))
        self._record = Record("cv_gpio_config", fields)

    @classmethod
    def parse(cls, source):
        """Parses a configuration text (str or bytes; see docs/linux-gpio.md).
        Raises GpioConfigError naming the line on any error."""
        if isinstance(source, str):
            source = source.encode("utf-8")
        if not isinstance(source, (bytes, bytearray)):
            raise TypeError("source must be str or bytes, not %s" % type(source).__name__)
        source = bytes(source)
        out, error = cv_gpio_config(), cv_gpio_error()
        status = lib.gpio_config_parse(source, len(source), ctypes.byref(out), ctypes.byref(error))
        return cls._checked(out, error, status, "cv_gpio_config_parse")

    @classmethod
    def load(cls, path):
        """Reads and parses a configuration file (at most 64 KiB)."""
        out, error = cv_gpio_config(), cv_gpio_error()
        status = lib.gpio_config_load(os.fsencode(path), ctypes.byref(out), ctypes.byref(error))
        return cls._checked(out, error, status, "cv_gpio_config_load")

    @classmethod
    def _checked(cls, out, error, status, function):
        if status == Status.E_INVAL:
            raise GpioConfigError(function, error)
        check(status, function, text(error.message))
        return cls(out)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._record, name)

    def as_dict(self):
        fields = self._record.as_dict()
        fields["lanes"] = [lane.as_dict() for lane in self.lanes]
        return fields

    def __repr__(self):
        return "GpioConfig(chip=%r, lanes=%r)" % (self.chip, [lane.label for lane in self.lanes])
