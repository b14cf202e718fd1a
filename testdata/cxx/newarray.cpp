// std::allocator<int>::allocate(n) with a run-time n: g++ 11 and later check n against
// max_size() and call std::__throw_bad_array_new_length() (GLIBCXX_3.4.29, GCC 11),
// which has no older version: only a newer libstdc++ shipped with the program (or a
// static one) lets this run on Debian 11.
// Built by tests/cxx_runtime.rs: g++ -O2 newarray.cpp -o newarray
#include <cstdio>
#include <memory>

int main(int argc, char **) {
    std::allocator<int> alloc;
    std::size_t n = static_cast<std::size_t>(argc) * 4;
    int *p = alloc.allocate(n);
    for (std::size_t i = 0; i < n; i++)
        p[i] = static_cast<int>(i);
    std::printf("last %d\n", p[n - 1]);
    alloc.deallocate(p, n);
    return 0;
}
