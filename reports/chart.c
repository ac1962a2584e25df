/* reports/chart.c: drawing primitives of the brief: headline figure boxes,
 * grouped bar charts, trend charts with a fitted line and CI band, the
 * route diagram and tables. All geometry top-down (see pdf.h); no NaN or
 * infinity ever reaches a coordinate or a printed label. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/stats.h"   /* COR_STATS_X */
#include "pdf_int.h"

#define NO_DATA "No data for this chart"
/* Bars of a trend chart: a light slate blue under the fitted line. */
#define BAR_RGB ((pdf_rgb){ 0.620, 0.729, 0.835 })

static int val_ok(const cor_pdf_val *v)
{
	return !v->suppressed && isfinite(v->v);
}

/* Label for a value: "<k" (suppressed 1: a count under k), "x"
 * (suppressed 2: withheld to protect another cell), "n/a" or the
 * number. */
static const char *val_label(const cor_pdf *p, const cor_pdf_val *v,
                             char *buf, size_t n)
{
	if (v->suppressed == 2)
		snprintf(buf, n, "%s", COR_STATS_X);
	else if (v->suppressed)
		snprintf(buf, n, "<%d", p->k);
	else
		pdf_fmt_num(v->v, 1, buf, n);
	return buf;
}

/* Tick step of 1, 2 or 5 times a power of ten giving about `target`
 * intervals up to vmax (> 0); at least 1 when integral is set. */
static double nice_step(double vmax, int target, int integral)
{
	double raw = vmax / target, mag = pow(10.0, floor(log10(raw)));
	double f = raw / mag, step;

	if (f <= 1.0)
		step = 1.0;
	else if (f <= 2.0)
		step = 2.0;
	else if (f <= 5.0)
		step = 5.0;
	else
		step = 10.0;
	step *= mag;
	if (integral && step < 1.0)
		step = 1.0;
	return step;
}

static int tick_decimals(double step)
{
	return step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
}

static void rect_fill(HPDF_Page pg, pdf_rgb c, double x, double top,
                      double w, double h)
{
	pdf_fill(pg, c);
	HPDF_Page_Rectangle(pg, (HPDF_REAL)x, (HPDF_REAL)pdf_y(top + h),
	                    (HPDF_REAL)w, (HPDF_REAL)h);
	HPDF_Page_Fill(pg);
}

static void hline(HPDF_Page pg, pdf_rgb c, double lw, double x0, double x1,
                  double y)
{
	pdf_stroke(pg, c);
	HPDF_Page_SetLineWidth(pg, (HPDF_REAL)lw);
	HPDF_Page_MoveTo(pg, (HPDF_REAL)x0, (HPDF_REAL)pdf_y(y));
	HPDF_Page_LineTo(pg, (HPDF_REAL)x1, (HPDF_REAL)pdf_y(y));
	HPDF_Page_Stroke(pg);
}

static void vline(HPDF_Page pg, pdf_rgb c, double lw, double x, double y0,
                  double y1)
{
	pdf_stroke(pg, c);
	HPDF_Page_SetLineWidth(pg, (HPDF_REAL)lw);
	HPDF_Page_MoveTo(pg, (HPDF_REAL)x, (HPDF_REAL)pdf_y(y0));
	HPDF_Page_LineTo(pg, (HPDF_REAL)x, (HPDF_REAL)pdf_y(y1));
	HPDF_Page_Stroke(pg);
}

/* A withheld value: a light grey box with diagonal hatching, so a
 * suppressed cell reads as "something, not shown" without a label. */
static void hatch(HPDF_Page pg, double x, double top, double w, double h)
{
	HPDF_Page_GSave(pg);
	rect_fill(pg, (pdf_rgb){ 0.925, 0.933, 0.941 }, x, top, w, h);
	HPDF_Page_Rectangle(pg, (HPDF_REAL)x, (HPDF_REAL)pdf_y(top + h),
	                    (HPDF_REAL)w, (HPDF_REAL)h);
	HPDF_Page_Clip(pg);
	HPDF_Page_EndPath(pg);
	pdf_stroke(pg, PDF_GREY);
	HPDF_Page_SetLineWidth(pg, 0.5);
	for (double d = -h; d < w; d += 2.6) {
		HPDF_Page_MoveTo(pg, (HPDF_REAL)(x + d),
		                 (HPDF_REAL)pdf_y(top + h));
		HPDF_Page_LineTo(pg, (HPDF_REAL)(x + d + h),
		                 (HPDF_REAL)pdf_y(top));
	}
	HPDF_Page_Stroke(pg);
	HPDF_Page_GRestore(pg);
}

/* Colour of series s: the caller's palette index (0-3, 4 = neutral
 * grey for "Unknown") or by position. */
static pdf_rgb series_rgb(const int *idx, size_t s)
{
	static const pdf_rgb unknown = { 0.690, 0.722, 0.753 };
	int i = idx != NULL ? idx[s] : (int)(s % 4);

	return i >= 0 && i < 4 ? PDF_SERIES[i] : unknown;
}

static HPDF_Page need_page(cor_pdf *p, cor_err *err)
{
	HPDF_Page pg = pdf_page(p);

	if (pg == NULL)
		cor_err_set(err, COR_EINVAL, "no page: call cor_pdf_page_add");
	return pg;
}

/* Title at the top of a box; returns the height used (with a gap). */
static int box_title(cor_pdf *p, const char *title, cor_pdf_box b,
                     double *used, cor_err *err)
{
	double h = 0.0;
	int rc;

	*used = 0.0;
	if (title == NULL || *title == '\0')
		return 0;
	rc = cor_pdf_text(p, COR_PDF_BOLD, COR_PDF_LEFT, b.x, b.y, b.w, title,
	                  1, &h, err);
	*used = h + 4.0;
	return rc;
}

/* Legend: swatches with names in rows; kind 0 = square, 1 = line,
 * 2 = line over a band, 3 = hatched square (withheld), 4 = dashed grey
 * line. Returns the height used. */
typedef struct legend_item {
	const char *name;
	pdf_rgb color;
	int kind;
} legend_item;

static int legend(cor_pdf *p, HPDF_Page pg, const legend_item *it, size_t n,
                  double x0, double y, double w, double *used,
                  cor_err *err)
{
	double x = x0, rowh = 11.0;
	int rc;

	*used = rowh + 3.0;
	for (size_t i = 0; i < n; i++) {
		double tw;

		rc = cor_pdf_text_width(p, COR_PDF_SMALL, it[i].name, &tw, err);
		if (rc != 0)
			return rc;
		if (x > x0 && x + 14 + tw > x0 + w) {
			x = x0;
			y += rowh;
			*used += rowh;
		}
		if (it[i].kind == 0) {
			rect_fill(pg, it[i].color, x, y + 1.5, 8, 8);
		} else if (it[i].kind == 3) {
			hatch(pg, x, y + 1.5, 8, 8);
		} else if (it[i].kind == 4) {
			HPDF_Page_SetDash(pg, (const HPDF_UINT16[]){ 2, 2 }, 2,
			                  0);
			hline(pg, PDF_GREY, 0.8, x, x + 12, y + 5.5);
			HPDF_Page_SetDash(pg, NULL, 0, 0);
		} else {
			if (it[i].kind == 2) {
				HPDF_Page_GSave(pg);
				HPDF_Page_SetExtGState(pg, p->alpha);
				rect_fill(pg, PDF_BANDFILL, x, y + 1.5, 12, 8);
				HPDF_Page_GRestore(pg);
			}
			hline(pg, it[i].color, 1.6, x, x + 12, y + 5.5);
		}
		rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, x + 15, y + 1.0,
		              tw + 1, 0.0, it[i].name, err);
		if (rc != 0)
			return rc;
		x += 15 + tw + 12;
	}
	return 0;
}

static int empty_note(cor_pdf *p, HPDF_Page pg, const char *note,
                      double x, double y, double w, double h, cor_err *err)
{
	pdf_stroke(pg, PDF_RULE);
	HPDF_Page_SetLineWidth(pg, 0.6);
	HPDF_Page_SetDash(pg, (const HPDF_UINT16[]){ 3, 3 }, 2, 0);
	HPDF_Page_Rectangle(pg, (HPDF_REAL)x, (HPDF_REAL)pdf_y(y + h),
	                    (HPDF_REAL)w, (HPDF_REAL)h);
	HPDF_Page_Stroke(pg);
	HPDF_Page_SetDash(pg, NULL, 0, 0);
	return cor_pdf_text(p, COR_PDF_BODY, COR_PDF_CENTER, x + 8,
	                    y + h / 2 - 6, w - 16, note ? note : NO_DATA, 1,
	                    NULL, err);
}

/* ---- headline figure ---------------------------------------------------- */

static int figure_impl(cor_pdf *p, cor_pdf_box b, const cor_pdf_figure *f,
                       cor_err *err)
{
	HPDF_Page pg = need_page(p, err);
	double pad = 8.0, y, h, iw;
	int rc;

	if (pg == NULL)
		return err->code;
	rect_fill(pg, PDF_PANEL, b.x, b.y, b.w, b.h);
	rect_fill(pg, PDF_SERIES[0], b.x, b.y, 2.5, b.h);
	iw = b.w - 2 * pad;
	y = b.y + pad;
	rc = cor_pdf_text(p, COR_PDF_LABEL, COR_PDF_LEFT, b.x + pad, y, iw,
	                  f->label ? f->label : "", 1, &h, err);
	if (rc != 0)
		return rc;
	y += h + 1.0;
	rc = cor_pdf_text(p, COR_PDF_FIGURE, COR_PDF_LEFT, b.x + pad, y, iw,
	                  f->value ? f->value : "n/a", 1, &h, err);
	if (rc != 0)
		return rc;
	y += h + 1.0;
	for (int i = 0; i < 3 && f->detail[i] != NULL; i++) {
		rc = cor_pdf_text(p, COR_PDF_SMALL, COR_PDF_LEFT, b.x + pad, y,
		                  iw, f->detail[i], 1, &h, err);
		if (rc != 0)
			return rc;
		y += h + 1.0;
	}
	return 0;
}

int cor_pdf_figure_box(cor_pdf *p, cor_pdf_box b, const cor_pdf_figure *f,
                       cor_err *err)
{
	if (f == NULL)
		return cor_err_set(err, COR_EINVAL, "no figure");
	PDF_ENTER(p, err);
	return pdf_leave(p, figure_impl(p, b, f, err), 1);
}

/* ---- horizontal grouped bar chart --------------------------------------- */

static int bars_impl(cor_pdf *p, cor_pdf_box b, const cor_pdf_bars *c,
                     cor_err *err)
{
	HPDF_Page pg = need_page(p, err);
	double y, used, labw = 0.0, px0, px1, ptop, pbot, vmax = 0.0;
	double step, vtop, bh, group, barh;
	int rc, any = 0, integral = 1;
	size_t nsup = 0;
	char buf[64];

	if (pg == NULL)
		return err->code;
	rc = box_title(p, c->title, b, &used, err);
	if (rc != 0)
		return rc;
	y = b.y + used;
	for (size_t i = 0; i < c->ncat * c->nser; i++) {
		any |= val_ok(&c->vals[i]) && c->vals[i].v > 0.0;
		nsup += c->vals[i].suppressed != 0;
	}
	if ((c->nser > 1 || nsup > 0) && any) {
		legend_item *it = pdf_alloc(p, (c->nser + 1) * sizeof(*it));
		size_t ni = 0;

		if (it == NULL)
			return cor_err_set(err, COR_ENOMEM, "out of memory");
		for (size_t s = 0; c->nser > 1 && s < c->nser; s++)
			it[ni++] = (legend_item){ c->series[s],
			        series_rgb(c->series_color, s), 0 };
		if (nsup > 0) {
			snprintf(buf, sizeof(buf), "withheld");
			it[ni++] = (legend_item){ pdf_strdup(p, buf), PDF_GREY,
			                          3 };
			if (it[ni - 1].name == NULL)
				return cor_err_set(err, COR_ENOMEM,
				                   "out of memory");
		}
		rc = legend(p, pg, it, ni, b.x, y, b.w, &used, err);
		if (rc != 0)
			return rc;
		y += used + 2.0;
	}
	for (size_t i = 0; i < c->ncat * c->nser; i++) {
		if (!val_ok(&c->vals[i]))
			continue;
		any = 1;
		if (c->vals[i].v > vmax)
			vmax = c->vals[i].v;
		if (fabs(c->vals[i].v - nearbyint(c->vals[i].v)) > 1e-9)
			integral = 0;
	}
	ptop = y + 2.0;
	pbot = b.y + b.h - 26.0;
	if (c->ncat == 0 || !any || !(vmax > 0.0) || pbot - ptop < 10.0)
		return empty_note(p, pg, c->empty_note, b.x, y,
		                  b.w, b.y + b.h - y, err);
	for (size_t i = 0; i < c->ncat; i++) {
		double tw;

		rc = cor_pdf_text_width(p, COR_PDF_CELL, c->categories[i], &tw,
		                        err);
		if (rc != 0)
			return rc;
		if (tw > labw)
			labw = tw;
	}
	if (labw > b.w * 0.34)
		labw = b.w * 0.34;
	px0 = b.x + labw + 8.0;
	px1 = b.x + b.w - 34.0;
	if (!(vmax > 0.0))
		vmax = 1.0;
	step = nice_step(vmax, 5, integral);
	vtop = ceil(vmax / step - 1e-9) * step;
	/* grid and ticks */
	for (int t = 0; t * step <= vtop + step * 1e-6; t++) {
		double v = t * step, x = px0 + v / vtop * (px1 - px0);

		if (t > 0)
			vline(pg, PDF_GRID, 0.5, x, ptop, pbot);
		pdf_fmt_num(v, tick_decimals(step), buf, sizeof(buf));
		rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_CENTER, x - 20,
		              pbot + 3, 40, 0.0, buf, err);
		if (rc != 0)
			return rc;
	}
	if (c->value_label != NULL) {
		rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_CENTER, px0, pbot + 14,
		              px1 - px0, 0.0, c->value_label, err);
		if (rc != 0)
			return rc;
	}
	bh = (pbot - ptop) / (double)c->ncat;
	group = bh * 0.74;
	if (group > 13.0 * c->nser)
		group = 13.0 * c->nser;
	barh = group / (double)c->nser;
	for (size_t i = 0; i < c->ncat; i++) {
		double cy = ptop + bh * (i + 0.5), h;
		int nl;

		rc = cor_pdf_wrap_count(p, COR_PDF_CELL, labw,
		                        c->categories[i], &nl, err);
		if (rc != 0)
			return rc;
		h = nl * pdf_line_h(COR_PDF_CELL);
		rc = cor_pdf_text(p, COR_PDF_CELL, COR_PDF_RIGHT, b.x,
		                  cy - h / 2 + 0.5, labw, c->categories[i], 1,
		                  NULL, err);
		if (rc != 0)
			return rc;
		/* the group's last value label: with thin bars (several
		 * series) the labels of short bars would print over each
		 * other at the axis; such a label moves right of the one
		 * above it */
		double lab_x0 = px0, lab_x1 = px0, lab_y1 = -1e9;

		for (size_t s = 0; s < c->nser; s++) {
			const cor_pdf_val *v = &c->vals[s * c->ncat + i];
			double top = cy - group / 2 + s * barh, x = px0;
			double lx, ly, tw = 0.0;

			if (v->suppressed) {
				/* a stub, explained once in the legend */
				hatch(pg, px0, top + 0.5, 7.0, barh - 1.0);
				continue;
			}
			if (val_ok(v) && v->v > 0) {
				x = px0 + v->v / vtop * (px1 - px0);
				rect_fill(pg, series_rgb(c->series_color, s),
				          px0, top + 0.5, x - px0, barh - 1.0);
			}
			val_label(p, v, buf, sizeof(buf));
			if (c->nser > 1 && val_ok(v) && v->v == 0.0)
				continue;   /* no bar, no "0": less clutter */
			lx = x + 3;
			ly = top + (barh - 9.0) / 2.0;
			rc = cor_pdf_text_width(p, COR_PDF_SMALL, buf, &tw, err);
			if (rc != 0)
				return rc;
			/* overlaps the label above in height and width */
			if (ly < lab_y1 - 0.5 && lx < lab_x1 + 4 &&
			    lx + tw > lab_x0 - 4)
				lx = lab_x1 + 4;
			rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, lx, ly, 60,
			              0.0, buf, err);
			if (rc != 0)
				return rc;
			lab_x0 = lx;
			lab_x1 = lx + tw;
			lab_y1 = ly + 9.0;
		}
	}
	vline(pg, PDF_INK, 0.7, px0, ptop, pbot);
	return 0;
}

int cor_pdf_bar_chart(cor_pdf *p, cor_pdf_box b, const cor_pdf_bars *c,
                      cor_err *err)
{
	if (c == NULL || (c->ncat > 0 && (c->vals == NULL ||
	    c->categories == NULL)) || c->nser == 0 ||
	    (c->nser > 1 && c->series == NULL))
		return cor_err_set(err, COR_EINVAL, "bad bar chart");
	PDF_ENTER(p, err);
	return pdf_leave(p, bars_impl(p, b, c, err), 1);
}

/* ---- trend chart -------------------------------------------------------- */

static int finite3(const cor_pdf_trend *t, size_t i)
{
	return t->fit != NULL && isfinite(t->fit[i]) &&
	       (t->lo == NULL || isfinite(t->lo[i])) &&
	       (t->hi == NULL || isfinite(t->hi[i]));
}

static int trend_impl(cor_pdf *p, cor_pdf_box b, const cor_pdf_trend *t,
                      cor_err *err)
{
	HPDF_Page pg = need_page(p, err);
	double y, used, px0, px1, ptop, pbot, vmax = 0.0, step, vtop, slot;
	double lw = 0.0;
	size_t every = 1, nit;
	int rc, any = 0, anyfit = 0;
	char buf[64];
	legend_item it[3];

	if (pg == NULL)
		return err->code;
	rc = box_title(p, t->title, b, &used, err);
	if (rc != 0)
		return rc;
	y = b.y + used;
	for (size_t i = 0; i < t->n; i++) {
		if (val_ok(&t->counts[i])) {
			any = 1;
			if (t->counts[i].v > vmax)
				vmax = t->counts[i].v;
		}
		if (finite3(t, i)) {
			double hi = t->hi ? t->hi[i] : t->fit[i];

			anyfit = 1;
			if (hi > vmax)
				vmax = hi;
		}
	}
	it[0] = (legend_item){ t->count_name ? t->count_name : "Count",
	                       BAR_RGB, 0 };
	it[1] = (legend_item){ t->fit_name ? t->fit_name : "Fitted trend",
	                       PDF_FIT, t->lo && t->hi ? 2 : 1 };
	nit = anyfit ? 2 : 1;
	for (size_t i = 0; i < t->n; i++)
		if (t->counts[i].suppressed) {
			snprintf(buf, sizeof(buf), "withheld");
			it[nit++] = (legend_item){ buf, PDF_GREY, 3 };
			break;
		}
	if (any && vmax > 0.0) {
		rc = legend(p, pg, it, nit, b.x + 44, y, b.w - 44,
		            &used, err);
		if (rc != 0)
			return rc;
		y += used + 2.0;
	}
	ptop = y + 4.0;
	pbot = b.y + b.h - 26.0;
	if (t->n == 0 || !any || !(vmax > 0.0) || pbot - ptop < 10.0)
		return empty_note(p, pg, t->empty_note, b.x, y, b.w,
		                  b.y + b.h - y, err);
	px0 = b.x + 44.0;
	px1 = b.x + b.w - 4.0;
	if (!(vmax > 0.0))
		vmax = 1.0;
	step = nice_step(vmax, 4, 1);
	vtop = ceil(vmax / step - 1e-9) * step;
	for (int k = 0; k * step <= vtop + step * 1e-6; k++) {
		double v = k * step, yy = pbot - v / vtop * (pbot - ptop);

		if (k > 0)
			hline(pg, PDF_GRID, 0.5, px0, px1, yy);
		pdf_fmt_num(v, tick_decimals(step), buf, sizeof(buf));
		rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_RIGHT, px0 - 34,
		              yy - 4.5, 30, 0.0, buf, err);
		if (rc != 0)
			return rc;
	}
	if (t->value_label != NULL) {
		/* rotated 90 degrees: reads upwards, centred on the axis */
		double tw;

		rc = cor_pdf_text_width(p, COR_PDF_SMALL, t->value_label, &tw,
		                        err);
		if (rc == 0)
			rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, b.x,
			              (ptop + pbot) / 2 + tw / 2, tw + 1, 90.0,
			              t->value_label, err);
		if (rc != 0)
			return rc;
	}
	slot = (px1 - px0) / (double)t->n;
	for (size_t i = 0; i < t->n; i++) {
		double tw;

		rc = cor_pdf_text_width(p, COR_PDF_SMALL, t->periods[i], &tw,
		                        err);
		if (rc != 0)
			return rc;
		if (tw > lw)
			lw = tw;
	}
	while (every < t->n && (lw + 6.0) > slot * every)
		every++;
	for (size_t i = 0; i < t->n; i++) {
		const cor_pdf_val *v = &t->counts[i];
		double cx = px0 + slot * (i + 0.5), bw = slot * 0.62;

		if (val_ok(v) && v->v > 0) {
			double h = v->v / vtop * (pbot - ptop);

			rect_fill(pg, BAR_RGB, cx - bw / 2, pbot - h, bw, h);
		} else if (v->suppressed) {
			hatch(pg, cx - bw / 2, pbot - 7.0, bw, 7.0);
		} else if (!val_ok(v)) {
			val_label(p, v, buf, sizeof(buf));
			rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_CENTER,
			              cx - slot / 2, pbot - 11, slot, 0.0, buf,
			              err);
			if (rc != 0)
				return rc;
		}
		if (i % every == 0 || i + 1 == t->n) {
			if (i + 1 == t->n && i % every != 0 &&
			    (t->n - 1) % every < every / 2 + 1 && every > 1)
				continue;
			rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_CENTER,
			              cx - slot * every / 2, pbot + 3,
			              slot * every, 0.0, t->periods[i], err);
			if (rc != 0)
				return rc;
		}
	}
	if (t->period_label != NULL) {
		rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_CENTER, px0, pbot + 14,
		              px1 - px0, 0.0, t->period_label, err);
		if (rc != 0)
			return rc;
	}
	/* CI band and fitted line, broken wherever a value is missing */
	if (anyfit) {
		size_t i = 0;

		while (i < t->n) {
			size_t a, e;

			while (i < t->n && !finite3(t, i))
				i++;
			if (i >= t->n)
				break;
			a = i;
			while (i < t->n && finite3(t, i))
				i++;
			e = i;   /* segment [a, e) */
#define PX(j) ((HPDF_REAL)(px0 + slot * ((j) + 0.5)))
#define PY(v) ((HPDF_REAL)pdf_y(pbot - (v) / vtop * (pbot - ptop)))
			if (t->lo != NULL && t->hi != NULL) {
				HPDF_Page_GSave(pg);
				HPDF_Page_SetExtGState(pg, p->alpha);
				pdf_fill(pg, PDF_BANDFILL);
				if (e - a == 1) {
					HPDF_Page_Rectangle(pg, PX(a) - 5,
					    PY(t->hi[a]), 10,
					    PY(t->lo[a]) - PY(t->hi[a]));
				} else {
					HPDF_Page_MoveTo(pg, PX(a),
					                 PY(t->lo[a]));
					for (size_t j = a + 1; j < e; j++)
						HPDF_Page_LineTo(pg, PX(j),
						    PY(t->lo[j]));
					for (size_t j = e; j-- > a;)
						HPDF_Page_LineTo(pg, PX(j),
						    PY(t->hi[j]));
					HPDF_Page_ClosePath(pg);
				}
				HPDF_Page_Fill(pg);
				HPDF_Page_GRestore(pg);
			}
			pdf_stroke(pg, PDF_FIT);
			HPDF_Page_SetLineWidth(pg, 1.6);
			HPDF_Page_SetLineCap(pg, HPDF_ROUND_END);
			if (e - a == 1) {
				HPDF_Page_MoveTo(pg, PX(a) - 5, PY(t->fit[a]));
				HPDF_Page_LineTo(pg, PX(a) + 5, PY(t->fit[a]));
			} else {
				HPDF_Page_MoveTo(pg, PX(a), PY(t->fit[a]));
				for (size_t j = a + 1; j < e; j++)
					HPDF_Page_LineTo(pg, PX(j),
					                 PY(t->fit[j]));
			}
			HPDF_Page_Stroke(pg);
			HPDF_Page_SetLineCap(pg, HPDF_BUTT_END);
#undef PX
#undef PY
		}
	}
	hline(pg, PDF_INK, 0.7, px0, px1, pbot);
	return 0;
}

int cor_pdf_trend_chart(cor_pdf *p, cor_pdf_box b, const cor_pdf_trend *t,
                        cor_err *err)
{
	if (t == NULL || (t->n > 0 && (t->counts == NULL ||
	    t->periods == NULL)))
		return cor_err_set(err, COR_EINVAL, "bad trend chart");
	PDF_ENTER(p, err);
	return pdf_leave(p, trend_impl(p, b, t, err), 1);
}

/* ---- route diagram ------------------------------------------------------ */

typedef struct lrect {
	double x0, y0, x1, y1;
} lrect;

/* Whether r overlaps one of the obstacles placed[0..n-1] whose soft[i]
 * equals want: 1 for the boxes along legs and leader lines, 0 for nodes
 * and the parallels' labels, 2 for the places' labels. */
static int overlaps(const lrect *r, const lrect *placed, size_t n,
                    const char *soft, int want)
{
	for (size_t i = 0; i < n; i++)
		if (soft[i] == want &&
		    r->x0 < placed[i].x1 && placed[i].x0 < r->x1 &&
		    r->y0 < placed[i].y1 && placed[i].y0 < r->y1)
			return 1;
	return 0;
}

static int cmp_leg(const void *a, const void *b, const cor_pdf_leg *legs)
{
	const cor_pdf_leg *x = &legs[*(const size_t *)a];
	const cor_pdf_leg *y = &legs[*(const size_t *)b];
	double vx = val_ok(&x->flow) ? x->flow.v : -1.0;
	double vy = val_ok(&y->flow) ? y->flow.v : -1.0;

	if (vx != vy)
		return vx < vy ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* insertion sort: legs are few, and qsort has no context argument */
static void sort_legs(size_t *idx, size_t n, const cor_pdf_leg *legs)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 &&
		     cmp_leg(&idx[j - 1], &idx[j], legs) > 0; j--) {
			size_t t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

/* Count label of a place: "1,451 cases", "<5 cases" or "n/a". */
static const char *node_count_label(const cor_pdf *p, const cor_pdf_node *nd,
                                    int unit, char *out, size_t n)
{
	char buf[64];

	if (nd->count.suppressed == 2)
		snprintf(out, n, "%s", COR_STATS_X);
	else if (nd->count.suppressed)
		snprintf(out, n, "<%d%s", p->k, unit ? " cases" : "");
	else if (isfinite(nd->count.v))
		snprintf(out, n, "%s%s", pdf_fmt_num(nd->count.v, 0, buf,
		         sizeof(buf)), !unit ? "" : nd->count.v == 1.0 ?
		         " case" : " cases");
	else
		snprintf(out, n, "n/a");
	return out;
}

/* Order of places in the key: most cases first, withheld, then n/a. */
static double node_rank(const cor_pdf_node *nd)
{
	if (val_ok(&nd->count))
		return nd->count.v;
	return nd->count.suppressed ? -1.0 : -2.0;
}

/* Places of the route diagram always labelled (busiest first). */
#define ROUTE_PRIO 8
/* Label positions tried per place (see label_spot). */
#define LABEL_TRIES 120

/* The a-th position tried for a label w x h of the node at (x, y): right
 * of the node, then left, at vertical offsets 0, +7, -7, +14, ... up to
 * +-35 points (a < 20); then (a >= 20) further out for a leader line:
 * gaps of 20 and 40 points sideways at offsets up to +-84 points. */
static lrect label_spot(int a, double x, double y, double w, double h)
{
	double dy, gx = 6.0;
	int right;

	if (a < 20) {
		dy = ((a / 2 + 1) / 2) * 7.0 * ((a / 2) % 2 ? 1 : -1);
		right = a % 2 == 0;
	} else {
		int m = (a - 20) / 4;          /* 0..24 */

		gx = (a - 20) % 4 < 2 ? 20.0 : 40.0;
		right = (a - 20) % 2 == 0;
		dy = ((m + 1) / 2) * 7.0 * (m % 2 ? 1 : -1);
	}
	if (right)
		return (lrect){ x + gx, y - h / 2 + dy, x + gx + w,
		                y + h / 2 + dy };
	return (lrect){ x - gx - w, y - h / 2 + dy, x - gx, y + h / 2 + dy };
}

/* The end of the leader line from a node at (x, y) to its label c. */
static void leader_end(const lrect *c, double x, double y, double *ex,
                       double *ey)
{
	*ex = c->x0 < x ? c->x1 + 1 : c->x0 - 1;
	*ey = fmin(fmax(y, c->y0 + 4), c->y1 - 4);
}

/* Whether label c of the node at (x, y) needs a leader line (it was
 * moved off its node). */
static int needs_leader(const lrect *c, double x, double y)
{
	return fabs((c->y0 + c->y1) / 2 - y) > 8.0 || c->x0 > x + 7 ||
	       c->x1 < x - 7;
}

/* Whether the leader line of label c (node at (x, y)) would cross a label
 * already placed (soft[i] == 2): sampled every 2 points, the first 4
 * points (the node) left out. */
static int leader_crosses(const lrect *c, double x, double y,
                          const lrect *placed, size_t n, const char *soft)
{
	double ex, ey, len;

	if (!needs_leader(c, x, y))
		return 0;
	leader_end(c, x, y, &ex, &ey);
	len = hypot(ex - x, ey - y);
	for (double t = 4.0; t < len; t += 2.0) {
		double px = x + (ex - x) * t / len, py = y + (ey - y) * t / len;
		lrect pt = { px - 0.5, py - 0.5, px + 0.5, py + 0.5 };

		if (overlaps(&pt, placed, n, soft, 2))
			return 1;
	}
	return 0;
}

/* Line width of a leg with flow v (maxflow > 0). */
static double leg_width(double v, double maxflow)
{
	return 0.8 + 9.2 * v / maxflow;
}

/* The key at the right of the map: line widths, withheld legs, the
 * projection, then every place with its count (most first); places the
 * map could not label are starred. */
static int route_key(cor_pdf *p, HPDF_Page pg, const cor_pdf_route *r,
                     double maxflow, const char *unlabelled, double x,
                     double y, double w, double bottom, cor_err *err)
{
	char buf[128], num[64];
	double h, rowh = 10.5;
	size_t *ord;
	int rc, star = 0;

	rc = cor_pdf_text(p, COR_PDF_LABEL, COR_PDF_LEFT, x, y, w, "KEY", 1,
	                  &h, err);
	if (rc != 0)
		return rc;
	y += h + 4;
	if (maxflow > 0) {
		double f[3] = { 1.0, 0.5, 0.1 };

		for (int i = 0; i < 3; i++) {
			double v = nearbyint(maxflow * f[i]);

			if (v < 1 || (i > 0 && v == nearbyint(maxflow *
			                                      f[i - 1])))
				continue;
			hline(pg, PDF_SERIES[0], leg_width(v, maxflow), x + 2,
			      x + 26, y + 5);
			snprintf(buf, sizeof(buf), "%s cases on a leg",
			         pdf_fmt_num(v, 0, num, sizeof(num)));
			rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, x + 34,
			              y + 0.5, w - 34, 0.0, buf, err);
			if (rc != 0)
				return rc;
			y += 13;
		}
	}
	HPDF_Page_SetDash(pg, (const HPDF_UINT16[]){ 2, 2 }, 2, 0);
	hline(pg, PDF_GREY, 0.6, x + 2, x + 26, y + 5);
	HPDF_Page_SetDash(pg, NULL, 0, 0);
	snprintf(buf, sizeof(buf), "withheld (<%d or %s)", p->k, COR_STATS_X);
	rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, x + 34, y + 0.5,
	              w - 34, 0.0, buf, err);
	if (rc != 0)
		return rc;
	y += 13;
	pdf_fill(pg, PDF_WHITE);
	pdf_stroke(pg, PDF_INK);
	HPDF_Page_SetLineWidth(pg, 0.9);
	HPDF_Page_Circle(pg, (HPDF_REAL)(x + 14), (HPDF_REAL)pdf_y(y + 5),
	                 3.2);
	HPDF_Page_FillStroke(pg);
	rc = cor_pdf_text(p, COR_PDF_SMALL, COR_PDF_LEFT, x + 34, y + 0.5,
	                  w - 34, "a place, with the cases passing through it",
	                  1, &h, err);
	if (rc != 0)
		return rc;
	y += h + 6;
	rc = cor_pdf_text(p, COR_PDF_SMALL, COR_PDF_LEFT, x, y, w,
	                  r->flow_label ? r->flow_label : "Places at their "
	                  "latitude and longitude.", 1, &h, err);
	if (rc != 0)
		return rc;
	y += h + 10;
	rc = cor_pdf_text(p, COR_PDF_LABEL, COR_PDF_LEFT, x, y, w,
	                  "CASES PASSING THROUGH EACH PLACE", 1, &h, err);
	if (rc != 0)
		return rc;
	y += h + 3;
	ord = pdf_alloc(p, (r->nnodes + 1) * sizeof(*ord));
	if (ord == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nnodes; i++) {
		size_t j = i;

		for (; j > 0 && node_rank(&r->nodes[ord[j - 1]]) <
		     node_rank(&r->nodes[i]); j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
	for (size_t k = 0; k < r->nnodes; k++) {
		const cor_pdf_node *nd = &r->nodes[ord[k]];
		int st = unlabelled != NULL && unlabelled[ord[k]];

		if (y + 2 * rowh > bottom && k + 1 < r->nnodes) {
			snprintf(buf, sizeof(buf), "… and %zu more",
			         r->nnodes - k);
			rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, x, y, w,
			              0.0, buf, err);
			if (rc != 0)
				return rc;
			y += rowh;
			break;
		}
		hline(pg, PDF_GRID, 0.4, x, x + w, y + rowh - 0.5);
		snprintf(buf, sizeof(buf), "%s%s", nd->label, st ? " *" : "");
		star |= st;
		rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, x, y + 1,
		              w - 40, 0.0, buf, err);
		if (rc == 0)
			rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_RIGHT, x + w - 40,
			              y + 1, 40, 0.0, node_count_label(p, nd, 0,
			              num, sizeof(num)), err);
		if (rc != 0)
			return rc;
		y += rowh;
	}
	if (star)
		rc = cor_pdf_text(p, COR_PDF_SMALL, COR_PDF_LEFT, x, y + 3, w,
		                  "* not labelled on the map for lack of room",
		                  1, NULL, err);
	return rc;
}

static int route_impl(cor_pdf *p, cor_pdf_box b, const cor_pdf_route *r,
                      cor_err *err)
{
	HPDF_Page pg = need_page(p, err);
	double y, used, mlat = 0.0, cosm, minx = 1e9, maxx = -1e9;
	double miny = 1e9, maxy = -1e9, ax, ay, aw, ah, padl = 34.0;
	double lab = 64.0, padv = 14.0, sc, ox, oy, maxflow = 0.0;
	double *nx, *ny, mapw;
	size_t *idx;
	lrect *placed;
	size_t nplaced = 0, unlcap;
	char *unl, *unflag, *soft;
	int rc, wide = b.w >= 400.0;
	char buf[96];

	if (pg == NULL)
		return err->code;
	rc = box_title(p, r->title, b, &used, err);
	if (rc != 0)
		return rc;
	y = b.y + used;
	if (r->nnodes == 0)
		return empty_note(p, pg, r->empty_note, b.x, y, b.w,
		                  b.y + b.h - y, err);
	for (size_t i = 0; i < r->nnodes; i++) {
		if (!isfinite(r->nodes[i].lat) || !isfinite(r->nodes[i].lon))
			return cor_err_set(err, COR_EINVAL,
			                   "place '%s' has no coordinates",
			                   r->nodes[i].label);
		mlat += r->nodes[i].lat;
	}
	mlat /= (double)r->nnodes;
	cosm = cos(mlat * M_PI / 180.0);
	nx = pdf_alloc(p, r->nnodes * sizeof(*nx));
	ny = pdf_alloc(p, r->nnodes * sizeof(*ny));
	idx = pdf_alloc(p, (r->nlegs + 1) * sizeof(*idx));
	/* obstacles: parallels (at most 40 on a globe), 32 boxes per leg,
	 * a node, a label and 16 boxes along its leader line per place */
	placed = pdf_alloc(p, (18 * r->nnodes + 32 * r->nlegs + 41) *
	                   sizeof(*placed));
	soft = pdf_alloc(p, 18 * r->nnodes + 32 * r->nlegs + 41);
	unlcap = 64 + r->nnodes * 96;
	unl = pdf_alloc(p, unlcap);
	unflag = pdf_alloc(p, r->nnodes + 1);
	if (nx == NULL || ny == NULL || idx == NULL || placed == NULL ||
	    unl == NULL || unflag == NULL || soft == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nnodes; i++) {
		double X = r->nodes[i].lon * cosm, Y = r->nodes[i].lat;

		minx = fmin(minx, X);
		maxx = fmax(maxx, X);
		miny = fmin(miny, Y);
		maxy = fmax(maxy, Y);
	}
	/* wide boxes: the map on the left (a north-south corridor is tall
	 * and narrow), the key and the place list on the right */
	mapw = wide ? floor(b.w * 0.56) : b.w;
	ax = b.x;
	ay = y;
	aw = mapw;
	ah = b.h - used - (wide ? 0.0 : 34.0);
	{
		double dx = fmax(maxx - minx, 0.5), dy = fmax(maxy - miny, 0.5);
		double sx = (aw - padl - 2 * lab) / dx;
		double sy = (ah - 2 * padv) / dy;

		sc = fmin(sx, sy);
		if (sc > 80.0)
			sc = 80.0;   /* points per degree: keep close places */
		ox = ax + padl + lab + ((aw - padl - 2 * lab) -
		                        (maxx - minx) * sc) / 2;
		oy = ay + padv + ((ah - 2 * padv) - (maxy - miny) * sc) / 2;
	}
	for (size_t i = 0; i < r->nnodes; i++) {
		nx[i] = ox + (r->nodes[i].lon * cosm - minx) * sc;
		ny[i] = oy + (maxy - r->nodes[i].lat) * sc;
	}
	/* parallels every 5 degrees, labelled at the left */
	for (int lat = (int)floor(miny / 5.0) * 5; lat <= maxy + 5; lat += 5) {
		double yy = oy + (maxy - lat) * sc;

		if (yy < ay + 2 || yy > ay + ah - 2)
			continue;
		pdf_stroke(pg, lat == 0 ? PDF_RULE : PDF_GRID);
		HPDF_Page_SetLineWidth(pg, 0.5);
		HPDF_Page_SetDash(pg, (const HPDF_UINT16[]){ 2, 3 }, 2, 0);
		HPDF_Page_MoveTo(pg, (HPDF_REAL)(ax + padl - 4),
		                 (HPDF_REAL)pdf_y(yy));
		HPDF_Page_LineTo(pg, (HPDF_REAL)(ax + aw),
		                 (HPDF_REAL)pdf_y(yy));
		HPDF_Page_Stroke(pg);
		HPDF_Page_SetDash(pg, NULL, 0, 0);
		if (lat == 0)
			snprintf(buf, sizeof(buf), "Equator");
		else
			snprintf(buf, sizeof(buf), "%d°%s", abs(lat),
			         lat > 0 ? "N" : "S");
		rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, ax, yy - 4.5,
		              padl, 0.0, buf, err);
		if (rc != 0)
			return rc;
		/* the parallel's label is an obstacle */
		if (nplaced < 40) {
			soft[nplaced] = 0;
			placed[nplaced++] = (lrect){ ax, yy - 5, ax + padl,
			                             yy + 5 };
		}
	}
	for (size_t i = 0; i < r->nlegs; i++) {
		const cor_pdf_leg *l = &r->legs[i];

		if (l->from >= r->nnodes || l->to >= r->nnodes)
			return cor_err_set(err, COR_EINVAL, "leg %zu names a "
			                   "place out of range", i);
		if (val_ok(&l->flow) && l->flow.v > maxflow)
			maxflow = l->flow.v;
		idx[i] = i;
	}
	sort_legs(idx, r->nlegs, r->legs);
	HPDF_Page_SetLineCap(pg, HPDF_ROUND_END);
	for (size_t k = 0; k < r->nlegs; k++) {
		const cor_pdf_leg *l = &r->legs[idx[k]];
		double x0 = nx[l->from], y0 = ny[l->from];
		double x1 = nx[l->to], y1 = ny[l->to];

		if (val_ok(&l->flow)) {
			double w = maxflow > 0 ? leg_width(l->flow.v, maxflow)
			                       : 0.8;

			pdf_stroke(pg, PDF_SERIES[0]);
			HPDF_Page_SetLineWidth(pg, (HPDF_REAL)w);
		} else {
			pdf_stroke(pg, PDF_GREY);
			HPDF_Page_SetLineWidth(pg, 0.6);
			HPDF_Page_SetDash(pg, (const HPDF_UINT16[]){ 2, 2 }, 2,
			                  0);
		}
		HPDF_Page_MoveTo(pg, (HPDF_REAL)x0, (HPDF_REAL)pdf_y(y0));
		HPDF_Page_LineTo(pg, (HPDF_REAL)x1, (HPDF_REAL)pdf_y(y1));
		HPDF_Page_Stroke(pg);
		HPDF_Page_SetDash(pg, NULL, 0, 0);
		/* the leg is an obstacle for labels: sampled boxes */
		for (int s = 1; s < 64; s += 2) {
			double f = s / 64.0, hw = 2.5;
			double px = x0 + (x1 - x0) * f, py = y0 + (y1 - y0) * f;

			if (val_ok(&l->flow) && maxflow > 0)
				hw += 4.6 * l->flow.v / maxflow;
			soft[nplaced] = 1;
			placed[nplaced++] = (lrect){ px - hw, py - hw,
			                             px + hw, py + hw };
		}
	}
	HPDF_Page_SetLineCap(pg, HPDF_BUTT_END);
	for (size_t i = 0; i < r->nnodes; i++) {
		pdf_fill(pg, PDF_WHITE);
		pdf_stroke(pg, PDF_INK);
		HPDF_Page_SetLineWidth(pg, 0.9);
		HPDF_Page_Circle(pg, (HPDF_REAL)nx[i], (HPDF_REAL)pdf_y(ny[i]),
		                 3.2);
		HPDF_Page_FillStroke(pg);
		soft[nplaced] = 0;
		placed[nplaced++] = (lrect){ nx[i] - 3.5, ny[i] - 3.5,
		                             nx[i] + 3.5, ny[i] + 3.5 };
	}
	/* labels, busiest places first: right of the node, else left, each
	 * nudged up and down, then further out with a leader line; never
	 * over another label, a node or a leg. The ROUTE_PRIO busiest places
	 * are always labelled: failing a free spot, over a leg (on a white
	 * ground), and as a last resort wherever the label fits the map. */
	for (size_t k = 0; k < r->nnodes; k++) {
		size_t i = k;
		const cor_pdf_node *nd;
		double w1, w2, w, h = 20.0;
		char cnt[64];
		lrect best = { 0, 0, 0, 0 };
		int found = 0, backing = 0;

		/* pick the k-th busiest (insertion order kept for ties) */
		{
			size_t sel = r->nnodes;

			for (size_t j = 0; j < r->nnodes; j++)
				if (unflag[j] == 0 && (sel == r->nnodes ||
				    node_rank(&r->nodes[j]) >
				    node_rank(&r->nodes[sel])))
					sel = j;
			i = sel;
			unflag[i] = 2;   /* visited */
		}
		nd = &r->nodes[i];
		node_count_label(p, nd, 1, cnt, sizeof(cnt));
		rc = cor_pdf_text_width(p, COR_PDF_CELL, nd->label, &w1, err);
		if (rc == 0)
			rc = cor_pdf_text_width(p, COR_PDF_SMALL, cnt, &w2,
			                        err);
		if (rc != 0)
			return rc;
		w = fmin(fmax(w1, w2), aw);
		/* phase 0: every obstacle; 1: labels and nodes only (over a
		 * leg, on a white ground); 2: anywhere on the map */
		for (int ph = 0; ph < 3 && !found; ph++) {
			if (ph > 0 && k >= ROUTE_PRIO)
				break;
			for (int a = 0; a < LABEL_TRIES && !found; a++) {
				lrect c = label_spot(a, nx[i], ny[i], w, h);

				if (c.x0 < ax || c.x1 > ax + aw || c.y0 < ay ||
				    c.y1 > ay + ah)
					continue;
				if (ph == 2 || (!overlaps(&c, placed, nplaced,
				    soft, 0) && !overlaps(&c, placed, nplaced,
				    soft, 2) && (ph == 1 || (!overlaps(&c,
				    placed, nplaced, soft, 1) &&
				    !leader_crosses(&c, nx[i], ny[i], placed,
				    nplaced, soft))))) {
					best = c;
					found = 1;
					backing = ph > 0;
				}
			}
		}
		if (!found && k < ROUTE_PRIO) {
			/* wider than every spot: at the node, clamped */
			best.x0 = fmax(ax, fmin(nx[i] + 6, ax + aw - w));
			best.y0 = fmax(ay, fmin(ny[i] - h / 2, ay + ah - h));
			best.x1 = best.x0 + w;
			best.y1 = best.y0 + h;
			found = backing = 1;
		}
		if (!found) {
			/* no free place: listed (starred) in the key, or
			 * below a narrow diagram */
			size_t ul = strlen(unl);

			unflag[i] = 3;
			snprintf(unl + ul, unlcap - ul, "%s%s (%s)", ul ? "; "
			         : "Not labelled for lack of room: ",
			         nd->label, cnt);
			continue;
		}
		soft[nplaced] = 2;
		placed[nplaced++] = best;
		if (needs_leader(&best, nx[i], ny[i])) {
			/* moved off its node: a leader line says whose; later
			 * labels keep off it (16 boxes along it) */
			double ex, ey;

			leader_end(&best, nx[i], ny[i], &ex, &ey);
			for (int s = 1; s <= 16; s++) {
				double px = nx[i] + (ex - nx[i]) * s / 16.0;
				double py = ny[i] + (ey - ny[i]) * s / 16.0;

				soft[nplaced] = 1;
				placed[nplaced++] = (lrect){ px - 1.5, py - 1.5,
				                             px + 1.5, py + 1.5 };
			}
			pdf_stroke(pg, PDF_GREY);
			HPDF_Page_SetLineWidth(pg, 0.4);
			HPDF_Page_MoveTo(pg, (HPDF_REAL)nx[i],
			                 (HPDF_REAL)pdf_y(ny[i]));
			HPDF_Page_LineTo(pg, (HPDF_REAL)ex, (HPDF_REAL)pdf_y(ey));
			HPDF_Page_Stroke(pg);
		}
		if (backing)
			rect_fill(pg, PDF_WHITE, best.x0 - 1, best.y0, w + 2, h);
		rc = pdf_line(p, COR_PDF_CELL, best.x0 < nx[i] ?
		              COR_PDF_RIGHT : COR_PDF_LEFT, best.x0, best.y0,
		              w, 0.0, nd->label, err);
		if (rc == 0)
			rc = pdf_line(p, COR_PDF_SMALL, best.x0 < nx[i] ?
			              COR_PDF_RIGHT : COR_PDF_LEFT, best.x0,
			              best.y0 + 10.0, w, 0.0, cnt, err);
		if (rc != 0)
			return rc;
	}
	if (wide) {
		for (size_t i = 0; i < r->nnodes; i++)
			unflag[i] = unflag[i] == 3;
		vline(pg, PDF_GRID, 0.6, b.x + mapw + 8, ay, ay + ah);
		return route_key(p, pg, r, maxflow, unflag, b.x + mapw + 18,
		                 ay + 2, b.w - mapw - 18, ay + ah, err);
	}
	if (unl[0] != '\0') {
		rc = cor_pdf_text(p, COR_PDF_SMALL, COR_PDF_LEFT, b.x,
		                  b.y + b.h - 30.0, b.w, unl, 1, NULL, err);
		if (rc != 0)
			return rc;
	}
	snprintf(buf, sizeof(buf), "Dashed grey: withheld (<%d or %s). "
	         "Places at their latitude and longitude.", p->k,
	         COR_STATS_X);
	rc = cor_pdf_text(p, COR_PDF_SMALL, COR_PDF_LEFT, b.x,
	                  b.y + b.h - 20.0, b.w, r->flow_label ?
	                  r->flow_label : "Line width proportional to cases "
	                  "on the leg.", 1, NULL, err);
	if (rc == 0)
		rc = cor_pdf_text(p, COR_PDF_SMALL, COR_PDF_LEFT, b.x,
		                  b.y + b.h - 10.0, b.w, buf, 1, NULL, err);
	return rc;
}

int cor_pdf_route_diagram(cor_pdf *p, cor_pdf_box b, const cor_pdf_route *r,
                          cor_err *err)
{
	if (r == NULL || (r->nnodes > 0 && r->nodes == NULL) ||
	    (r->nlegs > 0 && r->legs == NULL))
		return cor_err_set(err, COR_EINVAL, "bad route diagram");
	PDF_ENTER(p, err);
	return pdf_leave(p, route_impl(p, b, r, err), 1);
}

/* ---- tables ------------------------------------------------------------- */

static int row_draw(cor_pdf *p, const cor_pdf_table *t, const double *cx,
                    const double *cw, const char *const *txt,
                    cor_pdf_style st, double y, int draw, double *rh,
                    cor_err *err)
{
	double pad = 3.0, h = 0.0;
	int rc;

	for (size_t c = 0; c < t->ncols; c++) {
		double hh;
		cor_pdf_align al = t->align ? t->align[c]
		                            : (c == 0 ? COR_PDF_LEFT
		                                      : COR_PDF_RIGHT);

		rc = cor_pdf_text(p, st, al, cx[c] + pad, y + pad,
		                  cw[c] - 2 * pad, txt[c], draw, &hh, err);
		if (rc != 0)
			return rc;
		if (hh > h)
			h = hh;
	}
	*rh = h + 2 * pad - 1.5;
	return 0;
}

static int table_impl(cor_pdf *p, cor_pdf_box b, const cor_pdf_table *t,
                      double *height, cor_err *err)
{
	HPDF_Page pg = need_page(p, err);
	double y = b.y, used, *cx, *cw, rh, x;
	const char **txt;
	int rc;
	char sup[16];

	if (pg == NULL)
		return err->code;
	rc = box_title(p, t->title, b, &used, err);
	if (rc != 0)
		return rc;
	y += used;
	cx = pdf_alloc(p, t->ncols * sizeof(*cx));
	cw = pdf_alloc(p, t->ncols * sizeof(*cw));
	txt = pdf_alloc(p, t->ncols * sizeof(*txt));
	if (cx == NULL || cw == NULL || txt == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	x = b.x;
	for (size_t c = 0; c < t->ncols; c++) {
		cw[c] = b.w * (t->widths ? t->widths[c] : 1.0 / t->ncols);
		cx[c] = x;
		x += cw[c];
	}
	rc = row_draw(p, t, cx, cw, t->headers, COR_PDF_CELL_BOLD, y, 0, &rh,
	              err);
	if (rc != 0)
		return rc;
	rect_fill(pg, PDF_PANEL, b.x, y, b.w, rh);
	rc = row_draw(p, t, cx, cw, t->headers, COR_PDF_CELL_BOLD, y, 1, &rh,
	              err);
	if (rc != 0)
		return rc;
	y += rh;
	hline(pg, PDF_RULE, 0.7, b.x, b.x + b.w, y);
	snprintf(sup, sizeof(sup), "<%d", p->k);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			size_t i = r * t->ncols + c;

			txt[c] = t->suppressed && t->suppressed[i] == 2 ?
			         COR_STATS_X : t->suppressed &&
			         t->suppressed[i] ? sup
			         : t->cells[i] ? t->cells[i] : "";
		}
		rc = row_draw(p, t, cx, cw, txt, COR_PDF_CELL, y, 0, &rh, err);
		if (rc != 0)
			return rc;
		if (r % 2 == 1)
			rect_fill(pg, (pdf_rgb){ 0.976, 0.980, 0.984 }, b.x, y,
			          b.w, rh);
		rc = row_draw(p, t, cx, cw, txt, COR_PDF_CELL, y, 1, &rh, err);
		if (rc != 0)
			return rc;
		y += rh;
	}
	if (t->nrows == 0) {
		double h;

		rc = cor_pdf_text(p, COR_PDF_SMALL, COR_PDF_LEFT, b.x + 3,
		                  y + 3, b.w - 6, t->empty_note ? t->empty_note
		                  : "No rows.", 1, &h, err);
		if (rc != 0)
			return rc;
		y += h + 6;
	}
	hline(pg, PDF_RULE, 0.7, b.x, b.x + b.w, y);
	if (height != NULL)
		*height = y - b.y;
	return 0;
}

int cor_pdf_table_draw(cor_pdf *p, cor_pdf_box b, const cor_pdf_table *t,
                       double *height, cor_err *err)
{
	if (t == NULL || t->ncols == 0 || t->headers == NULL ||
	    (t->nrows > 0 && t->cells == NULL))
		return cor_err_set(err, COR_EINVAL, "bad table");
	PDF_ENTER(p, err);
	return pdf_leave(p, table_impl(p, b, t, height, err), 1);
}

int cor_pdf_rule(cor_pdf *p, double x, double y, double w, cor_err *err)
{
	HPDF_Page pg;

	PDF_ENTER(p, err);
	pg = need_page(p, err);
	if (pg == NULL)
		return pdf_leave(p, err->code, 1);
	hline(pg, PDF_RULE, 0.6, x, x + w, y);
	return pdf_leave(p, 0, 1);
}
