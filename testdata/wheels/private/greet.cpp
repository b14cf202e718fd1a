// A C++ plugin for tests/bundle_private_versions.rs: iostream, std::string and an
// exception thrown and caught inside it, so that loading and calling it binds symbols of
// libstdc++ at GLIBCXX_ and CXXABI_ versions (with LD_BIND_NOW, every one at load time).
// The no-argument string::reserve() is GLIBCXX_3.4.29: newer than manylinux2014's
// libstdc++, so `bundle --target manylinux_2_17` ships the build machine's copy.
// Built by the test: g++ -shared -fPIC -O2 greet.cpp -o libgreet.so
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>

static std::string greeting(const std::string &name) {
    if (name.empty())
        throw std::invalid_argument("empty name");
    std::ostringstream out;
    out << "hello, " << name << "! (" << name.size() << ")";
    std::string s = out.str();
    s.reserve();
    return s;
}

// Writes the greeting, or the exception's message, into buf; 0 or 1.
extern "C" int greet(const char *name, char *buf, unsigned long size) {
    int rc = 0;
    std::string s;
    try {
        s = greeting(name);
    } catch (const std::exception &e) {
        s = e.what();
        rc = 1;
    }
    std::strncpy(buf, s.c_str(), size - 1);
    buf[size - 1] = '\0';
    return rc;
}
