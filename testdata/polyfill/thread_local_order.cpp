// thread_local objects with destructors: libstdc++ registers each destructor with
// glibc's __cxa_thread_atexit_impl (2.18). Prints the order of construction and
// destruction per thread (threads run one after another, so the output is
// deterministic), a destructor that constructs another thread_local, the main thread's
// objects at exit, and a stress count: many threads at once, each registering many.
// tests/polyfill_cxx_thread_local.rs runs it with a libstdc++ patched to 2.17.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

static std::atomic<long> destroyed{0};

struct Noisy {
    std::string name;
    explicit Noisy(std::string n) : name(std::move(n)) { std::printf("  construct %s\n", name.c_str()); }
    ~Noisy() { std::printf("  destroy %s\n", name.c_str()); std::fflush(stdout); }
};

struct Counted {
    long v = 1;
    ~Counted() { destroyed.fetch_add(v); }
};

// Constructed before any thread_local of main, destroyed after them in glibc and here.
static Noisy global("static (constructed before main's thread_locals)");

thread_local Noisy late("late: first touched by a destructor");

struct Toucher {
    ~Toucher() {
        std::printf("  destroy toucher, touching late\n");
        std::printf("  late is %s\n", late.name.c_str());
    }
};

template <int N> Counted &counted() {
    thread_local Counted c;
    return c;
}

static void touch_many() {
    counted<0>(); counted<1>(); counted<2>(); counted<3>(); counted<4>();
    counted<5>(); counted<6>(); counted<7>(); counted<8>(); counted<9>();
}

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    for (int t = 0; t < 3; t++) {
        std::thread th([t] {
            std::printf("thread %d\n", t);
            thread_local Noisy a("a" + std::to_string(t));
            thread_local Noisy b("b" + std::to_string(t));
            thread_local Toucher toucher;
            thread_local Noisy c("c" + std::to_string(t));
            (void)a; (void)b; (void)toucher; (void)c;
        });
        th.join();
        std::printf("joined %d\n", t);
    }
    // Stress: many threads at once, several rounds.
    int rounds = std::getenv("ROUNDS") ? std::atoi(std::getenv("ROUNDS")) : 20;
    for (int r = 0; r < rounds; r++) {
        std::vector<std::thread> ts;
        for (int i = 0; i < 32; i++)
            ts.emplace_back([] { for (int k = 0; k < 50; k++) touch_many(); });
        for (auto &t : ts) t.join();
    }
    std::printf("stress: %ld destructors run (%d rounds x 32 threads x 10)\n", destroyed.load(), rounds);
    std::printf("main\n");
    thread_local Noisy m1("main 1");
    thread_local Noisy m2("main 2");
    (void)m1; (void)m2;
    std::printf("exit\n");
    return 0;
}
