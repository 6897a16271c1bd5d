# SPDX-License-Identifier: MIT
"""JSON receipts checked with a real parser.

receipt_json_dump (path in CV_RECEIPT_JSON_DUMP) writes one "<case>\\t<json>"
line per tricky input; each must be strict UTF-8, strict JSON, with the keys
in the schema's order and the values the C side was given.
"""
import json
import os
import re
import subprocess

import pytest

KEYS = ["schema", "vend_id", "status", "merchant_name", "merchant_location", "machine_id",
        "time", "lane", "lane_label", "product_id", "product_name",
        "amount_minor", "currency", "card", "offline_pending"]
CARD_KEYS = ["brand", "last4", "entry", "auth_code", "aid", "app_label"]


def _load():
    exe = os.environ.get("CV_RECEIPT_JSON_DUMP")
    if not exe:
        pytest.fail("CV_RECEIPT_JSON_DUMP is not set (run through meson test)")
    out = subprocess.run([exe], check=True, stdout=subprocess.PIPE).stdout
    records = {}
    for line in out.split(b"\n")[:-1]:
        name, _, text = line.partition(b"\t")
        # Strict UTF-8, and the JSON must be one line (no raw newline inside).
        records[name.decode()] = (text, json.loads(text.decode("utf-8", errors="strict"),
                                                   object_pairs_hook=_no_duplicates))
    return records


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)


RECORDS = _load()


def test_every_case_was_written():
    named = {n for n in RECORDS if not n.startswith("all_bytes_")}
    assert named == {"plain", "quotes_backslashes", "control_bytes", "utf8", "invalid_utf8",
                     "max_length", "no_card_voided", "offline_masked"}
    assert len(RECORDS) - len(named) >= 2


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_schema_and_key_order(name):
    text, record = RECORDS[name]
    assert list(record) == KEYS
    assert list(record["card"]) == CARD_KEYS
    assert record["schema"] == "cv.receipt.v1"
    assert isinstance(record["amount_minor"], int)
    assert isinstance(record["time"], str)
    assert b"time_ms" not in text, "no 13-digit ms count for card scanners to trip on"
    assert isinstance(record["offline_pending"], bool)
    assert len(text) < 2560, "CV_RECEIPT_JSON_MAX"


def test_plain_values():
    r = RECORDS["plain"][1]
    assert r == {
        "schema": "cv.receipt.v1", "vend_id": "01jgz3q8w7k5m2n4p6r8t0v2xa", "status": "captured",
        "merchant_name": "Sweet Corner Ltd", "merchant_location": "Main St 5, Springfield",
        "machine_id": "VM-0042", "time": "2026-01-01T12:00:00.123Z",
        "lane": 3, "lane_label": "A4", "product_id": "SKU-123", "product_name": "Chocolate Bar",
        "amount_minor": 150, "currency": "USD",
        "card": {"brand": "VISA", "last4": "4242", "entry": "contactless",
                 "auth_code": "A1B2C3", "aid": "A0000000031010", "app_label": "VISA CREDIT"},
        "offline_pending": False,
    }


def test_quotes_and_backslashes_round_trip():
    r = RECORDS["quotes_backslashes"][1]
    assert r["product_name"] == 'Say "hi" \\o/ C:\\\\x'
    assert r["merchant_name"] == '"\\"\\'


def test_control_bytes_round_trip_as_u00xx():
    text, r = RECORDS["control_bytes"]
    assert r["product_name"] == "a\nb\rc\td\x01e\x1ff\x7fg\bh\fi"
    assert b"\\u000a" in text and b"\\u007f" in text
    assert not any(b < 0x20 or b == 0x7f for b in text)


def test_valid_utf8_is_kept():
    assert RECORDS["utf8"][1]["product_name"] == "Crème brûlée € \U0001F36C"


def test_invalid_utf8_becomes_replacement_characters():
    assert RECORDS["invalid_utf8"][1]["product_name"] == \
        "x\ufffdy\ufffd\ufffdz\ufffd\ufffd\ufffdw\ufffd\ufffd\ufffd\ufffdv\ufffd\ufffd"


def test_all_bytes():
    parts = sorted((n for n in RECORDS if n.startswith("all_bytes_")), key=lambda n: int(n[10:]))
    joined = ""
    for name in parts:
        r = RECORDS[name][1]
        joined += "".join(r[k] or "" for k in
                          ("product_name", "merchant_name", "merchant_location", "product_id"))
    # ASCII comes back as given; every byte from 0x80 is alone, so not UTF-8.
    assert joined == "".join(chr(b) for b in range(1, 0x80)) + "\ufffd" * 0x80


def test_max_length_fields():
    r = RECORDS["max_length"][1]
    assert r["vend_id"] == '"' * 26
    assert r["merchant_name"] == '"' * 39
    assert r["merchant_location"] == "\\" * 39
    assert r["machine_id"] == "\x01" * 31
    assert r["lane_label"] == "\ufffd" * 7
    assert r["product_id"] == "\x1f" * 23
    assert r["product_name"] == "\ufffd" * 31
    assert r["card"] == {"brand": '"' * 15, "last4": "4242", "entry": "mobile_wallet",
                         "auth_code": "\n" * 11, "aid": "\\" * 32, "app_label": "\x7f" * 16}
    assert r["amount_minor"] == -2**63
    assert r["lane"] == 65535
    assert r["status"] == "capture_failed"
    assert r["offline_pending"] is True


def test_absent_fields_are_null():
    r = RECORDS["no_card_voided"][1]
    assert r["status"] == "voided"
    assert r["merchant_name"] is None and r["merchant_location"] is None
    assert r["card"] == dict.fromkeys(CARD_KEYS)
    assert r["amount_minor"] == 2**63 - 1


def test_offline_and_digits_masked():
    r = RECORDS["offline_masked"][1]
    assert r["offline_pending"] is True
    assert r["time"] == "1969-12-31T23:59:59.999Z"
    assert r["card"]["brand"] == "VISA ****"
    assert r["card"]["app_label"] == "CARD ******"
    assert r["card"]["entry"] == "chip"


def test_the_header_documents_exactly_these_keys_in_this_order():
    """include/candyvend/receipt.h lists the schema's keys: it must say what the code writes."""
    header = os.environ.get("CV_RECEIPT_HEADER")
    if not header:
        pytest.fail("CV_RECEIPT_HEADER is not set (run through meson test)")
    text = open(header, encoding="utf-8").read()
    doc = text[text.index("Schema \"cv.receipt.v1\""):text.index("@param receipt The receipt.", text.index("Schema"))]
    doc = " ".join(line.strip().lstrip("*").strip() for line in doc.splitlines())
    card_at = doc.index("`card`")
    top = [k for k in re.findall(r"`([a-z_0-9]+)`", doc[:card_at])] + ["card"]
    tail = re.findall(r"`([a-z_0-9]+)`", doc[card_at:])
    card = tail[1:1 + len(CARD_KEYS)]
    rest = [k for k in tail[1 + len(CARD_KEYS):] if k != "null"]
    assert top + rest[:1] == KEYS, (top + rest[:1], KEYS)
    assert card == CARD_KEYS, card
