/* SPDX-License-Identifier: MIT */
/* The machine: life cycle, the step loop, event dispatch and customer calls. */
#include <stdlib.h>

#include "machine_private.h"
#ifdef CV_HAVE_CRYPTO
#include "journal_seal.h"
#endif

CV_EXPORT size_t cv_machine_size(void)
{
	return sizeof(struct cv_machine);
}

CV_EXPORT bool cv_machine_sealing_available(void)
{
#ifdef CV_HAVE_CRYPTO
	return true;
#else
	return false;
#endif
}

/* Secrets are wiped after use: the machine's copy of the journal key. */
static void cv_machine_wipe_key(struct cv_machine *m)
{
#ifdef CV_HAVE_CRYPTO
	cv_journal_wipe(m->journal_key, sizeof(m->journal_key));
	m->sealed = false;
#else
	(void)m; /* No key is ever copied in without the crypto module (cv_machine_init). */
#endif
}

void cv_event_start(struct cv_event *event, enum cv_event_type type)
{
	memset(event, 0, sizeof(*event));
	event->type = type;
}

void cv_machine_emit(struct cv_machine *m, struct cv_event *event)
{
	event->time_ms = m->now_ms;
	if (m->config.on_event == NULL)
		return;
	m->in_listener = true;
	m->config.on_event(m, event, m->config.user_data);
	m->in_listener = false;
}

/* Every call that changes the machine starts here: a NULL machine, or a
 * listener calling back into the machine it listens to, is a misuse. */
enum cv_status cv_machine_check_caller(const struct cv_machine *m)
{
	if (m == NULL || m->in_listener)
		return CV_E_MISUSE;
	return CV_OK;
}

void cv_machine_log(struct cv_machine *m, enum cv_log_level level, const char *message)
{
	if (CV_OPS_HAS(struct cv_platform_ops, m->config.platform, log))
		m->config.platform->log(m->config.platform_ctx, level, message);
}

uint32_t cv_machine_random_u32(struct cv_machine *m)
{
	uint8_t b[4];
	m->config.platform->random_bytes(m->config.platform_ctx, b, sizeof(b));
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Zero is never an op id, so a zeroed field never matches a completion. */
uint32_t cv_machine_new_op_id(struct cv_machine *m)
{
	if (++m->next_op_id == 0)
		m->next_op_id = 1;
	return m->next_op_id;
}

void cv_machine_show(struct cv_machine *m, enum cv_msg msg, uint16_t lane, bool hold, int64_t amount_minor)
{
	struct cv_display *d = &m->display;
	m->message_until_ms = hold ? m->now_ms + m->config.timeouts.message_ms : 0;
	if (msg == d->msg && lane == d->lane && amount_minor == d->amount.amount_minor)
		return;
	/* Updated in place: no copy to build and compare first. */
	d->msg = msg;
	d->lane = lane;
	cv_machine_money(m, amount_minor, &d->amount);
	struct cv_event ev;
	cv_event_start(&ev, CV_EVENT_DISPLAY);
	ev.u.display = *d;
	cv_machine_emit(m, &ev);
}

void cv_machine_journal_alert(struct cv_machine *m, enum cv_alert_kind kind, uint16_t lane, bool active)
{
	struct cv_rec_alert rec = {.kind = (uint8_t)kind, .lane = lane, .active = active};
	CV_REC_APPEND(m, &rec);
}

void cv_machine_raise_alert(struct cv_machine *m, enum cv_alert_kind kind, uint16_t lane, bool active)
{
	struct cv_event ev;
	cv_event_start(&ev, CV_EVENT_ALERT);
	ev.u.alert.kind = kind;
	ev.u.alert.lane = lane;
	ev.u.alert.active = active;
	/* Conditions the machine re-derives after a restart are not journaled
	 * (and the journal fault can't be). */
	if (kind != CV_ALERT_JOURNAL_FAULT && kind != CV_ALERT_PAYMENT_LINK_DOWN && kind != CV_ALERT_SETTLEMENT_STALLED)
		cv_machine_journal_alert(m, kind, lane, active);
	cv_machine_emit(m, &ev);
}

/* What the machine can do with no customer: sell (some lane is available
 * and can be paid for now: link up, or offline allowed), only not by card,
 * or nothing. */
static enum cv_msg cv_machine_idle_msg(const struct cv_machine *m)
{
	if (m->in_service)
		return CV_MSG_SERVICE_MODE;
	if (m->journal_fault || m->room_low)
		return CV_MSG_OUT_OF_SERVICE;
	bool available = false;
	for (unsigned i = 0; i < m->config.lane_count; i++) {
		if (cv_lane_availability(m, &m->lanes[i]) != CV_LANE_AVAILABLE)
			continue;
		available = true;
		if (!m->payment_link_down || cv_payment_offline_allows(m, m->lanes[i].config.price_minor))
			return CV_MSG_CHOOSE_PRODUCT;
	}
	return available ? CV_MSG_CARD_UNAVAILABLE : CV_MSG_OUT_OF_SERVICE;
}

/* With no customer and no final message to keep, show what the machine can do. */
void cv_machine_show_idle(struct cv_machine *m)
{
	if (m->session != NULL || m->now_ms < m->message_until_ms)
		return;
	cv_machine_show(m, cv_machine_idle_msg(m), CV_DISPLAY_NO_LANE, false, 0);
}

/* The backends in the order they open (storage, dispenser, sensor,
 * payment): where the configuration keeps each one's table (its context
 * follows it), and where the table keeps its open and close methods. One
 * loop opens them all and one closes them, rather than a call and a
 * version check written out for each. */
struct cv_backend_slot {
	uint8_t ops;  /* Where struct cv_machine_config keeps the table's pointer, in pointers. */
	uint8_t open; /* Where the table keeps the methods, in bytes. */
	uint8_t close;
};

/* clang-format off */
#define CV_BACKEND_SLOT(member, type) \
	{offsetof(struct cv_machine_config, member) / sizeof(void *), offsetof(type, open), offsetof(type, close)}
/* clang-format on */

static const struct cv_backend_slot cv_backend_slots[] = {
	CV_BACKEND_SLOT(storage, struct cv_storage_ops),
	CV_BACKEND_SLOT(dispenser, struct cv_dispenser_ops),
	CV_BACKEND_SLOT(sensor, struct cv_sensor_ops),
	CV_BACKEND_SLOT(payment, struct cv_payment_ops),
};

/* What the loops take for granted: every table's open and close have one
 * type, struct_size sits where it does in the others, and every context
 * follows its table in the configuration. */
#define CV_BACKEND_ALIKE(member, type)                                                                                 \
	_Static_assert(_Generic(((type *)0)->open, enum cv_status(*)(void *, struct cv_machine *) : 1, default : 0) && \
			       _Generic(((type *)0)->close, void (*)(void *) : 1, default : 0) &&                      \
			       offsetof(type, struct_size) == offsetof(struct cv_storage_ops, struct_size) &&          \
			       offsetof(struct cv_machine_config, member) % sizeof(void *) == 0 &&                     \
			       offsetof(struct cv_machine_config, member##_ctx) ==                                     \
				       offsetof(struct cv_machine_config, member) + sizeof(void *),                    \
		       #member " opens and closes like the others")
CV_BACKEND_ALIKE(storage, struct cv_storage_ops);
CV_BACKEND_ALIKE(dispenser, struct cv_dispenser_ops);
CV_BACKEND_ALIKE(sensor, struct cv_sensor_ops);
CV_BACKEND_ALIKE(payment, struct cv_payment_ops);

/* A backend's table and its context. */
static const uint8_t *cv_backend_table(const struct cv_machine *m, const struct cv_backend_slot *b, void **ctx)
{
	const uint8_t *slot = (const uint8_t *)&m->config + b->ops * sizeof(void *);
	const uint8_t *ops;
	memcpy(&ops, slot, sizeof(ops));
	memcpy(ctx, slot + sizeof(ops), sizeof(*ctx));
	return ops;
}

/* Closes the first `opened` backends, the last opened first. Close is
 * optional: called if the table is large enough to have it and has it. */
static void cv_machine_close_opened(struct cv_machine *m, unsigned opened)
{
	while (opened-- > 0) {
		const struct cv_backend_slot *b = &cv_backend_slots[opened];
		void *ctx;
		const uint8_t *ops = cv_backend_table(m, b, &ctx);
		uint32_t size; /* Every table begins with abi_version and struct_size. */
		memcpy(&size, ops + offsetof(struct cv_storage_ops, struct_size), sizeof(size));
		void (*close)(void *) = NULL;
		if (size >= b->close + sizeof(close))
			memcpy(&close, ops + b->close, sizeof(close));
		if (close != NULL)
			close(ctx);
	}
}

/* Open is required (cv_machine_config_check saw to it). */
static enum cv_status cv_machine_open_backends(struct cv_machine *m)
{
	for (unsigned opened = 0; opened < CV_ARRAY_COUNT(cv_backend_slots); opened++) {
		const struct cv_backend_slot *b = &cv_backend_slots[opened];
		void *ctx;
		enum cv_status (*open)(void *, struct cv_machine *);
		memcpy(&open, cv_backend_table(m, b, &ctx) + b->open, sizeof(open));
		enum cv_status rc = open(ctx, m);
		if (rc != CV_OK) {
			cv_machine_close_opened(m, opened);
			return rc;
		}
	}
	return CV_OK;
}

/* Reads every backend's capabilities, once, now that the backends are open:
 * the engine acts on these copies for the machine's life. Refuses what
 * they rule out. */
static enum cv_status cv_machine_read_caps(struct cv_machine *m)
{
	const struct cv_machine_config *c = &m->config;
	if (CV_OPS_HAS(struct cv_payment_ops, c->payment, caps))
		m->payment_caps = c->payment->caps(c->payment_ctx);
	if (CV_OPS_HAS(struct cv_dispenser_ops, c->dispenser, caps))
		m->dispenser_caps = c->dispenser->caps(c->dispenser_ctx);
	uint32_t storage_caps = 0;
	if (CV_OPS_HAS(struct cv_storage_ops, c->storage, caps))
		storage_caps = c->storage->caps(c->storage_ctx);
	/* A method that can't void must be able to give money back. */
	if ((m->payment_caps & CV_PAYMENT_CAP_SINGLE_MESSAGE) != 0 &&
	    !CV_OPS_HAS(struct cv_payment_ops, c->payment, refund))
		return CV_E_INVAL;
	/* A journal a power cut can lose takes every hold and capture the
	 * machine still owes with it: only when the configuration says so. */
	if ((storage_caps & CV_STORAGE_CAP_DURABLE) == 0 && !c->accept_volatile_journal)
		return CV_E_NOTSUP;
	return CV_OK;
}

static void cv_machine_journal_header(struct cv_machine *m)
{
	struct cv_rec_header rec = {.version = CV_JOURNAL_FORMAT_VERSION};
	memcpy(rec.magic, CV_JOURNAL_MAGIC, sizeof(rec.magic));
	CV_REC_APPEND(m, &rec);
}

static void cv_machine_journal_start(struct cv_machine *m, bool fresh)
{
	if (fresh)
		cv_machine_journal_header(m);
	struct cv_rec_machine_start rec = {.lane_count = m->config.lane_count,
					   .mark_generation = cv_machine_marked(m) ? m->mark.generation : 0};
	memcpy(rec.machine_id, m->config.machine_id, sizeof(rec.machine_id));
	memcpy(rec.currency, m->config.currency, sizeof(rec.currency));
	CV_REC_APPEND(m, &rec);
	for (unsigned i = 0; i < m->config.lane_count; i++)
		cv_lane_journal(m, (uint16_t)i);
}

CV_EXPORT enum cv_status cv_machine_init(void *memory, size_t size, const struct cv_machine_config *config,
					 struct cv_machine **out)
{
	if (memory == NULL || config == NULL || out == NULL)
		return CV_E_INVAL;
	if (size < sizeof(struct cv_machine) || (uintptr_t)memory % CV_MACHINE_ALIGN != 0)
		return CV_E_NOMEM;
	enum cv_status rc = cv_machine_config_validate(config);
	if (rc != CV_OK)
		return rc;

	struct cv_machine *m = memory;
	memset(m, 0, sizeof(*m));
	m->config = *config;
	m->config.lanes = NULL; /* Copied below; the caller's array is not kept. */
	/* The key is copied, never referenced: the caller may wipe theirs. */
	m->config.journal_key = NULL;
#ifdef CV_HAVE_CRYPTO
	if (config->journal_key != NULL) {
		memcpy(m->journal_key, config->journal_key, CV_JOURNAL_KEY_LEN);
		m->sealed = true;
	}
#endif /* Without the crypto module the check above refused a key. */
	/* The memset above left the event queue empty. */
	for (unsigned i = 0; i < config->lane_count; i++)
		cv_lane_init(&m->lanes[i], (uint16_t)i, &config->lanes[i]);
	m->display.msg = CV_MSG_OUT_OF_SERVICE;

	rc = cv_machine_open_backends(m);
	if (rc != CV_OK) {
		cv_machine_wipe_key(m);
		return rc;
	}
	rc = cv_machine_read_caps(m);
	if (rc != CV_OK) {
		cv_machine_close_backends(m);
		cv_machine_wipe_key(m);
		return rc;
	}
	/* Operation ids start at random, so that a completion addressed to a
	 * previous life can't be taken for one of this life's operations. */
	m->next_op_id = cv_machine_random_u32(m);
	struct cv_recovery_summary recovery;
	rc = cv_recovery_replay(m, &recovery);
	if (rc != CV_OK) {
		cv_machine_close_backends(m);
		cv_machine_wipe_key(m);
		return rc;
	}
	rc = cv_mark_begin_life(m);
	if (rc != CV_OK) {
		cv_machine_close_backends(m);
		cv_machine_wipe_key(m);
		return rc;
	}
	cv_machine_journal_start(m, recovery.fresh);
	cv_recovery_resolve(m, &recovery);
	for (unsigned i = 0; i < config->lane_count; i++)
		cv_lane_update_stock_alerts(m, (uint16_t)i);
	cv_journal_flush_now(m);
	if (m->journal_fault) {
		/* A machine that cannot even journal its start cannot sell. */
		cv_machine_close_backends(m);
		cv_machine_wipe_key(m);
		return m->journal_error;
	}
	cv_machine_show_idle(m);
	*out = m;
	return CV_OK;
}

void cv_machine_close_backends(struct cv_machine *m)
{
	cv_machine_close_opened(m, CV_ARRAY_COUNT(cv_backend_slots));
}

CV_EXPORT void cv_machine_deinit(struct cv_machine *m)
{
	if (m == NULL)
		return;
	/* Freeing the machine from its own listener would pull the floor away. */
	CV_ASSERT(!m->in_listener);
	cv_journal_flush_now(m);
	cv_machine_close_backends(m);
	cv_machine_wipe_key(m);
}

CV_EXPORT enum cv_status cv_machine_new(const struct cv_machine_config *config, struct cv_machine **out)
{
	if (config == NULL || out == NULL)
		return CV_E_INVAL;
	/* aligned_alloc needs a size that is a multiple of the alignment. */
	size_t size = (sizeof(struct cv_machine) + CV_MACHINE_ALIGN - 1) / CV_MACHINE_ALIGN * CV_MACHINE_ALIGN;
	void *memory = aligned_alloc(CV_MACHINE_ALIGN, size);
	if (memory == NULL)
		return CV_E_NOMEM;
	enum cv_status rc = cv_machine_init(memory, size, config, out);
	if (rc != CV_OK)
		free(memory);
	return rc;
}

CV_EXPORT void cv_machine_free(struct cv_machine *m)
{
	cv_machine_deinit(m);
	free(m);
}

CV_EXPORT enum cv_status cv_machine_post(struct cv_machine *m, const struct cv_event *event)
{
	if (m == NULL || event == NULL)
		return CV_E_INVAL;
	struct cv_input_event admitted;
	enum cv_status rc = cv_event_admit(event, &admitted);
	if (rc != CV_OK) {
		cv_machine_log(m, CV_LOG_WARN, "malformed input event refused");
		return rc;
	}
	return cv_event_queue_push(&m->queue, &admitted);
}

static void cv_machine_handle_event(struct cv_machine *m, const struct cv_input_event *ev)
{
	struct cv_vend *v;
	switch (ev->type) {
	case CV_EVENT_PAYMENT_RESULT:
		v = cv_vend_find_op(m, ev->u.payment.op_id, CV_VEND_OP_PAYMENT);
		if (v != NULL)
			cv_vend_payment_result(m, v, &ev->u.payment);
		else
			cv_machine_log(m, CV_LOG_WARN, "stale payment result ignored");
		break;
	case CV_EVENT_DISPENSE_DONE:
		v = cv_vend_find_op(m, ev->u.dispense.op_id, CV_VEND_OP_MOTOR);
		if (v != NULL)
			cv_vend_motor_done(m, v, ev->u.dispense.status);
		break;
	case CV_EVENT_DROP_DETECTED:
		for (unsigned i = 0; i < CV_VENDS_MAX; i++)
			if (m->vends[i].in_use && m->vends[i].sensor_armed &&
			    m->vends[i].sensor_op_id == ev->u.drop.op_id)
				cv_vend_drop_seen(m, &m->vends[i]);
		break;
	case CV_EVENT_SENSOR_STATUS:
		if (ev->u.sensor.faulted != m->sensor_faulted) {
			m->sensor_faulted = ev->u.sensor.faulted;
			cv_machine_raise_alert(m, CV_ALERT_DETECTOR_FAULT, CV_ALERT_NO_LANE, m->sensor_faulted);
		}
		break;
	case CV_EVENT_STORAGE_SYNCED:
		cv_journal_on_synced(m, &ev->u.storage);
		break;
	case CV_EVENT_CARD_READ:
		v = cv_vend_find_op(m, ev->u.card_read.op_id, CV_VEND_OP_PAYMENT);
		if (v != NULL && v == m->session && v->state == CV_VEND_STATE_AUTH_PENDING)
			cv_machine_show(m, CV_MSG_AUTHORIZING, v->lane, false, v->price_minor);
		break;
	default:
		break; /* cv_machine_post admits input events only. */
	}
}

/* One round: queued events, then every open vend, then one group sync. */
static bool cv_machine_round(struct cv_machine *m)
{
	bool progress = false;
	unsigned pending = m->queue.count;
	struct cv_input_event ev;
	/* Only the events queued before the round: what handlers post waits. */
	while (pending-- > 0 && cv_event_queue_pop(&m->queue, &ev)) {
		cv_machine_handle_event(m, &ev);
		progress = true;
	}
	for (unsigned i = 0; i < CV_VENDS_MAX; i++)
		if (m->vends[i].in_use && cv_vend_advance(m, &m->vends[i]))
			progress = true;
	cv_journal_flush(m);
	/* Whatever was posted meanwhile (a sync completion, say) deserves a round. */
	return progress || m->queue.count > 0;
}

CV_EXPORT enum cv_status cv_machine_step(struct cv_machine *m, uint64_t now_ms)
{
	enum cv_status rc = cv_machine_check_caller(m);
	if (rc != CV_OK)
		return rc;
	if (now_ms < m->now_ms)
		return CV_E_INVAL;
	m->now_ms = now_ms;
	for (unsigned round = 0; round < CV_STEP_ROUNDS_MAX; round++)
		if (!cv_machine_round(m))
			break;
	cv_checkpoint_tick(m);
	cv_mark_tick(m);
	cv_payment_link_tick(m);
	cv_machine_show_idle(m);
	return CV_OK;
}

static enum cv_status cv_machine_can_sell(const struct cv_machine *m)
{
	if (m->in_service || m->journal_fault)
		return CV_E_STATE;
	/* The journal's reserve is for what must be written whatever happens. */
	if (m->room_low)
		return CV_E_FULL;
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_select(struct cv_machine *m, uint16_t lane, uint32_t *vend_number_out)
{
	enum cv_status rc = cv_machine_check_caller(m);
	if (rc != CV_OK)
		return rc;
	if (lane >= m->config.lane_count)
		return CV_E_NOT_FOUND;
	rc = cv_machine_can_sell(m);
	if (rc != CV_OK)
		return rc;
	struct cv_vend *v = m->session;
	rc = cv_payment_can_sell(m, m->lanes[lane].config.price_minor);
	if (rc != CV_OK) {
		cv_machine_show(m, CV_MSG_CARD_UNAVAILABLE, lane, v == NULL, m->lanes[lane].config.price_minor);
		return rc;
	}
	if (v != NULL && v->state == CV_VEND_STATE_AUTH_DECLINED && v->lane == lane) {
		cv_vend_retry_auth(m, v);
		if (vend_number_out != NULL)
			*vend_number_out = v->number;
		return CV_OK;
	}
	if (v != NULL && v->state != CV_VEND_STATE_AUTH_DECLINED)
		return CV_E_BUSY;
	enum cv_lane_availability availability = cv_lane_availability(m, &m->lanes[lane]);
	rc = cv_lane_availability_status(availability);
	if (rc != CV_OK) {
		cv_machine_show(m, availability == CV_LANE_SOLD_OUT ? CV_MSG_SOLD_OUT : CV_MSG_UNAVAILABLE, lane,
				v == NULL, m->lanes[lane].config.price_minor);
		return rc;
	}
	/* Another lane after a decline: the declined vend ends here. */
	if (v != NULL)
		cv_vend_cancel(m, v);
	v = cv_vend_create(m, lane);
	if (v == NULL)
		return CV_E_BUSY;
	if (m->journal_fault) {
		/* Its first record could not be written: it never starts. */
		cv_vend_fire(m, v, CV_VEND_T_LEAVE, CV_VEND_REASON_JOURNAL_FAULT);
		return CV_E_STATE;
	}
	if (vend_number_out != NULL)
		*vend_number_out = v->number;
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_cancel(struct cv_machine *m)
{
	enum cv_status rc = cv_machine_check_caller(m);
	if (rc != CV_OK)
		return rc;
	if (m->session == NULL)
		return CV_E_STATE;
	return cv_vend_cancel(m, m->session);
}
