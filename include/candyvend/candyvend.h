/* SPDX-License-Identifier: MIT */
/**
 * @file candyvend.h
 * @brief Umbrella header: includes the whole public API.
 */
#ifndef CANDYVEND_CANDYVEND_H
#define CANDYVEND_CANDYVEND_H

#include <candyvend/alert.h>
#include <candyvend/backend.h>
#include <candyvend/breaker.h>
#include <candyvend/display.h>
#include <candyvend/event.h>
#include <candyvend/lane.h>
#include <candyvend/machine.h>
#include <candyvend/money.h>
#include <candyvend/payment.h>
#include <candyvend/receipt.h>
#include <candyvend/status.h>
#include <candyvend/storage_ram.h>
#include <candyvend/vend.h>
#include <candyvend/version.h>

/**
 * @mainpage libcandyvend
 *
 * libcandyvend runs the controller of a cashless candy vending machine: the
 * customer picks a lane, pays by card, NFC or mobile wallet, the machine
 * dispenses, verifies the drop with a sensor, and only then captures the
 * payment; a vend that did not drop is voided. Every step is journaled
 * before its side effect.
 *
 * Start with @ref machine, then @ref backend for plugging in hardware.
 * All headers are reachable through `#include <candyvend/candyvend.h>`.
 *
 * Thread safety: the library is thread-aware, not thread-safe: one machine
 * is used by one thread at a time, separate machines are independent, and
 * the `*_str()` helpers may be called from anywhere.
 *
 * Two backends ship as libraries of their own, with their own headers and
 * pkg-config files: the simulated machine (@ref sim, `<candyvend/sim.h>`,
 * `pkg-config candyvend-sim`) and the durable journal in files
 * (@ref storage_posix, `<candyvend/storage_posix.h>`, `pkg-config candyvend-posix`).
 *
 * Every declaration carries the version that introduced it (`@since`);
 * the ELF symbol version of the same release is `CANDYVEND_<version>`.
 * Guides (getting started, writing a backend, porting to an MCU, the vend
 * state machine, the journal format, the Python bindings) are in `docs/`.
 */

#endif
