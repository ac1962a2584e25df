/* include/corridor/pdf.h: the reports module. A drawing layer over libharu
 * (reports/pdf.c, reports/text.c, reports/chart.c) and the quarterly brief
 * built on the statistics API (reports/brief.c).
 *
 * Units: all lengths are PDF points (1/72 inch); boxes are given from the
 * TOP-LEFT corner of an A4 page (595.276 x 841.89 pt), y growing downwards,
 * which is how a page is laid out; the layer converts to PDF's bottom-left
 * coordinates. Text is UTF-8.
 *
 * Errors: every function returns 0 or a negative cor_status and fills err:
 * COR_EPDF for a libharu error (code and detail in the message), COR_EDATA
 * for text a configured font cannot show (the message lists the missing
 * code points as U+XXXX) or invalid UTF-8, COR_EIO for file errors,
 * COR_ENOMEM, COR_EINVAL for bad arguments. After any error the document
 * is marked failed: later calls return COR_EPDF without drawing, and only
 * cor_pdf_free is meaningful. libharu errors are caught with a jmp_buf kept
 * in the document (STYLE 2.5), so a failure never leaves a half-written file.
 */
#ifndef COR_PDF_H
#define COR_PDF_H

#include <stddef.h>
#include <libpq-fe.h>
#include "corridor/core.h"

struct cor_stats_result;        /* corridor/stats.h */
struct cor_stats_cgraph;

/* Default fonts (Debian fonts-dejavu-core, fonts-sil-abyssinica). */
#define COR_PDF_FONT_REGULAR "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define COR_PDF_FONT_BOLD "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#define COR_PDF_FONT_ETHIOPIC \
	"/usr/share/fonts/truetype/abyssinica/AbyssinicaSIL-Regular.ttf"

#define COR_PDF_PAGE_W 595.276
#define COR_PDF_PAGE_H 841.89
#define COR_PDF_MARGIN 48.0

typedef struct cor_pdf cor_pdf;   /* opaque document */

typedef struct cor_pdf_opts {
	const char *font_regular;  /* TTF path; NULL = COR_PDF_FONT_REGULAR */
	const char *font_bold;     /* TTF path; NULL = COR_PDF_FONT_BOLD */
	const char *font_fallback; /* TTF tried when the first has no glyph
	                            * (Ethiopic); NULL = COR_PDF_FONT_ETHIOPIC,
	                            * "" = none */
	long long date;            /* creation and modification date, seconds
	                            * since 1970-01-01 UTC (>= 0) */
	const char *title;         /* document info Title, and page header */
	const char *subject;       /* document info Subject (may be NULL) */
	const char *quarter;       /* printed on every page, e.g. "2019Q4" */
	int synthetic;             /* nonzero: every page carries the band
	                            * "SYNTHETIC DATA — NOT FOR PUBLICATION" */
	int k;                     /* disclosure threshold; suppressed cells
	                            * print as "<k" */
} cor_pdf_opts;

/* Creates a document: loads and embeds the fonts (checked here, at start:
 * a font that fails to load is an error now, not mid-report), sets UTF-8
 * encoding, full compression, the fixed dates and the info dictionary
 * (Author and Creator "corridor"). No page yet.
 * On success *out is owned by the caller (cor_pdf_free). On error *out is
 * NULL. Strings in opts are copied. */
int cor_pdf_new(const cor_pdf_opts *opts, cor_pdf **out, cor_err *err);

/* Frees the document (NULL-safe). */
void cor_pdf_free(cor_pdf *p);

/* Seconds since the epoch to stamp on a document: $SOURCE_DATE_EPOCH when
 * set to a valid non-negative integer (reproducible builds convention),
 * else fallback. Reads the environment; no other effect. */
long long cor_pdf_source_date(long long fallback);

/* Appends an A4 portrait page with its frame: the synthetic band (when
 * opts.synthetic), the header (title, quarter) and a rule. Page numbers
 * ("Page 2 of 5") are added by cor_pdf_save* once the count is known.
 * Returns the top y (points from the top) of the free area in *top. */
int cor_pdf_page_add(cor_pdf *p, double *top, cor_err *err);

/* Number of pages added so far. */
int cor_pdf_page_count(const cor_pdf *p);

/* Bottom y (points from the top) of the free area of every page. */
double cor_pdf_content_bottom(const cor_pdf *p);

/* Writes the finished document (footers first) to path, via a temporary
 * file renamed into place: on error no file at path is created or changed.
 * After a save the document accepts no more pages. */
int cor_pdf_save(cor_pdf *p, const char *path, cor_err *err);

/* As cor_pdf_save, into memory: *buf (malloc'd, caller frees) and *len
 * bytes. */
int cor_pdf_save_mem(cor_pdf *p, unsigned char **buf, size_t *len,
                     cor_err *err);

/* ---- Text -------------------------------------------------------------- */

typedef enum cor_pdf_style {
	COR_PDF_BODY,      /* 9 pt regular */
	COR_PDF_SMALL,     /* 7.5 pt regular, grey */
	COR_PDF_BOLD,      /* 9 pt bold */
	COR_PDF_H2,        /* 11 pt bold */
	COR_PDF_H1,        /* 15 pt bold */
	COR_PDF_TITLE,     /* 22 pt bold */
	COR_PDF_FIGURE,    /* 20 pt bold: headline values */
	COR_PDF_LABEL,     /* 7.5 pt bold, grey: figure labels, legends */
	COR_PDF_CELL,      /* 8 pt regular: table cells */
	COR_PDF_CELL_BOLD, /* 8 pt bold: table headers */
	COR_PDF_BAND       /* 9 pt bold, white: the synthetic band */
} cor_pdf_style;

typedef enum cor_pdf_align {
	COR_PDF_LEFT, COR_PDF_CENTER, COR_PDF_RIGHT
} cor_pdf_align;

/* Checks that every code point of the UTF-8 string s is valid and covered
 * by a configured font (the style's own font first, then the others). On
 * failure returns COR_EDATA and lists the missing code points in err->msg
 * ("no configured font has a glyph for U+121E U+12EB ... in '...'").
 * Draws nothing. Every drawing function below makes this check before it
 * draws a string, so no '?' or empty box is ever printed. */
int cor_pdf_check_text(cor_pdf *p, cor_pdf_style style, const char *s,
                       cor_err *err);

/* Width in points of s (one line) in style. */
int cor_pdf_text_width(cor_pdf *p, cor_pdf_style style, const char *s,
                       double *width, cor_err *err);

/* Draws s wrapped to width w starting with its first line's top at (x, y)
 * from the top-left. Lines break at ASCII spaces; a word wider than w
 * (text without spaces, e.g. Ethiopic or a long identifier) breaks at any
 * code point boundary; '\n' forces a break. Each run of text is drawn in
 * the first font that covers it (Latin in DejaVu, Ethiopic in the
 * fallback). *height (may be NULL) receives the height used. If draw is 0
 * nothing is drawn and only *height is computed. */
int cor_pdf_text(cor_pdf *p, cor_pdf_style style, cor_pdf_align align,
                 double x, double y, double w, const char *s, int draw,
                 double *height, cor_err *err);

/* Line count of s wrapped to w (same rules as cor_pdf_text). */
int cor_pdf_wrap_count(cor_pdf *p, cor_pdf_style style, double w,
                       const char *s, int *lines, cor_err *err);

/* ---- Primitives -------------------------------------------------------- */

typedef struct cor_pdf_box {
	double x, y, w, h;     /* top-left corner, width, height (points) */
} cor_pdf_box;

/* A headline figure: a label, a large value and up to 3 detail lines
 * (e.g. "up 18% (95% CI 4% to 34%) on 2019Q3"). */
typedef struct cor_pdf_figure {
	const char *label;     /* "Cases identified" */
	const char *value;     /* "1,204" or "<5" or "n/a" */
	const char *detail[3]; /* NULL-terminated early if fewer */
} cor_pdf_figure;

int cor_pdf_figure_box(cor_pdf *p, cor_pdf_box b, const cor_pdf_figure *f,
                       cor_err *err);

/* A value of a chart or table cell: a finite number, suppressed
 * (printed "<k", no bar) or not available (NaN allowed here: printed
 * "n/a", no bar; NaN is never drawn or printed). */
typedef struct cor_pdf_val {
	double v;
	int suppressed;
} cor_pdf_val;

/* Grouped horizontal bar chart: ncat categories down the side, nser series
 * per category (vals[s * ncat + c]). A legend is drawn when nser > 1 or a
 * value is suppressed. A suppressed value is a short hatched grey stub
 * with no label, explained once in the legend ("withheld (fewer than
 * k)"); a NaN prints "n/a"; other values print at the bar's end. The
 * value axis starts at 0 with ticks at 1-2-5 steps; value_label names
 * the quantity and unit ("cases"). When no value is finite and positive
 * the chart says "no data" instead of drawing an axis. The caller sizes
 * b.h: about 7 pt per bar plus 50 pt (title, legend, axis) reads well. */
typedef struct cor_pdf_bars {
	const char *title;
	const char *value_label;          /* axis label with unit */
	size_t ncat, nser;
	const char *const *categories;    /* ncat labels */
	const char *const *series;        /* nser names (legend) */
	const cor_pdf_val *vals;          /* nser * ncat */
	const int *series_color;          /* nser palette indexes 0-3 (4 =
	                                   * neutral grey, for "Unknown"), so
	                                   * a series keeps its colour across
	                                   * charts; NULL = by position */
	const char *empty_note;           /* shown when no data; NULL = "No
	                                   * data for this chart" */
} cor_pdf_bars;

int cor_pdf_bar_chart(cor_pdf *p, cor_pdf_box b, const cor_pdf_bars *c,
                      cor_err *err);

/* Trend chart over n periods: counts as bars ("n/a" for missing, a low
 * hatched stub for suppressed, explained in the legend), optional fitted
 * line with a 95% CI band (fit, lo, hi may be NULL; non-finite entries
 * break the line and band). */
typedef struct cor_pdf_trend {
	const char *title;
	const char *value_label;    /* "cases per quarter" */
	const char *period_label;   /* x axis: "Quarter of registration" */
	size_t n;
	const char *const *periods; /* n labels "2019Q4" */
	const cor_pdf_val *counts;  /* n */
	const double *fit, *lo, *hi;/* n each, or NULL */
	const char *count_name;     /* legend: "Cases identified" */
	const char *fit_name;       /* legend: "Poisson trend, 95% CI" */
	const char *empty_note;
} cor_pdf_trend;

int cor_pdf_trend_chart(cor_pdf *p, cor_pdf_box b, const cor_pdf_trend *t,
                        cor_err *err);

/* Route diagram: places at an equirectangular projection of (lat, lon)
 * scaled by cos(mean latitude), fitted into the box keeping the aspect;
 * legs drawn with stroke width proportional to flow; suppressed legs thin
 * and dashed labelled "<k". Nodes labelled with name and count. */
typedef struct cor_pdf_node {
	const char *label;          /* "Moyale / ሞያሌ" */
	double lat, lon;            /* degrees */
	cor_pdf_val count;          /* cases passing through */
} cor_pdf_node;

typedef struct cor_pdf_leg {
	size_t from, to;            /* node indices */
	cor_pdf_val flow;           /* cases on the leg */
} cor_pdf_leg;

typedef struct cor_pdf_route {
	const char *title;
	size_t nnodes, nlegs;
	const cor_pdf_node *nodes;
	const cor_pdf_leg *legs;
	const char *flow_label;     /* legend: "Line width: cases on the leg" */
	const char *empty_note;
} cor_pdf_route;

int cor_pdf_route_diagram(cor_pdf *p, cor_pdf_box b, const cor_pdf_route *r,
                          cor_err *err);

/* Table: ncols columns, nrows body rows. cells[r * ncols + c] is text;
 * when suppressed[r * ncols + c] (suppressed may be NULL) the cell prints
 * "<k" whatever its text. Column widths are fractions of b.w (NULL =
 * equal). Cells wrap within their column. *height receives the height
 * used (may be NULL); b.h is not enforced: the caller sizes the table. */
typedef struct cor_pdf_table {
	const char *title;          /* may be NULL */
	size_t ncols, nrows;
	const char *const *headers; /* ncols */
	const double *widths;       /* ncols fractions, or NULL */
	const cor_pdf_align *align; /* ncols, or NULL: first left, rest right */
	const char *const *cells;
	const int *suppressed;
	const char *empty_note;     /* printed when nrows == 0 */
} cor_pdf_table;

int cor_pdf_table_draw(cor_pdf *p, cor_pdf_box b, const cor_pdf_table *t,
                       double *height, cor_err *err);

/* A thin horizontal rule across [x, x + w] at y (from the top). */
int cor_pdf_rule(cor_pdf *p, double x, double y, double w, cor_err *err);

/* ---- The quarterly brief (reports/brief.c) ------------------------------ */

typedef struct cor_brief_req {
	const char *quarter;        /* "2019Q4" (required) */
	const char *county;         /* P-code "KE011", or NULL for the
	                             * whole corridor */
	int k;                      /* disclosure threshold (>= 2; 0 = 5) */
	long long date;             /* document date (seconds, UTC) or -1:
	                             * the data's vintage (latest load) */
	const char *font_fallback;  /* NULL = default Ethiopic font */
	/* County brief: the national brief's statistics of the same
	 * quarter and k (cor_brief_national), borrowed, for disclosure
	 * control linked to the national brief (cor_stats_suppress_linked);
	 * NULL: computed for this brief. */
	const struct cor_stats_result *national;
	/* County brief: its statistics (kind brief), already suppressed
	 * with the other counties' (cor_brief_county_family), borrowed;
	 * NULL: computed for this brief, with the family it depends on. */
	const struct cor_stats_result *county_stats;
} cor_brief_req;

typedef struct cor_brief_info {
	int pages;                  /* pages written */
	int synthetic;              /* synthetic records were used */
	long cells_suppressed;      /* over all tables of the brief */
	int warnings;               /* statements "not estimable", missing
	                             * sources, etc. printed in the brief */
	double seconds_stats;       /* wall time for the statistics */
	double seconds_render;      /* wall time for drawing and saving */
} cor_brief_info;

/* Checks a brief's quarter ("2019Q4": year 1900..2200, Q1..Q4) without
 * the database, as cor_brief_write does first. Returns 0 or COR_EINVAL
 * (err names the text). */
int cor_brief_check_quarter(const char *quarter, cor_err *err);

/* The statistics of the national brief of req->quarter with req->k
 * (kind brief, as cor_brief_write runs it without a county), for
 * req->national of the county briefs of the same quarter: computed once,
 * they link each county brief's disclosure control to the national
 * brief's. *out: new result (cor_stats_result_free). Errors as
 * cor_stats_run, COR_EINVAL for a bad quarter; *out NULL on error. */
int cor_brief_national(PGconn *conn, const cor_brief_req *req,
                       struct cor_stats_result **out, cor_err *err);

/* The statistics of every county brief of req->quarter with req->k, one
 * per Kenyan county: the requests cor_brief_write runs for each county,
 * suppressed as one family linked to req->national (required) and to
 * each other (cor_stats_run_counties), using the nconn (>= 1)
 * connections conns in parallel. *g: the counties (P-code order) and
 * which share cases (cor_stats_cgraph_free); *out: g->n results, slot i
 * for county g->pcode[i], for req->county_stats of that county's brief
 * (free each with cor_stats_result_free, then the array). Each result is
 * the one cor_brief_write computes for that county alone. Errors as
 * cor_stats_run, COR_EINVAL for a bad quarter or no req->national;
 * *g and *out NULL on error. */
int cor_brief_county_family(PGconn *const *conns, int nconn,
                            const cor_brief_req *req,
                            struct cor_stats_cgraph **g,
                            struct cor_stats_result ***out, cor_err *err);

/* Builds the brief for req from the database (statistics from the same
 * functions as `corridor stats`, disclosure control always on) and writes
 * it to path (atomically, see cor_pdf_save). info may be NULL.
 * Missing data is stated in the brief, not an error. Returns 0 or a
 * cor_status (nothing written on error). */
int cor_brief_write(PGconn *conn, const cor_brief_req *req, const char *path,
                    cor_brief_info *info, cor_err *err);

#endif /* COR_PDF_H */
