# SPDX-License-Identifier: MIT
"""Copies of C structs as plain Python values, and argument checks that keep
bad input from ever reaching C (ctypes would silently wrap 70000 to a uint16)."""
import ctypes

from . import _clib
from .enums import (AlertKind, CardEntry, DeclineReason, EventType, GpioActive, LaneAvailability,
                    Msg, PaymentOp, PayResult, ReceiptStatus, RecoveryAction, Status, VendReason,
                    VendState, VerifyMode)

# (C struct name, field) -> IntEnum for the fields that hold an enum.
_ENUM_FIELDS = {
    ("cv_alert", "kind"): AlertKind,
    ("cv_display", "msg"): Msg,
    ("cv_lane_config", "verify_mode"): VerifyMode,
    ("cv_lane_info", "availability"): LaneAvailability,
    ("cv_menu_item", "availability"): LaneAvailability,
    ("cv_card_summary", "entry"): CardEntry,
    ("cv_payment_result", "op"): PaymentOp,
    ("cv_payment_result", "result"): PayResult,
    ("cv_payment_result", "decline_reason"): DeclineReason,
    ("cv_vend_info", "state"): VendState,
    ("cv_vend_info", "reason"): VendReason,
    ("cv_vend_info", "decline_reason"): DeclineReason,
    ("cv_receipt", "status"): ReceiptStatus,
    ("cv_dispense_result", "status"): Status,
    ("cv_storage_result", "status"): Status,
    ("cv_recovery", "action"): RecoveryAction,
    ("cv_recovery", "found_state"): VendState,
    ("cv_event", "type"): EventType,
    ("cv_gpio_lane_config", "motor_active"): GpioActive,
    ("cv_gpio_lane_config", "index_active"): GpioActive,
    ("cv_gpio_config", "beam_active"): GpioActive,
}


class Record:
    """An immutable snapshot of a C struct: fields as attributes, strings
    decoded, enums as IntEnums, nested structs as Records, arrays as tuples."""

    __slots__ = ("_kind", "_fields")

    def __init__(self, kind, fields):
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_fields", fields)

    def __getattr__(self, name):
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError("%s has no field %r" % (self._kind, name)) from None

    def __setattr__(self, name, value):
        raise AttributeError("%s is a read-only snapshot" % self._kind)

    def __eq__(self, other):
        return isinstance(other, Record) and (self._kind, self._fields) == (other._kind, other._fields)

    def __hash__(self):
        return hash(self._kind)

    def as_dict(self):
        return {k: (v.as_dict() if isinstance(v, Record) else v) for k, v in self._fields.items()}

    def __repr__(self):
        body = ", ".join("%s=%r" % item for item in self._fields.items())
        return "%s(%s)" % (self._kind, body)


def text(raw):
    """A char array's bytes (up to the NUL) as str; bad UTF-8 becomes U+FFFD."""
    return bytes(raw).split(b"\0", 1)[0].decode("utf-8", errors="replace")


def to_record(struct):
    """Copies a ctypes Structure into a Record."""
    kind = type(struct).__name__
    fields = {}
    for name, ctype in type(struct)._fields_:
        value = getattr(struct, name)
        if isinstance(value, bytes):      # c_char arrays come back as bytes already cut at NUL
            value = value.decode("utf-8", errors="replace")
        elif isinstance(value, ctypes.Structure):
            value = to_record(value)
        elif isinstance(value, ctypes.Array):
            value = tuple(value)
        else:
            enum = _ENUM_FIELDS.get((kind, name))
            if enum is not None and value in enum._value2member_map_:
                value = enum(value)
        fields[name] = value
    return Record(kind, fields)


def check_int(value, name, low, high):
    """An integer argument in [low, high]: TypeError or ValueError before C sees it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, not %s" % (name, type(value).__name__))
    if not low <= value <= high:
        raise ValueError("%s must be in %d..%d, got %d" % (name, low, high, value))
    return value


def u16(value, name):
    return check_int(value, name, 0, 0xFFFF)


def u32(value, name):
    return check_int(value, name, 0, 0xFFFFFFFF)


def u64(value, name):
    return check_int(value, name, 0, 0xFFFFFFFFFFFFFFFF)


def i64(value, name):
    return check_int(value, name, -(1 << 63), (1 << 63) - 1)


def check_bool(value, name):
    if not isinstance(value, bool):
        raise TypeError("%s must be a bool, not %s" % (name, type(value).__name__))
    return value


def check_enum(value, enum, name):
    """An IntEnum member or a plain int naming one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be a %s, not %s" % (name, enum.__name__, type(value).__name__))
    if value not in enum._value2member_map_:
        raise ValueError("%s: %d is not a %s" % (name, value, enum.__name__))
    return enum(value)


def set_text(struct, field, value, name=None):
    """Copies a str into a char array field; it must fit with its NUL and hold no NUL."""
    name = name or field
    if not isinstance(value, str):
        raise TypeError("%s must be a str, not %s" % (name, type(value).__name__))
    raw = value.encode("utf-8")
    size = getattr(type(struct), field).size
    if b"\0" in raw:
        raise ValueError("%s must not contain NUL" % name)
    if len(raw) >= size:
        raise ValueError("%s is %d bytes; at most %d fit" % (name, len(raw), size - 1))
    setattr(struct, field, raw)


def c_text(value, name):
    """A str argument for a `const char *` parameter."""
    if not isinstance(value, str):
        raise TypeError("%s must be a str, not %s" % (name, type(value).__name__))
    raw = value.encode("utf-8")
    if b"\0" in raw:
        raise ValueError("%s must not contain NUL" % name)
    return raw


__all__ = ["Record", "text", "to_record", "_clib"]
