/* SPDX-License-Identifier: MIT */
/* The simulated mechanics behind the GPIO pins; see plant.h. */
#include "plant.h"

#include <string.h>

#include "cmsdk.h"

static uint32_t cv_plant_read(void *ctx)
{
	struct cv_plant *p = ctx;
	/* The register is read as on silicon; QEMU's stub answers 0, so the
	 * levels come from the model. */
	uint32_t levels = cv_mcu_gpio_cmsdk_ops.read(&p->gpio);
	for (unsigned i = 0; i < CV_PLANT_LANES; i++)
		if (p->now_ms < p->lanes[i].pulse_until_ms)
			levels |= 1u << i;
	if (p->now_ms >= p->beam_from_ms && p->now_ms < p->beam_until_ms)
		levels |= 1u << CV_PLANT_BEAM_PIN;
	return levels;
}

static void cv_plant_write(void *ctx, uint32_t mask, uint32_t value)
{
	struct cv_plant *p = ctx;
	cv_mcu_gpio_cmsdk_ops.write(&p->gpio, mask, value);
	p->register_writes++;
	for (unsigned i = 0; i < CV_PLANT_LANES; i++) {
		if (!(mask & (1u << i)))
			continue;
		struct cv_plant_lane *l = &p->lanes[i];
		bool on = (value >> i) & 1u;
		if (l->motor_on && !on && l->jammed_now) {
			l->jammed_now = false;
			l->jams_left--; /* That stalled movement is over. */
		}
		if (!l->motor_on && on)
			l->jammed_now = l->jams_left > 0;
		l->motor_on = on;
	}
}

const struct cv_mcu_pins_ops cv_plant_pins_ops = {
	.read = cv_plant_read,
	.write = cv_plant_write,
};

void cv_plant_init(struct cv_plant *plant, const uint16_t stock[CV_PLANT_LANES])
{
	memset(plant, 0, sizeof(*plant));
	cv_mcu_gpio_cmsdk_init(&plant->gpio, (struct cv_cmsdk_gpio_regs *)CV_AN385_GPIO0_BASE,
			       (1u << CV_PLANT_LANES) - 1u, (struct cv_cmsdk_gpio_regs *)CV_AN385_GPIO1_BASE,
			       ((1u << CV_PLANT_LANES) - 1u) | (1u << CV_PLANT_BEAM_PIN));
	for (unsigned i = 0; i < CV_PLANT_LANES; i++) {
		plant->lanes[i].stock = stock[i];
		plant->lanes[i].quarters_needed = 4; /* One full turn per product. */
	}
}

/* A quarter turn completed: pulse the index switch; maybe a product falls. */
static void cv_plant_quarter(struct cv_plant *p, struct cv_plant_lane *l)
{
	l->pulse_until_ms = p->now_ms + CV_PLANT_PULSE_MS;
	l->quarters_total++;
	if (l->stock == 0)
		return;
	l->quarters_done++;
	if (l->quarters_done < l->quarters_needed + l->hang_extra)
		return;
	l->quarters_done = 0;
	l->hang_extra = 0;
	l->stock--;
	l->dropped++;
	p->beam_from_ms = p->now_ms + CV_PLANT_FALL_MS;
	p->beam_until_ms = p->beam_from_ms + CV_PLANT_BEAM_MS;
}

void cv_plant_tick(struct cv_plant *p, uint64_t now_ms)
{
	p->now_ms = now_ms;
	for (unsigned i = 0; i < CV_PLANT_LANES; i++) {
		struct cv_plant_lane *l = &p->lanes[i];
		if (!l->motor_on || l->jammed_now)
			continue;
		if (++l->run_ms >= CV_PLANT_QUARTER_MS) {
			l->run_ms = 0;
			cv_plant_quarter(p, l);
		}
	}
}

void cv_plant_fault_jam(struct cv_plant *plant, uint16_t lane, uint8_t movements)
{
	plant->lanes[lane].jams_left = movements;
}

void cv_plant_fault_hang(struct cv_plant *plant, uint16_t lane)
{
	plant->lanes[lane].hang_extra = 1;
}

bool cv_plant_idle(const struct cv_plant *plant)
{
	for (unsigned i = 0; i < CV_PLANT_LANES; i++)
		if (plant->lanes[i].motor_on)
			return false;
	return plant->now_ms >= plant->beam_until_ms;
}
