/*
 * Fused loops of fsimlib's phase congruency (see _kernels.py, which falls
 * back to numpy when this module is not built).
 *
 * numpy needs about twenty passes over the four complex responses of an
 * orientation, each a separate trip through memory; these loops make one,
 * a block of columns at a time, so that the intermediate sums stay in
 * registers and L1.  The arithmetic is the numpy path's, operation for
 * operation (no fused multiply-add, no reassociation), except that the
 * three divisions by |S| + epsilon are one reciprocal and three products
 * (0.37 -> 0.33 ms per 4 x 256 x 256 orientation); both agree to a few
 * units in the last place.
 *
 * Arrays arrive through the buffer protocol; the GIL is released while the
 * loops run, so threads scoring different images run in parallel.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Item i of a sequence made by PySequence_Fast (a list or a tuple), as a
 * borrowed reference; the PySequence_Fast_GET_ITEM macro is not in the
 * limited API that the abi3 wheels are built against. */
static PyObject *
fast_item(PyObject *sequence, Py_ssize_t i)
{
    return PyList_Check(sequence) ? PyList_GetItem(sequence, i)
                                  : PyTuple_GetItem(sequence, i);
}

/* Columns processed together: the per-pixel sums then live in six small
 * arrays on the stack (12 KiB in double precision). */
#define BLOCK 256

/* MSVC: keep a * b + c rounded twice whatever the compiler version's
 * default (VS 2022 17.0 turned contraction off, earlier versions on); gcc
 * and clang get -ffp-contract=off from setup.py. */
#ifdef _MSC_VER
#pragma fp_contract(off)
#endif

/* FSIM_PORTABLE (set by setup.py from FSIMLIB_PORTABLE=1) compiles out the
 * x86-only copies below, leaving the portable loops that aarch64, macOS and
 * Windows builds run, so that they can be tested on x86 Linux too. */

/* An AVX2 copy of each loop next to the portable one, chosen at load time,
 * where GCC and glibc can do that (ifunc); elsewhere only the portable one. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(FSIM_PORTABLE)
#define FSIM_CLONES __attribute__((target_clones("avx2", "default")))
#define FSIM_HAS_CLONES 1
#else
#define FSIM_CLONES
#endif

/* ---- the loops, once per precision ---------------------------------- */

#define DEFINE_KERNELS(REAL, SUFFIX, SQRT, FABS)                               \
    FSIM_CLONES static void filter_product_##SUFFIX(                         \
        const REAL *spectrum, Py_ssize_t spectrum_row_stride,                \
        const REAL *filters, Py_ssize_t n_scales, Py_ssize_t rows,           \
        Py_ssize_t cols, REAL *out, Py_ssize_t out_scale_stride,             \
        Py_ssize_t out_row_stride)                                           \
    {                                                                        \
        for (Py_ssize_t s = 0; s < n_scales; ++s) {                          \
            for (Py_ssize_t r = 0; r < rows; ++r) {                          \
                const REAL *x = spectrum + 2 * r * spectrum_row_stride;      \
                const REAL *f = filters + (s * rows + r) * cols;             \
                REAL *o = out + 2 * (s * out_scale_stride + r * out_row_stride); \
                for (Py_ssize_t j = 0; j < cols; ++j) {                      \
                    o[2 * j] = x[2 * j] * f[j];                              \
                    o[2 * j + 1] = x[2 * j + 1] * f[j];                      \
                }                                                            \
            }                                                                \
        }                                                                    \
    }                                                                        \
                                                                             \
    FSIM_CLONES static void combine_energy_##SUFFIX(                         \
        const REAL *energies, Py_ssize_t n_orientations, Py_ssize_t n,       \
        const REAL *thresholds, const REAL *amplitude, double *out)          \
    {                                                                        \
        /* The clipping is done in REAL and the sum in double in separate   \
         * loops: mixing the two types in one loop kept GCC from vectorising \
         * the float32 one, which then branched on every sign. */            \
        double total[BLOCK];                                                 \
        REAL clipped[BLOCK];                                                 \
        for (Py_ssize_t j0 = 0; j0 < n; j0 += BLOCK) {                       \
            Py_ssize_t m = n - j0 < BLOCK ? n - j0 : BLOCK;                  \
            for (Py_ssize_t j = 0; j < m; ++j) total[j] = 0.0;               \
            for (Py_ssize_t o = 0; o < n_orientations; ++o) {                \
                const REAL *energy = energies + o * n + j0;                  \
                REAL threshold = thresholds[o];                              \
                for (Py_ssize_t j = 0; j < m; ++j) {                         \
                    REAL e = energy[j] - threshold;                          \
                    clipped[j] = e > 0 ? e : (REAL)0;                        \
                }                                                            \
                for (Py_ssize_t j = 0; j < m; ++j) total[j] += clipped[j];   \
            }                                                                \
            for (Py_ssize_t j = 0; j < m; ++j) {                             \
                double a = amplitude[j0 + j];                                \
                out[j0 + j] = a > 0 ? total[j] / a : total[j];               \
            }                                                                \
        }                                                                    \
    }                                                                        \
                                                                             \
    FSIM_CLONES static void oriented_energy_##SUFFIX(                        \
        const REAL *responses, Py_ssize_t n_scales, Py_ssize_t rows,         \
        Py_ssize_t cols, Py_ssize_t scale_stride, Py_ssize_t row_stride,     \
        REAL epsilon, REAL *energy, REAL *amplitude, REAL *magnitude)        \
    {                                                                        \
        REAL sum_re[BLOCK], sum_im[BLOCK], amp[BLOCK];                       \
        REAL dir_re[BLOCK], dir_im[BLOCK], en[BLOCK];                        \
        for (Py_ssize_t r = 0; r < rows; ++r) {                              \
            for (Py_ssize_t c0 = 0; c0 < cols; c0 += BLOCK) {                \
                Py_ssize_t n = cols - c0 < BLOCK ? cols - c0 : BLOCK;        \
                const REAL *z = responses + 2 * (r * row_stride + c0);       \
                REAL *mag = magnitude + r * cols + c0;                       \
                for (Py_ssize_t j = 0; j < n; ++j) {                         \
                    REAL re = z[2 * j], im = z[2 * j + 1];                   \
                    REAL m = SQRT(re * re + im * im);                        \
                    sum_re[j] = re;                                          \
                    sum_im[j] = im;                                          \
                    amp[j] = m;                                              \
                    mag[j] = m;                                              \
                }                                                            \
                for (Py_ssize_t s = 1; s < n_scales; ++s) {                  \
                    const REAL *zs = z + 2 * s * scale_stride;               \
                    for (Py_ssize_t j = 0; j < n; ++j) {                     \
                        REAL re = zs[2 * j], im = zs[2 * j + 1];             \
                        sum_re[j] += re;                                     \
                        sum_im[j] += im;                                     \
                        amp[j] += SQRT(re * re + im * im);                   \
                    }                                                        \
                }                                                            \
                for (Py_ssize_t j = 0; j < n; ++j) {                         \
                    REAL local = SQRT(sum_re[j] * sum_re[j] +                \
                                      sum_im[j] * sum_im[j]);                \
                    REAL inverse = (REAL)1 / (local + epsilon);              \
                    dir_re[j] = sum_re[j] * inverse;                         \
                    dir_im[j] = sum_im[j] * inverse;                         \
                    en[j] = local * local * inverse;                         \
                }                                                            \
                for (Py_ssize_t s = 0; s < n_scales; ++s) {                  \
                    const REAL *zs = z + 2 * s * scale_stride;               \
                    for (Py_ssize_t j = 0; j < n; ++j) {                     \
                        en[j] -= FABS(zs[2 * j + 1] * dir_re[j] -            \
                                      zs[2 * j] * dir_im[j]);                \
                    }                                                        \
                }                                                            \
                REAL *e = energy + r * cols + c0;                            \
                REAL *a = amplitude + r * cols + c0;                         \
                for (Py_ssize_t j = 0; j < n; ++j) {                         \
                    e[j] = en[j];                                            \
                    a[j] += amp[j];                                          \
                }                                                            \
            }                                                                \
        }                                                                    \
    }

DEFINE_KERNELS(double, f64, sqrt, fabs)
DEFINE_KERNELS(float, f32, sqrtf, fabsf)


/* ---- gradient magnitude: two "same" convolutions, zeros outside --------- */

/* acc[j] = sum over the kernel of k[u, v] * image[i - (u - cu), j - (v - cv)]
 * (cu, cv the kernel's centre) for one output row i, reading a copy of the
 * image padded with pad_rows and pad_cols zeros on every side. */
FSIM_CLONES static void
convolve_row(const double *padded, Py_ssize_t padded_cols, Py_ssize_t pad_rows,
             Py_ssize_t pad_cols, Py_ssize_t i, Py_ssize_t cols,
             const double *kernel, Py_ssize_t krows, Py_ssize_t kcols,
             double *acc)
{
    for (Py_ssize_t j = 0; j < cols; ++j) acc[j] = 0.0;
    for (Py_ssize_t u = 0; u < krows; ++u) {
        const double *row =
            padded + (i + pad_rows + krows / 2 - u) * padded_cols;
        for (Py_ssize_t v = 0; v < kcols; ++v) {
            double k = kernel[u * kcols + v];
            const double *x = row + (pad_cols + kcols / 2 - v);
            for (Py_ssize_t j = 0; j < cols; ++j) acc[j] += k * x[j];
        }
    }
}

FSIM_CLONES static void
hypot_rows(const double *gx, const double *gy, Py_ssize_t n, double *out)
{
    for (Py_ssize_t j = 0; j < n; ++j) out[j] = sqrt(gx[j] * gx[j] + gy[j] * gy[j]);
}

/* ---- buffers -------------------------------------------------------- */

typedef enum { KIND_REAL, KIND_COMPLEX } Kind;

/* Precision of a buffer: 8 for double / complex double, 4 for float /
 * complex float, 0 (with an exception set) for anything else. */
static int
precision_of(const Py_buffer *view, Kind kind, const char *name)
{
    const char *format = view->format ? view->format : "B";
    if (format[0] == '@' || format[0] == '=' || format[0] == '<') {
        ++format;
    }
    if (kind == KIND_COMPLEX) {
        if (strcmp(format, "Zd") == 0) return 8;
        if (strcmp(format, "Zf") == 0) return 4;
        PyErr_Format(PyExc_TypeError,
                     "%s must be complex128 or complex64, got format '%s'",
                     name, view->format ? view->format : "B");
        return 0;
    }
    if (strcmp(format, "d") == 0) return 8;
    if (strcmp(format, "f") == 0) return 4;
    PyErr_Format(PyExc_TypeError,
                 "%s must be float64 or float32, got format '%s'", name,
                 view->format ? view->format : "B");
    return 0;
}

/* Get a buffer of `ndim` dimensions; `contiguous` asks for C order. */
static int
get_view(PyObject *obj, Py_buffer *view, int ndim, int writable,
         int contiguous, const char *name)
{
    int flags = PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0) |
                (contiguous ? PyBUF_C_CONTIGUOUS : PyBUF_STRIDES);
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError,
                     "%s must be a %s%s array", name,
                     writable ? "writable " : "",
                     contiguous ? "C-contiguous" : "strided");
        return -1;
    }
    if (view->ndim != ndim) {
        PyErr_Format(PyExc_ValueError, "%s must be %d-D, got %d-D", name, ndim,
                     view->ndim);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* get_view for a 2-D, C-contiguous float64 array; on failure nothing is
 * held and an exception is set. */
static int
get_float64_view(PyObject *obj, Py_buffer *view, int writable,
                 const char *name)
{
    if (get_view(obj, view, 2, writable, 1, name) < 0) return -1;
    int precision = precision_of(view, KIND_REAL, name);
    if (precision == 8) return 0;
    if (precision) {
        PyErr_Format(PyExc_TypeError, "%s must be float64", name);
    }
    PyBuffer_Release(view);
    return -1;
}

static int
same_plane(const Py_buffer *a, const Py_buffer *b, const char *name)
{
    if (a->shape[a->ndim - 2] != b->shape[b->ndim - 2] ||
        a->shape[a->ndim - 1] != b->shape[b->ndim - 1]) {
        PyErr_Format(PyExc_ValueError,
                     "%s has planes of %zd x %zd, expected %zd x %zd", name,
                     b->shape[b->ndim - 2], b->shape[b->ndim - 1],
                     a->shape[a->ndim - 2], a->shape[a->ndim - 1]);
        return 0;
    }
    return 1;
}

/* get_float64_view for `count` maps of the first one's plane shape, named
 * names[k]; the last is writable if `last_writable`.  On failure nothing is
 * held and an exception is set. */
static int
get_float64_planes(PyObject *const *objects, int count, int last_writable,
                   const char *const *names, Py_buffer *views)
{
    int held = 0;
    for (; held < count; ++held) {
        int writable = last_writable && held == count - 1;
        if (get_float64_view(objects[held], &views[held], writable,
                             names[held]) < 0) {
            break;
        }
        if (held && !same_plane(&views[0], &views[held], names[held])) {
            PyBuffer_Release(&views[held]);
            break;
        }
    }
    if (held == count) return 0;
    while (held > 0) PyBuffer_Release(&views[--held]);
    return -1;
}

/* ---- arguments ------------------------------------------------------ */

/* 1 if the call has `expected` arguments, else 0 with a TypeError set. */
static int
expect_args(const char *function, Py_ssize_t nargs, Py_ssize_t expected)
{
    if (nargs == expected) return 1;
    PyErr_Format(PyExc_TypeError, "%s takes %zd arguments, got %zd", function,
                 expected, nargs);
    return 0;
}

/* 1 with *out set from a Python real number, else 0 with an error set. */
static int
as_double(PyObject *obj, double *out)
{
    *out = PyFloat_AsDouble(obj);
    return !(*out == -1.0 && PyErr_Occurred());
}

/* ---- filter_product(spectrum, filters, out) ------------------------- */

/* Row and scale strides of a complex view in elements, after checking that
 * its columns are contiguous and its strides non-negative multiples of an
 * element. */
static int
complex_strides(const Py_buffer *view, int precision, const char *name,
                Py_ssize_t *strides)
{
    Py_ssize_t item = 2 * precision;
    int last = view->ndim - 1;
    if (view->strides[last] != item) goto bad;
    for (int d = 0; d < last; ++d) {
        if (view->strides[d] < 0 || view->strides[d] % item) goto bad;
        strides[d] = view->strides[d] / item;
    }
    return 0;
bad:
    PyErr_Format(PyExc_ValueError,
                 "%s must have contiguous columns and non-negative row "
                 "(and scale) strides", name);
    return -1;
}

PyDoc_STRVAR(filter_product_doc,
"filter_product(spectrum, filters, out, /)\n--\n\n"
"out[s] = spectrum * filters[s] for every scale s.\n\n"
"spectrum: (rows, cols) complex; filters: (n_scales, rows, cols) real of\n"
"the same precision, C-contiguous; out: (n_scales, rows, cols) complex,\n"
"writable.  spectrum and out may have padded rows (columns contiguous).");

static PyObject *
filter_product(PyObject *Py_UNUSED(module), PyObject *const *args,
               Py_ssize_t nargs)
{
    if (!expect_args("filter_product", nargs, 3)) return NULL;
    Py_buffer spectrum, filters, out;
    if (get_view(args[0], &spectrum, 2, 0, 0, "spectrum") < 0) return NULL;
    if (get_view(args[1], &filters, 3, 0, 1, "filters") < 0) {
        PyBuffer_Release(&spectrum);
        return NULL;
    }
    if (get_view(args[2], &out, 3, 1, 0, "out") < 0) {
        PyBuffer_Release(&spectrum);
        PyBuffer_Release(&filters);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t spectrum_strides[1], out_strides[2];
    int precision = precision_of(&spectrum, KIND_COMPLEX, "spectrum");
    if (!precision) goto done;
    if (precision_of(&filters, KIND_REAL, "filters") != precision ||
        precision_of(&out, KIND_COMPLEX, "out") != precision) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError,
                            "spectrum, filters and out must share a precision");
        }
        goto done;
    }
    if (!same_plane(&spectrum, &filters, "filters") ||
        !same_plane(&spectrum, &out, "out")) {
        goto done;
    }
    if (out.shape[0] != filters.shape[0]) {
        PyErr_Format(PyExc_ValueError,
                     "out has %zd scales, filters has %zd", out.shape[0],
                     filters.shape[0]);
        goto done;
    }
    if (complex_strides(&spectrum, precision, "spectrum", spectrum_strides) <
            0 ||
        complex_strides(&out, precision, "out", out_strides) < 0) {
        goto done;
    }
    Py_ssize_t n_scales = filters.shape[0];
    Py_ssize_t rows = spectrum.shape[0], cols = spectrum.shape[1];
    Py_BEGIN_ALLOW_THREADS
    if (precision == 8) {
        filter_product_f64(spectrum.buf, spectrum_strides[0], filters.buf,
                           n_scales, rows, cols, out.buf, out_strides[0],
                           out_strides[1]);
    }
    else {
        filter_product_f32(spectrum.buf, spectrum_strides[0], filters.buf,
                           n_scales, rows, cols, out.buf, out_strides[0],
                           out_strides[1]);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&spectrum);
    PyBuffer_Release(&filters);
    PyBuffer_Release(&out);
    return result;
}

/* ---- combine_energy(energies, thresholds, amplitude, out) ------------- */

PyDoc_STRVAR(combine_energy_doc,
"combine_energy(energies, thresholds, amplitude, out, /)\n--\n\n"
"Phase congruency from every orientation's energy, in one pass:\n"
"out = sum_o max(energies[o] - thresholds[o], 0) / amplitude where\n"
"amplitude > 0 (the bare sum elsewhere), summed in float64 in orientation\n"
"order.  energies: (n_orientations, rows, cols) float64 or float32;\n"
"thresholds: a sequence of n_orientations reals; amplitude: (rows, cols)\n"
"of the energies' precision; out: (rows, cols) float64, writable; all\n"
"C-contiguous.");

static PyObject *
combine_energy(PyObject *Py_UNUSED(module), PyObject *const *args,
               Py_ssize_t nargs)
{
    if (!expect_args("combine_energy", nargs, 4)) return NULL;
    PyObject *thresholds = PySequence_Fast(args[1], "thresholds must be a sequence");
    if (!thresholds) return NULL;
    Py_buffer energies, amplitude, out;
    int held = 0;
    PyObject *result = NULL;
    double *values = NULL;
    if (get_view(args[0], &energies, 3, 0, 1, "energies") < 0) goto done;
    held = 1;
    if (get_view(args[2], &amplitude, 2, 0, 1, "amplitude") < 0) goto done;
    held = 2;
    if (get_float64_view(args[3], &out, 1, "out") < 0) goto done;
    held = 3;
    int precision = precision_of(&energies, KIND_REAL, "energies");
    if (!precision) goto done;
    if (precision_of(&amplitude, KIND_REAL, "amplitude") != precision) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError,
                            "amplitude must have the precision of energies");
        }
        goto done;
    }
    if (!same_plane(&energies, &amplitude, "amplitude") ||
        !same_plane(&energies, &out, "out")) {
        goto done;
    }
    Py_ssize_t n_orientations = energies.shape[0];
    if (PySequence_Size(thresholds) != n_orientations) {
        PyErr_Format(PyExc_ValueError,
                     "thresholds has %zd values, energies has %zd orientations",
                     PySequence_Size(thresholds), n_orientations);
        goto done;
    }
    /* Room for the thresholds in double and in float. */
    values = PyMem_Malloc((size_t)(n_orientations ? n_orientations : 1) *
                          (sizeof(double) + sizeof(float)));
    if (!values) {
        PyErr_NoMemory();
        goto done;
    }
    float *values_f32 = (float *)(values + n_orientations);
    for (Py_ssize_t o = 0; o < n_orientations; ++o) {
        if (!as_double(fast_item(thresholds, o), &values[o])) {
            goto done;
        }
        values_f32[o] = (float)values[o];
    }
    Py_ssize_t n = energies.shape[1] * energies.shape[2];
    Py_BEGIN_ALLOW_THREADS
    if (precision == 8) {
        combine_energy_f64(energies.buf, n_orientations, n, values,
                           amplitude.buf, out.buf);
    }
    else {
        combine_energy_f32(energies.buf, n_orientations, n, values_f32,
                           amplitude.buf, out.buf);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(values);
    if (held >= 3) PyBuffer_Release(&out);
    if (held >= 2) PyBuffer_Release(&amplitude);
    if (held >= 1) PyBuffer_Release(&energies);
    Py_DECREF(thresholds);
    return result;
}

/* ---- oriented_energy(responses, epsilon, energy, amplitude, magnitude) */

PyDoc_STRVAR(oriented_energy_doc,
"oriented_energy(responses, epsilon, energy, amplitude, magnitude, /)\n--\n\n"
"One orientation's phase-deviation energy, in one pass over its responses.\n\n"
"responses: (n_scales, rows, cols) complex; rows and scales may be strided,\n"
"columns must be contiguous.  With S = sum_s responses[s] and\n"
"m = S / (|S| + epsilon), writes energy = |S|**2 / (|S| + epsilon)\n"
"- sum_s |Im(responses[s] * conj(m))|, adds sum_s |responses[s]| to\n"
"amplitude, and writes |responses[0]| to magnitude.  The three outputs are\n"
"(rows, cols) real arrays of the same precision, C-contiguous.");

static PyObject *
oriented_energy(PyObject *Py_UNUSED(module), PyObject *const *args,
                Py_ssize_t nargs)
{
    if (!expect_args("oriented_energy", nargs, 5)) return NULL;
    double epsilon;
    if (!as_double(args[1], &epsilon)) return NULL;
    Py_buffer responses, outputs[3];
    static const char *const names[3] = {"energy", "amplitude", "magnitude"};
    if (get_view(args[0], &responses, 3, 0, 0, "responses") < 0) return NULL;
    int held = 0;
    PyObject *result = NULL;
    for (; held < 3; ++held) {
        if (get_view(args[2 + held], &outputs[held], 2, 1, 1, names[held]) <
            0) {
            goto done;
        }
    }
    int precision = precision_of(&responses, KIND_COMPLEX, "responses");
    if (!precision) goto done;
    for (int i = 0; i < 3; ++i) {
        int p = precision_of(&outputs[i], KIND_REAL, names[i]);
        if (!p) goto done;
        if (p != precision) {
            PyErr_Format(PyExc_TypeError,
                         "%s must have the precision of responses", names[i]);
            goto done;
        }
        if (!same_plane(&responses, &outputs[i], names[i])) goto done;
    }
    Py_ssize_t strides[2];
    if (complex_strides(&responses, precision, "responses", strides) < 0) {
        goto done;
    }
    Py_ssize_t n_scales = responses.shape[0];
    Py_ssize_t rows = responses.shape[1], cols = responses.shape[2];
    Py_ssize_t scale_stride = strides[0], row_stride = strides[1];
    if (n_scales < 1) {
        PyErr_SetString(PyExc_ValueError, "responses must have a scale");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    if (precision == 8) {
        oriented_energy_f64(responses.buf, n_scales, rows, cols, scale_stride,
                            row_stride, epsilon, outputs[0].buf,
                            outputs[1].buf, outputs[2].buf);
    }
    else {
        oriented_energy_f32(responses.buf, n_scales, rows, cols, scale_stride,
                            row_stride, (float)epsilon, outputs[0].buf,
                            outputs[1].buf, outputs[2].buf);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&responses);
    for (int i = 0; i < held; ++i) PyBuffer_Release(&outputs[i]);
    return result;
}

/* ---- gradient_magnitude(image, kernel_x, kernel_y, out) ----------------- */

PyDoc_STRVAR(gradient_magnitude_doc,
"gradient_magnitude(image, kernel_x, kernel_y, out, /)\n--\n\n"
"out = sqrt(gx**2 + gy**2), gx and gy the 'same'-size convolutions of\n"
"image with kernel_x and kernel_y, zeros outside the image (MATLAB's\n"
"conv2(..., 'same'), scipy.ndimage.convolve with mode='constant').\n"
"image and out: (rows, cols) float64, C-contiguous; kernels: 2-D float64\n"
"with odd sides, C-contiguous.");

static PyObject *
gradient_magnitude(PyObject *Py_UNUSED(module), PyObject *const *args,
                   Py_ssize_t nargs)
{
    if (!expect_args("gradient_magnitude", nargs, 4)) return NULL;
    static const char *const names[4] = {"image", "kernel_x", "kernel_y",
                                         "out"};
    Py_buffer views[4];
    int held = 0;
    PyObject *result = NULL;
    double *padded = NULL, *gx = NULL, *gy = NULL;
    for (; held < 4; ++held) {
        if (get_float64_view(args[held], &views[held], held == 3,
                             names[held]) < 0) {
            goto done;
        }
    }
    if (!same_plane(&views[0], &views[3], "out")) goto done;
    for (int k = 1; k < 3; ++k) {
        if (views[k].shape[0] % 2 == 0 || views[k].shape[1] % 2 == 0) {
            PyErr_Format(PyExc_ValueError, "%s must have odd sides", names[k]);
            goto done;
        }
    }
    Py_ssize_t rows = views[0].shape[0], cols = views[0].shape[1];
    Py_ssize_t pad_rows = views[1].shape[0] > views[2].shape[0]
                              ? views[1].shape[0] / 2
                              : views[2].shape[0] / 2;
    Py_ssize_t pad_cols = views[1].shape[1] > views[2].shape[1]
                              ? views[1].shape[1] / 2
                              : views[2].shape[1] / 2;
    Py_ssize_t padded_cols = cols + 2 * pad_cols;
    Py_ssize_t padded_rows = rows + 2 * pad_rows;
    padded = calloc((size_t)(padded_rows * padded_cols), sizeof(double));
    gx = malloc((size_t)cols * sizeof(double));
    gy = malloc((size_t)cols * sizeof(double));
    if (!padded || !gx || !gy) {
        PyErr_NoMemory();
        goto done;
    }
    const double *image = views[0].buf;
    double *out = views[3].buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < rows; ++i) {
        memcpy(padded + (i + pad_rows) * padded_cols + pad_cols,
               image + i * cols, (size_t)cols * sizeof(double));
    }
    for (Py_ssize_t i = 0; i < rows; ++i) {
        convolve_row(padded, padded_cols, pad_rows, pad_cols, i, cols,
                     views[1].buf, views[1].shape[0], views[1].shape[1], gx);
        convolve_row(padded, padded_cols, pad_rows, pad_cols, i, cols,
                     views[2].buf, views[2].shape[0], views[2].shape[1], gy);
        hypot_rows(gx, gy, cols, out + i * cols);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    free(padded);
    free(gx);
    free(gy);
    for (int k = 0; k < held; ++k) PyBuffer_Release(&views[k]);
    return result;
}

/* ---- count_and_collect(values, low, high, out) -------------------------- */

#define DEFINE_COLLECT(REAL, SUFFIX)                                          \
    static void count_and_collect_##SUFFIX(const REAL *values, Py_ssize_t n, \
                                           REAL low, REAL high, REAL *out,   \
                                           Py_ssize_t *below,                \
                                           Py_ssize_t *inside)               \
    {                                                                        \
        Py_ssize_t b = 0, k = 0;                                             \
        for (Py_ssize_t j = 0; j < n; ++j) {                                 \
            REAL x = values[j];                                              \
            b += x < low;                                                    \
            out[k] = x;                                                      \
            k += (x >= low) & (x <= high);                                   \
        }                                                                    \
        *below = b;                                                          \
        *inside = k;                                                         \
    }

DEFINE_COLLECT(double, f64)
DEFINE_COLLECT(float, f32)

/* Where the compiler can target AVX-512 (GCC and clang on x86-64), a copy
 * that compares a vector of values at once and packs those inside the
 * bracket with a compress into a register, then one unaligned store: about
 * five times faster than the scalar loop, whose store address depends on
 * every comparison before it.  (A compressing store straight to memory is
 * slow on some CPUs.)  It stores whole vectors at out + k, and k <= j, so
 * it never writes past out + n.  Chosen at run time, where the CPU has
 * AVX-512F. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(FSIM_PORTABLE)
#define FSIM_AVX512_COLLECT 1
#include <immintrin.h>

#define DEFINE_COLLECT_AVX512(REAL, SUFFIX, LANES, VEC, MASK, LOAD, SET1,     \
                              CMP, COMPRESS, STORE)                          \
    __attribute__((target("avx512f"))) static void                           \
        count_and_collect_##SUFFIX##_avx512(const REAL *values, Py_ssize_t n, \
                                            REAL low, REAL high, REAL *out,  \
                                            Py_ssize_t *below,               \
                                            Py_ssize_t *inside)              \
    {                                                                        \
        VEC lo = SET1(low), hi = SET1(high);                                 \
        Py_ssize_t b = 0, k = 0, j = 0;                                      \
        for (; j + LANES <= n; j += LANES) {                                 \
            VEC x = LOAD(values + j);                                        \
            MASK is_below = CMP(x, lo, _CMP_LT_OQ);                          \
            MASK is_inside =                                                 \
                CMP(x, lo, _CMP_GE_OQ) & CMP(x, hi, _CMP_LE_OQ);             \
            STORE(out + k, COMPRESS(is_inside, x));                          \
            b += __builtin_popcount(is_below);                               \
            k += __builtin_popcount(is_inside);                              \
        }                                                                    \
        Py_ssize_t rest_below, rest_inside;                                  \
        count_and_collect_##SUFFIX(values + j, n - j, low, high, out + k,    \
                                   &rest_below, &rest_inside);               \
        *below = b + rest_below;                                             \
        *inside = k + rest_inside;                                           \
    }

DEFINE_COLLECT_AVX512(double, f64, 8, __m512d, __mmask8, _mm512_loadu_pd,
                      _mm512_set1_pd, _mm512_cmp_pd_mask,
                      _mm512_maskz_compress_pd, _mm512_storeu_pd)
DEFINE_COLLECT_AVX512(float, f32, 16, __m512, __mmask16, _mm512_loadu_ps,
                      _mm512_set1_ps, _mm512_cmp_ps_mask,
                      _mm512_maskz_compress_ps, _mm512_storeu_ps)
#endif

/* 1 where the AVX-512 copies above exist and this CPU can run them. */
static int
has_avx512_collect(void)
{
#ifdef FSIM_AVX512_COLLECT
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

PyDoc_STRVAR(count_and_collect_doc,
"count_and_collect(values, low, high, out, /)\n--\n\n"
"Return (number of values < low, number of values in [low, high]) and\n"
"copy the latter, in order, to the start of out.  values and out:\n"
"C-contiguous float64 or float32 of the same precision, out at least as\n"
"long as values.");

static PyObject *
count_and_collect(PyObject *Py_UNUSED(module), PyObject *const *args,
                  Py_ssize_t nargs)
{
    if (!expect_args("count_and_collect", nargs, 4)) return NULL;
    double low;
    if (!as_double(args[1], &low)) return NULL;
    double high;
    if (!as_double(args[2], &high)) return NULL;
    Py_buffer values, out;
    if (PyObject_GetBuffer(args[0], &values,
                           PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "values must be a C-contiguous array");
        return NULL;
    }
    if (PyObject_GetBuffer(args[3], &out,
                           PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) <
        0) {
        PyErr_Clear();
        PyBuffer_Release(&values);
        PyErr_SetString(PyExc_ValueError,
                        "out must be a writable C-contiguous array");
        return NULL;
    }
    PyObject *result = NULL;
    int precision = precision_of(&values, KIND_REAL, "values");
    if (!precision) goto done;
    if (precision_of(&out, KIND_REAL, "out") != precision) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError,
                            "out must have the precision of values");
        }
        goto done;
    }
    if (out.len < values.len) {
        PyErr_SetString(PyExc_ValueError, "out is shorter than values");
        goto done;
    }
    Py_ssize_t n = values.len / precision, below = 0, inside = 0;
    int vector = has_avx512_collect();
    Py_BEGIN_ALLOW_THREADS
#ifdef FSIM_AVX512_COLLECT
    if (vector && precision == 8) {
        count_and_collect_f64_avx512(values.buf, n, low, high, out.buf,
                                     &below, &inside);
    }
    else if (vector) {
        count_and_collect_f32_avx512(values.buf, n, (float)low, (float)high,
                                     out.buf, &below, &inside);
    }
    else
#else
    (void)vector; /* portable build: no vector copy to choose */
#endif
    if (precision == 8) {
        count_and_collect_f64(values.buf, n, low, high, out.buf, &below,
                              &inside);
    }
    else {
        count_and_collect_f32(values.buf, n, (float)low, (float)high, out.buf,
                              &below, &inside);
    }
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("(nn)", below, inside);
done:
    PyBuffer_Release(&values);
    PyBuffer_Release(&out);
    return result;
}

/* ---- select_ranks(values, low_rank, high_rank) ------------------------- */

/* The low_rank-th and high_rank-th smallest values (high_rank is low_rank or
 * low_rank + 1: the middle pair of a median), found by histograms rather
 * than by numpy's partition, whose branches mispredict on fresh data (about
 * 100 us for the 8000-odd values of a median's bracket, against 20 us when
 * the same data is partitioned again).  Each round bins the values into
 * SELECT_BINS equal intervals between their minimum and maximum; binning is
 * monotonic, so the ranks fall in known bins: if both are in one bin, the
 * values of that bin are kept and the round repeats on them; if not, the
 * low rank is the largest value of its bin and the high rank the smallest
 * of the next non-empty one.  A few dozen values are sorted directly. */
#define SELECT_BINS 1024
#define SELECT_SMALL 48

#define DEFINE_SELECT(REAL, SUFFIX)                                            \
    static int compare_##SUFFIX(const void *a, const void *b)                \
    {                                                                        \
        REAL x = *(const REAL *)a, y = *(const REAL *)b;                     \
        return (x > y) - (x < y);                                            \
    }                                                                        \
                                                                             \
    static void sort_##SUFFIX(REAL *x, Py_ssize_t n)                         \
    {                                                                        \
        if (n > SELECT_SMALL) {                                              \
            qsort(x, (size_t)n, sizeof(REAL), compare_##SUFFIX);             \
            return;                                                          \
        }                                                                    \
        for (Py_ssize_t i = 1; i < n; ++i) {                                 \
            REAL v = x[i];                                                   \
            Py_ssize_t j = i;                                                \
            for (; j > 0 && x[j - 1] > v; --j) x[j] = x[j - 1];              \
            x[j] = v;                                                        \
        }                                                                    \
    }                                                                        \
                                                                             \
    static void select_ranks_##SUFFIX(REAL *x, Py_ssize_t n, Py_ssize_t k1,  \
                                      Py_ssize_t k2, Py_ssize_t *counts,     \
                                      REAL *first, REAL *second)             \
    {                                                                        \
        for (;;) {                                                           \
            REAL lo = x[0], hi = x[0];                                       \
            for (Py_ssize_t j = 1; j < n; ++j) {                             \
                lo = x[j] < lo ? x[j] : lo;                                  \
                hi = x[j] > hi ? x[j] : hi;                                  \
            }                                                                \
            if (lo == hi) {                                                  \
                *first = *second = lo;                                       \
                return;                                                      \
            }                                                                \
            double range = (double)hi - (double)lo;                          \
            double scale = SELECT_BINS / range;                              \
            if (n <= SELECT_SMALL || !isfinite(range) || !isfinite(scale)) { \
                sort_##SUFFIX(x, n);                                         \
                *first = x[k1];                                              \
                *second = x[k2];                                             \
                return;                                                      \
            }                                                                \
            memset(counts, 0, SELECT_BINS * sizeof(Py_ssize_t));             \
            for (Py_ssize_t j = 0; j < n; ++j) {                             \
                Py_ssize_t b = (Py_ssize_t)(((double)x[j] - lo) * scale);    \
                counts[b < SELECT_BINS ? b : SELECT_BINS - 1] += 1;          \
            }                                                                \
            Py_ssize_t below = 0, b1 = 0;                                    \
            while (below + counts[b1] <= k1) below += counts[b1++];          \
            if (k2 < below + counts[b1]) {                                   \
                Py_ssize_t m = 0;                                            \
                for (Py_ssize_t j = 0; j < n; ++j) {                         \
                    Py_ssize_t b =                                           \
                        (Py_ssize_t)(((double)x[j] - lo) * scale);           \
                    if ((b < SELECT_BINS ? b : SELECT_BINS - 1) == b1) {     \
                        x[m++] = x[j];                                       \
                    }                                                        \
                }                                                            \
                n = m;                                                       \
                k1 -= below;                                                 \
                k2 -= below;                                                 \
                continue;                                                    \
            }                                                                \
            Py_ssize_t b2 = b1 + 1;                                          \
            while (counts[b2] == 0) ++b2;                                    \
            REAL largest = lo, smallest = hi;                                \
            for (Py_ssize_t j = 0; j < n; ++j) {                             \
                Py_ssize_t b = (Py_ssize_t)(((double)x[j] - lo) * scale);    \
                b = b < SELECT_BINS ? b : SELECT_BINS - 1;                   \
                if (b == b1 && x[j] > largest) largest = x[j];               \
                if (b == b2 && x[j] < smallest) smallest = x[j];             \
            }                                                                \
            *first = largest;                                                \
            *second = smallest;                                              \
            return;                                                          \
        }                                                                    \
    }

DEFINE_SELECT(double, f64)
DEFINE_SELECT(float, f32)

PyDoc_STRVAR(select_ranks_doc,
"select_ranks(values, low_rank, high_rank, /)\n--\n\n"
"Return (the low_rank-th smallest value, the high_rank-th smallest value),\n"
"counting from 0, as Python floats; high_rank must be low_rank or\n"
"low_rank + 1.  values: 1-D C-contiguous float64 or float32, writable,\n"
"finite; it is reordered.");

static PyObject *
select_ranks(PyObject *Py_UNUSED(module), PyObject *const *args,
             Py_ssize_t nargs)
{
    if (!expect_args("select_ranks", nargs, 3)) return NULL;
    Py_ssize_t k1 = PyLong_AsSsize_t(args[1]);
    if (k1 == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t k2 = PyLong_AsSsize_t(args[2]);
    if (k2 == -1 && PyErr_Occurred()) return NULL;
    Py_buffer values;
    if (get_view(args[0], &values, 1, 1, 1, "values") < 0) return NULL;
    PyObject *result = NULL;
    Py_ssize_t *counts = NULL;
    int precision = precision_of(&values, KIND_REAL, "values");
    if (!precision) goto done;
    Py_ssize_t n = values.shape[0];
    if (k1 < 0 || (k2 != k1 && k2 != k1 + 1) || k2 >= n) {
        PyErr_Format(PyExc_ValueError,
                     "ranks must satisfy 0 <= low_rank <= high_rank <= "
                     "low_rank + 1 < %zd, got %zd and %zd", n + 1, k1, k2);
        goto done;
    }
    counts = PyMem_Malloc(SELECT_BINS * sizeof(Py_ssize_t));
    if (!counts) {
        PyErr_NoMemory();
        goto done;
    }
    double first, second;
    Py_BEGIN_ALLOW_THREADS
    if (precision == 8) {
        select_ranks_f64(values.buf, n, k1, k2, counts, &first, &second);
    }
    else {
        float first32, second32;
        select_ranks_f32(values.buf, n, k1, k2, counts, &first32, &second32);
        first = first32;
        second = second32;
    }
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("(dd)", first, second);
done:
    PyMem_Free(counts);
    PyBuffer_Release(&values);
    return result;
}

/* ---- the local similarity of two maps -------------------------------- */

/* (2 a b + t) / (a**2 + b**2 + t), in numpy's order of operations
 * (similarity_map in _kernels.py). */
static inline double
similarity(double a, double b, double t)
{
    return (2 * a * b + t) / (a * a + b * b + t);
}

/* ---- chroma_product(i1, i2, q1, q2, t3, t4, out) ----------------------- */

/* out = S_I * S_Q, each (2 a b + t) / (a**2 + b**2 + t) in numpy's order of
 * operations; returns how many entries are negative. */
FSIM_CLONES static Py_ssize_t
chroma_product_loop(const double *i1, const double *i2, const double *q1,
                    const double *q2, Py_ssize_t n, double t3, double t4,
                    double *out)
{
    Py_ssize_t negative = 0;
    for (Py_ssize_t j = 0; j < n; ++j) {
        double a = i1[j], b = i2[j], c = q1[j], d = q2[j];
        double product = similarity(a, b, t3) * similarity(c, d, t4);
        out[j] = product;
        negative += product < 0;
    }
    return negative;
}

PyDoc_STRVAR(chroma_product_doc,
"chroma_product(i1, i2, q1, q2, t3, t4, out, /)\n--\n\n"
"out = S_I * S_Q, with S_I = (2 i1 i2 + t3) / (i1**2 + i2**2 + t3) and S_Q\n"
"likewise from q1, q2 and t4; return the number of negative entries.  All\n"
"maps: (rows, cols) float64, C-contiguous; out writable.");

static PyObject *
chroma_product(PyObject *Py_UNUSED(module), PyObject *const *args,
               Py_ssize_t nargs)
{
    if (!expect_args("chroma_product", nargs, 7)) return NULL;
    double t3;
    if (!as_double(args[4], &t3)) return NULL;
    double t4;
    if (!as_double(args[5], &t4)) return NULL;
    static const char *const names[5] = {"i1", "i2", "q1", "q2", "out"};
    PyObject *const maps[5] = {args[0], args[1], args[2], args[3], args[6]};
    Py_buffer views[5];
    if (get_float64_planes(maps, 5, 1, names, views) < 0) return NULL;
    Py_ssize_t n = views[0].shape[0] * views[0].shape[1], negative;
    Py_BEGIN_ALLOW_THREADS
    negative = chroma_product_loop(views[0].buf, views[1].buf, views[2].buf,
                                   views[3].buf, n, t3, t4, views[4].buf);
    Py_END_ALLOW_THREADS
    for (int k = 0; k < 5; ++k) PyBuffer_Release(&views[k]);
    return PyLong_FromSsize_t(negative);
}

/* ---- pooled_sums(pc1, pc2, g1, g2, chroma, t1, t2) ---------------------- */

/* Sums of one row; each row's sums are added to the totals, so that no sum
 * runs over more than a row's worth of terms before it meets another. */
FSIM_CLONES static void
pooled_row(const double *pc1, const double *pc2, const double *g1,
           const double *g2, const double *chroma, Py_ssize_t n, double t1,
           double t2, double sums[5])
{
    double weight = 0.0, weighted = 0.0, plain = 0.0;
    double weighted_c = 0.0, plain_c = 0.0;
    for (Py_ssize_t j = 0; j < n; ++j) {
        double a = pc1[j], b = pc2[j], c = g1[j], d = g2[j];
        double local = similarity(c, d, t2) * similarity(a, b, t1);
        double w = a > b ? a : b;
        weight += w;
        weighted += local * w;
        plain += local;
        if (chroma) {
            double local_c = local * chroma[j];
            weighted_c += local_c * w;
            plain_c += local_c;
        }
    }
    sums[0] += weight;
    sums[1] += weighted;
    sums[2] += plain;
    sums[3] += weighted_c;
    sums[4] += plain_c;
}

PyDoc_STRVAR(pooled_sums_doc,
"pooled_sums(pc1, pc2, g1, g2, chroma, t1, t2, /)\n--\n\n"
"With S_L = S_G * S_PC, S_PC = (2 pc1 pc2 + t1) / (pc1**2 + pc2**2 + t1),\n"
"S_G likewise from g1, g2 and t2, and w = max(pc1, pc2), return\n"
"(sum w, sum S_L w, sum S_L, sum S_L C w, sum S_L C), C the chroma map\n"
"(the last two are 0 if chroma is None).  All maps: (rows, cols) float64,\n"
"C-contiguous.");

static PyObject *
pooled_sums(PyObject *Py_UNUSED(module), PyObject *const *args,
            Py_ssize_t nargs)
{
    if (!expect_args("pooled_sums", nargs, 7)) return NULL;
    double t1;
    if (!as_double(args[5], &t1)) return NULL;
    double t2;
    if (!as_double(args[6], &t2)) return NULL;
    static const char *const names[5] = {"pc1", "pc2", "g1", "g2", "chroma"};
    int count = args[4] == Py_None ? 4 : 5;
    Py_buffer views[5];
    if (get_float64_planes(args, count, 0, names, views) < 0) return NULL;
    double sums[5] = {0.0, 0.0, 0.0, 0.0, 0.0};
    Py_ssize_t rows = views[0].shape[0], cols = views[0].shape[1];
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < rows; ++i) {
        Py_ssize_t at = i * cols;
        pooled_row((const double *)views[0].buf + at,
                   (const double *)views[1].buf + at,
                   (const double *)views[2].buf + at,
                   (const double *)views[3].buf + at,
                   count == 5 ? (const double *)views[4].buf + at : NULL, cols,
                   t1, t2, sums);
    }
    Py_END_ALLOW_THREADS
    for (int k = 0; k < count; ++k) PyBuffer_Release(&views[k]);
    return Py_BuildValue("(ddddd)", sums[0], sums[1], sums[2], sums[3],
                         sums[4]);
}

/* ---- weighted_planes(pixels, scale, weights, outs) ---------------------- */

/* out = w0 * (p0 * scale) + w1 * (p1 * scale) + w2 * (p2 * scale) for every
 * pixel of an interleaved three-channel image, in numpy's order of
 * operations (scale * 1.0 changes nothing, so it is always applied). */
FSIM_CLONES static void
weighted_plane(const double *pixels, Py_ssize_t n, double scale,
               const double *weights, double *out)
{
    double w0 = weights[0], w1 = weights[1], w2 = weights[2];
    for (Py_ssize_t j = 0; j < n; ++j) {
        double red = pixels[3 * j] * scale;
        double green = pixels[3 * j + 1] * scale;
        double blue = pixels[3 * j + 2] * scale;
        out[j] = w0 * red + w1 * green + w2 * blue;
    }
}

PyDoc_STRVAR(weighted_planes_doc,
"weighted_planes(pixels, scale, weights, outs, /)\n--\n\n"
"outs[k] = sum_c weights[k, c] * (pixels[..., c] * scale), summed over the\n"
"three channels in order.  pixels: (rows, cols, 3) float64; weights: (n, 3)\n"
"float64; outs: a sequence of n writable (rows, cols) float64 arrays; all\n"
"C-contiguous.");

static PyObject *
weighted_planes(PyObject *Py_UNUSED(module), PyObject *const *args,
                Py_ssize_t nargs)
{
    if (!expect_args("weighted_planes", nargs, 4)) return NULL;
    double scale;
    if (!as_double(args[1], &scale)) return NULL;
    PyObject *outs = PySequence_Fast(args[3], "outs must be a sequence");
    if (!outs) return NULL;
    Py_ssize_t n_outs = PySequence_Size(outs);
    Py_buffer pixels, weights;
    Py_buffer *views = NULL;
    Py_ssize_t held = 0;
    int have_pixels = 0, have_weights = 0;
    PyObject *result = NULL;
    if (get_view(args[0], &pixels, 3, 0, 1, "pixels") < 0) goto done;
    have_pixels = 1;
    int precision = precision_of(&pixels, KIND_REAL, "pixels");
    if (!precision) goto done;
    if (precision != 8) {
        PyErr_SetString(PyExc_TypeError, "pixels must be float64");
        goto done;
    }
    if (pixels.shape[2] != 3) {
        PyErr_Format(PyExc_ValueError, "pixels must have 3 channels, got %zd",
                     pixels.shape[2]);
        goto done;
    }
    if (get_float64_view(args[2], &weights, 0, "weights") < 0) goto done;
    have_weights = 1;
    if (weights.shape[0] != n_outs || weights.shape[1] != 3) {
        PyErr_Format(PyExc_ValueError,
                     "weights must have shape (%zd, 3) for %zd outputs",
                     n_outs, n_outs);
        goto done;
    }
    views = PyMem_Calloc((size_t)(n_outs ? n_outs : 1), sizeof(Py_buffer));
    if (!views) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held < n_outs; ++held) {
        if (get_float64_view(fast_item(outs, held),
                             &views[held], 1, "each of outs") < 0) {
            goto done;
        }
        if (views[held].shape[0] != pixels.shape[0] ||
            views[held].shape[1] != pixels.shape[1]) {
            ++held;
            PyErr_Format(PyExc_ValueError,
                         "each of outs must have shape (%zd, %zd)",
                         pixels.shape[0], pixels.shape[1]);
            goto done;
        }
    }
    Py_ssize_t n = pixels.shape[0] * pixels.shape[1];
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < n_outs; ++k) {
        weighted_plane(pixels.buf, n, scale, (const double *)weights.buf + 3 * k,
                       views[k].buf);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    for (Py_ssize_t k = 0; k < held; ++k) PyBuffer_Release(&views[k]);
    PyMem_Free(views);
    if (have_weights) PyBuffer_Release(&weights);
    if (have_pixels) PyBuffer_Release(&pixels);
    Py_DECREF(outs);
    return result;
}

/* ---- box_mean_u8(image, factor, out) ------------------------------------ */

/* Box sums along one row of column sums (cols pixels of CH channels):
 * box[j CH + c] sums col[x CH + c] over the pixels x of box j, that is
 * x in [j F - lead, j F - lead + F) inside the row.  The pixels of a box
 * are contiguous, so a copy for a fixed channel count (1 or 3, unrolled by
 * the compiler) walks them with no index arithmetic; 0 is any count. */
#define DEFINE_BOX_ROW(SUM, CH)                                                \
    FSIM_CLONES static void box_row_##SUM##_##CH(                            \
        const SUM *col, Py_ssize_t cols, Py_ssize_t channels,                \
        Py_ssize_t factor, Py_ssize_t lead, Py_ssize_t out_cols,             \
        uint32_t *box)                                                       \
    {                                                                        \
        Py_ssize_t ch = CH ? CH : channels;                                  \
        for (Py_ssize_t j = 0; j < out_cols; ++j) {                          \
            Py_ssize_t start = j * factor - lead, stop = start + factor;     \
            if (start < 0) start = 0;                                        \
            if (stop > cols) stop = cols;                                    \
            uint32_t *sums = box + j * ch;                                   \
            for (Py_ssize_t c = 0; c < ch; ++c) sums[c] = 0;                 \
            const SUM *pixel = col + start * ch;                             \
            for (Py_ssize_t x = start; x < stop; ++x, pixel += ch) {         \
                for (Py_ssize_t c = 0; c < ch; ++c) sums[c] += pixel[c];     \
            }                                                                \
        }                                                                    \
    }

/* Means of factor x factor boxes of a uint8 image (rows x cols x channels,
 * C order), aligned as the reference's conv2(x, ones(F) / F^2, 'same')
 * followed by x(1:F:end, 1:F:end): output (i, j) covers input rows
 * i F - lead .. i F - lead + F - 1, lead = F - 1 - F / 2, and likewise for
 * columns; pixels outside the image count as zero.  Sums are exact: the
 * column sums of F rows in SUM (uint16 while F * 255 < 2**16, which
 * vectorises twice as wide as uint32), the box sums in uint32
 * (F * F * 255 < 2**32); then divided by F * F in a loop of their own,
 * which vectorises. */
#define DEFINE_BOX_MEAN(SUM)                                                   \
    DEFINE_BOX_ROW(SUM, 0)                                                   \
    DEFINE_BOX_ROW(SUM, 1)                                                   \
    DEFINE_BOX_ROW(SUM, 3)                                                   \
                                                                             \
    FSIM_CLONES static void box_mean_u8_##SUM(                               \
        const unsigned char *image, Py_ssize_t rows, Py_ssize_t cols,        \
        Py_ssize_t channels, Py_ssize_t factor, double *out, SUM *col_sums,  \
        uint32_t *box_sums)                                                  \
    {                                                                        \
        Py_ssize_t lead = factor - 1 - factor / 2;                           \
        Py_ssize_t out_rows = (rows + factor - 1) / factor;                  \
        Py_ssize_t out_cols = (cols + factor - 1) / factor;                  \
        Py_ssize_t width = cols * channels, out_width = out_cols * channels; \
        double count = (double)(factor * factor);                            \
        for (Py_ssize_t i = 0; i < out_rows; ++i) {                          \
            memset(col_sums, 0, (size_t)width * sizeof(SUM));                \
            Py_ssize_t first = i * factor - lead;                            \
            for (Py_ssize_t r = first < 0 ? 0 : first;                       \
                 r < first + factor && r < rows; ++r) {                      \
                const unsigned char *source = image + r * width;             \
                for (Py_ssize_t k = 0; k < width; ++k) {                     \
                    col_sums[k] += source[k];                                \
                }                                                            \
            }                                                                \
            if (channels == 3) {                                             \
                box_row_##SUM##_3(col_sums, cols, 3, factor, lead, out_cols, \
                                  box_sums);                                 \
            }                                                                \
            else if (channels == 1) {                                        \
                box_row_##SUM##_1(col_sums, cols, 1, factor, lead, out_cols, \
                                  box_sums);                                 \
            }                                                                \
            else {                                                           \
                box_row_##SUM##_0(col_sums, cols, channels, factor, lead,    \
                                  out_cols, box_sums);                       \
            }                                                                \
            double *target = out + i * out_width;                            \
            for (Py_ssize_t k = 0; k < out_width; ++k) {                     \
                target[k] = (double)box_sums[k] / count;                     \
            }                                                                \
        }                                                                    \
    }

DEFINE_BOX_MEAN(uint16_t)
DEFINE_BOX_MEAN(uint32_t)

/* Largest factor whose column sums fit in uint16: 257 * 255 = 65535. */
#define BOX_U16_MAX_FACTOR 257

PyDoc_STRVAR(box_mean_u8_doc,
"box_mean_u8(image, factor, out, /)\n--\n\n"
"Means of factor x factor boxes of a uint8 image, aligned as the\n"
"reference's downsampling (see fsimlib.box_downsample).  image: (rows,\n"
"cols) or (rows, cols, channels) uint8, C-contiguous; out: float64,\n"
"C-contiguous, (ceil(rows / F), ceil(cols / F)[, channels]).  factor must\n"
"satisfy factor**2 * 255 < 2**32.");

static PyObject *
box_mean_u8(PyObject *Py_UNUSED(module), PyObject *const *args,
            Py_ssize_t nargs)
{
    if (!expect_args("box_mean_u8", nargs, 3)) return NULL;
    Py_ssize_t factor = PyLong_AsSsize_t(args[1]);
    if (factor == -1 && PyErr_Occurred()) return NULL;
    if (factor < 1 || factor > 4000) {
        PyErr_Format(PyExc_ValueError,
                     "factor must be between 1 and 4000, got %zd", factor);
        return NULL;
    }
    Py_buffer image, out;
    if (PyObject_GetBuffer(args[0], &image,
                           PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "image must be a C-contiguous array");
        return NULL;
    }
    if (get_view(args[2], &out, image.ndim, 1, 1, "out") < 0) {
        PyBuffer_Release(&image);
        return NULL;
    }
    PyObject *result = NULL;
    uint32_t *row_sums = NULL;
    const char *format = image.format ? image.format : "B";
    if (strcmp(format, "B") != 0 || (image.ndim != 2 && image.ndim != 3)) {
        PyErr_SetString(PyExc_TypeError,
                        "image must be a 2-D or 3-D uint8 array");
        goto done;
    }
    if (precision_of(&out, KIND_REAL, "out") != 8) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "out must be float64");
        }
        goto done;
    }
    Py_ssize_t rows = image.shape[0], cols = image.shape[1];
    Py_ssize_t channels = image.ndim == 3 ? image.shape[2] : 1;
    if (out.shape[0] != (rows + factor - 1) / factor ||
        out.shape[1] != (cols + factor - 1) / factor ||
        (image.ndim == 3 && out.shape[2] != channels)) {
        PyErr_SetString(PyExc_ValueError,
                        "out must have shape (ceil(rows / F), ceil(cols / F)"
                        "[, channels])");
        goto done;
    }
    /* One row of box sums, then one of column sums (uint32 is room
     * enough for either kind). */
    Py_ssize_t out_width = (cols + factor - 1) / factor * channels;
    row_sums = malloc((size_t)(cols * channels + out_width + 1) *
                               sizeof(uint32_t));
    if (!row_sums) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    if (factor <= BOX_U16_MAX_FACTOR) {
        box_mean_u8_uint16_t(image.buf, rows, cols, channels, factor, out.buf,
                             (uint16_t *)(row_sums + out_width), row_sums);
    }
    else {
        box_mean_u8_uint32_t(image.buf, rows, cols, channels, factor, out.buf,
                             row_sums + out_width, row_sums);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    free(row_sums);
    PyBuffer_Release(&image);
    PyBuffer_Release(&out);
    return result;
}

/* ---- module --------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"filter_product", (PyCFunction)(void (*)(void))filter_product,
     METH_FASTCALL, filter_product_doc},
    {"oriented_energy", (PyCFunction)(void (*)(void))oriented_energy,
     METH_FASTCALL, oriented_energy_doc},
    {"combine_energy", (PyCFunction)(void (*)(void))combine_energy,
     METH_FASTCALL, combine_energy_doc},
    {"pooled_sums", (PyCFunction)(void (*)(void))pooled_sums, METH_FASTCALL,
     pooled_sums_doc},
    {"box_mean_u8", (PyCFunction)(void (*)(void))box_mean_u8, METH_FASTCALL,
     box_mean_u8_doc},
    {"gradient_magnitude", (PyCFunction)(void (*)(void))gradient_magnitude,
     METH_FASTCALL, gradient_magnitude_doc},
    {"count_and_collect", (PyCFunction)(void (*)(void))count_and_collect,
     METH_FASTCALL, count_and_collect_doc},
    {"weighted_planes", (PyCFunction)(void (*)(void))weighted_planes,
     METH_FASTCALL, weighted_planes_doc},
    {"select_ranks", (PyCFunction)(void (*)(void))select_ranks,
     METH_FASTCALL, select_ranks_doc},
    {"chroma_product", (PyCFunction)(void (*)(void))chroma_product,
     METH_FASTCALL, chroma_product_doc},
    {NULL, NULL, 0, NULL},
};

/* VECTOR_PATHS: the x86 copies compiled in next to the portable loops
 * ("avx2" clones, "avx512f" collect), empty in a portable build; each is
 * used only where the CPU running it has the instructions. */
static int
add_vector_paths(PyObject *module)
{
    const char *names[] = {
#ifdef FSIM_HAS_CLONES
        "avx2",
#endif
#ifdef FSIM_AVX512_COLLECT
        "avx512f",
#endif
        NULL,
    };
    Py_ssize_t count = 0;
    while (names[count] != NULL) ++count;
    PyObject *paths = PyTuple_New(count);
    if (paths == NULL) return -1;
    for (Py_ssize_t i = 0; i < count; ++i) {
        PyObject *name = PyUnicode_FromString(names[i]);
        if (name == NULL) {
            Py_DECREF(paths);
            return -1;
        }
        if (PyTuple_SetItem(paths, i, name) < 0) {
            Py_DECREF(paths);
            return -1;
        }
    }
    if (PyModule_AddObject(module, "VECTOR_PATHS", paths) < 0) {
        Py_DECREF(paths);
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, (void *)add_vector_paths},
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
    .m_name = "fsimlib._ckernels",
    .m_doc = "Compiled loops of fsimlib's phase congruency.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__ckernels(void)
{
    return PyModuleDef_Init(&module);
}
