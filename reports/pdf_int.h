/* reports/pdf_int.h: internals shared by reports/pdf.c (document, fonts,
 * text) and reports/chart.c (primitives). Not a public header. */
#ifndef COR_PDF_INT_H
#define COR_PDF_INT_H

#include <setjmp.h>
#include <stdint.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <hpdf.h>

#include "corridor/pdf.h"

#define PDF_NFONT 3      /* regular, bold, fallback */
#define PDF_MAX_PAGES 64

typedef struct pdf_font {
	HPDF_Font hf;
	FT_Face face;
	int loaded;
} pdf_font;

struct cor_pdf {
	jmp_buf jb;              /* libharu errors land here (STYLE 2.5) */
	HPDF_STATUS no, detail;  /* set by the error handler */
	HPDF_Doc doc;
	FT_Library ft;
	pdf_font fonts[PDF_NFONT];
	HPDF_Page pages[PDF_MAX_PAGES];
	int npages;
	HPDF_Page cur;           /* page drawn on */
	HPDF_ExtGState alpha;    /* translucent fill for CI bands */
	int depth;               /* nesting of public calls; setjmp at 1 */
	int failed;              /* a call failed: the document is dead */
	int finished;            /* footers drawn: no more pages */
	char *title, *subject, *quarter;
	int synthetic, k;
	void **scratch;          /* allocations of the current call */
	size_t nscratch, capscratch;
};

/* RGB colours of the palette. */
typedef struct pdf_rgb {
	double r, g, b;
} pdf_rgb;

extern const pdf_rgb PDF_INK, PDF_GREY, PDF_GRID, PDF_RULE, PDF_PANEL,
	PDF_BAND, PDF_WHITE, PDF_SERIES[4], PDF_FIT, PDF_BANDFILL;

/* Entry/exit of every public function that calls libharu. PDF_ENTER sets
 * the jmp_buf only in the outermost call; a libharu error unwinds to it
 * and returns COR_EPDF after freeing the call's scratch memory. */
#define PDF_ENTER(p, err)                                              \
	do {                                                           \
		if ((p) == NULL)                                       \
			return cor_err_set((err), COR_EINVAL,          \
			                   "no document");             \
		if ((p)->failed)                                       \
			return cor_err_set((err), COR_EPDF,            \
			                   "document failed earlier"); \
		if ((p)->depth++ == 0) {                               \
			if (setjmp((p)->jb) != 0)                      \
				return pdf_caught((p), (err));         \
		}                                                      \
	} while (0)

int pdf_caught(cor_pdf *p, cor_err *err);
/* Leaves a call: frees scratch at the outermost level; when mark and
 * rc < 0 the document is marked failed. Returns rc. */
int pdf_leave(cor_pdf *p, int rc, int mark);

/* Scratch allocation freed when the outermost call returns (also after a
 * libharu error). NULL on OOM. */
void *pdf_alloc(cor_pdf *p, size_t n);
char *pdf_strdup(cor_pdf *p, const char *s);

/* Current page (the last one added); NULL before the first. */
HPDF_Page pdf_page(cor_pdf *p);

/* PDF y (bottom-up) of a top-down y. */
static inline double pdf_y(double top_y)
{
	return COR_PDF_PAGE_H - top_y;
}

void pdf_fill(HPDF_Page pg, pdf_rgb c);
void pdf_stroke(HPDF_Page pg, pdf_rgb c);

/* Font size of a style. */
double pdf_style_size(cor_pdf_style st);
/* Line advance of a style. */
double pdf_line_h(cor_pdf_style st);

/* Draws one line of s (no wrapping; '\n' not allowed) with its left end
 * at x (or aligned in [x, x + w]) and its top at top_y; angle in degrees
 * (90 = upwards). Checks glyphs first. */
int pdf_line(cor_pdf *p, cor_pdf_style st, cor_pdf_align al, double x,
             double top_y, double w, double angle, const char *s,
             cor_err *err);

/* Formats v with thousands separators ("12,345") when integral, else
 * with `dec` decimals. Never prints nan/inf (writes "n/a"). */
const char *pdf_fmt_num(double v, int dec, char *buf, size_t n);

#endif /* COR_PDF_INT_H */
