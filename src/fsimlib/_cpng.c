/*
 * PNG unfiltering (see _png.py, which inflates the image data with
 * libdeflate and calls this; without this module it lets libpng decode).
 *
 * Each row of a PNG's inflated image data is one filter-type byte and the
 * row's bytes, each stored as its difference from a prediction made from
 * bytes already decoded: none (0), the byte one pixel to the left (Sub),
 * the byte above (Up), their mean (Average) or the Paeth predictor
 * (whichever of left, above and upper-left is nearest to left + above -
 * upper-left).  Undoing it is byte arithmetic modulo 256, the same for
 * every bit depth (16-bit samples are two bytes) and exact by definition:
 * these loops give the bytes libpng gives.
 *
 * The Paeth predictor is computed without branches: which of its three
 * candidates wins depends on the data and is unpredictable, and a branch
 * per byte cost half as much again (1.5 against 1.0 ms for a 512 x 384
 * RGB image of Paeth rows).  The GIL is released while the loops run.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

/* ---- the predictors --------------------------------------------------- */

/* Paeth's predictor of a byte from its left (a), upper (b) and upper-left
 * (c) neighbours: the one nearest to a + b - c, ties going to a, then b. */
static inline int
paeth(int a, int b, int c)
{
    int to_a = b - c; /* |(a + b - c) - a| before abs */
    int to_b = a - c;
    int to_c = to_a + to_b;
    to_a = to_a < 0 ? -to_a : to_a;
    to_b = to_b < 0 ? -to_b : to_b;
    to_c = to_c < 0 ? -to_c : to_c;
    int take_a = -((to_a <= to_b) & (to_a <= to_c));
    int take_b = -(to_b <= to_c);
    return (a & take_a) | (~take_a & ((b & take_b) | (c & ~take_b)));
}

/* Undo one row's filter.  `in` is the row's filtered bytes (after its
 * filter byte), `prev` the row above, already undone (NULL for the first
 * row, where the row above counts as zeros), `bpp` bytes per pixel. */
static int
unfilter_row(int filter, const uint8_t *in, const uint8_t *prev, uint8_t *cur,
             Py_ssize_t length, Py_ssize_t bpp)
{
    Py_ssize_t x;
    Py_ssize_t lead = bpp < length ? bpp : length; /* bytes with no left */
    if (prev == NULL) {
        /* The row above counts as zeros: Up adds nothing, and Paeth's
         * nearest is then always the left byte, as Sub's is. */
        if (filter == 2) filter = 0;
        if (filter == 4) filter = 1;
    }
    switch (filter) {
    case 0:
        memcpy(cur, in, (size_t)length);
        return 0;
    case 1:
        memcpy(cur, in, (size_t)lead);
        for (x = lead; x < length; ++x) {
            cur[x] = (uint8_t)(in[x] + cur[x - bpp]);
        }
        return 0;
    case 2:
        for (x = 0; x < length; ++x) {
            cur[x] = (uint8_t)(in[x] + prev[x]);
        }
        return 0;
    case 3:
        if (prev == NULL) {
            memcpy(cur, in, (size_t)lead);
            for (x = lead; x < length; ++x) {
                cur[x] = (uint8_t)(in[x] + (cur[x - bpp] >> 1));
            }
            return 0;
        }
        for (x = 0; x < lead; ++x) {
            cur[x] = (uint8_t)(in[x] + (prev[x] >> 1));
        }
        for (; x < length; ++x) {
            cur[x] = (uint8_t)(in[x] + ((cur[x - bpp] + prev[x]) >> 1));
        }
        return 0;
    case 4:
        for (x = 0; x < lead; ++x) {
            cur[x] = (uint8_t)(in[x] + prev[x]);
        }
        for (; x < length; ++x) {
            cur[x] = (uint8_t)(in[x] +
                               paeth(cur[x - bpp], prev[x], prev[x - bpp]));
        }
        return 0;
    default:
        return -1;
    }
}

/* ---- four Paeth rows at once (x86-64: SSE2) ------------------------- */

/* A Paeth row is a chain: each pixel needs the one to its left, so one row
 * at a time leaves the CPU waiting on that chain (about 1 ms for a 512 x
 * 384 RGB image).  A pixel also needs the row above up to one pixel to its
 * right, so four consecutive Paeth rows can run together, each one pixel
 * behind the row above: one step decodes a pixel of each, the four in two
 * SSE2 registers of 16-bit lanes (a row's three or four bytes in four
 * lanes).  Each row's left and upper-left neighbours are the previous
 * steps' results, kept in registers; only the row above the four is read
 * back.  0.35 ms for the same image.  The other filters, 16-bit and grey
 * images take the loops above.  FSIM_PORTABLE leaves this out, to test
 * what other processors run. */
#if !defined(FSIM_PORTABLE) && \
    (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64))
#define FSIM_PAETH_ROWS 4
#include <emmintrin.h>

/* Undo Paeth for pixel x (of `bpp` bytes) of a row; pixels left of x and
 * the row above are done. */
static inline void
paeth_pixel(const uint8_t *in, const uint8_t *prev, uint8_t *cur,
            Py_ssize_t x, Py_ssize_t bpp)
{
    Py_ssize_t first = x * bpp;
    for (Py_ssize_t i = first; i < first + bpp; ++i) {
        int left = x ? cur[i - bpp] : 0;
        int upper_left = x ? prev[i - bpp] : 0;
        cur[i] = (uint8_t)(in[i] + paeth(left, prev[i], upper_left));
    }
}

/* Four bytes at p (lanes 0-3) and four at q (lanes 4-7), as 16-bit lanes. */
static inline __m128i
two_pixels(const uint8_t *p, const uint8_t *q)
{
    uint32_t low, high;
    memcpy(&low, p, 4);
    memcpy(&high, q, 4);
    __m128i packed = _mm_unpacklo_epi32(_mm_cvtsi32_si128((int)low),
                                        _mm_cvtsi32_si128((int)high));
    return _mm_unpacklo_epi8(packed, _mm_setzero_si128());
}

static inline __m128i
abs16(__m128i x)
{
    return _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x));
}

/* filtered + Paeth(a, b, c), modulo 256, lane by lane (paeth() above). */
static inline __m128i
paeth_lanes(__m128i a, __m128i b, __m128i c, __m128i filtered)
{
    __m128i to_a = _mm_sub_epi16(b, c);
    __m128i to_b = _mm_sub_epi16(a, c);
    __m128i to_c = abs16(_mm_add_epi16(to_a, to_b));
    to_a = abs16(to_a);
    to_b = abs16(to_b);
    __m128i nearest = _mm_min_epi16(to_c, _mm_min_epi16(to_a, to_b));
    __m128i take_a = _mm_cmpeq_epi16(nearest, to_a);
    __m128i take_b = _mm_cmpeq_epi16(nearest, to_b);
    __m128i b_or_c = _mm_or_si128(_mm_and_si128(take_b, b),
                                  _mm_andnot_si128(take_b, c));
    __m128i predicted = _mm_or_si128(_mm_and_si128(take_a, a),
                                     _mm_andnot_si128(take_a, b_or_c));
    return _mm_and_si128(_mm_add_epi16(filtered, predicted),
                         _mm_set1_epi16(0xFF));
}

static inline void
store_pixel(uint8_t *p, __m128i packed)
{
    uint32_t value = (uint32_t)_mm_cvtsi128_si32(packed);
    memcpy(p, &value, 4);
}

/* Undo Paeth on four consecutive rows of `width` pixels of 3 or 4 bytes:
 * in[k] their filtered bytes, cur[k] their output, `above` the row above
 * the first, done.  Step t decodes pixel t - k of row k.  A pixel's store
 * writes four bytes; for 3-byte pixels the fourth lands on the next pixel
 * of the same row, which a later step writes: the last pixel of each row
 * is therefore left to paeth_pixel, as are the first steps (where the
 * lower rows have not started). */
static void
paeth_rows(const uint8_t *const in[4], const uint8_t *above,
           uint8_t *const cur[4], Py_ssize_t width, Py_ssize_t bpp)
{
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    Py_ssize_t done[4] = {0, 0, 0, 0};
    for (int k = 0; k < 3; ++k) {
        const uint8_t *prev = k ? cur[k - 1] : above;
        done[k] = 3 - k < width ? 3 - k : width;
        for (Py_ssize_t x = 0; x < done[k]; ++x) {
            paeth_pixel(in[k], prev, cur[k], x, bpp);
        }
    }
    if (width >= 5) {
        /* Before step 3: each row's left pixel (a), and the pixel above
         * that (c, which is the previous step's b); row 3 starts at its
         * first pixel, whose left and upper-left are zeros. */
        __m128i a01 = two_pixels(cur[0] + 2 * bpp, cur[1] + bpp);
        __m128i a23 = two_pixels(cur[2], zeros);
        __m128i b01 = two_pixels(above + 2 * bpp, cur[0] + bpp);
        __m128i b23 = two_pixels(cur[1], zeros);
        for (Py_ssize_t t = 3; t <= width - 2; ++t) {
            __m128i c01 = b01, c23 = b23;
            uint32_t up;
            memcpy(&up, above + t * bpp, 4);
            /* Row k's upper pixel is what row k - 1 decoded last step. */
            b01 = _mm_unpacklo_epi64(
                _mm_unpacklo_epi8(_mm_cvtsi32_si128((int)up),
                                  _mm_setzero_si128()),
                a01);
            b23 = _mm_castpd_si128(_mm_shuffle_pd(_mm_castsi128_pd(a01),
                                                  _mm_castsi128_pd(a23), 1));
            a01 = paeth_lanes(a01, b01, c01,
                              two_pixels(in[0] + t * bpp,
                                         in[1] + (t - 1) * bpp));
            a23 = paeth_lanes(a23, b23, c23,
                              two_pixels(in[2] + (t - 2) * bpp,
                                         in[3] + (t - 3) * bpp));
            __m128i packed = _mm_packus_epi16(a01, a23);
            store_pixel(cur[0] + t * bpp, packed);
            store_pixel(cur[1] + (t - 1) * bpp, _mm_srli_si128(packed, 4));
            store_pixel(cur[2] + (t - 2) * bpp, _mm_srli_si128(packed, 8));
            store_pixel(cur[3] + (t - 3) * bpp, _mm_srli_si128(packed, 12));
        }
        for (int k = 0; k < 4; ++k) done[k] = width - 1 - k;
    }
    for (int k = 0; k < 4; ++k) {
        const uint8_t *prev = k ? cur[k - 1] : above;
        for (Py_ssize_t x = done[k]; x < width; ++x) {
            paeth_pixel(in[k], prev, cur[k], x, bpp);
        }
    }
}

/* Whether rows y to y + 3 can go to paeth_rows. */
static inline int
four_paeth_rows(const uint8_t *row, Py_ssize_t y, Py_ssize_t rows,
                Py_ssize_t length, Py_ssize_t bpp)
{
    if (y == 0 || y + 4 > rows || (bpp != 3 && bpp != 4) || length % bpp) {
        return 0;
    }
    for (int k = 0; k < 4; ++k) {
        if (row[k * (length + 1)] != 4) return 0;
    }
    return 1;
}
#endif

/* Undo every row's filter; the index of the first row with an unknown
 * filter type, or -1 when all are known. */
static Py_ssize_t
unfilter_rows(const uint8_t *filtered, uint8_t *out, Py_ssize_t rows,
              Py_ssize_t length, Py_ssize_t bpp)
{
    const uint8_t *prev = NULL;
    Py_ssize_t y = 0;
    while (y < rows) {
        const uint8_t *row = filtered + y * (length + 1);
        uint8_t *cur = out + y * length;
#ifdef FSIM_PAETH_ROWS
        if (four_paeth_rows(row, y, rows, length, bpp)) {
            const uint8_t *in[4];
            uint8_t *outs[4];
            for (int k = 0; k < 4; ++k) {
                in[k] = row + k * (length + 1) + 1;
                outs[k] = cur + k * length;
            }
            paeth_rows(in, prev, outs, length / bpp, bpp);
            prev = outs[3];
            y += 4;
            continue;
        }
#endif
        if (unfilter_row(row[0], row + 1, prev, cur, length, bpp) < 0) {
            return y;
        }
        prev = cur;
        ++y;
    }
    return -1;
}

/* ---- unfilter(filtered, bytes_per_pixel, out) ------------------------- */

PyDoc_STRVAR(unfilter_doc,
"unfilter(filtered, bytes_per_pixel, out, /)\n"
"--\n\n"
"Undo the row filters of a PNG's inflated image data into out.\n\n"
"filtered holds rows * (1 + row_bytes) bytes: each row's filter type (0 to\n"
"4) then its row_bytes filtered bytes; out is a writable C-contiguous\n"
"uint8 array of shape (rows, row_bytes).  bytes_per_pixel (1 to 8) is the\n"
"distance of a byte's left neighbour.  A row of unknown filter type is a\n"
"ValueError.");

static PyObject *
unfilter(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "unfilter takes 3 arguments, got %zd",
                     nargs);
        return NULL;
    }
    Py_ssize_t bpp = PyLong_AsSsize_t(args[1]);
    if (bpp == -1 && PyErr_Occurred()) return NULL;
    if (bpp < 1 || bpp > 8) {
        PyErr_Format(PyExc_ValueError,
                     "bytes_per_pixel must be between 1 and 8, got %zd", bpp);
        return NULL;
    }
    Py_buffer filtered, out;
    if (PyObject_GetBuffer(args[0], &filtered, PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError,
                        "filtered must be a C-contiguous bytes-like object");
        return NULL;
    }
    if (PyObject_GetBuffer(args[2], &out,
                           PyBUF_FORMAT | PyBUF_WRITABLE |
                               PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyBuffer_Release(&filtered);
        PyErr_SetString(PyExc_TypeError,
                        "out must be a writable C-contiguous array");
        return NULL;
    }
    PyObject *result = NULL;
    const char *format = out.format ? out.format : "B";
    if (strcmp(format, "B") != 0 || out.ndim != 2) {
        PyErr_SetString(PyExc_TypeError, "out must be a 2-D uint8 array");
        goto done;
    }
    Py_ssize_t rows = out.shape[0], length = out.shape[1];
    if (rows < 1 || length < 1 || filtered.len != rows * (length + 1)) {
        PyErr_Format(PyExc_ValueError,
                     "filtered holds %zd bytes; expected rows * (1 + "
                     "row_bytes) = %zd * %zd of out's shape",
                     filtered.len, rows, length + 1);
        goto done;
    }
    Py_ssize_t bad_row;
    Py_BEGIN_ALLOW_THREADS
    bad_row = unfilter_rows(filtered.buf, out.buf, rows, length, bpp);
    Py_END_ALLOW_THREADS
    if (bad_row >= 0) {
        const uint8_t *bytes = filtered.buf;
        PyErr_Format(PyExc_ValueError,
                     "row %zd has filter type %d; expected 0 to 4", bad_row,
                     (int)bytes[bad_row * (length + 1)]);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&filtered);
    PyBuffer_Release(&out);
    return result;
}

/* ---- module ----------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"unfilter", (PyCFunction)(void (*)(void))unfilter, METH_FASTCALL,
     unfilter_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#if PY_VERSION_HEX >= 0x030C0000 && \
    (!defined(Py_LIMITED_API) || Py_LIMITED_API >= 0x030C0000)
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000 && \
    (!defined(Py_LIMITED_API) || Py_LIMITED_API >= 0x030D0000)
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "fsimlib._cpng",
    .m_doc = "PNG unfiltering for fsimlib's image reader.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__cpng(void)
{
    return PyModuleDef_Init(&module);
}
