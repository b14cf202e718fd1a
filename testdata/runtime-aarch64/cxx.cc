// Global constructor, iostream and an exception: the C++ runtime on an old glibc.
#include <iostream>
#include <stdexcept>
#include <string>

struct Global {
    std::string text;
    Global() : text("global constructor ran") {}
};
static Global global;

int main(int argc, char **argv) {
    std::cout << global.text << " argc=" << argc << std::endl;
    try {
        throw std::runtime_error("thrown");
    } catch (const std::exception &e) {
        std::cout << "caught: " << e.what() << std::endl;
    }
    return 0;
}
