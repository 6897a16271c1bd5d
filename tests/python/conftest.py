# SPDX-License-Identifier: MIT
"""Fixtures of the pytest rig: a simulated candy machine, as a hardware test
engineer sets one up on the bench."""
import pytest

from candyvend import LaneConfig, Machine, RamStorage, Sim, VerifyMode

# The bench planogram: four lanes, one trusting the motor (thin mints).
PLANOGRAM = [
    LaneConfig("A1", "Snickers", 175, capacity=12, count=12, low_stock_threshold=3,
               product_id="SKU-101"),
    LaneConfig("A2", "Kit Kat", 150, capacity=10, count=3, low_stock_threshold=1,
               product_id="SKU-102"),
    LaneConfig("B1", "Skittles", 125, capacity=10, count=10, product_id="SKU-201"),
    LaneConfig("B2", "Mint Strips", 100, capacity=15, count=15,
               verify_mode=VerifyMode.OFF, product_id="SKU-202"),
]

# Short retries so settlements after faults finish within a few simulated seconds.
TIMEOUTS = {"retry_base_ms": 200, "retry_cap_ms": 2000}


def make_machine(sim, storage=None, lanes=PLANOGRAM, **kwargs):
    kwargs.setdefault("timeouts", TIMEOUTS)
    return Machine(lanes, sim=sim, storage=storage or RamStorage(1 << 20),
                   machine_id="bench-01", merchant_name="Candy Co", merchant_location="Bench 3",
                   **kwargs)


@pytest.fixture
def sim():
    with Sim(stock=[lane.count for lane in PLANOGRAM], seed=20261124) as s:
        yield s


@pytest.fixture
def machine(sim):
    with make_machine(sim) as m:
        yield m


def books_balance(machine, sim):
    """The engine's belief agrees with the physical truth and the processor."""
    stats, truth = machine.stats(), sim.truth()
    assert truth.holds_open == 0, "a hold was left open"
    assert stats.captured_minor == truth.captured_minor
    assert stats.dispensed_value_minor == stats.captured_minor
    assert stats.drops_verified == truth.items_dropped
    for lane in machine.lanes:
        assert lane.count == truth.stock[lane.index], "lane %s" % lane.label
