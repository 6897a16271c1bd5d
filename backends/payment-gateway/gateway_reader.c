/* SPDX-License-Identifier: MIT */
/* The reader glue: the card reader tokenizes the card and hands the gateway
 * a token, never card data. A token that could be a card number is refused
 * here, before it can reach an HTTP request. */
#include <string.h>

#include <candyvend/event.h>
#include <candyvend/machine.h>

#include "gateway_private.h"

struct cv_gw_slot *cv_gw_collecting(struct cv_gateway *gw, uint32_t op_id)
{
	for (unsigned i = 0; i < CV_GATEWAY_SLOTS; i++)
		if (gw->slots[i].state == CV_GW_SLOT_COLLECTING && gw->slots[i].req.op_id == op_id)
			return &gw->slots[i];
	return NULL;
}

/* "Authorizing...": the screen moves on. Only a hint: a full queue drops it. */
static void cv_gw_post_card_read(struct cv_gateway *gw, uint32_t op_id)
{
	if (gw->machine == NULL)
		return;
	struct cv_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = CV_EVENT_CARD_READ;
	ev.u.card_read.op_id = op_id;
	(void)cv_machine_post(gw->machine, &ev);
}

CV_GW_EXPORT enum cv_status cv_gateway_card_token(struct cv_gateway *gateway, uint32_t op_id, const char *token,
						  const struct cv_card_summary *card)
{
	struct cv_gateway *gw = gateway;
	struct cv_gw_slot *slot = cv_gw_collecting(gw, op_id);
	if (slot == NULL)
		return CV_E_NOT_FOUND;
	if (!cv_gw_token_valid(token)) {
		cv_gw_logf(gw, CV_LOG_ERROR, "gateway: op %u: reader token refused", (unsigned)op_id);
		cv_gw_complete_code(gw, slot, CV_PAY_READER_FAULT);
		return CV_E_INVAL;
	}
	memcpy(slot->token, token, strlen(token) + 1);
	if (card != NULL)
		slot->reader_card = *card;
	cv_gw_post_card_read(gw, op_id);
	if (!cv_gw_call_start(gw, slot, CV_GW_CALL_CREATE))
		/* No link or no time left: nothing sent now (unknown if the key's
		 * earlier send is). */
		cv_gw_complete_code(gw, slot, cv_gw_unsent_result(slot));
	return CV_OK;
}

CV_GW_EXPORT enum cv_status cv_gateway_card_failed(struct cv_gateway *gateway, uint32_t op_id,
						   enum cv_pay_result result)
{
	struct cv_gateway *gw = gateway;
	if (result != CV_PAY_CANCELLED && result != CV_PAY_READER_FAULT)
		return CV_E_INVAL;
	struct cv_gw_slot *slot = cv_gw_collecting(gw, op_id);
	if (slot == NULL)
		return CV_E_NOT_FOUND;
	cv_gw_complete_code(gw, slot, result);
	return CV_OK;
}
