// C++: global constructors (and their destructors), iostream, std::string, containers
// and a thrown and caught exception. Must need nothing newer than GLIBCXX_3.4.28 /
// CXXABI_1.3.12 (bullseye's libstdc++ 6.0.28, GCC 10) so it runs on Debian 11.
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include <unistd.h>

namespace {

int constructed = 0;

struct Global {
    std::string name;
    std::vector<int> values;
    explicit Global(const char *n) : name(n) {
        for (int i = 1; i <= 5; i++) values.push_back(i * i);
        constructed++;
    }
    ~Global() { std::printf("global %s destroyed\n", name.c_str()); std::fflush(stdout); }
};

Global first("first");
Global second("second");
std::map<std::string, int> table = {{"one", 1}, {"two", 2}, {"three", 3}};

int parse(const std::string &s) {
    std::istringstream in(s);
    int v;
    if (!(in >> v)) throw std::invalid_argument("not a number: '" + s + "'");
    return v;
}

}  // namespace

int main(int argc, char **argv) {
    char buf[64];
    if (confstr(_CS_GNU_LIBC_VERSION, buf, sizeof buf) > 0)
        std::cerr << "cxx: running on " << buf << std::endl;
    std::cout << "globals constructed: " << constructed << " (" << first.name << ", "
              << second.name << "), table size " << table.size() << std::endl;
    int sum = 0;
    for (int v : second.values) sum += v;
    std::cout << "sum of squares: " << sum << ", argc " << argc << std::endl;
    std::vector<std::string> inputs = {"42", argc > 1 ? argv[1] : "forty-two", "7"};
    int caught = 0;
    for (const auto &s : inputs) {
        try {
            int v = parse(s);
            std::cout << "parsed " << v << std::endl;
        } catch (const std::invalid_argument &e) {
            caught++;
            std::cout << "caught: " << e.what() << std::endl;
        }
    }
    try {
        throw 17 + argc;
    } catch (int v) {
        std::cout << "caught int " << v << std::endl;
    }
    std::cout << "exceptions caught: " << caught << std::endl;
    return constructed == 2 && caught == 1 ? 0 : 1;
}
