# SPDX-License-Identifier: MIT
"""The C enums as Python IntEnums (values checked against the headers by
tests/python/test_declarations.py)."""
from enum import IntEnum


class Status(IntEnum):
    """enum cv_status (5, 12 and 13 are unused: removed, never reused)."""
    OK = 0
    PENDING = 1
    E_INVAL = 2
    E_NOMEM = 3
    E_BUSY = 4
    E_IO = 6
    E_NOTSUP = 7
    E_VERSION = 8
    E_FULL = 9
    E_CORRUPT = 10
    E_JAM = 11
    E_STATE = 14
    E_NOT_FOUND = 15
    E_SOLD_OUT = 16
    E_OUT_OF_SERVICE = 17
    E_NOT_PRICED = 18
    E_SENSOR = 19
    E_MISUSE = 20
    E_PAYMENT_UNAVAILABLE = 21


class AlertKind(IntEnum):
    """enum cv_alert_kind."""
    SOLD_OUT = 0
    LOW_STOCK = 1
    MOTOR_JAM = 2
    LANE_QUARANTINED = 3
    DETECTOR_FAULT = 4
    JOURNAL_FAULT = 5
    SETTLEMENT_FAILED = 6
    UNVERIFIED_VEND = 7
    SETTLEMENT_STALLED = 8
    PAYMENT_LINK_DOWN = 9


class Msg(IntEnum):
    """enum cv_msg: what the customer's screen says."""
    CHOOSE_PRODUCT = 0
    PRESENT_CARD = 1
    AUTHORIZING = 2
    DECLINED_TRY_AGAIN = 3
    CHECKING_PAYMENT = 4
    DISPENSING = 5
    TAKE_PRODUCT = 6
    NOT_DISPENSED = 7
    CANCELLED = 8
    PAYMENT_FAILED = 9
    SOLD_OUT = 10
    UNAVAILABLE = 11
    OUT_OF_SERVICE = 12
    SERVICE_MODE = 13
    PLEASE_WAIT = 14
    CARD_UNAVAILABLE = 15


class EventType(IntEnum):
    """enum cv_event_type."""
    PAYMENT_RESULT = 0
    DISPENSE_DONE = 1
    DROP_DETECTED = 2
    SENSOR_STATUS = 3
    STORAGE_SYNCED = 4
    CARD_READ = 5
    VEND_STATE = 16
    DISPLAY = 17
    ALERT = 18
    RECEIPT = 19
    LANE_CHANGED = 20
    RECOVERY = 21


class RecoveryAction(IntEnum):
    """enum cv_recovery_action."""
    TAIL_TRUNCATED = 0
    DISCARDED = 1
    LOOKUP_THEN_VOID = 2
    VOID = 3
    VOID_UNVERIFIED = 4
    CAPTURE_RESEND = 5
    VOID_RESEND = 6
    CAPTURE_PROVEN = 7


class VerifyMode(IntEnum):
    """enum cv_verify_mode."""
    REQUIRED = 0
    OPTIONAL = 1
    OFF = 2


class LaneAvailability(IntEnum):
    """enum cv_lane_availability."""
    AVAILABLE = 0
    SOLD_OUT = 1
    DISABLED = 2
    QUARANTINED = 3
    NOT_PRICED = 4
    NO_SENSOR = 5


class PaymentOp(IntEnum):
    """enum cv_payment_op."""
    AUTHORIZE = 0
    CAPTURE = 1
    VOID = 2
    LOOKUP = 3
    REFUND = 4


class PayResult(IntEnum):
    """enum cv_pay_result."""
    OK = 0
    DECLINED = 1
    CANCELLED = 2
    NOT_SENT = 3
    NOT_FOUND = 4
    INVALID = 5
    UNKNOWN = 6
    RATE_LIMITED = 7
    EXPIRED = 8
    CONFLICT = 9
    READER_FAULT = 10


class DeclineReason(IntEnum):
    """enum cv_decline_reason."""
    NONE = 0
    GENERIC = 1
    INSUFFICIENT = 2
    EXPIRED_CARD = 3
    TRY_CONTACT = 4
    CVM_REQUIRED = 5
    OFFLINE_REFUSED = 6


class CardEntry(IntEnum):
    """enum cv_card_entry."""
    UNKNOWN = 0
    CONTACTLESS = 1
    CHIP = 2
    MOBILE_WALLET = 3


class VendState(IntEnum):
    """enum cv_vend_state; values >= CAPTURED are terminal."""
    SELECTED = 0
    AUTH_PENDING = 1
    AUTH_LOOKUP = 2
    AUTH_DECLINED = 3
    AUTHORIZED = 4
    DISPENSING = 5
    VERIFYING = 6
    CAPTURE_PENDING = 7
    VOID_PENDING = 8
    CAPTURED = 9
    VOIDED = 10
    ABANDONED = 11
    CAPTURE_FAILED = 12
    VOID_FAILED = 13

    @property
    def is_terminal(self):
        return self >= VendState.CAPTURED


class VendReason(IntEnum):
    """enum cv_vend_reason."""
    NONE = 0
    DECLINED = 1
    CUSTOMER_CANCEL = 2
    PAYMENT_TIMEOUT = 3
    PAYMENT_UNKNOWN = 4
    NO_DROP = 5
    MOTOR_JAM = 6
    MOTOR_TIMEOUT = 7
    SENSOR_FAULT = 8
    SESSION_TIMEOUT = 9
    PAYMENT_FAILED = 10
    SHORT_AUTHORIZATION = 11
    DISPENSER_ERROR = 12
    JOURNAL_FAULT = 13
    POWER_LOSS = 14
    OFFLINE_POLICY = 15


class ReceiptStatus(IntEnum):
    """enum cv_receipt_status."""
    CHARGED = 0
    NOT_CHARGED = 1
    CHARGE_FAILED = 2


class LogLevel(IntEnum):
    """enum cv_log_level."""
    ERROR = 0
    WARN = 1
    INFO = 2
    DEBUG = 3


class BreakerState(IntEnum):
    """enum cv_breaker_state."""
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class SimCard(IntEnum):
    """enum cv_sim_card: the simulated reader's test cards."""
    APPROVED = 0
    WALLET = 1
    DECLINED = 2
    INSUFFICIENT = 3
    TIMEOUT_APPROVED = 4
    TIMEOUT_NOT_CHARGED = 5
    SLOW = 6


class SimFault(IntEnum):
    """enum cv_sim_fault: faults scripted for the next operation of their kind."""
    AUTH_NOT_SENT = 0
    AUTH_SILENT = 1
    LOOKUP_UNKNOWN = 2
    CAPTURE_UNKNOWN = 3
    CAPTURE_REJECTED = 4
    VOID_UNKNOWN = 5
    MOTOR_JAM = 6
    MOTOR_SILENT = 7
    PRODUCT_STUCK = 8
    PRODUCT_WEDGED = 9
    MISSED_DROP = 10
    FALSE_DROP = 11


# C enum name -> (Python enum, prefix of its C constants), for the declaration check.
class GpioActive(IntEnum):
    """enum cv_gpio_active (linux_gpio.h): which level of a GPIO line is "on"."""
    HIGH = 0
    LOW = 1


C_ENUMS = {
    "cv_status": (Status, "CV_"),
    "cv_alert_kind": (AlertKind, "CV_ALERT_"),
    "cv_msg": (Msg, "CV_MSG_"),
    "cv_event_type": (EventType, "CV_EVENT_"),
    "cv_recovery_action": (RecoveryAction, "CV_RECOVERY_"),
    "cv_verify_mode": (VerifyMode, "CV_VERIFY_MODE_"),
    "cv_lane_availability": (LaneAvailability, "CV_LANE_"),
    "cv_payment_op": (PaymentOp, "CV_PAYMENT_OP_"),
    "cv_pay_result": (PayResult, "CV_PAY_"),
    "cv_decline_reason": (DeclineReason, "CV_DECLINE_"),
    "cv_card_entry": (CardEntry, "CV_CARD_ENTRY_"),
    "cv_vend_state": (VendState, "CV_VEND_STATE_"),
    "cv_vend_reason": (VendReason, "CV_VEND_REASON_"),
    "cv_receipt_status": (ReceiptStatus, "CV_RECEIPT_"),
    "cv_log_level": (LogLevel, "CV_LOG_"),
    "cv_breaker_state": (BreakerState, "CV_BREAKER_"),
    "cv_sim_card": (SimCard, "CV_SIM_CARD_"),
    "cv_sim_fault": (SimFault, "CV_SIM_FAULT_"),
    "cv_gpio_active": (GpioActive, "CV_GPIO_ACTIVE_"),
}
