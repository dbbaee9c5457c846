/*
 * Fused loops of fsimlib's phase congruency (see _kernels.py, which falls
 * back to numpy when this module is not built).
 *
 * numpy needs about twenty passes over the four complex responses of an
 * orientation, each a separate trip through memory; these loops make one,
 * a block of columns at a time, so that the intermediate sums stay in
 * registers and L1.  The arithmetic is the numpy path's, operation for
 * operation (no fused multiply-add, no reassociation), so both agree to a
 * few units in the last place.
 *
 * Arrays arrive through the buffer protocol; the GIL is released while the
 * loops run, so threads scoring different images run in parallel.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <string.h>

/* Columns processed together: the per-pixel sums then live in six small
 * arrays on the stack (12 KiB in double precision). */
#define BLOCK 256

/* An AVX2 copy of each loop next to the portable one, chosen at load time,
 * where GCC and glibc can do that (ifunc); elsewhere only the portable one. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
#define FSIM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FSIM_CLONES
#endif

/* ---- the loops, once per precision ---------------------------------- */

#define DEFINE_KERNELS(REAL, SUFFIX, SQRT, FABS)                               \
    FSIM_CLONES static void filter_product_##SUFFIX(                         \
        const REAL *spectrum, const REAL *filters, Py_ssize_t n_scales,      \
        Py_ssize_t n, REAL *out)                                             \
    {                                                                        \
        for (Py_ssize_t s = 0; s < n_scales; ++s) {                          \
            const REAL *f = filters + s * n;                                 \
            REAL *o = out + 2 * s * n;                                       \
            for (Py_ssize_t j = 0; j < n; ++j) {                             \
                o[2 * j] = spectrum[2 * j] * f[j];                           \
                o[2 * j + 1] = spectrum[2 * j + 1] * f[j];                   \
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
                    REAL norm = local + epsilon;                             \
                    dir_re[j] = sum_re[j] / norm;                            \
                    dir_im[j] = sum_im[j] / norm;                            \
                    en[j] = local * local / norm;                            \
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

/* ---- filter_product(spectrum, filters, out) ------------------------- */

PyDoc_STRVAR(filter_product_doc,
"filter_product(spectrum, filters, out, /)\n--\n\n"
"out[s] = spectrum * filters[s] for every scale s.\n\n"
"spectrum: (rows, cols) complex, C-contiguous; filters: (n_scales, rows,\n"
"cols) real of the same precision, C-contiguous; out: like filters but\n"
"complex, C-contiguous and writable.");

static PyObject *
filter_product(PyObject *Py_UNUSED(module), PyObject *const *args,
               Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError,
                     "filter_product takes 3 arguments, got %zd", nargs);
        return NULL;
    }
    Py_buffer spectrum, filters, out;
    if (get_view(args[0], &spectrum, 2, 0, 1, "spectrum") < 0) return NULL;
    if (get_view(args[1], &filters, 3, 0, 1, "filters") < 0) {
        PyBuffer_Release(&spectrum);
        return NULL;
    }
    if (get_view(args[2], &out, 3, 1, 1, "out") < 0) {
        PyBuffer_Release(&spectrum);
        PyBuffer_Release(&filters);
        return NULL;
    }
    PyObject *result = NULL;
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
    Py_ssize_t n_scales = filters.shape[0];
    Py_ssize_t n = spectrum.shape[0] * spectrum.shape[1];
    Py_BEGIN_ALLOW_THREADS
    if (precision == 8) {
        filter_product_f64(spectrum.buf, filters.buf, n_scales, n, out.buf);
    }
    else {
        filter_product_f32(spectrum.buf, filters.buf, n_scales, n, out.buf);
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&spectrum);
    PyBuffer_Release(&filters);
    PyBuffer_Release(&out);
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
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError,
                     "oriented_energy takes 5 arguments, got %zd", nargs);
        return NULL;
    }
    double epsilon = PyFloat_AsDouble(args[1]);
    if (epsilon == -1.0 && PyErr_Occurred()) return NULL;
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
    Py_ssize_t item = 2 * precision;
    if (responses.strides[2] != item || responses.strides[1] % item ||
        responses.strides[0] % item || responses.strides[1] < 0 ||
        responses.strides[0] < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "responses must have contiguous columns and "
                        "non-negative row and scale strides");
        goto done;
    }
    Py_ssize_t n_scales = responses.shape[0];
    Py_ssize_t rows = responses.shape[1], cols = responses.shape[2];
    Py_ssize_t scale_stride = responses.strides[0] / item;
    Py_ssize_t row_stride = responses.strides[1] / item;
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

/* ---- module --------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"filter_product", (PyCFunction)(void (*)(void))filter_product,
     METH_FASTCALL, filter_product_doc},
    {"oriented_energy", (PyCFunction)(void (*)(void))oriented_energy,
     METH_FASTCALL, oriented_energy_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
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
