# SPDX-License-Identifier: MIT
"""The machine: a Pythonic owner of a struct cv_machine, its lanes, vends,
events, service mode and receipts."""
import collections
import ctypes
import weakref
from dataclasses import dataclass, field

from . import _clib
from ._clib import (CV_LANES_MAX, cv_display, cv_event, cv_event_fn, cv_lane_config,
                    cv_lane_info, cv_machine_config, cv_machine_stats, cv_menu_item,
                    cv_receipt_deliver_fn, cv_vend_info, lib)
from ._values import (Record, check_bool, check_int, c_text, i64, set_text, text, to_record,
                      u16, u32, u64)
from .enums import EventType, SimCard, Status, VendState, VerifyMode
from .errors import (ClosedError, InvalidArgumentError, MisuseError, OutOfServiceError, StateError,
                     check)
from .receipt import Receipt
from .storage import PosixStorage, RamStorage


def _trampoline(ref, method):
    def call(*args):
        machine = ref()
        if machine is not None:
            getattr(machine, method)(*args)
    return call


@dataclass
class LaneConfig:
    """The planogram entry of a lane (struct cv_lane_config), with the
    library's defaults (cv_lane_config_default) for what is not given."""
    label: str
    product_name: str
    price_minor: int = 0
    capacity: int = 10
    count: int = 0
    product_id: str = ""
    low_stock_threshold: int = 2
    verify_mode: VerifyMode = VerifyMode.REQUIRED
    vend_quarter_turns: int = 4
    respin_count_max: int = 3
    respin_quarter_turns: int = 1
    quarantine_after_failures: int = 3

    def __post_init__(self):
        """Checked at once, by the library's own rules, with its message."""
        c = self.to_c()
        message = ctypes.create_string_buffer(_clib.CV_LANE_MESSAGE_LEN)
        check(lib.lane_config_check(ctypes.byref(c), message, len(message)), "cv_lane_config_check",
              message.value.decode(errors="replace"))

    def to_c(self):
        c = cv_lane_config()
        lib.lane_config_default(ctypes.byref(c))
        set_text(c, "label", self.label)
        set_text(c, "product_id", self.product_id)
        set_text(c, "product_name", self.product_name)
        c.price_minor = i64(self.price_minor, "price_minor")
        c.capacity = u16(self.capacity, "capacity")
        c.count = u16(self.count, "count")
        c.low_stock_threshold = u16(self.low_stock_threshold, "low_stock_threshold")
        c.verify_mode = VerifyMode(self.verify_mode)
        for name in ("vend_quarter_turns", "respin_count_max", "respin_quarter_turns",
                     "quarantine_after_failures"):
            setattr(c, name, check_int(getattr(self, name), name, 0, 255))
        return c

    @classmethod
    def from_c(cls, c):
        return cls(label=text(c.label), product_name=text(c.product_name),
                   price_minor=c.price_minor, capacity=c.capacity, count=c.count,
                   product_id=text(c.product_id), low_stock_threshold=c.low_stock_threshold,
                   verify_mode=VerifyMode(c.verify_mode),
                   vend_quarter_turns=c.vend_quarter_turns, respin_count_max=c.respin_count_max,
                   respin_quarter_turns=c.respin_quarter_turns,
                   quarantine_after_failures=c.quarantine_after_failures)


@dataclass(frozen=True)
class Event:
    """An output event: its type, engine time and payload (a Record, or a
    Receipt for RECEIPT events)."""
    type: EventType
    time_ms: int
    payload: object = field(repr=True)

    @classmethod
    def from_c(cls, ev):
        etype = EventType(ev.type) if ev.type in EventType._value2member_map_ else ev.type
        member = {
            EventType.PAYMENT_RESULT: "payment", EventType.DISPENSE_DONE: "dispense",
            EventType.DROP_DETECTED: "drop", EventType.SENSOR_STATUS: "sensor",
            EventType.STORAGE_SYNCED: "storage", EventType.CARD_READ: "card_read",
            EventType.VEND_STATE: "vend", EventType.DISPLAY: "display",
            EventType.ALERT: "alert", EventType.RECEIPT: "receipt",
            EventType.LANE_CHANGED: "lane", EventType.RECOVERY: "recovery",
        }.get(etype)
        if member is None:
            payload = None
        elif etype == EventType.RECEIPT:
            payload = Receipt(ev.u.receipt)
        else:
            payload = to_record(getattr(ev.u, member))
        return cls(etype, ev.time_ms, payload)


class Lane:
    """One lane of a machine, read live (every property is a fresh query)."""

    def __init__(self, machine, index):
        self.machine = machine
        self.index = index

    def info(self):
        """Snapshot: a Record of struct cv_lane_info."""
        out = cv_lane_info()
        self.machine._call("cv_machine_lane_info", self.index, ctypes.byref(out))
        return to_record(out)

    @property
    def label(self):
        return self.info().config.label

    @property
    def count(self):
        return self.info().config.count

    @property
    def price_minor(self):
        return self.info().config.price_minor

    @property
    def availability(self):
        return self.info().availability

    @property
    def quarantined(self):
        return self.info().quarantined

    @property
    def enabled(self):
        return self.info().enabled

    def __repr__(self):
        i = self.info()
        return "Lane(%d %s %r count=%d price=%d %s)" % (
            self.index, i.config.label, i.config.product_name, i.config.count,
            i.config.price_minor, i.availability.name)


class Vend:
    """One customer purchase, followed through its VEND_STATE events."""

    def __init__(self, machine, number):
        self.machine = machine
        self.number = number

    @property
    def info(self):
        """The latest snapshot: from the engine while it still knows the vend,
        else the last VEND_STATE event (the engine keeps only the latest
        finished vend)."""
        if not self.machine.closed:
            out = cv_vend_info()
            rc = lib.machine_vend_info(self.machine.handle, self.number, ctypes.byref(out))
            if rc == Status.OK:
                return to_record(out)
        return self.machine._vend_seen.get(self.number)

    @property
    def state(self):
        info = self.info
        return None if info is None else info.state

    @property
    def is_terminal(self):
        state = self.state
        return state is not None and state.is_terminal

    @property
    def states(self):
        """Every state this vend was reported in, in order (this machine life)."""
        return [ev.payload.state for ev in self.machine.history
                if ev.type == EventType.VEND_STATE and ev.payload.vend_number == self.number]

    @property
    def receipt(self):
        """Its Receipt, once one was posted, else None."""
        info = self.info
        for ev in reversed(self.machine.history):
            if ev.type == EventType.RECEIPT and info is not None and ev.payload.vend_id == info.vend_id:
                return ev.payload
        return None

    def __repr__(self):
        info = self.info
        state = info.state.name if info is not None else "?"
        return "Vend(#%d %s)" % (self.number, state)


class ServiceMode:
    """The door is open: with machine.service() as s: s.refill(0, 5)."""

    def __init__(self, machine):
        self.machine = machine

    def __enter__(self):
        self.machine._call("cv_machine_service_enter")
        return self

    def __exit__(self, *exc):
        if not self.machine.closed and self.machine.in_service:
            self.machine._call("cv_machine_service_exit")

    def refill(self, lane, added):
        """The machine's count only (the items themselves: sim.load, or restock)."""
        self.machine._call("cv_machine_lane_refill", self.machine._lane(lane), u16(added, "added"))

    def restock(self, lane, added):
        """The operator's whole visit to a lane in one call: the items go into
        the simulated bin (sim.load) and the machine's count goes up by as
        many (refill), so the two stay equal."""
        index = self.machine._lane(lane)
        self.refill(index, added)
        if self.machine.sim is not None:
            self.machine.sim.load(index, added)

    def set_count(self, lane, count):
        self.machine._call("cv_machine_lane_set_count", self.machine._lane(lane), u16(count, "count"))

    def set_price(self, lane, price_minor):
        self.machine._call("cv_machine_lane_set_price", self.machine._lane(lane),
                           i64(price_minor, "price_minor"))

    def set_enabled(self, lane, enabled):
        self.machine._call("cv_machine_lane_set_enabled", self.machine._lane(lane),
                           check_bool(enabled, "enabled"))

    def clear_quarantine(self, lane):
        self.machine._call("cv_machine_lane_clear_quarantine", self.machine._lane(lane))

    def configure(self, lane, config):
        if not isinstance(config, LaneConfig):
            raise TypeError("config must be a LaneConfig")
        c = config.to_c()
        self.machine._call("cv_machine_lane_configure", self.machine._lane(lane), ctypes.byref(c))


_TIMEOUT_NAMES = {name for name, _ in _clib.cv_timeouts._fields_}
# The calls whose failures cv_machine_errmsg() explains.
_SERVICE_CALLS = frozenset({
    "cv_machine_service_enter", "cv_machine_service_exit", "cv_machine_lane_refill",
    "cv_machine_lane_set_count", "cv_machine_lane_set_price", "cv_machine_lane_set_enabled",
    "cv_machine_lane_clear_quarantine", "cv_machine_lane_configure"})
_HISTORY_MAX = 200000


class Machine:
    """A vending machine on the simulated backends (or your own tables).

        with Sim(stock=[10]) as sim, Machine([LaneConfig("A1", "Gummies", 150,
                count=10)], sim=sim) as m:
            vend = m.buy(0)

    The machine owns its clock (now_ms, advanced by tick()). Output events
    are queued for events() and kept in history. Release it with close() or
    a with block before the sim and storage. Not thread-safe, like the C
    machine: use one Machine from one thread.
    """

    def __init__(self, lanes, *, sim=None, storage=None, machine_id="py-machine",
                 currency="USD", merchant_name="", merchant_location="", timeouts=None,
                 checkpoint_records=None, lookup_attempts_max=None, settle_attempts_max=None,
                 journal_key=None, backends=None, deliver_receipt=None, tick_ms=50,
                 accept_volatile_journal=None):
        self._handle = ctypes.c_void_p()
        self._users_of = []
        lanes = list(lanes)
        if not lanes or not all(isinstance(lane, LaneConfig) for lane in lanes):
            raise TypeError("lanes must be a non-empty list of LaneConfig")
        check_int(len(lanes), "number of lanes", 1, CV_LANES_MAX)
        self._lanes = (cv_lane_config * len(lanes))(*[lane.to_c() for lane in lanes])
        if sim is not None and sim.config.lane_count != len(lanes):
            raise InvalidArgumentError(Status.E_INVAL, "Machine",
                                       "the Sim has %d lanes, the planogram %d: they must match"
                                       % (sim.config.lane_count, len(lanes)))
        self.sim = sim
        self.storage = storage if storage is not None else RamStorage()
        if accept_volatile_journal is not None and not isinstance(accept_volatile_journal, bool):
            raise TypeError("accept_volatile_journal must be None, True or False")
        self._accept_volatile = accept_volatile_journal
        self.tick_ms = check_int(tick_ms, "tick_ms", 1, 1 << 32)
        self.now_ms = 0
        self._queue = collections.deque()
        self.history = collections.deque(maxlen=_HISTORY_MAX)
        self._vend_seen = {}
        self._listeners = []
        self._pending = None
        self._in_listener = False
        self._deliver_hook = deliver_receipt

        c = cv_machine_config()
        lib.machine_config_default(ctypes.byref(c))
        set_text(c, "machine_id", machine_id)
        set_text(c, "currency", currency)
        set_text(c, "merchant_name", merchant_name)
        set_text(c, "merchant_location", merchant_location)
        c.lanes = self._lanes
        c.lane_count = len(lanes)
        for name, value in (timeouts or {}).items():
            if name not in _TIMEOUT_NAMES:
                raise TypeError("unknown timeout %r" % name)
            setattr(c.timeouts, name, u32(value, name))
        if checkpoint_records is not None:
            c.checkpoint_records = u32(checkpoint_records, "checkpoint_records")
        if lookup_attempts_max is not None:
            c.lookup_attempts_max = check_int(lookup_attempts_max, "lookup_attempts_max", 0, 255)
        if settle_attempts_max is not None:
            c.settle_attempts_max = u16(settle_attempts_max, "settle_attempts_max")
        if journal_key is not None:
            if not isinstance(journal_key, (bytes, bytearray)) or len(journal_key) != 32:
                raise TypeError("journal_key must be 32 bytes")
            self._key = (ctypes.c_uint8 * 32)(*journal_key)
            c.journal_key = self._key
        if sim is not None:
            lib.sim_attach(sim.handle, ctypes.byref(c))
        if backends is not None:
            # Your own tables: {"platform": (ops_pointer, ctx), "dispenser": ..., ...}
            for kind, (ops, ctx) in backends.items():
                setattr(c, kind, ops)
                setattr(c, kind + "_ctx", ctx)
        self._set_storage(c)
        # The CFUNCTYPE objects live as long as this Machine: C keeps their
        # addresses. They hold the Machine only weakly, so dropping the last
        # reference frees the C machine at once (no cycle left to the GC).
        self._on_event_c = cv_event_fn(_trampoline(weakref.ref(self), "_on_event"))
        self._deliver_c = cv_receipt_deliver_fn(_trampoline(weakref.ref(self), "_on_deliver"))
        c.on_event = self._on_event_c
        if deliver_receipt is not None:
            c.deliver_receipt = self._deliver_c
        self._config = c
        self._open("cv_machine_new")

    def _set_storage(self, c):
        """Puts self.storage in the configuration. A RamStorage is volatile
        (it does not declare CV_STORAGE_CAP_DURABLE), so it is accepted
        unless accept_volatile_journal=False was given; any other storage
        only with accept_volatile_journal=True."""
        c.storage, c.storage_ctx = self.storage._ops_and_ctx()
        accept = self._accept_volatile
        if accept is None:
            accept = isinstance(self.storage, RamStorage)
        c.accept_volatile_journal = accept

    # ------------------------------------------------------------ lifetime
    def _open(self, function):
        # The C side keeps pointers to both: a closed Sim is freed memory, and
        # a storage posts its completions to the one machine that opened it.
        if self.sim is not None and self.sim.closed:
            raise ClosedError("the Sim this machine uses", function)
        if self.storage._users:
            raise MisuseError(Status.E_MISUSE, function,
                              "this storage already serves an open machine (one machine per storage)")
        handle = ctypes.c_void_p()
        rc = lib.machine_new(ctypes.byref(self._config), ctypes.byref(handle))
        self._raise_pending()
        if rc not in (Status.OK, Status.PENDING):
            # A configuration the library refuses says why (cv_machine_config_check()).
            message = ctypes.create_string_buffer(_clib.CV_MACHINE_ERRMSG_LEN)
            lib.machine_config_check(ctypes.byref(self._config), message, len(message))
            check(rc, function, message.value.decode(errors="replace"))
        check(rc, function)
        self._handle = handle
        for user in (self.sim, self.storage):
            if user is not None:
                user._users.add(id(self))
        if self.sim is not None:
            self.sim.served = True

    def _release(self):
        for user in (self.sim, self.storage):
            if user is not None:
                user._users.discard(id(self))

    @property
    def handle(self):
        """The struct cv_machine pointer (c_void_p); ClosedError once closed."""
        if not self._handle:
            raise ClosedError("machine")
        return self._handle

    @property
    def closed(self):
        return not self._handle

    def close(self):
        """Deinitializes and frees the machine (journal flushed, backends closed)."""
        self._refuse_in_listener("cv_machine_free")
        if self._handle:
            lib.machine_free(self._handle)
            self._handle = ctypes.c_void_p()
            self._release()
            self._raise_pending()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        # The sim and storage refuse to free themselves while this id is in
        # their users, whatever order the garbage collector finalizes in.
        if getattr(self, "_handle", None):
            try:
                lib.machine_free(self._handle)
            except Exception:  # interpreter shutdown: the module may be gone
                return
            self._handle = ctypes.c_void_p()
            self._release()

    # ------------------------------------------------------------ calls
    def _call(self, function, *args):
        """Calls a cv_machine_* function on this machine, re-raises what a
        listener raised during it, and turns a failure into an exception."""
        fn = lib.functions[function]
        rc = fn(self.handle, *args)
        self._raise_pending()
        if rc in (Status.OK, Status.PENDING) or function not in _SERVICE_CALLS:
            return check(rc, function)
        # The machine says what was wrong (cv_machine_errmsg()).
        return check(rc, function, (lib.machine_errmsg(self.handle) or b"").decode(errors="replace"))

    def _raise_pending(self):
        if self._pending is not None:
            exc, self._pending = self._pending, None
            raise exc

    def _lane(self, lane):
        """A lane index from an int, a Lane or a label."""
        if isinstance(lane, Lane):
            return lane.index
        if isinstance(lane, str):
            return self.lane(lane).index
        return u16(lane, "lane")

    # ------------------------------------------------------------ events
    def _on_event(self, machine, event, user_data):
        # Runs inside C: nothing may propagate. Store the first exception and
        # re-raise it when the C call returns.
        self._in_listener = True
        try:
            ev = Event.from_c(event.contents)
            self._queue.append(ev)
            self.history.append(ev)
            if ev.type == EventType.VEND_STATE:
                self._vend_seen[ev.payload.vend_number] = ev.payload
            for listener in list(self._listeners):
                listener(self, ev)
        except BaseException as exc:  # noqa: B902 - re-raised after the C call
            if self._pending is None:
                self._pending = exc
        finally:
            self._in_listener = False

    def _on_deliver(self, ctx, receipt):
        self._in_listener = True
        try:
            self._deliver_hook(Receipt(receipt.contents))
        except BaseException as exc:  # noqa: B902
            if self._pending is None:
                self._pending = exc
        finally:
            self._in_listener = False

    def _refuse_in_listener(self, function):
        # Freeing the machine from inside its own listener would abort the
        # process (CV_ASSERT); refuse it before C is reached.
        if self._in_listener:
            raise MisuseError(Status.E_MISUSE, function, "not allowed from a listener")

    def add_listener(self, fn):
        """fn(machine, event) is called for every output event, inside the
        engine: only read-only queries may be made from it (others raise
        MisuseError, re-raised after the call that caused the event)."""
        if not callable(fn):
            raise TypeError("listener must be callable")
        self._listeners.append(fn)

    def events(self, type=None):
        """Iterates over (and removes) the queued output events, oldest first;
        with type, only events of that EventType (the others stay queued)."""
        if type is None:
            while self._queue:
                yield self._queue.popleft()
            return
        kept = collections.deque()
        while self._queue:
            ev = self._queue.popleft()
            if ev.type == type:
                yield ev
            else:
                kept.append(ev)
        self._queue.extendleft(reversed(kept))

    def alerts(self):
        """Every ALERT payload of this life, in order."""
        return [ev.payload for ev in self.history if ev.type == EventType.ALERT]

    def receipts(self):
        return [ev.payload for ev in self.history if ev.type == EventType.RECEIPT]

    # ------------------------------------------------------------ clock
    def step(self, now_ms=None):
        """Runs the engine once at now_ms (default: the current time)."""
        if now_ms is not None:
            u64(now_ms, "now_ms")
            if now_ms < self.now_ms:
                raise InvalidArgumentError(Status.E_INVAL, "cv_machine_step", "time went backwards")
            self.now_ms = now_ms
        self._call("cv_machine_step", self.now_ms)

    def tick(self, ms=None):
        """Advances time by ms (default tick_ms): the sim first, then the engine."""
        ms = self.tick_ms if ms is None else check_int(ms, "ms", 0, 1 << 40)
        self.handle  # ClosedError before anything moves
        self.now_ms += ms
        if self.sim is not None:
            self.sim.step(self.now_ms)
        self._call("cv_machine_step", self.now_ms)

    def run_for(self, ms):
        """Ticks until ms of machine time have passed."""
        end = self.now_ms + check_int(ms, "ms", 0, 1 << 40)
        while self.now_ms < end:
            self.tick(min(self.tick_ms, end - self.now_ms))

    def run_until(self, done, limit_ms=120000, card=None):
        """Ticks until done() is true; TimeoutError after limit_ms of machine
        time. With card, presents it whenever the sim's reader collects."""
        end = self.now_ms + limit_ms
        while not done():
            if self.now_ms >= end:
                raise TimeoutError("condition not reached within %d ms of machine time (at %d ms)"
                                   % (limit_ms, self.now_ms))
            if card is not None and self.sim is not None and self.sim.collecting:
                self.sim.present_card(card)
            self.tick()

    def settle(self, limit_ms=600000):
        """Ticks until no vend is open (captures and voids all answered)."""
        self.run_until(lambda: self.open_vends == 0, limit_ms)

    # ------------------------------------------------------------ customer
    def select(self, lane):
        """The customer presses a lane's button: returns its Vend. In
        service mode (the door open) the machine sells nothing: that is
        OutOfServiceError, as the screen says."""
        if self.in_service:
            raise OutOfServiceError(Status.E_OUT_OF_SERVICE, "cv_machine_select",
                                    "the machine is in service mode (close the door first)")
        number = ctypes.c_uint32()
        self._call("cv_machine_select", self._lane(lane), ctypes.byref(number))
        return Vend(self, number.value)

    def cancel(self):
        self._call("cv_machine_cancel")

    def buy(self, lane, card=SimCard.APPROVED, limit_ms=120000):
        """A customer on the simulated reader: selects, presents the card
        when asked, and waits until the vend leaves the customer (terminal,
        declined, or settling). Returns the Vend."""
        vend = self.select(lane)
        done = {VendState.AUTH_DECLINED, VendState.CAPTURE_PENDING, VendState.VOID_PENDING}
        self.run_until(lambda: vend.is_terminal or vend.state in done, limit_ms, card=card)
        return vend

    @property
    def display(self):
        out = cv_display()
        self._call("cv_machine_display", ctypes.byref(out))
        return to_record(out)

    @property
    def screen_text(self):
        """The display's default English text."""
        return lib.msg_text(self.display.msg).decode()

    def menu(self):
        items = (cv_menu_item * CV_LANES_MAX)()
        count = ctypes.c_size_t()
        self._call("cv_machine_menu", items, CV_LANES_MAX, ctypes.byref(count))
        return [to_record(items[i]) for i in range(count.value)]

    # ------------------------------------------------------------ lanes and vends
    @property
    def lane_count(self):
        return lib.machine_lane_count(self.handle)

    @property
    def lanes(self):
        return [Lane(self, i) for i in range(self.lane_count)]

    def _labels(self):
        return [lane.info().config.label for lane in self.lanes]

    def lane(self, key):
        """A Lane by index or label; NotFoundError if there is none."""
        if isinstance(key, str):
            index = ctypes.c_uint16()
            rc = lib.machine_lane_find(self.handle, c_text(key, "label"), ctypes.byref(index))
            check(rc, "cv_machine_lane_find",
                  "no lane labelled %r (the machine has %s)" % (key, ", ".join(self._labels())))
            return Lane(self, index.value)
        index = u16(key, "lane")
        lane = Lane(self, index)
        lane.info()  # NotFoundError for a lane the machine does not have
        return lane

    def vend(self, number):
        return Vend(self, u32(number, "vend number"))

    @property
    def open_vends(self):
        return lib.machine_open_vends(self.handle)

    def stats(self):
        out = cv_machine_stats()
        self._call("cv_machine_stats", ctypes.byref(out))
        return to_record(out)

    # ------------------------------------------------------------ service
    def service(self):
        """Service mode as a context manager (enter on with, exit after)."""
        return ServiceMode(self)

    @property
    def in_service(self):
        return bool(lib.machine_in_service(self.handle))

    # ------------------------------------------------------------ backends
    def post(self, event):
        """Queues an input event (a _clib.cv_event), as a backend would."""
        if not isinstance(event, cv_event):
            raise TypeError("event must be a candyvend._clib.cv_event")
        self._call("cv_machine_post", ctypes.byref(event))

    # ------------------------------------------------------------ power
    def power_cut(self, torn_bytes=0):
        """The power goes out now. On a RamStorage only the records synced so
        far survive (plus, with torn_bytes, that many bytes of the first one
        that was not: a torn write); the machine is gone until restart().
        The sim's hardware loses power too (Sim.power_cut()): the motor stops
        and the reader drops its card; shelves and processor keep their state.
        On a PosixStorage everything written survives (a process kill).
        Returns the number of torn bytes left behind."""
        check_int(torn_bytes, "torn_bytes", 0, 1 << 20)
        self._refuse_in_listener("power_cut")
        handle = self.handle
        snapshot = self.storage._snapshot() if isinstance(self.storage, RamStorage) else None
        # Deinit flushes the journal; the snapshot says what a real cut keeps.
        lib.machine_free(handle)
        self._handle = ctypes.c_void_p()
        self._release()
        if self.sim is not None and not self.sim.closed:
            self.sim.power_cut()  # the motor stops, the reader drops its card
        self._raise_pending()
        if snapshot is not None:
            return self.storage._restore(snapshot, torn_bytes)
        return 0

    def restart(self, storage=None):
        """A new machine life on the same sim and storage (or on storage, e.g.
        the same directory opened again): the journal is read back and every
        open vend resolved. Returns the RECOVERY payloads."""
        self._refuse_in_listener("restart")
        if self._handle:
            raise StateError(Status.E_STATE, "restart", "the machine is still running")
        if storage is not None:
            if not isinstance(storage, (RamStorage, PosixStorage)):
                raise TypeError("storage must be a RamStorage or PosixStorage")
            self.storage = storage
        self._set_storage(self._config)
        self._queue.clear()
        self.history.clear()
        self._open("cv_machine_new")
        return [ev.payload for ev in self.history if ev.type == EventType.RECOVERY]

    def __repr__(self):
        if self.closed:
            return "Machine(closed)"
        return "Machine(%d lanes, t=%d ms, %d open vends)" % (
            self.lane_count, self.now_ms, self.open_vends)

