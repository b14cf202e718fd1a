// C++ thread_local objects with destructors, in several threads and main. Linked with
// -static-libstdc++, the program imports glibc 2.18's __cxa_thread_atexit_impl itself;
// patched to 2.17 it gets elfcompat's polyfill. tests/polyfill_hard.rs compares the
// destructor order with the unpatched program's on glibc 2.36.
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

static std::mutex m;

struct Noisy {
    std::string name;
    int id = 0;
    explicit Noisy(const char *n) : name(n) {}
    ~Noisy() {
        std::lock_guard<std::mutex> g(m);
        std::printf("~%s %d\n", name.c_str(), id);
    }
};

struct Global {
    ~Global() { std::printf("~global (static storage, constructed before main)\n"); }
} global;

thread_local Noisy first("first");
thread_local Noisy second("second");

// Constructed on first use: its destructor is registered later than the others'.
Noisy &lazy() {
    thread_local Noisy l("lazy");
    return l;
}

// A destructor that touches another thread_local: it is constructed (and registered)
// while the thread's destructors are already running, and destroyed too.
struct Toucher {
    int id = 0;
    ~Toucher() {
        lazy().id = id + 1000;
        std::lock_guard<std::mutex> g(m);
        std::printf("~toucher %d\n", id);
    }
};
thread_local Toucher toucher;

void work(int i) {
    second.id = i;
    first.id = i;
    if (i % 2)
        lazy().id = i;
    toucher.id = i;
}

int main() {
    for (int i = 1; i <= 4; i++) {
        std::thread t(work, i);
        t.join();
        std::printf("joined %d\n", i);
    }
    // Many threads at once: each prints its own destructors; the totals are compared.
    std::vector<std::thread> ts;
    static int count = 0;
    for (int i = 0; i < 32; i++)
        ts.emplace_back([] {
            struct Counted {
                ~Counted() {
                    std::lock_guard<std::mutex> g(m);
                    count++;
                }
            };
            thread_local Counted c;
            (void)&c;
        });
    for (auto &t : ts)
        t.join();
    std::printf("counted %d thread_local destructors\n", count);
    work(100);
    std::printf("main returns\n");
}
