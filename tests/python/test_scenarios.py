# SPDX-License-Identifier: MIT
"""Bench scenarios on the simulated machine: a day of sales, a jam and a
quarantine, a decline and a retry, power cuts and recovery, a refill, a
price change. Every scenario ends with the books checked against the
simulated processor and mechanics (conftest.books_balance)."""
import json
import os
import random

import pytest

from candyvend import (AlertKind, EventType, InvalidArgumentError, LaneAvailability, Msg,
                       OutOfServiceError, PosixStorage, RamStorage, ReceiptStatus,
                       RecoveryAction, SensorError, Sim, SimCard, SimFault, SoldOutError,
                       StateError, BusyError, VendReason, VendState)
from conftest import PLANOGRAM, books_balance, make_machine


def test_a_day_of_sales(sim, machine):
    rng = random.Random(6)
    cards = [SimCard.APPROVED] * 6 + [SimCard.WALLET] * 2 + [SimCard.DECLINED, SimCard.SLOW]
    sold_out_refusals = refills = 0
    vends = []
    for _ in range(150):
        lane = rng.randrange(len(PLANOGRAM))
        try:
            vend = machine.buy(lane, rng.choice(cards))
        except SoldOutError:
            sold_out_refusals += 1
            # The route driver comes by: door open, lane filled up, door shut.
            with machine.service() as service:
                added = machine.lane(lane).info().config.capacity
                service.refill(lane, added)
                sim.load(lane, added)
            refills += 1
            continue
        if vend.state == VendState.AUTH_DECLINED:
            assert machine.display.msg == Msg.DECLINED_TRY_AGAIN
            machine.cancel()  # the customer walks away
        vends.append(vend)
        machine.run_for(rng.randrange(0, 5000))  # nobody at the machine for a while
    machine.settle()

    stats = machine.stats()
    assert sold_out_refusals > 0 and refills == sold_out_refusals
    assert stats.vends_started == len(vends)
    assert stats.vends_captured + stats.vends_abandoned == stats.vends_started
    assert stats.declines == stats.vends_abandoned > 0
    assert stats.vends_captured > 100
    books_balance(machine, sim)
    receipts = machine.receipts()
    assert len(receipts) == stats.vends_captured
    assert sum(r.amount.amount_minor for r in receipts) == stats.captured_minor
    for receipt in receipts:
        record = json.loads(receipt.to_json())
        assert record["status"] == "captured" and record["machine_id"] == "bench-01"
        assert receipt.status == ReceiptStatus.CHARGED
        assert "Candy Co" in receipt.render(42)
    # A low-stock alert was raised along the way and cleared by the refills.
    assert any(a.kind == AlertKind.LOW_STOCK and a.active for a in machine.alerts())


def test_a_jam_and_a_quarantine(sim, machine):
    for _ in range(3):
        sim.script_fault(SimFault.MOTOR_JAM)
        vend = machine.buy("A1")
        machine.settle()
        assert vend.state == VendState.VOIDED and vend.info.reason == VendReason.MOTOR_JAM
    a1 = machine.lane("A1")
    assert a1.quarantined and a1.availability == LaneAvailability.QUARANTINED
    kinds = [(a.kind, a.lane, a.active) for a in machine.alerts()]
    assert (AlertKind.MOTOR_JAM, 0, True) in kinds
    assert (AlertKind.LANE_QUARANTINED, 0, True) in kinds
    with pytest.raises(OutOfServiceError) as error:
        machine.select("A1")
    assert "out of service" in str(error.value)
    # Other lanes keep selling.
    assert machine.buy("B1").state == VendState.CAPTURE_PENDING
    machine.settle()
    # The technician frees the helix and clears the quarantine.
    with machine.service() as service:
        service.clear_quarantine("A1")
        with pytest.raises(StateError):
            service.clear_quarantine("A1")  # not quarantined any more
    assert machine.lane("A1").availability == LaneAvailability.AVAILABLE
    vend = machine.buy("A1")
    machine.settle()
    assert vend.state == VendState.CAPTURED
    assert sim.truth().voids == 3
    books_balance(machine, sim)


def test_a_stuck_product_is_respun_and_charged_once(sim, machine):
    sim.script_fault(SimFault.PRODUCT_STUCK)
    vend = machine.buy("B1")
    machine.settle()
    assert vend.state == VendState.CAPTURED and vend.info.respins >= 1
    assert sim.truth().captures == 1
    books_balance(machine, sim)


def test_a_decline_and_a_retry(sim, machine):
    vend = machine.buy("B1", SimCard.DECLINED)
    assert vend.state == VendState.AUTH_DECLINED
    assert machine.screen_text.startswith("Card declined")
    # Same lane again: the same vend asks for payment again, with a new key.
    retry = machine.buy("B1", SimCard.APPROVED)
    machine.settle()
    assert retry.number == vend.number
    assert retry.state == VendState.CAPTURED and retry.info.auth_attempt == 2
    assert machine.stats().declines == 1
    assert sim.truth().holds_placed == 1
    assert retry.receipt.card.last4 == "4242"
    books_balance(machine, sim)


def test_an_unknown_payment_outcome_is_looked_up_not_retried(sim, machine):
    vend = machine.buy("B1", SimCard.TIMEOUT_APPROVED)
    machine.settle()
    assert VendState.AUTH_LOOKUP in vend.states
    assert vend.state == VendState.CAPTURED
    assert sim.truth().holds_placed == 1  # looked up, never authorized twice
    books_balance(machine, sim)


def test_power_cut_mid_dispense(sim, machine):
    vend = machine.select("A2")
    machine.run_until(lambda: vend.state == VendState.DISPENSING, card=SimCard.APPROVED)
    machine.power_cut()
    recovery = machine.restart()
    assert [(r.action, r.vend_number) for r in recovery] == [
        (RecoveryAction.VOID_UNVERIFIED, vend.number)]
    machine.settle()
    assert vend.state == VendState.VOIDED
    assert VendState.DISPENSING not in vend.states  # never dispensed after the restart
    assert any(a.kind == AlertKind.UNVERIFIED_VEND and a.active for a in machine.alerts())
    machine.run_for(10000)  # the motor the cut left running completes
    truth = sim.truth()
    assert truth.captured_minor == 0 and truth.holds_open == 0  # not charged
    # The item may have fallen for free: that is what the incident alert is for.
    assert machine.lane("A2").count == truth.stock[1] + truth.items_dropped


def test_power_cut_with_an_authorization_in_flight(sim, machine):
    # The processor places the hold but its answer never arrives.
    sim.script_fault(SimFault.AUTH_SILENT)
    vend = machine.select("B1")
    machine.run_until(lambda: sim.truth().holds_open == 1, card=SimCard.APPROVED)
    assert vend.state == VendState.AUTH_PENDING
    machine.power_cut()
    recovery = machine.restart()
    assert [(r.action, r.found_state) for r in recovery] == [
        (RecoveryAction.LOOKUP_THEN_VOID, VendState.AUTH_PENDING)]
    machine.settle()
    assert vend.state == VendState.VOIDED
    assert VendState.DISPENSING not in vend.states
    truth = sim.truth()
    assert truth.holds_open == 0 and truth.captures == 0 and truth.voids == 1
    books_balance(machine, sim)


def test_power_cut_with_a_torn_tail(sim, machine):
    vend = machine.buy("B1")
    machine.run_until(lambda: vend.is_terminal)
    storage = machine.storage
    assert storage.last_seq > storage.synced_seq, "the final state should still be unsynced"
    assert machine.power_cut(torn_bytes=7) == 7
    recovery = machine.restart()
    actions = [r.action for r in recovery]
    assert actions[0] == RecoveryAction.TAIL_TRUNCATED and recovery[0].torn_bytes == 7
    assert RecoveryAction.CAPTURE_RESEND in actions  # its CAPTURE_PENDING was durable
    machine.settle()
    truth = sim.truth()
    assert truth.captures == 1 and truth.captured_minor == 125  # resent with the same key
    assert machine.stats().vends_captured == 1
    books_balance(machine, sim)


def test_restart_on_the_posix_journal(sim, tmp_path):
    storage = PosixStorage(tmp_path)
    with make_machine(sim, storage) as machine:
        for lane in ("A1", "B1", "B2"):
            machine.buy(lane)
        machine.settle()
        before = machine.stats()
        machine.power_cut()  # a process kill: the files keep what was written
        storage.close()
        # A new process opens the same directory.
        reopened = PosixStorage(tmp_path)
        assert machine.restart(reopened) == []  # nothing was left open
        after = machine.stats()
        assert (after.vends_captured, after.captured_minor) == (3, before.captured_minor)
        assert machine.lane("A1").count == 11
        assert reopened.segment_count >= 1 and reopened.sync_count > 0
        books_balance(machine, sim)
    reopened.close()


def test_a_refill(sim, machine):
    for _ in range(3):
        machine.buy("A2")
        machine.settle()
    a2 = machine.lane("A2")
    assert a2.count == 0 and a2.availability == LaneAvailability.SOLD_OUT
    with pytest.raises(SoldOutError):
        machine.select("A2")
    with pytest.raises(StateError):
        machine.service().refill("A2", 5)  # not in service mode
    with machine.service() as service:
        assert machine.in_service and machine.display.msg == Msg.SERVICE_MODE
        with pytest.raises(OutOfServiceError):
            machine.select("A1")
        with pytest.raises(InvalidArgumentError):
            service.refill("A2", 11)  # beyond the capacity of 10
        service.refill("A2", 8)
        sim.load(1, 8)
        service.set_count("A2", 7)  # the technician counted again
        sim.load(1, 0)
    assert not machine.in_service
    alerts = [(a.kind, a.active) for a in machine.alerts() if a.lane == 1]
    assert (AlertKind.SOLD_OUT, True) in alerts and (AlertKind.SOLD_OUT, False) in alerts
    assert machine.lane("A2").count == 7
    vend = machine.buy("A2")
    machine.settle()
    assert vend.state == VendState.CAPTURED and machine.lane("A2").count == 6
    # The truth has 8 loaded - 1 sold; the engine believes the count of 7 - 1.
    assert sim.truth().stock[1] == 7


def test_a_price_change(sim, machine):
    first = machine.buy("B1")
    machine.settle()
    with machine.service() as service:
        with pytest.raises(InvalidArgumentError):
            service.set_price("B1", 0)
        service.set_price("B1", 140)
    changes = [ev for ev in machine.history if ev.type == EventType.LANE_CHANGED]
    assert changes and changes[-1].payload.lane == 2
    assert machine.lane("B1").price_minor == 140
    assert machine.menu()[2].price.amount_minor == 140
    second = machine.buy("B1")
    machine.settle()
    assert first.receipt.amount.amount_minor == 125
    assert second.receipt.amount.amount_minor == 140
    assert sim.truth().captured_minor == 265
    books_balance(machine, sim)


def test_a_started_vend_keeps_its_price_and_blocks_service(sim, machine):
    vend = machine.select("B1")
    with pytest.raises(BusyError):
        with machine.service():
            pass
    machine.run_until(lambda: vend.is_terminal, card=SimCard.APPROVED)
    with machine.service() as service:
        service.set_price("B1", 300)
    assert vend.info.price.amount_minor == 125


def test_a_sensor_fault_stops_only_lanes_that_need_it(sim, machine):
    sim.set_sensor_fault(True)
    machine.tick()
    assert machine.lane("A1").availability == LaneAvailability.NO_SENSOR
    with pytest.raises(SensorError):
        machine.select("A1")
    vend = machine.buy("B2")  # mint strips trust the motor
    machine.settle()
    assert vend.state == VendState.CAPTURED
    assert any(a.kind == AlertKind.DETECTOR_FAULT and a.active for a in machine.alerts())
    sim.set_sensor_fault(False)
    machine.tick()
    assert machine.lane("A1").availability == LaneAvailability.AVAILABLE
    books_balance(machine, sim)


def test_seeded_runs_replay_identically():
    def run():
        with Sim(stock=[10, 10], seed=99, jam_permille=100, decline_permille=200) as sim:
            sim.set_auto_card(True)
            lanes = PLANOGRAM[:1] + PLANOGRAM[2:3]
            with make_machine(sim, RamStorage(1 << 18), lanes=lanes) as machine:
                for i in range(12):
                    vend = machine.select(i % 2)
                    machine.run_until(lambda: vend.state is not None and (
                        vend.is_terminal or vend.state == VendState.AUTH_DECLINED))
                    if vend.state == VendState.AUTH_DECLINED:
                        machine.cancel()
                machine.settle()
                return [(r.vend_id, r.status) for r in machine.receipts()], tuple(sim.truth().stock)
    assert run() == run()


def test_one_journal_folder_has_one_writer(tmp_path):
    from candyvend import BusyError
    first = PosixStorage(tmp_path)
    try:
        with pytest.raises(BusyError) as refused:
            PosixStorage(tmp_path)
        message = str(refused.value)
        assert str(tmp_path) in message and "process %d" % os.getpid() in message, message
    finally:
        first.close()
    PosixStorage(tmp_path).close()  # free again once closed


def test_a_sim_whose_lanes_do_not_match_the_machine_is_refused():
    from candyvend import InvalidArgumentError
    with Sim(stock=[5, 5]) as sim:
        with pytest.raises(InvalidArgumentError) as refused:
            make_machine(sim)  # the planogram has more lanes
        assert "the Sim has 2 lanes" in str(refused.value)


def test_selling_in_service_mode_is_out_of_service(machine):
    from candyvend import OutOfServiceError
    with machine.service():
        with pytest.raises(OutOfServiceError):
            machine.select("A1")
    machine.buy("A1")  # the door closed: selling again


def test_restock_fills_the_machine_and_the_bin_in_one_call(sim, machine):
    before_machine = machine.lane("A2").count
    before_bin = sim.truth().stock[1]
    with machine.service() as s:
        s.restock("A2", 3)
    assert machine.lane("A2").count == before_machine + 3
    assert sim.truth().stock[1] == before_bin + 3
