# SPDX-License-Identifier: MIT
"""candyvend.gpio: GPIO configuration files parsed by libcandyvend-gpio."""
import os

import pytest

from candyvend import GpioActive, Status, _clib

_state = os.environ.get("CV_FEATURE_GPIO")
if _state not in (None, "built") or _state is None and not _clib.lib.has(_clib.GPIO):
    pytest.skip("libcandyvend-gpio not built (-Dgpio=%s)" % _state, allow_module_level=True)

from candyvend.gpio import GpioConfig, GpioConfigError  # noqa: E402  (needs the library)

GOOD = """\
# bench rig, two lanes
chip = gpiochip0
motor_timeout_ms = 2500
beam = 22 active=low debounce_ms=5 stuck_ms=2000
lane A1 motor=17 index=27 index_active=low pulses_per_turn=4
lane A2 motor=18 motor_active=low index=23
"""


def test_good_config_parses():
    config = GpioConfig.parse(GOOD)
    assert config.chip == "gpiochip0"
    assert config.consumer == "candyvend"          # the default
    assert config.motor_timeout_ms == 2500
    assert (config.beam_offset, config.beam_active) == (22, GpioActive.LOW)
    assert [lane.label for lane in config.lanes] == ["A1", "A2"]
    a1, a2 = config.lanes
    assert (a1.motor_offset, a1.index_offset, a1.pulses_per_turn) == (17, 27, 4)
    assert (a1.motor_active, a1.index_active) == (GpioActive.HIGH, GpioActive.LOW)
    assert (a2.motor_active, a2.pulses_per_turn) == (GpioActive.LOW, 1)
    assert config.as_dict()["lanes"][1]["index_offset"] == 23


def test_bad_config_names_the_line():
    text = GOOD.replace("lane A2 motor=18", "lane A2 motor=27")   # A1's index line
    with pytest.raises(GpioConfigError) as info:
        GpioConfig.parse(text)
    err = info.value
    assert err.line == 6
    assert "27" in err.message and "A1" in err.message
    assert err.status == Status.E_INVAL and isinstance(err, ValueError)
    assert str(err).startswith("cv_gpio_config_parse: ") and "line 6: " in str(err)


def test_missing_beam_and_nul_byte_and_file(tmp_path):
    with pytest.raises(GpioConfigError, match="beam") as info:
        GpioConfig.parse("chip = gpiochip0\nlane A1 motor=1 index=2\n")
    assert info.value.line == 0
    with pytest.raises(GpioConfigError, match="NUL"):
        GpioConfig.parse(GOOD.encode() + b"\0")
    path = tmp_path / "gpio.conf"
    path.write_text(GOOD)
    assert GpioConfig.load(path).lanes[1].label == "A2"
    with pytest.raises(TypeError):
        GpioConfig.parse(42)
