# SPDX-License-Identifier: MIT
"""The simulated machine (libcandyvend-sim): dispenser, drop sensor and
payment terminal with seeded, scriptable faults, and the physical truth."""
import ctypes

from ._clib import CV_LANES_MAX, cv_sim_config, cv_sim_truth, lib
from ._values import check_bool, check_enum, check_int, c_text, to_record, u16, u32, u64
from .enums import SimCard, SimFault, Status
from .errors import ClosedError, StateError, check

_RATES = ("decline_permille", "unknown_permille", "lookup_unknown_permille",
          "settle_unknown_permille", "jam_permille", "stuck_permille",
          "missed_drop_permille", "false_drop_permille")


class Sim:
    """A simulated machine, the ctx of the sim backend tables.

    Sim(stock=[10, 8], seed=7, jam_permille=20, ...): every keyword is a
    member of struct cv_sim_config; stock gives the lane count. Release it
    with close() or a with block, after every Machine using it is closed.
    """

    def __init__(self, stock=(10,), seed=1, **settings):
        config = cv_sim_config()
        lib.sim_config_default(ctypes.byref(config))
        config.seed = u64(seed, "seed")
        stock = list(stock)
        check_int(len(stock), "number of lanes", 1, CV_LANES_MAX)
        config.lane_count = len(stock)
        for i, count in enumerate(stock):
            config.stock[i] = u16(count, "stock[%d]" % i)
        for name, value in settings.items():
            if name in _RATES:
                setattr(config, name, check_int(value, name, 0, 0xFFFF))
            elif name in ("payment_latency_ms", "motor_ms", "drop_delay_ms",
                          "link_outage_every_ms", "link_outage_ms"):
                setattr(config, name, u32(value, name))
            elif name == "link_count":
                config.link_count = check_int(value, name, 0, 255)
            elif name == "offline_capable":
                if not isinstance(value, bool):
                    raise TypeError("offline_capable must be a bool")
                config.offline_capable = value
            else:
                raise TypeError("Sim() got an unknown setting %r" % name)
        self.config = config
        self._handle = ctypes.c_void_p()
        self._users = set()   # ids of open Machines using this sim (they must close first).
        self.served = False   # Set once a Machine was opened on it.
        check(lib.sim_new(ctypes.byref(config), ctypes.byref(self._handle)), "cv_sim_new")

    # -- lifetime
    @property
    def handle(self):
        """The struct cv_sim pointer (c_void_p); raises ClosedError once closed."""
        if not self._handle:
            raise ClosedError("sim")
        return self._handle

    @property
    def closed(self):
        return not self._handle

    def close(self):
        """Frees the sim. Refused while a Machine that uses it is still open."""
        if not self._handle:
            return
        if self._users:
            raise StateError(Status.E_STATE, "cv_sim_free", "close the machine using this sim first")
        lib.sim_free(self._handle)
        self._handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None) and not self._users:
            lib.sim_free(self._handle)
            self._handle = ctypes.c_void_p()

    # -- driving
    def _posting(self, function):
        """The handle, for a call that may post into the machine: refused
        while a sim that served a machine has none open (e.g. between
        power_cut() and restart()), as there is no machine to post to."""
        handle = self.handle
        if self.served and not self._users:
            raise StateError(Status.E_STATE, function,
                             "no machine is open: there is nothing to post to")
        return handle

    def step(self, now_ms):
        """Advances simulated time and posts every completion that is due."""
        lib.sim_step(self._posting("cv_sim_step"), u64(now_ms, "now_ms"))

    def present_card(self, card=SimCard.APPROVED):
        """The customer taps a test card; StateError if the reader is not collecting."""
        card = check_enum(card, SimCard, "card")
        check(lib.sim_present_card(self._posting("cv_sim_present_card"), card), "cv_sim_present_card")

    @property
    def collecting(self):
        """True while an authorization waits for a card."""
        return bool(lib.sim_is_collecting(self.handle))

    def set_auto_card(self, enabled):
        """Presents a random card on every collection (unattended runs)."""
        lib.sim_set_auto_card(self.handle, check_bool(enabled, "enabled"))

    # -- fault controls
    def script_fault(self, fault, times=1):
        """Scripts a fault for the next operation(s) of its kind (FIFO per kind)."""
        fault = check_enum(fault, SimFault, "fault")
        for _ in range(check_int(times, "times", 1, 16)):
            check(lib.sim_script_fault(self.handle, fault), "cv_sim_script_fault")

    def set_sensor_fault(self, faulted):
        """Blocks or heals the drop sensor (the machine hears of it on its next step)."""
        lib.sim_set_sensor_fault(self._posting("cv_sim_set_sensor_fault"),
                                 check_bool(faulted, "faulted"))

    def set_link(self, link, up):
        """Cuts (up=False) or restores a payment link by hand; no random outages on it after."""
        check(lib.sim_set_link(self.handle, check_int(link, "link", 0, 255), check_bool(up, "up")),
              "cv_sim_set_link")

    def power_cut(self):
        """The machine's power goes out: a movement stops where it is, an
        item already falling lands unseen, the reader drops its card and
        answers in flight are lost; the processor keeps its holds.
        Machine.power_cut() does this; StateError while a machine is open."""
        check(lib.sim_power_cut(self.handle), "cv_sim_power_cut")

    def save_state(self):
        """The whole simulated world as bytes (for this build only)."""
        size = lib.sim_state_size()
        buf = ctypes.create_string_buffer(size)
        check(lib.sim_state_save(self.handle, buf, size), "cv_sim_state_save")
        return buf.raw

    def restore_state(self, image, now_ms):
        """Replaces the world with a saved one; its clock resumes at now_ms.
        CorruptError for a damaged image; StateError while a machine is open."""
        if not isinstance(image, (bytes, bytearray)):
            raise TypeError("image must be bytes")
        buf = ctypes.create_string_buffer(bytes(image), len(image))
        check(lib.sim_state_restore(self.handle, buf, len(image), u64(now_ms, "now_ms")),
              "cv_sim_state_restore")

    def load(self, lane, added):
        """An operator physically puts items into a lane (mirror of a refill)."""
        check(lib.sim_load(self.handle, u16(lane, "lane"), u16(added, "added")), "cv_sim_load")

    # -- the truth
    def truth(self):
        """The physical truth (a Record of struct cv_sim_truth); stock as a
        tuple trimmed to the lane count."""
        out = cv_sim_truth()
        lib.sim_truth(self.handle, ctypes.byref(out))
        record = to_record(out)
        fields = dict(record._fields)
        fields["stock"] = fields["stock"][:self.config.lane_count]
        return type(record)("cv_sim_truth", fields)

    def hold_amount(self, auth_key):
        """Money the processor holds under an authorization key, or None."""
        amount = ctypes.c_int64()
        rc = lib.sim_hold_amount(self.handle, c_text(auth_key, "auth_key"), ctypes.byref(amount))
        if rc == Status.E_NOT_FOUND:
            return None
        check(rc, "cv_sim_hold_amount")
        return amount.value
