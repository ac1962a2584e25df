/* reports/pdf.c: the PDF document (libharu), its fonts, glyph coverage
 * (FreeType cmap look-ups) and text: runs per font, our own line wrapping,
 * page frames and reproducible saving. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pdf_int.h"

const pdf_rgb PDF_INK = { 0.118, 0.165, 0.212 };
const pdf_rgb PDF_GREY = { 0.373, 0.420, 0.463 };
const pdf_rgb PDF_GRID = { 0.890, 0.906, 0.922 };
const pdf_rgb PDF_RULE = { 0.780, 0.812, 0.843 };
const pdf_rgb PDF_PANEL = { 0.953, 0.965, 0.976 };
const pdf_rgb PDF_BAND = { 0.659, 0.196, 0.176 };
const pdf_rgb PDF_WHITE = { 1.0, 1.0, 1.0 };
const pdf_rgb PDF_SERIES[4] = {
	{ 0.184, 0.365, 0.541 },   /* slate blue */
	{ 0.784, 0.537, 0.231 },   /* ochre */
	{ 0.369, 0.549, 0.380 },   /* sage */
	{ 0.541, 0.435, 0.659 },   /* muted violet */
};
const pdf_rgb PDF_FIT = { 0.725, 0.396, 0.149 };
const pdf_rgb PDF_BANDFILL = { 0.906, 0.651, 0.392 };

static const struct {
	double size;
	int bold;
	const pdf_rgb *color;
} styles[] = {
	[COR_PDF_BODY] = { 9.0, 0, &PDF_INK },
	[COR_PDF_SMALL] = { 7.5, 0, &PDF_GREY },
	[COR_PDF_BOLD] = { 9.0, 1, &PDF_INK },
	[COR_PDF_H2] = { 11.0, 1, &PDF_INK },
	[COR_PDF_H1] = { 15.0, 1, &PDF_SERIES[0] },
	[COR_PDF_TITLE] = { 22.0, 1, &PDF_INK },
	[COR_PDF_FIGURE] = { 20.0, 1, &PDF_SERIES[0] },
	[COR_PDF_LABEL] = { 7.5, 1, &PDF_GREY },
	[COR_PDF_CELL] = { 8.0, 0, &PDF_INK },
	[COR_PDF_CELL_BOLD] = { 8.0, 1, &PDF_INK },
	[COR_PDF_BAND] = { 9.0, 1, &PDF_WHITE },
};
#define NSTYLES (sizeof(styles) / sizeof(styles[0]))

static int style_ok(cor_pdf_style st)
{
	return (unsigned)st < NSTYLES;
}

double pdf_style_size(cor_pdf_style st)
{
	return style_ok(st) ? styles[st].size : 9.0;
}

double pdf_line_h(cor_pdf_style st)
{
	return pdf_style_size(st) * 1.3;
}

/* ---- document life cycle ---------------------------------------------- */

static void on_error(HPDF_STATUS no, HPDF_STATUS detail, void *ud)
{
	cor_pdf *p = ud;

	p->no = no;
	p->detail = detail;
	longjmp(p->jb, 1);
}

static void scratch_free(cor_pdf *p)
{
	for (size_t i = 0; i < p->nscratch; i++)
		free(p->scratch[i]);
	p->nscratch = 0;
}

void *pdf_alloc(cor_pdf *p, size_t n)
{
	void *m;

	if (p->nscratch == p->capscratch) {
		size_t cap = p->capscratch ? p->capscratch * 2 : 16;
		void **v = realloc(p->scratch, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		p->scratch = v;
		p->capscratch = cap;
	}
	m = calloc(1, n ? n : 1);
	if (m != NULL)
		p->scratch[p->nscratch++] = m;
	return m;
}

char *pdf_strdup(cor_pdf *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = pdf_alloc(p, n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

int pdf_caught(cor_pdf *p, cor_err *err)
{
	p->depth = 0;
	p->failed = 1;
	scratch_free(p);
	return cor_err_set(err, COR_EPDF,
	                   "libharu error 0x%04X (detail %u)",
	                   (unsigned)p->no, (unsigned)p->detail);
}

int pdf_leave(cor_pdf *p, int rc, int mark)
{
	if (p->depth > 0)
		p->depth--;
	if (p->depth == 0)
		scratch_free(p);
	if (rc < 0 && mark)
		p->failed = 1;
	return rc;
}

HPDF_Page pdf_page(cor_pdf *p)
{
	return p->cur;
}

static char *xstrdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

long long cor_pdf_source_date(long long fallback)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return fallback;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return fallback;
	return v;
}

static int load_font(cor_pdf *p, int i, const char *path, cor_err *err)
{
	const char *name;
	FT_Error fe;

	/* FreeType first: it gives a clear error for a missing or bad file
	 * before libharu would raise its own (0x1017, 0x105F, ...). */
	fe = FT_New_Face(p->ft, path, 0, &p->fonts[i].face);
	if (fe != 0) {
		p->fonts[i].face = NULL;
		return cor_err_at(err, COR_EIO, path, 0, NULL,
		                  "cannot load font (FreeType error %d)",
		                  (int)fe);
	}
	name = HPDF_LoadTTFontFromFile(p->doc, path, HPDF_TRUE);
	if (name == NULL)
		return cor_err_at(err, COR_EPDF, path, 0, NULL,
		                  "libharu cannot load font");
	p->fonts[i].hf = HPDF_GetFont(p->doc, name, "UTF-8");
	if (p->fonts[i].hf == NULL)
		return cor_err_at(err, COR_EPDF, path, 0, NULL,
		                  "libharu has no UTF-8 font for this file");
	p->fonts[i].loaded = 1;
	return 0;
}

static int set_date(cor_pdf *p, HPDF_InfoType what, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	HPDF_Date d;

	if (gmtime_r(&tt, &tm) == NULL)
		return COR_EINVAL;
	memset(&d, 0, sizeof(d));
	d.year = tm.tm_year + 1900;
	d.month = tm.tm_mon + 1;
	d.day = tm.tm_mday;
	d.hour = tm.tm_hour;
	d.minutes = tm.tm_min;
	d.seconds = tm.tm_sec;
	d.ind = 'Z';
	return HPDF_SetInfoDateAttr(p->doc, what, d) == HPDF_OK ? 0 : COR_EPDF;
}

static int doc_setup(cor_pdf *p, const cor_pdf_opts *o, cor_err *err)
{
	const char *fb = o->font_fallback ? o->font_fallback
	                                  : COR_PDF_FONT_ETHIOPIC;
	int rc;

	if (HPDF_UseUTFEncodings(p->doc) != HPDF_OK ||
	    HPDF_SetCurrentEncoder(p->doc, "UTF-8") != HPDF_OK ||
	    HPDF_SetCompressionMode(p->doc, HPDF_COMP_ALL) != HPDF_OK)
		return cor_err_set(err, COR_EPDF, "libharu setup failed");
	rc = load_font(p, 0, o->font_regular ? o->font_regular
	                                     : COR_PDF_FONT_REGULAR, err);
	if (rc == 0)
		rc = load_font(p, 1, o->font_bold ? o->font_bold
		                                  : COR_PDF_FONT_BOLD, err);
	if (rc == 0 && *fb != '\0')
		rc = load_font(p, 2, fb, err);
	if (rc != 0)
		return rc;
	if (HPDF_SetInfoAttr(p->doc, HPDF_INFO_TITLE,
	                     o->title ? o->title : "corridor") != HPDF_OK ||
	    HPDF_SetInfoAttr(p->doc, HPDF_INFO_SUBJECT,
	                     o->subject ? o->subject : "corridor") != HPDF_OK ||
	    HPDF_SetInfoAttr(p->doc, HPDF_INFO_AUTHOR, "corridor") != HPDF_OK ||
	    HPDF_SetInfoAttr(p->doc, HPDF_INFO_CREATOR,
	                     "corridor " COR_VERSION) != HPDF_OK)
		return cor_err_set(err, COR_EPDF, "cannot set document info");
	if (set_date(p, HPDF_INFO_CREATION_DATE, o->date) != 0 ||
	    set_date(p, HPDF_INFO_MOD_DATE, o->date) != 0)
		return cor_err_set(err, COR_EPDF, "cannot set document dates");
	p->alpha = HPDF_CreateExtGState(p->doc);
	if (p->alpha == NULL ||
	    HPDF_ExtGState_SetAlphaFill(p->alpha, 0.28) != HPDF_OK)
		return cor_err_set(err, COR_EPDF, "cannot create ExtGState");
	return 0;
}

int cor_pdf_new(const cor_pdf_opts *o, cor_pdf **out, cor_err *err)
{
	cor_pdf *p;
	int rc;

	*out = NULL;
	if (o == NULL || o->date < 0 || o->k < 0)
		return cor_err_set(err, COR_EINVAL, "bad document options");
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	p->title = xstrdup(o->title ? o->title : "corridor");
	p->subject = xstrdup(o->subject);
	p->quarter = xstrdup(o->quarter ? o->quarter : "");
	p->synthetic = o->synthetic;
	p->k = o->k > 0 ? o->k : 5;
	if (p->title == NULL || p->quarter == NULL ||
	    (o->subject != NULL && p->subject == NULL)) {
		cor_pdf_free(p);
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	}
	if (FT_Init_FreeType(&p->ft) != 0) {
		p->ft = NULL;
		cor_pdf_free(p);
		return cor_err_set(err, COR_EFAIL, "FreeType init failed");
	}
	p->doc = HPDF_New(on_error, p);
	if (p->doc == NULL) {
		cor_pdf_free(p);
		return cor_err_set(err, COR_ENOMEM, "HPDF_New failed");
	}
	PDF_ENTER(p, err);
	rc = pdf_leave(p, doc_setup(p, o, err), 1);
	if (rc != 0) {
		cor_pdf_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void cor_pdf_free(cor_pdf *p)
{
	if (p == NULL)
		return;
	scratch_free(p);
	free(p->scratch);
	if (p->doc != NULL)
		HPDF_Free(p->doc);
	for (int i = 0; i < PDF_NFONT; i++)
		if (p->fonts[i].face != NULL)
			FT_Done_Face(p->fonts[i].face);
	if (p->ft != NULL)
		FT_Done_FreeType(p->ft);
	free(p->title);
	free(p->subject);
	free(p->quarter);
	free(p);
}

/* ---- UTF-8 and glyph coverage ----------------------------------------- */

/* Decodes one code point at s[*i] (strict: no overlong forms, no
 * surrogates, <= U+10FFFF). Returns 0 and advances *i, or -1. */
static int u8_next(const unsigned char *s, size_t len, size_t *i,
                   uint32_t *cp)
{
	size_t k = *i, n;
	uint32_t c = s[k], min;

	if (c < 0x80) {
		*cp = c;
		*i = k + 1;
		return 0;
	}
	if ((c & 0xE0) == 0xC0) {
		n = 1;
		c &= 0x1F;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 2;
		c &= 0x0F;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (k + n >= len)
		return -1;
	for (size_t j = 1; j <= n; j++) {
		if ((s[k + j] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (s[k + j] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	*i = k + n + 1;
	return 0;
}

static int font_has(const cor_pdf *p, int f, uint32_t cp)
{
	/* libharu's TrueType loader reads the BMP cmap only (format 4). */
	if (!p->fonts[f].loaded || cp > 0xFFFF)
		return 0;
	return FT_Get_Char_Index(p->fonts[f].face, cp) != 0;
}

/* Font for cp in style st, preferring cur (the current run's font) for
 * spaces and punctuation so runs do not fragment. -1 when none. */
static int font_for(const cor_pdf *p, cor_pdf_style st, uint32_t cp,
                    int cur)
{
	int order[PDF_NFONT];
	int primary = styles[st].bold ? 1 : 0;

	if (cur >= 0 && cp < 0x80 && !((cp | 0x20) >= 'a' &&
	    (cp | 0x20) <= 'z') && font_has(p, cur, cp))
		return cur;
	order[0] = primary;
	order[1] = 2;
	order[2] = 1 - primary;
	for (int i = 0; i < PDF_NFONT; i++)
		if (font_has(p, order[i], cp))
			return order[i];
	return -1;
}

/* One code point of a string: byte offset and length, font, advance. */
typedef struct glyph {
	uint32_t cp;
	size_t off;
	unsigned char len;
	signed char font;
	double w;
} glyph;

/* Shapes s into g[] (scratch). Fails with COR_EDATA listing every code
 * point no font covers, or on invalid UTF-8. */
static int shape(cor_pdf *p, cor_pdf_style st, const char *s, glyph **out,
                 size_t *nout, cor_err *err)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n = 0, nmiss = 0;
	double size = styles[st].size;
	glyph *g;
	char miss[512] = "";
	int cur = -1;

	g = pdf_alloc(p, (len + 1) * sizeof(*g));
	if (g == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	while (i < len) {
		size_t start = i;
		uint32_t cp;
		int f;

		if (u8_next(u, len, &i, &cp) != 0)
			return cor_err_set(err, COR_EDATA,
			                   "invalid UTF-8 at byte %zu of "
			                   "text '%.200s'", start, s);
		g[n].cp = cp;
		g[n].off = start;
		g[n].len = (unsigned char)(i - start);
		if (cp == '\n') {
			g[n].font = -1;
			g[n].w = 0.0;
			n++;
			continue;
		}
		f = font_for(p, st, cp, cur);
		if (f < 0) {
			size_t ml = strlen(miss);

			if (nmiss < 24)
				snprintf(miss + ml, sizeof(miss) - ml,
				         "%sU+%04X", nmiss ? " " : "",
				         (unsigned)cp);
			else if (nmiss == 24)
				snprintf(miss + ml, sizeof(miss) - ml,
				         " ...");
			nmiss++;
			g[n].font = -1;
			g[n].w = 0.0;
			n++;
			continue;
		}
		cur = f;
		g[n].font = (signed char)f;
		{
			HPDF_TextWidth tw = HPDF_Font_TextWidth(
				p->fonts[f].hf, u + start,
				(HPDF_UINT)(i - start));

			g[n].w = tw.width * size / 1000.0;
		}
		n++;
	}
	if (nmiss > 0)
		return cor_err_set(err, COR_EDATA,
		                   "no configured font has a glyph for %s "
		                   "(%zu code point%s) in '%.200s'", miss,
		                   nmiss, nmiss == 1 ? "" : "s", s);
	*out = g;
	*nout = n;
	return 0;
}

int cor_pdf_check_text(cor_pdf *p, cor_pdf_style st, const char *s,
                       cor_err *err)
{
	glyph *g;
	size_t n;

	if (s == NULL || !style_ok(st))
		return cor_err_set(err, COR_EINVAL, "no text or bad style");
	PDF_ENTER(p, err);
	return pdf_leave(p, shape(p, st, s, &g, &n, err), 0);
}

int cor_pdf_text_width(cor_pdf *p, cor_pdf_style st, const char *s,
                       double *width, cor_err *err)
{
	glyph *g;
	size_t n;
	int rc;

	if (s == NULL || !style_ok(st))
		return cor_err_set(err, COR_EINVAL, "no text or bad style");
	PDF_ENTER(p, err);
	rc = shape(p, st, s, &g, &n, err);
	if (rc == 0) {
		double w = 0.0;

		for (size_t i = 0; i < n; i++)
			w += g[i].w;
		*width = w;
	}
	return pdf_leave(p, rc, 0);
}

/* ---- wrapping ----------------------------------------------------------- */

typedef struct line {
	size_t a, b;      /* glyph range [a, b) */
	double w;
} line;

/* Greedy wrap of g[0..n) to width maxw. Breaks at ASCII spaces; a word
 * wider than the line breaks at a code point boundary; '\n' forces a
 * break. Leading spaces of a wrapped line are dropped and trailing ones
 * do not count. Lines go to *out (scratch). */
static int wrap(cor_pdf *p, const glyph *g, size_t n, double maxw,
                line **out, size_t *nout, cor_err *err)
{
	line *L = pdf_alloc(p, (n + 2) * sizeof(*L));
	size_t nl = 0, i = 0;

	if (L == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	for (;;) {
		size_t a = i, j = i, brk = 0, next;
		double w = 0.0;
		int have_brk = 0, forced;

		while (j < n && g[j].cp != '\n') {
			if (g[j].cp == ' ' && j > a) {
				brk = j;
				have_brk = 1;
			}
			if (w + g[j].w > maxw + 1e-6 && j > a &&
			    g[j].cp != ' ')
				break;
			w += g[j].w;
			j++;
		}
		forced = j < n && g[j].cp == '\n';
		if (j >= n || forced) {
			next = forced ? j + 1 : j;
		} else if (have_brk) {
			j = brk;
			next = brk + 1;
		} else {
			next = j;   /* no space: break inside the word */
		}
		while (j > a && g[j - 1].cp == ' ')
			j--;        /* trailing spaces do not count */
		w = 0.0;
		for (size_t k = a; k < j; k++)
			w += g[k].w;
		L[nl++] = (line){ a, j, w };
		if (!forced)
			while (next < n && g[next].cp == ' ')
				next++;
		if (next >= n) {
			if (forced)
				L[nl++] = (line){ n, n, 0.0 };
			break;
		}
		i = next;
	}
	*out = L;
	*nout = nl;
	return 0;
}

void pdf_fill(HPDF_Page pg, pdf_rgb c)
{
	HPDF_Page_SetRGBFill(pg, (HPDF_REAL)c.r, (HPDF_REAL)c.g,
	                     (HPDF_REAL)c.b);
}

void pdf_stroke(HPDF_Page pg, pdf_rgb c)
{
	HPDF_Page_SetRGBStroke(pg, (HPDF_REAL)c.r, (HPDF_REAL)c.g,
	                       (HPDF_REAL)c.b);
}

/* Draws glyphs [a, b) of s as runs, one font per run, starting at the
 * current text matrix (set by the caller). */
static int draw_runs(cor_pdf *p, HPDF_Page pg, cor_pdf_style st,
                     const char *s, const glyph *g, size_t a, size_t b,
                     cor_err *err)
{
	size_t i = a;

	while (i < b) {
		size_t j = i, nb;
		char *run;

		while (j < b && g[j].font == g[i].font)
			j++;
		nb = g[j - 1].off + g[j - 1].len - g[i].off;
		run = pdf_alloc(p, nb + 1);
		if (run == NULL)
			return cor_err_set(err, COR_ENOMEM, "out of memory");
		memcpy(run, s + g[i].off, nb);
		if (HPDF_Page_SetFontAndSize(pg, p->fonts[g[i].font].hf,
		                             (HPDF_REAL)styles[st].size)
		    != HPDF_OK ||
		    HPDF_Page_ShowText(pg, run) != HPDF_OK)
			return cor_err_set(err, COR_EPDF, "cannot show text");
		i = j;
	}
	return 0;
}

/* Baseline offset below the top of a line. */
static double ascent(cor_pdf_style st)
{
	return styles[st].size * 0.93;
}

static int draw_line_glyphs(cor_pdf *p, cor_pdf_style st, cor_pdf_align al,
                            double x, double top_y, double w, double angle,
                            const char *s, const glyph *g, const line *ln,
                            cor_err *err)
{
	HPDF_Page pg = pdf_page(p);
	double dx = 0.0, rad = angle * M_PI / 180.0;
	double c = cos(rad), sn = sin(rad), bx, by;

	if (pg == NULL)
		return cor_err_set(err, COR_EINVAL, "no page");
	if (ln->b == ln->a)
		return 0;
	if (al == COR_PDF_CENTER)
		dx = (w - ln->w) / 2.0;
	else if (al == COR_PDF_RIGHT)
		dx = w - ln->w;
	/* baseline origin: (x, top) moved down by the ascent, in the
	 * rotated frame */
	bx = x + dx * c + ascent(st) * sn;
	by = pdf_y(top_y) - ascent(st) * c + dx * sn;
	if (fabs(angle) < 1e-9) {
		bx = x + dx;
		by = pdf_y(top_y) - ascent(st);
	}
	pdf_fill(pg, *styles[st].color);
	if (HPDF_Page_BeginText(pg) != HPDF_OK ||
	    HPDF_Page_SetTextMatrix(pg, (HPDF_REAL)c, (HPDF_REAL)sn,
	                            (HPDF_REAL)-sn, (HPDF_REAL)c,
	                            (HPDF_REAL)bx, (HPDF_REAL)by) != HPDF_OK)
		return cor_err_set(err, COR_EPDF, "cannot begin text");
	if (draw_runs(p, pg, st, s, g, ln->a, ln->b, err) != 0)
		return err->code;
	if (HPDF_Page_EndText(pg) != HPDF_OK)
		return cor_err_set(err, COR_EPDF, "cannot end text");
	return 0;
}

int pdf_line(cor_pdf *p, cor_pdf_style st, cor_pdf_align al, double x,
             double top_y, double w, double angle, const char *s,
             cor_err *err)
{
	glyph *g;
	size_t n;
	line ln;
	int rc;

	rc = shape(p, st, s, &g, &n, err);
	if (rc != 0)
		return rc;
	ln.a = 0;
	ln.b = n;
	ln.w = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (g[i].cp == '\n')
			return cor_err_set(err, COR_EINVAL,
			                   "newline in a one-line label");
		ln.w += g[i].w;
	}
	return draw_line_glyphs(p, st, al, x, top_y, w, angle, s, g, &ln,
	                        err);
}

static int text_impl(cor_pdf *p, cor_pdf_style st, cor_pdf_align al,
                     double x, double y, double w, const char *s, int draw,
                     double *height, int *nlines, cor_err *err)
{
	glyph *g = NULL;
	line *L = NULL;
	size_t n = 0, nl = 0;
	int rc;

	if (!(w > 0.0))
		return cor_err_set(err, COR_EINVAL, "text box has no width");
	rc = shape(p, st, s, &g, &n, err);
	if (rc == 0)
		rc = wrap(p, g, n, w, &L, &nl, err);
	if (rc != 0)
		return rc;
	for (size_t i = 0; draw && i < nl; i++) {
		rc = draw_line_glyphs(p, st, al, x, y + i * pdf_line_h(st),
		                      w, 0.0, s, g, &L[i], err);
		if (rc != 0)
			return rc;
	}
	if (height != NULL)
		*height = nl * pdf_line_h(st);
	if (nlines != NULL)
		*nlines = (int)nl;
	return 0;
}

int cor_pdf_text(cor_pdf *p, cor_pdf_style st, cor_pdf_align al, double x,
                 double y, double w, const char *s, int draw,
                 double *height, cor_err *err)
{
	if (s == NULL || !style_ok(st))
		return cor_err_set(err, COR_EINVAL, "no text or bad style");
	PDF_ENTER(p, err);
	return pdf_leave(p, text_impl(p, st, al, x, y, w, s, draw, height,
	                              NULL, err), draw);
}

int cor_pdf_wrap_count(cor_pdf *p, cor_pdf_style st, double w,
                       const char *s, int *lines, cor_err *err)
{
	if (s == NULL || !style_ok(st))
		return cor_err_set(err, COR_EINVAL, "no text or bad style");
	PDF_ENTER(p, err);
	return pdf_leave(p, text_impl(p, st, COR_PDF_LEFT, 0, 0, w, s, 0,
	                              NULL, lines, err), 0);
}

/* ---- pages -------------------------------------------------------------- */

#define BAND_H 20.0
#define HEADER_Y 30.0

static double header_top(const cor_pdf *p)
{
	return p->synthetic ? BAND_H + 12.0 : HEADER_Y;
}

int cor_pdf_page_count(const cor_pdf *p)
{
	return p != NULL ? p->npages : 0;
}

double cor_pdf_content_bottom(const cor_pdf *p)
{
	(void)p;
	return COR_PDF_PAGE_H - 52.0;
}

static int page_frame(cor_pdf *p, HPDF_Page pg, double *top, cor_err *err)
{
	double hy = header_top(p), W = COR_PDF_PAGE_W, M = COR_PDF_MARGIN;
	int rc;

	if (p->synthetic) {
		pdf_fill(pg, PDF_BAND);
		HPDF_Page_Rectangle(pg, 0, (HPDF_REAL)pdf_y(BAND_H),
		                    (HPDF_REAL)W, (HPDF_REAL)BAND_H);
		HPDF_Page_Fill(pg);
		rc = pdf_line(p, COR_PDF_BAND, COR_PDF_CENTER, 0,
		              (BAND_H - 10.5) / 2.0, W, 0.0,
		              "SYNTHETIC DATA — NOT FOR PUBLICATION", err);
		if (rc != 0)
			return rc;
	}
	rc = pdf_line(p, COR_PDF_LABEL, COR_PDF_LEFT, M, hy, W - 2 * M, 0.0,
	              p->title, err);
	if (rc == 0)
		rc = pdf_line(p, COR_PDF_LABEL, COR_PDF_RIGHT, M, hy,
		              W - 2 * M, 0.0, p->quarter, err);
	if (rc != 0)
		return rc;
	pdf_stroke(pg, PDF_RULE);
	HPDF_Page_SetLineWidth(pg, 0.6);
	HPDF_Page_MoveTo(pg, (HPDF_REAL)M, (HPDF_REAL)pdf_y(hy + 13));
	HPDF_Page_LineTo(pg, (HPDF_REAL)(W - M), (HPDF_REAL)pdf_y(hy + 13));
	HPDF_Page_Stroke(pg);
	*top = hy + 26.0;
	return 0;
}

int cor_pdf_page_add(cor_pdf *p, double *top, cor_err *err)
{
	HPDF_Page pg;
	int rc;

	PDF_ENTER(p, err);
	if (p->finished || p->npages >= PDF_MAX_PAGES)
		return pdf_leave(p, cor_err_set(err, COR_EINVAL,
		                 "no more pages can be added"), 1);
	pg = HPDF_AddPage(p->doc);
	if (pg == NULL ||
	    HPDF_Page_SetSize(pg, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT)
	    != HPDF_OK)
		return pdf_leave(p, cor_err_set(err, COR_EPDF,
		                 "cannot add a page"), 1);
	p->pages[p->npages++] = pg;
	p->cur = pg;
	rc = page_frame(p, pg, top, err);
	return pdf_leave(p, rc, 1);
}

static int footers(cor_pdf *p, cor_err *err)
{
	double W = COR_PDF_PAGE_W, M = COR_PDF_MARGIN;
	double fy = COR_PDF_PAGE_H - 36.0;
	char left[256], right[64];
	int rc;

	snprintf(left, sizeof(left), "corridor %s · %s · disclosure control "
	         "k = %d%s", COR_VERSION, p->quarter, p->k,
	         p->synthetic ? " · synthetic data" : "");
	for (int i = 0; i < p->npages; i++) {
		HPDF_Page pg = p->pages[i];

		p->cur = pg;
		pdf_stroke(pg, PDF_RULE);
		HPDF_Page_SetLineWidth(pg, 0.6);
		HPDF_Page_MoveTo(pg, (HPDF_REAL)M, (HPDF_REAL)pdf_y(fy - 6));
		HPDF_Page_LineTo(pg, (HPDF_REAL)(W - M),
		                 (HPDF_REAL)pdf_y(fy - 6));
		HPDF_Page_Stroke(pg);
		snprintf(right, sizeof(right), "Page %d of %d", i + 1,
		         p->npages);
		rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_LEFT, M, fy,
		              W - 2 * M, 0.0, left, err);
		if (rc == 0)
			rc = pdf_line(p, COR_PDF_SMALL, COR_PDF_RIGHT, M, fy,
			              W - 2 * M, 0.0, right, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int save_mem_impl(cor_pdf *p, unsigned char **buf, size_t *len,
                         cor_err *err)
{
	HPDF_UINT32 size;
	unsigned char *b;
	int rc;

	if (p->npages == 0)
		return cor_err_set(err, COR_EINVAL, "document has no pages");
	if (!p->finished) {
		rc = footers(p, err);
		if (rc != 0)
			return rc;
		p->finished = 1;
	}
	if (HPDF_SaveToStream(p->doc) != HPDF_OK)
		return cor_err_set(err, COR_EPDF, "cannot save the document");
	size = HPDF_GetStreamSize(p->doc);
	if (size == 0)
		return cor_err_set(err, COR_EPDF, "empty document stream");
	b = malloc(size);
	if (b == NULL)
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	{
		HPDF_UINT32 got = size;

		if (HPDF_ReadFromStream(p->doc, b, &got) != HPDF_OK ||
		    got != size) {
			free(b);
			return cor_err_set(err, COR_EPDF,
			                   "cannot read the document stream");
		}
	}
	HPDF_ResetStream(p->doc);
	*buf = b;
	*len = size;
	return 0;
}

int cor_pdf_save_mem(cor_pdf *p, unsigned char **buf, size_t *len,
                     cor_err *err)
{
	/* the buffer is malloc'd only after the last libharu call that can
	 * raise, except ReadFromStream: a longjmp there would leak it, which
	 * is why save_mem_impl frees on a bad status and ReadFromStream of
	 * exactly the stream size does not raise. */
	PDF_ENTER(p, err);
	return pdf_leave(p, save_mem_impl(p, buf, len, err), 1);
}

int cor_pdf_save(cor_pdf *p, const char *path, cor_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char *tmp;
	FILE *fp;
	int rc, ok;

	if (path == NULL)
		return cor_err_set(err, COR_EINVAL, "no output path");
	rc = cor_pdf_save_mem(p, &buf, &len, err);
	if (rc != 0)
		return rc;
	tmp = malloc(strlen(path) + 16);
	if (tmp == NULL) {
		free(buf);
		return cor_err_set(err, COR_ENOMEM, "out of memory");
	}
	sprintf(tmp, "%s.tmp%ld", path, (long)getpid());
	fp = fopen(tmp, "wb");
	if (fp == NULL) {
		rc = cor_err_at(err, COR_EIO, path, 0, NULL, "cannot write: %s",
		                strerror(errno));
		goto out;
	}
	ok = fwrite(buf, 1, len, fp) == len;
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		rc = cor_err_at(err, COR_EIO, path, 0, NULL, "cannot write: %s",
		                strerror(errno));
		remove(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(buf);
	return rc;
}

const char *pdf_fmt_num(double v, int dec, char *buf, size_t n)
{
	char tmp[64], *q;
	int neg, len, lead;
	size_t o = 0;

	if (!isfinite(v)) {
		snprintf(buf, n, "n/a");
		return buf;
	}
	if (fabs(v - nearbyint(v)) < 1e-9 || dec <= 0)
		snprintf(tmp, sizeof(tmp), "%.0f", fabs(v));
	else
		snprintf(tmp, sizeof(tmp), "%.*f", dec, fabs(v));
	neg = v < 0 && strcmp(tmp, "0") != 0;
	q = strchr(tmp, '.');
	len = q ? (int)(q - tmp) : (int)strlen(tmp);
	lead = len % 3 ? len % 3 : 3;
	if (neg && o + 1 < n)
		buf[o++] = '-';
	for (int i = 0; tmp[i] != '\0' && o + 1 < n; i++) {
		if (i < len && i > 0 && (i - lead) % 3 == 0)
			buf[o++] = ',';
		if (o + 1 < n)
			buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}
