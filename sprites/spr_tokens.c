/*
 * spr_tokens.c - the PixelLLM token layout: palette indices first, then the
 * four special tokens, then zone and category tokens. Kept as functions so
 * every tool and trainer computes ids the same way for any counts.
 */
#include "sprites.h"

void spr_layout_init(spr_layout *l)
{
	l->colors = 64;
	l->zones = 6;
	l->categories = 6;
}

uint32_t spr_layout_pad(const spr_layout *l) { return l->colors; }
uint32_t spr_layout_bos(const spr_layout *l) { return l->colors + 1; }
uint32_t spr_layout_eos(const spr_layout *l) { return l->colors + 2; }
uint32_t spr_layout_mask(const spr_layout *l) { return l->colors + 3; }
uint32_t spr_layout_zone(const spr_layout *l, uint32_t zone) { return l->colors + 4 + zone; }
uint32_t spr_layout_category(const spr_layout *l, uint32_t cat) { return l->colors + 4 + l->zones + cat; }
uint32_t spr_layout_vocab(const spr_layout *l) { return l->colors + 4 + l->zones + l->categories; }
