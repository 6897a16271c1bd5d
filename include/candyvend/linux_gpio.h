/* SPDX-License-Identifier: MIT */
/**
 * @file linux_gpio.h
 * @brief Dispenser and drop-sensor backends on Linux GPIO lines through
 * libgpiod's v1 API (library candyvend-gpio).
 */
#ifndef CANDYVEND_LINUX_GPIO_H
#define CANDYVEND_LINUX_GPIO_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <candyvend/backend.h>
#include <candyvend/lane.h>
#include <candyvend/machine.h>
#include <candyvend/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup linux_gpio Linux GPIO backends
 * @brief Lane motors, home/index switches and the drop beam on GPIO lines of
 * one gpiochip, through libgpiod 1.6 (the v1 API Debian 12 ships).
 *
 * One ::cv_gpio object is the ctx of both tables (::cv_gpio_dispenser_ops,
 * ::cv_gpio_sensor_ops). Each lane has a motor output and a home/index
 * switch input that closes @ref cv_gpio_lane_config::pulses_per_turn times
 * per turn; a movement of N quarter turns runs the motor until
 * N × pulses_per_turn / 4 switch activations were counted, then stops it
 * and posts ::CV_EVENT_DISPENSE_DONE with ::CV_OK. No activation within
 * @ref cv_gpio_config::motor_timeout_ms (from the start or from the
 * previous activation) stops the motor and posts ::CV_E_JAM. The drop beam
 * posts ::CV_EVENT_DROP_DETECTED for each debounced break while armed, and
 * ::CV_EVENT_SENSOR_STATUS when it stays blocked longer than
 * @ref cv_gpio_config::beam_stuck_ms (faulted) and when it clears again.
 *
 * ## Debounce
 *
 * An input changes its debounced level only when the new raw level has
 * lasted at least its debounce time: a pulse shorter than that (two edges
 * closer than debounce_ms, by the kernel's event timestamps) is ignored.
 * A level is taken as stable either when the next edge comes at least
 * debounce_ms later, or when cv_gpio_process() runs debounce_ms after the
 * edge was read and no other edge came.
 *
 * ## Loop integration
 *
 * Nothing blocks. The application puts the line event descriptors from
 * cv_gpio_pollfds() into its poll set, waits at most cv_gpio_timeout_ms(),
 * and then calls cv_gpio_process() and cv_machine_step() with the same
 * monotonic time, in that order. Line events are read only from descriptors
 * that poll() reports readable, so a read never waits.
 *
 * Thread safety: like the machine, one ::cv_gpio serves one thread.
 * @{
  * @since 0.1
 */

/** @brief Most lanes a GPIO configuration can hold (the machine's limit). */
#define CV_GPIO_LANES_MAX CV_LANES_MAX
/** @brief Size of the chip name buffer ("gpiochip0" or a /dev path), NUL included. */
#define CV_GPIO_CHIP_NAME_LEN 64
/** @brief Size of the consumer name buffer, NUL included. */
#define CV_GPIO_CONSUMER_LEN 32
/** @brief Highest line offset a configuration may name. */
#define CV_GPIO_OFFSET_MAX 65535u
/** @brief Most index pulses per turn. */
#define CV_GPIO_PULSES_PER_TURN_MAX 16u
/** @brief Size of an error message buffer, NUL included. */
#define CV_GPIO_ERROR_LEN 160
/** @brief Most line events read from one line in one cv_gpio_process(). */
#define CV_GPIO_EVENTS_PER_PROCESS 64u
/** @brief Completions held back while the engine's queue is full: two per vend the engine can run. */
#define CV_GPIO_OUTBOX_MAX 16u

/** @brief Which physical level means "on" / "active". */
enum cv_gpio_active {
	CV_GPIO_ACTIVE_HIGH = 0, /**< Active (motor on, switch closed, beam broken) at level 1. */
	CV_GPIO_ACTIVE_LOW = 1,  /**< Active at level 0. */
};

/** @brief The lines of one lane. */
struct cv_gpio_lane_config {
	char label[CV_LANE_LABEL_LEN];    /**< Lane label as in the planogram ("A1"). */
	uint32_t motor_offset;            /**< Motor output line. */
	enum cv_gpio_active motor_active; /**< Level that runs the motor. */
	uint32_t index_offset;            /**< Home/index switch input line. */
	enum cv_gpio_active index_active; /**< Level of a closed switch. */
	uint8_t pulses_per_turn;          /**< Switch activations per turn, 1..::CV_GPIO_PULSES_PER_TURN_MAX. */
};

/** @brief A GPIO configuration, usually parsed from a file. */
struct cv_gpio_config {
	char chip[CV_GPIO_CHIP_NAME_LEN];    /**< "gpiochip0" (opened by name) or a path starting with '/'. */
	char consumer[CV_GPIO_CONSUMER_LEN]; /**< Consumer name shown by gpioinfo (default "candyvend"). */
	uint16_t lane_count;                 /**< Lanes, 1..::CV_GPIO_LANES_MAX; lane i is the machine's lane i. */
	struct cv_gpio_lane_config lanes[CV_GPIO_LANES_MAX]; /**< The lanes, in machine order. */
	uint32_t beam_offset;                                /**< Drop beam input line. */
	enum cv_gpio_active beam_active;                     /**< Level of a broken (blocked) beam. */
	uint32_t beam_debounce_ms;  /**< Beam pulses shorter than this are ignored (default 5). */
	uint32_t beam_stuck_ms;     /**< Blocked longer than this: sensor faulted (default 2000). */
	uint32_t index_debounce_ms; /**< Switch pulses shorter than this are ignored (default 2). */
	uint32_t motor_timeout_ms;  /**< Longest wait for the next index pulse (default 3000). */
};

/** @brief Where a configuration or an open went wrong. */
struct cv_gpio_error {
	unsigned line;                   /**< 1-based line of the configuration text, 0 if none. */
	char message[CV_GPIO_ERROR_LEN]; /**< What is wrong, in words. */
};

/** @struct cv_gpio
 * @brief Opaque GPIO backend state: the chip, the requested lines, the lanes' movements. */
struct cv_gpio;

/**
 * @brief Fills a configuration with the defaults: no chip, no lanes, no beam,
 * consumer "candyvend", the default timings.
 * @param config The configuration to fill.
  * @since 0.1
 */
void cv_gpio_config_default(struct cv_gpio_config *config);

/**
 * @brief Parses a configuration text (see docs/linux-gpio.md for the format).
 * Every problem is an error: unknown key, bad or out-of-range number, an
 * offset used twice, a lane without motor or index, a missing chip, beam or
 * lane, a duplicate key or lane label.
 * @param text The text; need not be NUL-terminated, NUL bytes are refused.
 * @param length Its length in bytes.
 * @param out Receives the configuration (on error its content is unspecified).
 * @param error Receives the line and the message on error; may be NULL.
 * @retval CV_OK on success.
 * @retval CV_E_INVAL on any error in the text.
  * @since 0.1
 */
enum cv_status cv_gpio_config_parse(const char *text, size_t length, struct cv_gpio_config *out,
				    struct cv_gpio_error *error);

/**
 * @brief Reads a configuration file (at most 64 KiB) and parses it.
 * @param path The file.
 * @param out Receives the configuration.
 * @param error Receives the line and the message on error; may be NULL.
 * @retval CV_OK on success.
 * @retval CV_E_IO if the file cannot be read.
 * @retval CV_E_INVAL on an error in the text, or a file over 64 KiB.
  * @since 0.1
 */
enum cv_status cv_gpio_config_load(const char *path, struct cv_gpio_config *out, struct cv_gpio_error *error);

/**
 * @brief Checks a configuration as cv_gpio_config_parse() does for a parsed
 * one (ranges, offsets used twice, labels). Useful for a hand-built one.
 * @param config The configuration.
 * @param error Receives the message on error; may be NULL.
 * @retval CV_OK if it is usable.
 * @retval CV_E_INVAL otherwise.
  * @since 0.1
 */
enum cv_status cv_gpio_config_check(const struct cv_gpio_config *config, struct cv_gpio_error *error);

/**
 * @brief Opens the chip and requests every line: motors as outputs set to
 * "off", index switches and the beam as inputs with both-edge events. The
 * motors stay off until a movement starts. Allocates with malloc.
 * @param config The configuration (copied); checked with cv_gpio_config_check().
 * @param out Receives the backend; free it with cv_gpio_close().
 * @param error Receives the message on error (chip missing, offset beyond
 *        the chip, line busy); may be NULL.
 * @retval CV_OK on success.
 * @retval CV_E_INVAL on a bad configuration.
 * @retval CV_E_NOT_FOUND if the chip or a line does not exist.
 * @retval CV_E_BUSY if a line is held by another consumer.
 * @retval CV_E_IO on another GPIO error.
 * @retval CV_E_NOMEM on allocation failure.
  * @since 0.1
 */
enum cv_status cv_gpio_open(const struct cv_gpio_config *config, struct cv_gpio **out, struct cv_gpio_error *error);

/**
 * @brief Turns every motor off, releases the lines and closes the chip.
 * Call it after the machine using it was deinitialized.
 * @param gpio The backend, or NULL.
  * @since 0.1
 */
void cv_gpio_close(struct cv_gpio *gpio);

/**
 * @brief Wires a machine configuration to the backend: its dispenser and
 * sensor members (and their ctx) become this backend's.
 * @param gpio The backend.
 * @param config The configuration to complete.
  * @since 0.1
 */
void cv_gpio_attach(struct cv_gpio *gpio, struct cv_machine_config *config);

/**
 * @brief The descriptors to poll for readability (one per input line).
 * @param gpio The backend.
 * @param fds Array to fill (events = POLLIN); may be NULL if @p capacity is 0.
 * @param capacity Entries in @p fds.
 * @return How many descriptors the backend has (lane count + 1); only the
 *         first @p capacity are written.
  * @since 0.1
 */
size_t cv_gpio_pollfds(struct cv_gpio *gpio, struct pollfd *fds, size_t capacity);

/**
 * @brief How long the loop may wait before cv_gpio_process() has timed work
 * (a motor timeout, a debounce to confirm, a stuck beam, a held-back post).
 * @param gpio The backend.
 * @param now_ms Monotonic time in ms.
 * @return Milliseconds to wait (0: call cv_gpio_process() now), or -1 if
 *         nothing is timed (poll's "forever").
  * @since 0.1
 */
int cv_gpio_timeout_ms(struct cv_gpio *gpio, uint64_t now_ms);

/**
 * @brief Reads the pending line events (only from readable descriptors,
 * at most ::CV_GPIO_EVENTS_PER_PROCESS per line), debounces them, counts
 * index pulses, stops motors, handles timeouts and posts completions.
 * Never blocks. Call it before cv_machine_step() with the same time.
 * @param gpio The backend.
 * @param now_ms Monotonic time in ms; must never decrease.
  * @since 0.1
 */
void cv_gpio_process(struct cv_gpio *gpio, uint64_t now_ms);

/**
 * @brief The smallest movement lane @p lane can measure, in quarter turns
 * (4 / pulses_per_turn rounded up to make a whole pulse). A movement must be
 * a multiple of it, or start() refuses it with ::CV_E_INVAL: set the lane's
 * vend_quarter_turns and respin_quarter_turns accordingly.
 * @param gpio The backend.
 * @param lane Lane index.
 * @return Quarter turns, or 0 for a lane that does not exist.
  * @since 0.1
 */
uint8_t cv_gpio_lane_quarter_turns_min(const struct cv_gpio *gpio, uint16_t lane);

/** @brief Counters, for tests and service screens. */
struct cv_gpio_stats {
	uint32_t events_read;    /**< Line events read. */
	uint32_t pulses_ignored; /**< Pulses shorter than their debounce time. */
	uint32_t index_pulses;   /**< Debounced index switch activations counted during movements. */
	uint32_t beam_breaks;    /**< Debounced beam breaks. */
	uint32_t drops_posted;   /**< ::CV_EVENT_DROP_DETECTED posted. */
	uint32_t movements_done; /**< Movements that reached their pulse count. */
	uint32_t jams;           /**< Movements stopped for lack of an index pulse. */
	uint32_t posts_deferred; /**< Posts the engine's full queue made wait. */
	uint32_t posts_lost;     /**< Posts dropped because the outbox was full too (0 with the engine's bounds). */
	uint32_t io_errors;      /**< Failed GPIO calls. */
};

/**
 * @brief Reads the counters.
 * @param gpio The backend.
 * @param out Receives them.
  * @since 0.1
 */
void cv_gpio_stats(const struct cv_gpio *gpio, struct cv_gpio_stats *out);

/** @brief GPIO dispenser; ctx is a ::cv_gpio. */
extern const struct cv_dispenser_ops cv_gpio_dispenser_ops;
/** @brief GPIO drop beam; ctx is a ::cv_gpio. */
extern const struct cv_sensor_ops cv_gpio_sensor_ops;

/** @} */

#ifdef __cplusplus
}
#endif
#endif
