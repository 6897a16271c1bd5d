# SPDX-License-Identifier: MIT
"""Receipts: a copy of struct cv_receipt, rendered by the library."""
import ctypes
import json

from ._clib import CV_RECEIPT_JSON_MAX, CV_RECEIPT_TEXT_MAX, cv_receipt, lib
from ._values import check_int, to_record
from .errors import check


class Receipt:
    """One receipt. Fields read as attributes (vend_id, amount, card, status,
    ...); render() gives thermal-printer text, to_json() the JSON record."""

    def __init__(self, c_receipt):
        self._c = cv_receipt()
        # A copy: the event's memory is C's and valid only during the listener call.
        ctypes.memmove(ctypes.byref(self._c), ctypes.byref(c_receipt), ctypes.sizeof(cv_receipt))
        self._record = to_record(self._c)

    def __getattr__(self, name):
        return getattr(self._record, name)

    def render(self, width=32):
        """Plain text, lines at most width (24..80) columns."""
        check_int(width, "width", 0, 0xFFFFFFFF)
        buf = ctypes.create_string_buffer(CV_RECEIPT_TEXT_MAX)
        length = ctypes.c_size_t()
        check(lib.receipt_render(ctypes.byref(self._c), width, buf, len(buf), ctypes.byref(length)),
              "cv_receipt_render")
        return buf.raw[:length.value].decode("utf-8", errors="replace")

    def to_json(self):
        """The cv.receipt.v1 JSON record, as text."""
        buf = ctypes.create_string_buffer(CV_RECEIPT_JSON_MAX)
        length = ctypes.c_size_t()
        check(lib.receipt_render_json(ctypes.byref(self._c), buf, len(buf), ctypes.byref(length)),
              "cv_receipt_render_json")
        return buf.raw[:length.value].decode("utf-8")

    def as_dict(self):
        """The JSON record parsed."""
        return json.loads(self.to_json())

    def __repr__(self):
        return "Receipt(%s %s %d %s)" % (self._record.vend_id, self._record.status.name,
                                         self._record.amount.amount_minor,
                                         self._record.amount.currency)
