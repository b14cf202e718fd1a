// libplugin.so: a C++ plugin that host.c loads with dlopen. Its C entry point uses
// std::string, throws and catches an exception inside the library, and formats a number
// with std::to_chars for double, which needs GLIBCXX_3.4.29 (GCC 11): newer than Debian
// 11's libstdc++, which the C program itself does not even load.
#include <charconv>
#include <stdexcept>
#include <string>
#include <cstring>

static std::string shout(const std::string &s) {
    if (s.empty()) throw std::invalid_argument("empty word");
    std::string r;
    for (char c : s) r += (c >= 'a' && c <= 'z') ? char(c - 32) : c;
    char num[32];
    auto res = std::to_chars(num, num + sizeof num, double(s.size()) / 8);
    return r + "!" + std::string(num, res.ptr);
}

extern "C" int plugin_transform(const char *word, char *out, unsigned long outlen) {
    try {
        std::string r = shout(word);
        std::strncpy(out, r.c_str(), outlen - 1);
        out[outlen - 1] = 0;
        return (int)r.size();
    } catch (const std::exception &e) {
        std::strncpy(out, e.what(), outlen - 1);
        out[outlen - 1] = 0;
        return -1;
    }
}
