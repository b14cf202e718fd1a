// greet(name): a std::string built up; greet("") throws std::invalid_argument inside
// C++ and the message crosses back as ValueError; string::reserve() needs GLIBCXX_3.4.29.
// squares_sum(n): new long[n].
#include <Python.h>

#include <memory>
#include <stdexcept>
#include <string>

static std::string greeting(const std::string &name) {
    if (name.empty())
        throw std::invalid_argument("empty name");
    std::string s = "hello, ";
    s += name;
    s += "!";
    // The no-argument reserve() (a non-binding shrink request) is GLIBCXX_3.4.29.
    s.reserve();
    return s;
}

static PyObject *greet(PyObject *, PyObject *args) {
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name))
        return nullptr;
    try {
        std::string s = greeting(name);
        return PyUnicode_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
    } catch (const std::exception &e) {
        PyErr_SetString(PyExc_ValueError, e.what());
        return nullptr;
    }
}

static PyObject *squares_sum(PyObject *, PyObject *args) {
    long n;
    if (!PyArg_ParseTuple(args, "l", &n))
        return nullptr;
    try {
        std::unique_ptr<long[]> v(new long[n]);
        long sum = 0;
        for (long i = 0; i < n; i++) {
            v[i] = i * i;
            sum += v[i];
        }
        return PyLong_FromLong(sum);
    } catch (const std::bad_alloc &) {
        PyErr_SetString(PyExc_MemoryError, "bad_alloc");
        return nullptr;
    }
}

static PyMethodDef methods[] = {
    {"greet", greet, METH_VARARGS, "a greeting, or ValueError for an empty name"},
    {"squares_sum", squares_sum, METH_VARARGS, "sum of i*i below n, through new long[n]"},
    {nullptr, nullptr, 0, nullptr},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cxxdemo", nullptr, -1, methods,
                                    nullptr, nullptr, nullptr, nullptr};

PyMODINIT_FUNC PyInit__cxxdemo(void) { return PyModule_Create(&module); }
