# SPDX-License-Identifier: MIT
"""Bad input never crashes the interpreter: wrong types, out-of-range values,
closed handles and misbehaving callbacks all come out as readable Python
exceptions, and the machine stays usable afterwards."""
import ctypes
import gc
import json

import pytest

import candyvend
from candyvend.machine import ServiceMode
from candyvend import (CandyvendError, ClosedError, EventType, InvalidArgumentError, LaneConfig,
                       Machine, MisuseError, NotFoundError, NotSupportedError, PosixStorage,
                       RamStorage, Sim, SimCard, SimFault, SoldOutError, StateError, Status,
                       VendState, _clib)
from conftest import PLANOGRAM, make_machine


def test_library_version_and_status_text():
    assert candyvend.version() == "0.1.0"
    assert candyvend.status_text(Status.E_SOLD_OUT) == "lane is sold out"
    error = candyvend.error_for(Status.E_JAM, "cv_x")
    assert str(error) == "cv_x: dispense motor jammed (CV_E_JAM)"
    assert candyvend.error_for(999).status == 999  # unknown codes still readable
    # 5, 12 and 13 were removed (nothing returned them) and are never reused.
    for gap in (5, 12, 13):
        assert gap not in Status._value2member_map_
        assert candyvend.status_text(gap) == "unknown status"
        assert type(candyvend.error_for(gap)) is CandyvendError


@pytest.mark.parametrize("lane, error", [
    (1.5, TypeError), (None, TypeError), (True, TypeError), (b"A1", TypeError),
    (-1, ValueError), (70000, ValueError), (1 << 64, ValueError),
    (4, NotFoundError), (0xFFFF, NotFoundError), ("Z9", NotFoundError),
    ("A1\0", ValueError),
])
def test_bad_lanes_are_refused(machine, lane, error):
    with pytest.raises(error):
        machine.select(lane)
    assert machine.open_vends == 0
    assert machine.buy("A1").state == VendState.CAPTURE_PENDING  # still sells


def test_not_found_carries_the_library_message(machine):
    with pytest.raises(NotFoundError) as info:
        machine.lane(9)
    assert info.value.status == Status.E_NOT_FOUND
    assert info.value.function == "cv_machine_lane_info"
    assert "CV_E_NOT_FOUND" in str(info.value)
    assert isinstance(info.value, LookupError) and isinstance(info.value, CandyvendError)


def test_bad_sim_controls(sim):
    with pytest.raises(ValueError):
        sim.present_card(99)
    with pytest.raises(TypeError):
        sim.script_fault("MOTOR_JAM")
    with pytest.raises(TypeError):
        sim.set_sensor_fault(1)
    with pytest.raises(StateError):
        sim.present_card(SimCard.APPROVED)  # nobody is collecting
    with pytest.raises(NotFoundError):
        sim.load(40, 1)
    with pytest.raises(TypeError):
        Sim(stock=[1], bogus=3)
    with pytest.raises(ValueError):
        Sim(stock=[])
    with pytest.raises(InvalidArgumentError):
        Sim(stock=[1], jam_permille=1001)
    assert sim.hold_amount("cv1.nothing.auth.1") is None


def test_bad_configurations(sim):
    with pytest.raises(TypeError):
        Machine([], sim=sim)
    with pytest.raises(TypeError):
        Machine(["A1"], sim=sim)
    with pytest.raises(ValueError):
        Machine([LaneConfig("A1-too-long", "x", 100, count=1)], sim=sim)
    # A LaneConfig is checked when made, by the library's rules, with its message.
    with pytest.raises(InvalidArgumentError) as info:
        LaneConfig("A1", "x", 100, count=20, capacity=10)
    assert "lane A1: count 20 is above the capacity 10" in str(info.value)
    with Sim(stock=[1, 1]) as two, Sim(stock=[1]) as one:
        with pytest.raises(InvalidArgumentError) as info:  # duplicate label
            Machine([LaneConfig("A1", "x", 100, count=1), LaneConfig("A1", "y", 100, count=1)], sim=two)
        assert "cv_machine_new" in str(info.value)
        with pytest.raises(InvalidArgumentError):  # no payment, dispenser... backends
            Machine([LaneConfig("A1", "x", 100, count=1)])
        with pytest.raises(TypeError):
            Machine([LaneConfig("A1", "x", 100, count=1)], sim=one, timeouts={"nap_ms": 1})
        with pytest.raises(ValueError):
            Machine([LaneConfig("A1", "x", 100, count=1)], sim=one, timeouts={"motor_ms": -1})
        assert not one._users and not two._users  # nothing was left attached
    assert not sim._users

def test_closed_handles(sim):
    machine = make_machine(sim)
    vend = machine.buy("B1")
    machine.settle()
    with pytest.raises(StateError):
        sim.close()  # the machine still uses it
    machine.close()
    machine.close()  # twice is fine
    for action in (lambda: machine.select(0), lambda: machine.lane_count, machine.stats,
                   machine.tick, lambda: machine.display, machine.cancel):
        with pytest.raises(ClosedError) as info:
            action()
        assert "machine is closed" in str(info.value)
    # What was learnt before closing stays readable.
    assert vend.state == VendState.CAPTURED
    assert repr(machine) == "Machine(closed)"
    sim.close()
    with pytest.raises(ClosedError):
        sim.step(100)
    with pytest.raises(ClosedError):
        sim.truth()


def test_storage_cannot_close_under_a_machine(sim, tmp_path):
    storage = RamStorage(1 << 16)
    with make_machine(sim, storage):
        with pytest.raises(StateError):
            storage.close()
    storage.close()
    with pytest.raises(ClosedError):
        make_machine(sim, storage)


def test_only_a_ram_journal_is_accepted_as_volatile(sim, tmp_path):
    # RAM does not survive a power cut: the bindings accept it as volatile
    # (the rig's default storage); a POSIX journal must be durable.
    with make_machine(sim) as m:
        assert m._config.accept_volatile_journal
    with PosixStorage(tmp_path) as storage:
        with make_machine(sim, storage) as m:
            assert not m._config.accept_volatile_journal
            m.buy("A1")
    with pytest.raises(TypeError):
        make_machine(sim, accept_volatile_journal=1)
    with pytest.raises(NotSupportedError) as info:
        make_machine(sim, accept_volatile_journal=False)
    assert info.value.status == Status.E_NOTSUP


def test_a_listener_exception_surfaces_after_the_c_call(machine):
    seen = []

    def listener(m, event):
        seen.append(event.type)
        if event.type == EventType.VEND_STATE and event.payload.state == VendState.DISPENSING:
            raise RuntimeError("the listener failed")

    machine.add_listener(listener)
    with pytest.raises(RuntimeError, match="the listener failed"):
        machine.buy("B1")
    # The engine was not unwound: it carries on and settles normally.
    machine.settle()
    assert machine.stats().vends_captured == 1
    assert EventType.RECEIPT in seen


def test_a_listener_may_not_change_the_machine(machine):
    calls = []

    def listener(m, event):
        if event.type == EventType.VEND_STATE and event.payload.state == VendState.AUTH_PENDING:
            calls.append(m.lane("A1").count)  # read-only queries are fine
            m.select("A1")                    # a change is refused by the engine

    machine.add_listener(listener)
    machine.select("B1")
    with pytest.raises(MisuseError) as info:
        machine.run_until(lambda: False, limit_ms=5000, card=SimCard.APPROVED)
    assert info.value.status == Status.E_MISUSE and calls == [12]
    assert info.value.function == "cv_machine_select"
    machine.run_until(lambda: machine.open_vends == 0, card=SimCard.APPROVED)


def test_a_service_call_from_a_listener_says_why_not_an_older_message(machine):
    with pytest.raises(StateError, match="not in service mode"):
        machine._call("cv_machine_service_exit")  # leaves a message behind

    def listener(m, event):
        if event.type == EventType.VEND_STATE and event.payload.state == VendState.AUTH_PENDING:
            m._call("cv_machine_lane_set_count", 0, 3)

    machine.add_listener(listener)
    machine.select("B1")
    with pytest.raises(MisuseError) as info:
        machine.run_until(lambda: False, limit_ms=5000, card=SimCard.APPROVED)
    assert "not allowed from inside the event listener" in str(info.value), str(info.value)
    assert "not in service mode" not in str(info.value)


def test_closing_from_a_listener_is_refused_not_aborted(machine):
    def listener(m, event):
        m.close()

    machine.add_listener(listener)
    with pytest.raises(MisuseError):
        machine.buy("B1")
    machine._listeners.clear()
    machine.settle()
    assert not machine.closed


def test_a_failing_receipt_hook(sim):
    delivered = []

    def hook(receipt):
        delivered.append(json.loads(receipt.to_json()))
        raise KeyError("mail server down")

    with make_machine(sim, deliver_receipt=hook) as machine:
        machine.buy("B1")
        with pytest.raises(KeyError):
            machine.settle()
        machine.settle()
    assert [d["status"] for d in delivered] == ["captured"]


def test_bad_service_and_render_arguments(machine):
    with machine.service() as service:
        with pytest.raises(TypeError):
            service.set_enabled("A1", "no")
        with pytest.raises(TypeError):
            service.configure("A1", {"label": "A1"})
        with pytest.raises(InvalidArgumentError):
            service.configure("A1", LaneConfig("B1", "Clash", 100, count=1))  # duplicate label
        with pytest.raises(ValueError):
            service.set_price("A1", 1 << 63)
        service.set_enabled("A1", False)
    with pytest.raises(candyvend.OutOfServiceError):
        machine.select("A1")
    vend = machine.buy("B1")
    machine.settle()
    with pytest.raises(InvalidArgumentError):
        vend.receipt.render(10)
    assert len(vend.receipt.render(80).splitlines()[0]) <= 80


def test_time_and_events_misuse(machine):
    machine.tick(1000)
    with pytest.raises(InvalidArgumentError):
        machine.step(10)  # time went backwards
    with pytest.raises(TypeError):
        machine.post("an event")
    bad = _clib.cv_event()
    bad.type = EventType.VEND_STATE  # an output event can't be posted
    with pytest.raises(InvalidArgumentError):
        machine.post(bad)
    good = _clib.cv_event()
    good.type = EventType.SENSOR_STATUS
    good.u.sensor.faulted = False
    machine.post(good)
    machine.tick()


def test_events_iterate_and_filter(machine):
    machine.buy("B1")
    machine.settle()
    displays = list(machine.events(EventType.DISPLAY))
    assert displays and all(ev.type == EventType.DISPLAY for ev in displays)
    rest = list(machine.events())
    assert rest and EventType.DISPLAY not in {ev.type for ev in rest}
    assert list(machine.events()) == []
    assert any(ev.type == EventType.DISPLAY for ev in machine.history)


def test_dropped_objects_are_freed_without_close():
    for _ in range(50):
        sim = Sim(stock=[3])
        machine = make_machine(sim, lanes=[PLANOGRAM[0].__class__("A1", "x", 100, count=3, capacity=3)])
        machine.buy(0)
        del machine  # no cycle: freed here, before the sim
        gc.collect()
        assert not sim._users
        del sim
    gc.collect()


def test_sold_out_is_a_readable_exception(sim):
    lanes = [LaneConfig("A1", "Last One", 100, count=1, capacity=5)]
    with Sim(stock=[1]) as one, make_machine(one, lanes=lanes) as machine:
        machine.buy(0)
        machine.settle()
        with pytest.raises(SoldOutError, match="sold out"):
            machine.select(0)


def test_ctypes_level_misuse_is_a_python_error():
    # Below the Pythonic layer, declared argtypes still stop wrong types
    # (handles are c_void_p there: only the Pythonic layer guards those).
    with pytest.raises(ctypes.ArgumentError):
        _clib.lib.money_make(150, "USD", None)
    with pytest.raises(ctypes.ArgumentError):
        _clib.lib.machine_lane_info(None, 0, _clib.cv_money())


def test_the_sim_is_not_stepped_into_a_freed_machine(sim, machine):
    # Between a cut and the restart there is no machine: the bindings refuse
    # the calls that would post into one.
    vend = machine.select("A2")
    machine.run_until(lambda: vend.state == VendState.DISPENSING, card=SimCard.APPROVED)
    machine.power_cut()
    for call in (lambda: sim.step(machine.now_ms + 2000), lambda: sim.set_sensor_fault(True),
                 lambda: sim.present_card(SimCard.APPROVED)):
        with pytest.raises(StateError, match="no machine is open"):
            call()
    machine.restart()
    machine.settle()
    assert sim.truth().holds_open == 0


def test_the_motor_stops_at_a_power_cut_and_the_next_customer_is_served(sim, machine):
    # It used to keep turning into the next life, whose first movement was
    # refused: the next customer ended VOIDED (DISPENSER_ERROR).
    stock = sim.truth().stock[1]
    vend = machine.select("A2")
    machine.run_until(lambda: vend.state == VendState.DISPENSING, card=SimCard.APPROVED)
    assert sim.truth().motor_running == 1
    machine.power_cut()
    assert sim.truth().motor_running == 0
    assert sim.truth().stock[1] == stock, "the cut movement dropped nothing"
    machine.restart()
    machine.settle()
    nxt = machine.select("A2")
    machine.run_until(lambda: nxt.state.is_terminal, card=SimCard.APPROVED)
    assert nxt.state == VendState.CAPTURED, nxt.reason
    assert sim.truth().stock[1] == stock - 1
    with pytest.raises(StateError):
        sim.power_cut()  # a machine is open: its power is not the sim's to cut


def test_restart_after_the_sim_was_closed_raises_instead_of_reading_freed_memory():
    sim = Sim(stock=[lane.count for lane in PLANOGRAM], seed=1)
    machine = make_machine(sim)
    machine.power_cut()
    sim.close()  # allowed: no machine is open
    with pytest.raises(ClosedError) as refused:
        machine.restart()
    assert "Sim" in str(refused.value)
    machine.close()


def test_one_ram_storage_serves_one_open_machine():
    storage = RamStorage(1 << 20)
    with Sim(stock=[lane.count for lane in PLANOGRAM], seed=2) as sim_a, \
            Sim(stock=[lane.count for lane in PLANOGRAM], seed=3) as sim_b:
        first = make_machine(sim_a, storage)
        with pytest.raises(MisuseError) as refused:
            make_machine(sim_b, storage)
        assert "one machine per storage" in str(refused.value)
        first.buy("A1")  # the first machine is unharmed
        first.close()
        second = make_machine(sim_b, storage)  # free again
        second.close()


@pytest.mark.parametrize("kwargs, message", [
    (dict(capacity=2000), "lane A1: capacity 2000 is outside 1..1000"),
    (dict(price_minor=-5), "lane A1: price_minor -5 is outside 0..1000000000"),
    (dict(low_stock_threshold=10), "lane A1: low_stock_threshold 10 must be below the capacity 10"),
    (dict(respin_count_max=9), "lane A1: respin_count_max 9 is outside 0..8"),
    (dict(vend_quarter_turns=0), "lane A1: vend_quarter_turns 0 is outside 1..16"),
    (dict(quarantine_after_failures=0), "lane A1: quarantine_after_failures 0 is outside 1..255"),
])
def test_lane_config_errors_name_the_lane_the_field_the_value_and_the_limit(kwargs, message):
    args = dict(price_minor=100, count=1)
    args.update(kwargs)
    with pytest.raises(InvalidArgumentError) as info:
        LaneConfig("A1", "Gummies", **args)
    assert message in str(info.value)


def test_service_errors_name_the_lane_the_value_and_the_limit(sim):
    with make_machine(sim) as machine:
        with machine.service() as s:
            with pytest.raises(InvalidArgumentError) as info:
                s.refill("A2", 11)
            assert "lane A2: refill of 11 would make 14, above the capacity 10" in str(info.value)
            with pytest.raises(InvalidArgumentError) as info:
                s.set_price("B1", 0)
            assert "lane B1: price_minor 0 is outside 1..1000000000" in str(info.value)
            with pytest.raises(NotFoundError) as info:
                s.set_count(9, 1)
            assert "lane 9 does not exist: the machine has lanes 0..3" in str(info.value)
        with pytest.raises(NotFoundError) as info:
            machine.lane("Z9")
        assert "no lane labelled 'Z9' (the machine has A1, A2, B1, B2)" in str(info.value)


def test_configuration_errors_say_what_is_wrong():
    with Sim(stock=[1]) as one:
        with pytest.raises(InvalidArgumentError) as info:
            Machine([LaneConfig("A1", "x", 100, count=1)], sim=one, currency="ZZZ")
        assert "currency 'ZZZ' is not an ISO 4217 code with a minor unit" in str(info.value)
        with pytest.raises(InvalidArgumentError) as info:
            Machine([LaneConfig("A1", "x", 100, count=1)], sim=one, lookup_attempts_max=0)
        assert "lookup_attempts_max 0 is outside 1..20" in str(info.value)


@pytest.mark.parametrize("checkpoint_records", [None, 256])
def test_a_machine_cut_off_with_its_door_open_comes_back_in_service_mode(sim, checkpoint_records):
    # With 256, the price changes below write several checkpoints and trim
    # the record that opened the door: the checkpoints must carry it.
    kwargs = {} if checkpoint_records is None else {"checkpoint_records": checkpoint_records}
    with make_machine(sim, **kwargs) as m:
        door = ServiceMode(m).__enter__()
        for price in range(100, 1300):
            door.set_price("A1", price)
            m.tick()  # the step syncs what the change wrote
        m.power_cut()
        m.restart()
        assert m.in_service, "the door was open when the power went"
        with pytest.raises(candyvend.OutOfServiceError):
            m.select("A1")
        assert m.lane("A1").price_minor == 1299
        ServiceMode(m).__exit__(None, None, None)
        vend = m.select("A1")
        m.run_until(lambda: vend.state.is_terminal, card=SimCard.APPROVED)
        assert vend.state == VendState.CAPTURED
