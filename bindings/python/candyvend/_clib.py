# SPDX-License-Identifier: MIT
"""The C side, declared once: struct mirrors, prototypes and data symbols.

Everything here mirrors include/candyvend/*.h exactly; tests/python checks
the struct sizes and field offsets against the C compiler and the prototypes
against the headers and the exported symbols, so a header change cannot
silently desynchronize this file.

Libraries are found, in this order:
  1. CANDYVEND_LIB_DIR: a directory holding libcandyvend.so(.0),
     libcandyvend-sim.so(.0) and libcandyvend-posix.so(.0) (a build tree's
     lib dirs may also be given, separated by os.pathsep);
  2. the installed sonames libcandyvend.so.0, ... through the dynamic loader.

libcandyvend-gateway and libcandyvend-gpio are optional (Meson features
-Dgateway, -Dgpio): they are loaded the same way when present, and when one
is not, lib.missing says why and its functions are simply not declared on
`lib` (candyvend.gpio then refuses to import).
"""
import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, Union, c_bool, c_char, c_char_p, c_int,
                    c_int64, c_short, c_size_t, c_uint, c_uint8, c_uint16, c_uint32, c_uint64,
                    c_void_p)

SOVERSION = "0"

# ---------------------------------------------------------------- constants
# Sizes from the headers; the layout test catches any drift through the
# struct sizes they produce.
CV_CURRENCY_LEN = 4
CV_ALERT_CODE_LEN = 16
CV_LANES_MAX = 64
CV_LANE_LABEL_LEN = 8
CV_PRODUCT_ID_LEN = 24
CV_PRODUCT_NAME_LEN = 32
CV_RESPIN_MAX = 8
CV_PRICE_MAX = 1000000000
CV_LANE_CAPACITY_MAX = 1000
CV_LANE_MESSAGE_LEN = 96
CV_MACHINE_ERRMSG_LEN = 160
CV_VEND_ID_LEN = 27
CV_IDEM_KEY_LEN = 48
CV_PROCESSOR_REF_LEN = 40
CV_CARD_BRAND_LEN = 16
CV_CARD_LAST4_LEN = 5
CV_AUTH_CODE_LEN = 12
CV_CARD_AID_LEN = 33
CV_CARD_APP_LABEL_LEN = 17
CV_MACHINE_ID_LEN = 32
CV_MERCHANT_TEXT_LEN = 40
CV_RECEIPT_WIDTH_NARROW = 32
CV_RECEIPT_WIDTH_WIDE = 42
CV_RECEIPT_TEXT_MAX = 2048
CV_RECEIPT_JSON_MAX = 2560
CV_EVENT_QUEUE_MAX = 32
CV_VENDS_MAX = 8
CV_AUTH_ATTEMPTS_MAX = 3
CV_JOURNAL_KEY_LEN = 32
CV_MACHINE_ALIGN = 16
CV_BACKEND_ABI_VERSION = 1
CV_ALERT_NO_LANE = 0xFFFF
CV_DISPLAY_NO_LANE = 0xFFFF
CV_SIM_CARD_COUNT = 7
CV_SIM_FAULT_COUNT = 12
CV_POSIX_STORAGE_SEGMENT_MAX = 4096
CV_POSIX_STORAGE_ERROR_LEN = 512
CV_STORAGE_TAG_MAX = 64
CV_STORAGE_ROOM_RECORD = 296
CV_POSIX_STORAGE_SEGMENT_SIZE_MIN = 4096
CV_POSIX_STORAGE_SEGMENT_SIZE_DEFAULT = 4 * 1024 * 1024
# payment_gateway.h
CV_GATEWAY_LINKS_MAX = 2
CV_GATEWAY_SLOTS = 8
CV_GATEWAY_TOKEN_MAX = 64
CV_GATEWAY_PINS_MAX = 16
CV_GATEWAY_POLLFDS_MAX = 32
CV_GATEWAY_URL_MAX = 200
CV_GATEWAY_CA_FILE_MAX = 255
# linux_gpio.h
CV_GPIO_LANES_MAX = CV_LANES_MAX
CV_GPIO_CHIP_NAME_LEN = 64
CV_GPIO_CONSUMER_LEN = 32
CV_GPIO_OFFSET_MAX = 65535
CV_GPIO_PULSES_PER_TURN_MAX = 16
CV_GPIO_ERROR_LEN = 160
CV_GPIO_EVENTS_PER_PROCESS = 64
CV_GPIO_OUTBOX_MAX = 16

# Every C enum is an int-sized integer in the ABI (values fit in int).
c_enum = c_int


# ---------------------------------------------------------------- structs
class cv_money(Structure):
    _fields_ = [("amount_minor", c_int64), ("currency", c_char * CV_CURRENCY_LEN)]


class cv_alert(Structure):
    _fields_ = [("kind", c_enum), ("lane", c_uint16), ("active", c_bool)]


class cv_display(Structure):
    _fields_ = [("msg", c_enum), ("lane", c_uint16), ("amount", cv_money)]


class cv_lane_config(Structure):
    _fields_ = [
        ("label", c_char * CV_LANE_LABEL_LEN),
        ("product_id", c_char * CV_PRODUCT_ID_LEN),
        ("product_name", c_char * CV_PRODUCT_NAME_LEN),
        ("price_minor", c_int64),
        ("capacity", c_uint16),
        ("count", c_uint16),
        ("low_stock_threshold", c_uint16),
        ("verify_mode", c_enum),
        ("vend_quarter_turns", c_uint8),
        ("respin_count_max", c_uint8),
        ("respin_quarter_turns", c_uint8),
        ("quarantine_after_failures", c_uint8),
    ]


class cv_lane_info(Structure):
    _fields_ = [
        ("config", cv_lane_config),
        ("enabled", c_bool),
        ("quarantined", c_bool),
        ("consecutive_failures", c_uint8),
        ("availability", c_enum),
        ("vends_verified", c_uint32),
        ("vends_failed", c_uint32),
    ]


class cv_menu_item(Structure):
    _fields_ = [
        ("lane", c_uint16),
        ("label", c_char * CV_LANE_LABEL_LEN),
        ("product_name", c_char * CV_PRODUCT_NAME_LEN),
        ("price", cv_money),
        ("availability", c_enum),
    ]


class cv_card_summary(Structure):
    _fields_ = [
        ("brand", c_char * CV_CARD_BRAND_LEN),
        ("last4", c_char * CV_CARD_LAST4_LEN),
        ("auth_code", c_char * CV_AUTH_CODE_LEN),
        ("aid", c_char * CV_CARD_AID_LEN),
        ("app_label", c_char * CV_CARD_APP_LABEL_LEN),
        ("entry", c_enum),
    ]


class cv_payment_request(Structure):
    _fields_ = [
        ("op_id", c_uint32),
        ("op", c_enum),
        ("vend_id", c_char * CV_VEND_ID_LEN),
        ("idempotency_key", c_char * CV_IDEM_KEY_LEN),
        ("auth_key", c_char * CV_IDEM_KEY_LEN),
        ("processor_ref", c_char * CV_PROCESSOR_REF_LEN),
        ("amount", cv_money),
        ("timeout_ms", c_uint32),
        ("offline_allowed", c_bool),
    ]


class cv_payment_result(Structure):
    _fields_ = [
        ("op_id", c_uint32),
        ("op", c_enum),
        ("result", c_enum),
        ("decline_reason", c_enum),
        ("amount", cv_money),
        ("processor_ref", c_char * CV_PROCESSOR_REF_LEN),
        ("card", cv_card_summary),
        ("offline_approved", c_bool),
        ("capture_before_s", c_int64),
    ]


class cv_vend_info(Structure):
    _fields_ = [
        ("vend_number", c_uint32),
        ("vend_id", c_char * CV_VEND_ID_LEN),
        ("state", c_enum),
        ("reason", c_enum),
        ("lane", c_uint16),
        ("price", cv_money),
        ("auth_attempt", c_uint8),
        ("respins", c_uint8),
        ("drop_verified", c_bool),
        ("card", cv_card_summary),
        ("decline_reason", c_enum),
        ("offline_approved", c_bool),
        ("capture_before_s", c_int64),
    ]


class cv_receipt(Structure):
    _fields_ = [
        ("vend_id", c_char * CV_VEND_ID_LEN),
        ("merchant_name", c_char * CV_MERCHANT_TEXT_LEN),
        ("merchant_location", c_char * CV_MERCHANT_TEXT_LEN),
        ("machine_id", c_char * CV_MACHINE_ID_LEN),
        ("time_ms", c_int64),
        ("lane", c_uint16),
        ("lane_label", c_char * CV_LANE_LABEL_LEN),
        ("product_id", c_char * CV_PRODUCT_ID_LEN),
        ("product_name", c_char * CV_PRODUCT_NAME_LEN),
        ("amount", cv_money),
        ("card", cv_card_summary),
        ("status", c_enum),
        ("offline", c_bool),
    ]


class cv_dispense_result(Structure):
    _fields_ = [("op_id", c_uint32), ("lane", c_uint16), ("status", c_enum)]


class cv_drop_event(Structure):
    _fields_ = [("op_id", c_uint32)]


class cv_sensor_status(Structure):
    _fields_ = [("faulted", c_bool)]


class cv_storage_result(Structure):
    _fields_ = [("seq", c_uint64), ("status", c_enum)]


class cv_card_read(Structure):
    _fields_ = [("op_id", c_uint32)]


class cv_recovery(Structure):
    _fields_ = [
        ("action", c_enum),
        ("vend_number", c_uint32),
        ("vend_id", c_char * CV_VEND_ID_LEN),
        ("found_state", c_enum),
        ("torn_bytes", c_uint64),
    ]


class cv_lane_change(Structure):
    _fields_ = [("lane", c_uint16)]


class cv_event_u(Union):
    """The anonymous union `u` of struct cv_event."""
    _fields_ = [
        ("payment", cv_payment_result),
        ("dispense", cv_dispense_result),
        ("drop", cv_drop_event),
        ("sensor", cv_sensor_status),
        ("storage", cv_storage_result),
        ("card_read", cv_card_read),
        ("vend", cv_vend_info),
        ("display", cv_display),
        ("alert", cv_alert),
        ("receipt", cv_receipt),
        ("lane", cv_lane_change),
        ("recovery", cv_recovery),
    ]


class cv_event(Structure):
    _fields_ = [("type", c_enum), ("time_ms", c_uint64), ("u", cv_event_u)]


class cv_timeouts(Structure):
    _fields_ = [(name, c_uint32) for name in (
        "payment_ms", "lookup_ms", "settle_ms", "motor_ms", "verify_ms", "session_ms",
        "retry_base_ms", "retry_cap_ms", "message_ms", "sync_ms", "flush_ms")]


class cv_offline_policy(Structure):
    _fields_ = [
        ("enabled", c_bool),
        ("max_amount_minor", c_int64),
        ("max_count", c_uint32),
        ("max_total_minor", c_int64),
        ("max_age_s", c_uint32),
    ]


class cv_machine_stats(Structure):
    _fields_ = [(name, c_uint32) for name in (
        "vends_started", "vends_captured", "vends_voided", "vends_abandoned",
        "vends_capture_failed", "vends_void_failed", "declines", "unknown_outcomes",
        "respins", "drops_verified")] + [
        ("captured_minor", c_int64),
        ("dispensed_value_minor", c_int64),
        ("journal_records", c_uint64),
        ("offline_approvals", c_uint32),
    ]


class cv_dispense_request(Structure):
    _fields_ = [("op_id", c_uint32), ("lane", c_uint16), ("quarter_turns", c_uint8),
                ("timeout_ms", c_uint32)]


class cv_offline_status(Structure):
    _fields_ = [("unsent_count", c_uint32), ("unsent_total_minor", c_int64),
                ("oldest_age_s", c_uint32)]


# Function pointer types. Handles (struct cv_machine *, ...) are opaque: c_void_p.
cv_event_fn = CFUNCTYPE(None, c_void_p, POINTER(cv_event), c_void_p)
cv_receipt_deliver_fn = CFUNCTYPE(None, c_void_p, POINTER(cv_receipt))

_caps_fn = CFUNCTYPE(c_uint32, c_void_p)
_open_fn = CFUNCTYPE(c_enum, c_void_p, c_void_p)
_close_fn = CFUNCTYPE(None, c_void_p)
_payment_op_fn = CFUNCTYPE(c_enum, c_void_p, POINTER(cv_payment_request))


class cv_platform_ops(Structure):
    _fields_ = [
        ("abi_version", c_uint32),
        ("struct_size", c_uint32),
        ("random_bytes", CFUNCTYPE(None, c_void_p, c_void_p, c_size_t)),
        ("wall_clock_ms", CFUNCTYPE(c_int64, c_void_p)),
        ("log", CFUNCTYPE(None, c_void_p, c_enum, c_char_p)),
    ]


class cv_dispenser_ops(Structure):
    _fields_ = [
        ("abi_version", c_uint32),
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("caps", _caps_fn),
        ("open", _open_fn),
        ("close", _close_fn),
        ("start", CFUNCTYPE(c_enum, c_void_p, POINTER(cv_dispense_request))),
        ("stop", CFUNCTYPE(c_enum, c_void_p, c_uint16)),
    ]


class cv_sensor_ops(Structure):
    _fields_ = [
        ("abi_version", c_uint32),
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("open", _open_fn),
        ("close", _close_fn),
        ("arm", CFUNCTYPE(c_enum, c_void_p, c_uint32, c_uint16)),
        ("disarm", CFUNCTYPE(c_enum, c_void_p, c_uint32)),
    ]


class cv_payment_ops(Structure):
    _fields_ = [
        ("abi_version", c_uint32),
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("caps", _caps_fn),
        ("open", _open_fn),
        ("close", _close_fn),
        ("authorize", _payment_op_fn),
        ("capture", _payment_op_fn),
        ("void_auth", _payment_op_fn),
        ("lookup", _payment_op_fn),
        ("abort_collect", CFUNCTYPE(c_enum, c_void_p, c_uint32)),
        ("refund", _payment_op_fn),
        ("health", CFUNCTYPE(c_enum, c_void_p)),
        ("offline_status", CFUNCTYPE(c_enum, c_void_p, POINTER(cv_offline_status))),
    ]


class cv_storage_ops(Structure):
    _fields_ = [
        ("abi_version", c_uint32),
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("caps", _caps_fn),
        ("open", _open_fn),
        ("close", _close_fn),
        ("append", CFUNCTYPE(c_enum, c_void_p, c_uint64, c_void_p, c_size_t)),
        ("sync", CFUNCTYPE(c_enum, c_void_p, c_uint64)),
        ("read", CFUNCTYPE(c_enum, c_void_p, c_uint64, c_void_p, c_size_t, POINTER(c_size_t))),
        ("truncate", CFUNCTYPE(c_enum, c_void_p, c_uint64)),
        ("checkpoint_set", CFUNCTYPE(c_enum, c_void_p, c_uint64, c_uint64)),
        ("checkpoint_get", CFUNCTYPE(c_enum, c_void_p, POINTER(c_uint64), POINTER(c_uint64))),
        ("trim", CFUNCTYPE(c_enum, c_void_p, c_uint64)),
        ("checkpoint_set_tagged", CFUNCTYPE(c_enum, c_void_p, c_uint64, c_uint64, c_void_p, c_size_t)),
        ("checkpoint_get_tagged", CFUNCTYPE(c_enum, c_void_p, POINTER(c_uint64), POINTER(c_uint64), c_void_p,
                                            c_size_t, POINTER(c_size_t))),
        ("room", CFUNCTYPE(c_enum, c_void_p, POINTER(c_uint64))),
    ]


class cv_machine_config(Structure):
    _fields_ = [
        ("machine_id", c_char * CV_MACHINE_ID_LEN),
        ("merchant_name", c_char * CV_MERCHANT_TEXT_LEN),
        ("merchant_location", c_char * CV_MERCHANT_TEXT_LEN),
        ("currency", c_char * CV_CURRENCY_LEN),
        ("lanes", POINTER(cv_lane_config)),
        ("lane_count", c_uint16),
        ("timeouts", cv_timeouts),
        ("lookup_attempts_max", c_uint8),
        ("settle_attempts_max", c_uint16),
        ("journal_key", POINTER(c_uint8)),
        ("checkpoint_records", c_uint32),
        ("platform", POINTER(cv_platform_ops)),
        ("platform_ctx", c_void_p),
        ("dispenser", POINTER(cv_dispenser_ops)),
        ("dispenser_ctx", c_void_p),
        ("sensor", POINTER(cv_sensor_ops)),
        ("sensor_ctx", c_void_p),
        ("payment", POINTER(cv_payment_ops)),
        ("payment_ctx", c_void_p),
        ("storage", POINTER(cv_storage_ops)),
        ("storage_ctx", c_void_p),
        ("offline", cv_offline_policy),
        ("on_event", cv_event_fn),
        ("user_data", c_void_p),
        ("deliver_receipt", cv_receipt_deliver_fn),
        ("deliver_receipt_ctx", c_void_p),
        ("accept_volatile_journal", c_bool),
    ]


class cv_ram_storage(Structure):
    _fields_ = [
        ("buf", POINTER(c_uint8)),
        ("capacity", c_size_t),
        ("length", c_size_t),
        ("base", c_uint64),
        ("checkpoint_offset", c_uint64),
        ("checkpoint_seq", c_uint64),
        ("has_checkpoint", c_int),
        ("last_seq", c_uint64),
        ("synced_seq", c_uint64),
        ("sync_count", c_uint32),
        ("machine", c_void_p),
        ("checkpoint_tag", c_uint8 * CV_STORAGE_TAG_MAX),
        ("checkpoint_tag_length", c_size_t),
    ]


class cv_breaker_policy(Structure):
    _fields_ = [("failures_to_open", c_uint8), ("window_ms", c_uint32), ("open_ms", c_uint32),
                ("probes_to_close", c_uint8)]


class cv_breaker(Structure):
    _fields_ = [
        ("policy", cv_breaker_policy),
        ("state", c_enum),
        ("failures", c_uint8),
        ("good_probes", c_uint8),
        ("probe_out", c_bool),
        ("first_failure_ms", c_uint64),
        ("opened_ms", c_uint64),
        ("times_opened", c_uint32),
    ]


class cv_sim_config(Structure):
    _fields_ = [
        ("seed", c_uint64),
        ("lane_count", c_uint16),
        ("stock", c_uint16 * CV_LANES_MAX),
    ] + [(name, c_uint16) for name in (
        "decline_permille", "unknown_permille", "lookup_unknown_permille",
        "settle_unknown_permille", "jam_permille", "stuck_permille",
        "missed_drop_permille", "false_drop_permille")] + [
        ("payment_latency_ms", c_uint32),
        ("motor_ms", c_uint32),
        ("drop_delay_ms", c_uint32),
        ("link_count", c_uint8),
        ("link_outage_every_ms", c_uint32),
        ("link_outage_ms", c_uint32),
        ("offline_capable", c_bool),
    ]


class cv_sim_truth(Structure):
    _fields_ = [("stock", c_uint16 * CV_LANES_MAX)] + [(name, c_uint32) for name in (
        "items_dropped", "false_drops", "missed_drops", "sensor_reports", "holds_placed",
        "holds_open")] + [("held_minor", c_int64), ("captured_minor", c_int64)] + [
        (name, c_uint32) for name in (
            "captures", "voids", "motor_running", "auth_in_flight", "failovers",
            "link_refusals", "unknown_failovers", "pin_overflows", "breaker_opens",
            "offline_approvals", "offline_unsent")] + [
        ("offline_unsent_captured_minor", c_int64)]


class cv_posix_storage_config(Structure):
    _fields_ = [("directory", c_char_p), ("segment_size_bytes", c_uint64)]


# ---------------------------------------------------------------- system structs
class pollfd(Structure):
    """struct pollfd of <poll.h> (the gateway's and the GPIO backend's loop
    integration); checked against the compiler like the library's own."""
    _fields_ = [("fd", c_int), ("events", c_short), ("revents", c_short)]


# Structs of system headers that library prototypes use, by their C name.
SYSTEM_STRUCTS = {"pollfd": pollfd}


# ---------------------------------------------------------------- payment_gateway.h
cv_gateway_collect_fn = CFUNCTYPE(c_enum, c_void_p, c_void_p, c_uint32, POINTER(cv_money))
cv_gateway_abort_fn = CFUNCTYPE(None, c_void_p, c_void_p, c_uint32)
cv_gateway_log_fn = CFUNCTYPE(None, c_void_p, c_enum, c_char_p)


class cv_gateway_config(Structure):
    _fields_ = [
        ("links", c_char_p * CV_GATEWAY_LINKS_MAX),
        ("api_key", c_char_p),
        ("breaker", cv_breaker_policy),
        ("connect_timeout_ms", c_uint32),
        ("collect", cv_gateway_collect_fn),
        ("abort_collect", cv_gateway_abort_fn),
        ("reader_ctx", c_void_p),
        ("log", cv_gateway_log_fn),
        ("log_ctx", c_void_p),
        ("ca_file", c_char_p),
    ]


# ---------------------------------------------------------------- linux_gpio.h
class cv_gpio_lane_config(Structure):
    _fields_ = [
        ("label", c_char * CV_LANE_LABEL_LEN),
        ("motor_offset", c_uint32),
        ("motor_active", c_enum),
        ("index_offset", c_uint32),
        ("index_active", c_enum),
        ("pulses_per_turn", c_uint8),
    ]


class cv_gpio_config(Structure):
    _fields_ = [
        ("chip", c_char * CV_GPIO_CHIP_NAME_LEN),
        ("consumer", c_char * CV_GPIO_CONSUMER_LEN),
        ("lane_count", c_uint16),
        ("lanes", cv_gpio_lane_config * CV_GPIO_LANES_MAX),
        ("beam_offset", c_uint32),
        ("beam_active", c_enum),
        ("beam_debounce_ms", c_uint32),
        ("beam_stuck_ms", c_uint32),
        ("index_debounce_ms", c_uint32),
        ("motor_timeout_ms", c_uint32),
    ]


class cv_gpio_error(Structure):
    _fields_ = [("line", c_uint), ("message", c_char * CV_GPIO_ERROR_LEN)]


class cv_gpio_stats(Structure):
    _fields_ = [(name, c_uint32) for name in (
        "events_read", "pulses_ignored", "index_pulses", "beam_breaks", "drops_posted",
        "movements_done", "jams", "posts_deferred", "posts_lost", "io_errors")]


# Every struct mirrored here, by its C name (the layout test walks this).
STRUCTS = {cls.__name__: cls for cls in (
    cv_money, cv_alert, cv_display, cv_lane_config, cv_lane_info, cv_menu_item,
    cv_card_summary, cv_payment_request, cv_payment_result, cv_vend_info, cv_receipt,
    cv_dispense_result, cv_drop_event, cv_sensor_status, cv_storage_result, cv_card_read,
    cv_recovery, cv_lane_change, cv_event, cv_timeouts, cv_offline_policy, cv_machine_stats,
    cv_dispense_request, cv_offline_status, cv_platform_ops, cv_dispenser_ops, cv_sensor_ops,
    cv_payment_ops, cv_storage_ops, cv_machine_config, cv_ram_storage, cv_breaker_policy,
    cv_breaker, cv_sim_config, cv_sim_truth, cv_posix_storage_config,
    cv_gateway_config, cv_gpio_lane_config, cv_gpio_config, cv_gpio_error, cv_gpio_stats)}

# ---------------------------------------------------------------- prototypes
# name: (library, restype, [argtypes]). Handles are c_void_p; a `char *`
# output buffer is POINTER(c_char); `const char *` input is c_char_p.
_P = POINTER
HANDLE = c_void_p
CORE, SIM, POSIX = "candyvend", "candyvend-sim", "candyvend-posix"
GATEWAY, GPIO = "candyvend-gateway", "candyvend-gpio"

# Libraries built only when their Meson feature is on:
# name -> (Meson option, header, the structs that header defines).
OPTIONAL = {
    GATEWAY: ("gateway", "payment_gateway.h", ("cv_gateway_config",)),
    GPIO: ("gpio", "linux_gpio.h", ("cv_gpio_lane_config", "cv_gpio_config", "cv_gpio_error",
                                     "cv_gpio_stats")),
}

PROTOTYPES = {
    # status.h
    "cv_status_str": (CORE, c_char_p, [c_enum]),
    "cv_status_name": (CORE, c_char_p, [c_enum]),
    # money.h
    "cv_currency_is_valid": (CORE, c_int, [c_char_p]),
    "cv_currency_minor_digits": (CORE, c_uint, [c_char_p]),
    "cv_money_make": (CORE, c_enum, [c_int64, c_char_p, _P(cv_money)]),
    "cv_money_format": (CORE, c_enum, [_P(cv_money), _P(c_char), c_size_t]),
    # version.h
    "cv_version": (CORE, c_char_p, []),
    # alert.h
    "cv_alert_kind_code": (CORE, c_char_p, [c_enum]),
    "cv_alert_kind_str": (CORE, c_char_p, [c_enum]),
    # display.h
    "cv_msg_text": (CORE, c_char_p, [c_enum]),
    # event.h
    "cv_event_type_str": (CORE, c_char_p, [c_enum]),
    # lane.h
    "cv_lane_config_default": (CORE, None, [_P(cv_lane_config)]),
    "cv_lane_config_check": (CORE, c_enum, [_P(cv_lane_config), _P(c_char), c_size_t]),
    "cv_lane_availability_str": (CORE, c_char_p, [c_enum]),
    # payment.h
    "cv_pay_result_str": (CORE, c_char_p, [c_enum]),
    # vend.h
    "cv_vend_state_str": (CORE, c_char_p, [c_enum]),
    "cv_vend_reason_str": (CORE, c_char_p, [c_enum]),
    "cv_vend_state_is_terminal": (CORE, c_bool, [c_enum]),
    # receipt.h
    "cv_receipt_status_str": (CORE, c_char_p, [c_enum]),
    "cv_receipt_render": (CORE, c_enum, [_P(cv_receipt), c_uint, _P(c_char), c_size_t, _P(c_size_t)]),
    "cv_receipt_render_json": (CORE, c_enum, [_P(cv_receipt), _P(c_char), c_size_t, _P(c_size_t)]),
    # breaker.h
    "cv_breaker_policy_default": (CORE, None, [_P(cv_breaker_policy)]),
    "cv_breaker_init": (CORE, c_enum, [_P(cv_breaker), _P(cv_breaker_policy)]),
    "cv_breaker_state": (CORE, c_enum, [_P(cv_breaker), c_uint64]),
    "cv_breaker_allows": (CORE, c_bool, [_P(cv_breaker), c_uint64]),
    "cv_breaker_take_probe": (CORE, c_bool, [_P(cv_breaker), c_uint64]),
    "cv_breaker_record": (CORE, None, [_P(cv_breaker), c_uint64, c_bool]),
    "cv_breaker_state_str": (CORE, c_char_p, [c_enum]),
    # storage_ram.h
    "cv_ram_storage_init": (CORE, None, [_P(cv_ram_storage), c_void_p, c_size_t]),
    # machine.h
    "cv_machine_config_default": (CORE, None, [_P(cv_machine_config)]),
    "cv_machine_config_check": (CORE, c_enum, [_P(cv_machine_config), _P(c_char), c_size_t]),
    "cv_machine_errmsg": (CORE, c_char_p, [HANDLE]),
    "cv_machine_sealing_available": (CORE, c_bool, []),
    "cv_machine_size": (CORE, c_size_t, []),
    "cv_machine_init": (CORE, c_enum, [c_void_p, c_size_t, _P(cv_machine_config), _P(HANDLE)]),
    "cv_machine_deinit": (CORE, None, [HANDLE]),
    "cv_machine_new": (CORE, c_enum, [_P(cv_machine_config), _P(HANDLE)]),
    "cv_machine_free": (CORE, None, [HANDLE]),
    "cv_machine_step": (CORE, c_enum, [HANDLE, c_uint64]),
    "cv_machine_post": (CORE, c_enum, [HANDLE, _P(cv_event)]),
    "cv_storage_post_synced": (CORE, c_enum, [HANDLE, c_uint64]),
    "cv_machine_select": (CORE, c_enum, [HANDLE, c_uint16, _P(c_uint32)]),
    "cv_machine_cancel": (CORE, c_enum, [HANDLE]),
    "cv_machine_display": (CORE, c_enum, [HANDLE, _P(cv_display)]),
    "cv_machine_menu": (CORE, c_enum, [HANDLE, _P(cv_menu_item), c_size_t, _P(c_size_t)]),
    "cv_machine_lane_count": (CORE, c_uint16, [HANDLE]),
    "cv_machine_lane_info": (CORE, c_enum, [HANDLE, c_uint16, _P(cv_lane_info)]),
    "cv_machine_lane_find": (CORE, c_enum, [HANDLE, c_char_p, _P(c_uint16)]),
    "cv_machine_vend_info": (CORE, c_enum, [HANDLE, c_uint32, _P(cv_vend_info)]),
    "cv_machine_open_vends": (CORE, c_uint, [HANDLE]),
    "cv_machine_stats": (CORE, c_enum, [HANDLE, _P(cv_machine_stats)]),
    "cv_machine_service_enter": (CORE, c_enum, [HANDLE]),
    "cv_machine_service_exit": (CORE, c_enum, [HANDLE]),
    "cv_machine_in_service": (CORE, c_bool, [HANDLE]),
    "cv_machine_lane_refill": (CORE, c_enum, [HANDLE, c_uint16, c_uint16]),
    "cv_machine_lane_set_count": (CORE, c_enum, [HANDLE, c_uint16, c_uint16]),
    "cv_machine_lane_set_price": (CORE, c_enum, [HANDLE, c_uint16, c_int64]),
    "cv_machine_lane_set_enabled": (CORE, c_enum, [HANDLE, c_uint16, c_bool]),
    "cv_machine_lane_clear_quarantine": (CORE, c_enum, [HANDLE, c_uint16]),
    "cv_machine_lane_configure": (CORE, c_enum, [HANDLE, c_uint16, _P(cv_lane_config)]),
    # sim.h
    "cv_sim_config_default": (SIM, None, [_P(cv_sim_config)]),
    "cv_sim_new": (SIM, c_enum, [_P(cv_sim_config), _P(HANDLE)]),
    "cv_sim_free": (SIM, None, [HANDLE]),
    "cv_sim_step": (SIM, None, [HANDLE, c_uint64]),
    "cv_sim_present_card": (SIM, c_enum, [HANDLE, c_enum]),
    "cv_sim_is_collecting": (SIM, c_bool, [HANDLE]),
    "cv_sim_set_auto_card": (SIM, None, [HANDLE, c_bool]),
    "cv_sim_set_link": (SIM, c_enum, [HANDLE, c_uint, c_bool]),
    "cv_sim_script_fault": (SIM, c_enum, [HANDLE, c_enum]),
    "cv_sim_set_sensor_fault": (SIM, None, [HANDLE, c_bool]),
    "cv_sim_load": (SIM, c_enum, [HANDLE, c_uint16, c_uint16]),
    "cv_sim_truth": (SIM, None, [HANDLE, _P(cv_sim_truth)]),
    "cv_sim_hold_amount": (SIM, c_enum, [HANDLE, c_char_p, _P(c_int64)]),
    "cv_sim_attach": (SIM, None, [HANDLE, _P(cv_machine_config)]),
    "cv_sim_power_cut": (SIM, c_enum, [HANDLE]),
    "cv_sim_state_size": (SIM, c_size_t, []),
    "cv_sim_state_save": (SIM, c_enum, [HANDLE, c_void_p, c_size_t]),
    "cv_sim_state_restore": (SIM, c_enum, [HANDLE, c_void_p, c_size_t, c_uint64]),
    # storage_posix.h
    "cv_posix_storage_config_default": (POSIX, None, [_P(cv_posix_storage_config)]),
    "cv_posix_storage_open": (POSIX, c_enum, [_P(cv_posix_storage_config), _P(HANDLE)]),
    "cv_posix_storage_open_with_error": (POSIX, c_enum, [_P(cv_posix_storage_config), _P(HANDLE), _P(c_char),
                                                         c_size_t]),
    "cv_posix_storage_close": (POSIX, None, [HANDLE]),
    "cv_posix_storage_sync_count": (POSIX, c_uint64, [HANDLE]),
    "cv_posix_storage_length": (POSIX, c_uint64, [HANDLE]),
    "cv_posix_storage_segment_count": (POSIX, c_uint32, [HANDLE]),
    # payment_gateway.h
    "cv_gateway_new": (GATEWAY, c_enum, [_P(cv_gateway_config), _P(HANDLE)]),
    "cv_gateway_free": (GATEWAY, None, [HANDLE]),
    "cv_gateway_pollfds": (GATEWAY, c_size_t, [HANDLE, _P(pollfd), c_size_t]),
    "cv_gateway_timeout_ms": (GATEWAY, c_int, [HANDLE, c_uint64]),
    "cv_gateway_process": (GATEWAY, None, [HANDLE, c_uint64, _P(pollfd), c_size_t]),
    "cv_gateway_card_token": (GATEWAY, c_enum, [HANDLE, c_uint32, c_char_p, _P(cv_card_summary)]),
    "cv_gateway_card_failed": (GATEWAY, c_enum, [HANDLE, c_uint32, c_enum]),
    "cv_gateway_link_state": (GATEWAY, c_enum, [HANDLE, c_uint]),
    # linux_gpio.h
    "cv_gpio_config_default": (GPIO, None, [_P(cv_gpio_config)]),
    "cv_gpio_config_parse": (GPIO, c_enum, [c_char_p, c_size_t, _P(cv_gpio_config),
                                            _P(cv_gpio_error)]),
    "cv_gpio_config_load": (GPIO, c_enum, [c_char_p, _P(cv_gpio_config), _P(cv_gpio_error)]),
    "cv_gpio_config_check": (GPIO, c_enum, [_P(cv_gpio_config), _P(cv_gpio_error)]),
    "cv_gpio_open": (GPIO, c_enum, [_P(cv_gpio_config), _P(HANDLE), _P(cv_gpio_error)]),
    "cv_gpio_close": (GPIO, None, [HANDLE]),
    "cv_gpio_attach": (GPIO, None, [HANDLE, _P(cv_machine_config)]),
    "cv_gpio_pollfds": (GPIO, c_size_t, [HANDLE, _P(pollfd), c_size_t]),
    "cv_gpio_timeout_ms": (GPIO, c_int, [HANDLE, c_uint64]),
    "cv_gpio_process": (GPIO, None, [HANDLE, c_uint64]),
    "cv_gpio_lane_quarter_turns_min": (GPIO, c_uint8, [HANDLE, c_uint16]),
    "cv_gpio_stats": (GPIO, None, [HANDLE, _P(cv_gpio_stats)]),
}

# Exported data: the backend tables. name: (library, type).
DATA = {
    "cv_ram_storage_ops": (CORE, cv_storage_ops),
    "cv_sim_platform_ops": (SIM, cv_platform_ops),
    "cv_sim_dispenser_ops": (SIM, cv_dispenser_ops),
    "cv_sim_sensor_ops": (SIM, cv_sensor_ops),
    "cv_sim_payment_ops": (SIM, cv_payment_ops),
    "cv_posix_storage_ops": (POSIX, cv_storage_ops),
    "cv_gateway_payment_ops": (GATEWAY, cv_payment_ops),
    "cv_gpio_dispenser_ops": (GPIO, cv_dispenser_ops),
    "cv_gpio_sensor_ops": (GPIO, cv_sensor_ops),
}

# Functions whose handle arguments must never be NULL: the wrappers check
# that before calling (see candyvend._handles).


# ---------------------------------------------------------------- loading
def _candidates(name):
    dirs = os.environ.get("CANDYVEND_LIB_DIR", "")
    for d in [d for d in dirs.split(os.pathsep) if d]:
        for file in ("lib%s.so.%s" % (name, SOVERSION), "lib%s.so" % name):
            path = os.path.join(d, file)
            if os.path.exists(path):
                yield path
    yield "lib%s.so.%s" % (name, SOVERSION)


def _load(name):
    errors = []
    for candidate in _candidates(name):
        try:
            # RTLD_GLOBAL so the backends' libraries bind to this same core.
            return ctypes.CDLL(candidate, mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            errors.append(str(exc))
    raise ImportError("cannot load lib%s (set CANDYVEND_LIB_DIR to the directories holding "
                      "it): %s" % (name, "; ".join(errors)))


class _Libraries:
    """The loaded libraries, with every prototype declared on them.

    libs: name -> CDLL of every library loaded; missing: name -> why an
    optional library is not (its functions and data are then not declared)."""

    def __init__(self):
        self.libs = {}
        self.missing = {}
        for name in (CORE, SIM, POSIX):
            self.libs[name] = _load(name)
        for name in OPTIONAL:
            try:
                self.libs[name] = _load(name)
            except ImportError as exc:
                self.missing[name] = str(exc)
        self.functions = {}
        for fname, (lib, restype, argtypes) in PROTOTYPES.items():
            if lib not in self.libs:
                continue
            fn = getattr(self.libs[lib], fname)
            fn.restype = restype
            fn.argtypes = argtypes
            self.functions[fname] = fn
            setattr(self, fname[3:], fn)  # cv_machine_step -> lib.machine_step
        self.data = {}
        for dname, (lib, ctype) in DATA.items():
            if lib not in self.libs:
                continue
            value = ctype.in_dll(self.libs[lib], dname)
            self.data[dname] = value
            setattr(self, dname[3:], value)

    def has(self, name):
        """Whether library `name` ("candyvend-gpio", ...) is loaded."""
        return name in self.libs


lib = _Libraries()
