// cxx.cc: a small C++ program that needs libstdc++ (GLIBCXX_3.4.x),
// the C++ ABI (CXXABI_1.3.x) and libgcc_s (GCC_x.y: the unwinder), besides
// glibc.  It uses iostream, std::string, a thrown and caught exception, a
// std::shared_ptr (whose inline reference counting reads glibc's
// __libc_single_threaded@GLIBC_2.32) and a global object with a constructor.
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

struct Registry {
    std::string name;
    int hits;
    Registry() : name("registry"), hits(0) { hits = 1; }
    ~Registry() { std::cout << "registry destroyed" << std::endl; }
};

Registry global_registry;  // global constructor: runs through .init_array

[[gnu::noinline]] int parse(const std::string &s)
{
    if (s.empty() || s[0] < '0' || s[0] > '9')
        throw std::invalid_argument("not a number: \"" + s + "\"");
    return std::stoi(s);
}

}  // namespace

int main(int argc, char **argv)
{
    std::string who = argc > 1 ? argv[1] : "x42";
    auto shared = std::make_shared<std::string>("shared");
    auto copy = shared;  // atomic or single-threaded refcount increment
    std::cout << "global ctor ran: " << global_registry.name << " hits="
              << global_registry.hits << std::endl;
    try {
        int value = parse(who);
        std::cout << "parsed " << value << std::endl;
    } catch (const std::invalid_argument &e) {
        std::cout << "caught: " << e.what() << std::endl;
    }
    std::cout << *copy << " use_count=" << copy.use_count() << std::endl;
    return 0;
}
