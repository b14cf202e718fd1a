// A library with a thread_local object whose destructor lives in the library: the
// registration passes the library's __dso_handle, and the library must stay loaded until
// the destructor has run, even when the program dlcloses it first
// (testdata/polyfill/thread_local_dlopen.cpp).
#include <cstdio>

struct InLib {
    int n = 0;
    ~InLib() { std::printf("  destroy the library's thread_local (n=%d)\n", n); std::fflush(stdout); }
};

extern "C" int touch_lib(void) {
    thread_local InLib x;
    return ++x.n;
}
