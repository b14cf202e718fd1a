/* crc32 through the host's zlib; random_below through glibc 2.36's arc4random_uniform. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <zlib.h>

static PyObject *py_crc32(PyObject *self, PyObject *args) {
    const char *s;
    Py_ssize_t n;
    (void)self;
    if (!PyArg_ParseTuple(args, "s#", &s, &n))
        return NULL;
    return PyLong_FromUnsignedLong(crc32(0L, (const Bytef *)s, (uInt)n));
}

static PyObject *py_random_below(PyObject *self, PyObject *args) {
    unsigned int bound;
    (void)self;
    if (!PyArg_ParseTuple(args, "I", &bound))
        return NULL;
    return PyLong_FromUnsignedLong(arc4random_uniform(bound));
}

static PyMethodDef methods[] = {
    {"crc32", py_crc32, METH_VARARGS, "zlib's crc32 of a string"},
    {"random_below", py_random_below, METH_VARARGS, "arc4random_uniform(bound)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_zcrc", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__zcrc(void) { return PyModule_Create(&module); }
