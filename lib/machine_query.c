/* SPDX-License-Identifier: MIT */
/* Read-only queries: display, menu, lanes, vends, totals. */
#include "machine_private.h"

CV_EXPORT enum cv_status cv_machine_display(const struct cv_machine *m, struct cv_display *out)
{
	if (m == NULL || out == NULL)
		return CV_E_INVAL;
	*out = m->display;
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_menu(const struct cv_machine *m, struct cv_menu_item *items, size_t capacity,
					 size_t *count_out)
{
	if (m == NULL || items == NULL || count_out == NULL)
		return CV_E_INVAL;
	if (capacity < m->config.lane_count)
		return CV_E_FULL;
	for (unsigned i = 0; i < m->config.lane_count; i++) {
		const struct cv_lane *lane = &m->lanes[i];
		struct cv_menu_item *item = &items[i];
		memset(item, 0, sizeof(*item));
		item->lane = (uint16_t)i;
		cv_str_copy(item->label, sizeof(item->label), lane->config.label);
		cv_str_copy(item->product_name, sizeof(item->product_name), lane->config.product_name);
		cv_machine_money(m, lane->config.price_minor, &item->price);
		item->availability = cv_lane_availability(m, lane);
	}
	*count_out = m->config.lane_count;
	return CV_OK;
}

CV_EXPORT uint16_t cv_machine_lane_count(const struct cv_machine *m)
{
	return m == NULL ? 0 : m->config.lane_count;
}

CV_EXPORT enum cv_status cv_machine_lane_info(const struct cv_machine *m, uint16_t lane, struct cv_lane_info *out)
{
	if (m == NULL || out == NULL)
		return CV_E_INVAL;
	if (lane >= m->config.lane_count)
		return CV_E_NOT_FOUND;
	const struct cv_lane *l = &m->lanes[lane];
	memset(out, 0, sizeof(*out));
	out->config = l->config;
	out->enabled = l->enabled;
	out->quarantined = l->quarantined;
	out->consecutive_failures = l->consecutive_failures;
	out->availability = cv_lane_availability(m, l);
	out->vends_verified = l->vends_verified;
	out->vends_failed = l->vends_failed;
	return CV_OK;
}

CV_EXPORT enum cv_status cv_machine_lane_find(const struct cv_machine *m, const char *label, uint16_t *lane_out)
{
	if (m == NULL || label == NULL || lane_out == NULL)
		return CV_E_INVAL;
	for (unsigned i = 0; i < m->config.lane_count; i++) {
		if (strcmp(m->lanes[i].config.label, label) == 0) {
			*lane_out = (uint16_t)i;
			return CV_OK;
		}
	}
	return CV_E_NOT_FOUND;
}

CV_EXPORT enum cv_status cv_machine_vend_info(const struct cv_machine *m, uint32_t vend_number,
					      struct cv_vend_info *out)
{
	if (m == NULL || out == NULL)
		return CV_E_INVAL;
	for (unsigned i = 0; i < CV_VENDS_MAX; i++) {
		if (m->vends[i].in_use && m->vends[i].number == vend_number) {
			cv_vend_info_fill(&m->vends[i], m, out);
			return CV_OK;
		}
	}
	if (m->has_last_finished && m->last_finished.vend_number == vend_number) {
		*out = m->last_finished;
		return CV_OK;
	}
	return CV_E_NOT_FOUND;
}

CV_EXPORT unsigned cv_machine_open_vends(const struct cv_machine *m)
{
	unsigned open = 0;
	for (unsigned i = 0; m != NULL && i < CV_VENDS_MAX; i++)
		open += m->vends[i].in_use;
	return open;
}

CV_EXPORT enum cv_status cv_machine_stats(const struct cv_machine *m, struct cv_machine_stats *out)
{
	if (m == NULL || out == NULL)
		return CV_E_INVAL;
	*out = m->stats;
	return CV_OK;
}
