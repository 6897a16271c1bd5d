# SPDX-License-Identifier: MIT
"""Journal storage for a Machine: RAM (volatile, with power-cut simulation)
and POSIX files (libcandyvend-posix)."""
import ctypes
import os
import struct

from ._clib import CV_POSIX_STORAGE_ERROR_LEN, cv_posix_storage_config, cv_ram_storage, lib
from ._values import check_int
from .enums import Status
from .errors import ClosedError, StateError, check

# The record frame of docs/journal-format.md: u32 length at 0, u64 seq at 12.
_FRAME_HEADER = 20


class _Storage:
    """What a Machine needs from a storage: ops table, ctx, and who uses it."""

    def __init__(self):
        self._users = set()   # ids of open Machines using this storage

    def _ops_and_ctx(self):
        raise NotImplementedError

    def _refuse_if_used(self, function):
        if self._users:
            raise StateError(Status.E_STATE, function, "close the machine using this storage first")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RamStorage(_Storage):
    """The RAM journal (cv_ram_storage) over a Python-owned buffer.

    Survives Machine restarts, so a test can cut the power (Machine.power_cut)
    and open a new machine on what was durable.
    """

    def __init__(self, capacity=1 << 20):
        super().__init__()
        check_int(capacity, "capacity", 1024, 1 << 31)
        self._buffer = (ctypes.c_uint8 * capacity)()
        self._state = cv_ram_storage()
        lib.ram_storage_init(ctypes.byref(self._state), self._buffer, capacity)
        self._closed = False

    def _ops_and_ctx(self):
        if self._closed:
            raise ClosedError("RAM storage")
        return ctypes.pointer(lib.ram_storage_ops), ctypes.cast(ctypes.byref(self._state), ctypes.c_void_p)

    def close(self):
        """Forgets the buffer; refused while a machine uses it."""
        self._refuse_if_used("close")
        self._closed = True

    @property
    def length(self):
        """Bytes held in the buffer."""
        return self._state.length

    @property
    def last_seq(self):
        return self._state.last_seq

    @property
    def synced_seq(self):
        return self._state.synced_seq

    @property
    def sync_count(self):
        return self._state.sync_count

    def records(self):
        """(offset in the buffer, length, seq) of every whole record held."""
        data = bytes(self._buffer[:self._state.length])
        offset, out = 0, []
        while offset + _FRAME_HEADER <= len(data):
            length, = struct.unpack_from("<I", data, offset)
            if length < _FRAME_HEADER + 4 or offset + length > len(data):
                break
            seq, = struct.unpack_from("<Q", data, offset + 12)
            out.append((offset, length, seq))
            offset += length
        return out

    def _durable_length(self):
        """Buffer length holding only the records up to the synced sequence number."""
        synced = self._state.synced_seq
        end = 0
        for offset, length, seq in self.records():
            if seq > synced:
                break
            end = offset + length
        return end

    def _snapshot(self):
        return (self._durable_length(), self._state.synced_seq,
                bytes(self._buffer[:self._state.length]))

    def _restore(self, snapshot, torn_bytes):
        """After a cut: only what was durable survives, plus optionally the
        first torn_bytes of the first record that was not."""
        durable, synced_seq, data = snapshot
        keep = durable
        if torn_bytes:
            keep = min(durable + torn_bytes, len(data))
        ctypes.memmove(self._buffer, data, keep)
        ctypes.memset(ctypes.addressof(self._buffer) + keep, 0, len(self._buffer) - keep)
        self._state.length = keep
        self._state.last_seq = synced_seq
        self._state.synced_seq = synced_seq
        return keep - durable


class PosixStorage(_Storage):
    """The durable file journal in a directory (cv_posix_storage_open)."""

    def __init__(self, directory, segment_size_bytes=None):
        super().__init__()
        if not isinstance(directory, (str, os.PathLike)):
            raise TypeError("directory must be a path, not %s" % type(directory).__name__)
        self.directory = os.fspath(directory)
        config = cv_posix_storage_config()
        lib.posix_storage_config_default(ctypes.byref(config))
        raw = self.directory.encode()
        if b"\0" in raw:
            raise ValueError("directory must not contain NUL")
        config.directory = raw
        if segment_size_bytes is not None:
            config.segment_size_bytes = check_int(segment_size_bytes, "segment_size_bytes", 0,
                                                  (1 << 64) - 1)
        self._handle = ctypes.c_void_p()
        why = ctypes.create_string_buffer(CV_POSIX_STORAGE_ERROR_LEN)
        status = lib.posix_storage_open_with_error(ctypes.byref(config), ctypes.byref(self._handle), why,
                                                   len(why))
        check(status, "cv_posix_storage_open", why.value.decode(errors="replace") or self.directory)

    @property
    def handle(self):
        if not self._handle:
            raise ClosedError("POSIX storage")
        return self._handle

    def _ops_and_ctx(self):
        return ctypes.pointer(lib.posix_storage_ops), self.handle

    def close(self):
        """Closes the files; refused while a machine uses it."""
        if not self._handle:
            return
        self._refuse_if_used("cv_posix_storage_close")
        lib.posix_storage_close(self._handle)
        self._handle = ctypes.c_void_p()

    def __del__(self):
        if getattr(self, "_handle", None) and not self._users:
            lib.posix_storage_close(self._handle)
            self._handle = ctypes.c_void_p()

    @property
    def sync_count(self):
        return lib.posix_storage_sync_count(self.handle)

    @property
    def length(self):
        return lib.posix_storage_length(self.handle)

    @property
    def segment_count(self):
        return lib.posix_storage_segment_count(self.handle)
