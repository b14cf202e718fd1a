// A C++20 program that needs more of libstdc++ than Debian 11's (GCC 10, GLIBCXX_3.4.28)
// has: std::condition_variable::wait (GLIBCXX_3.4.30 when g++ 12 links it) and
// std::to_chars for double (GLIBCXX_3.4.29), plus std::jthread/stop_token, exceptions
// thrown across functions, iostream and std::filesystem in a directory under /tmp.
// Output is deterministic; exit code 7.
#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>
#include <unistd.h>

namespace fs = std::filesystem;

static int parse_positive(const std::string &s) {
    int v = std::stoi(s);  // throws std::invalid_argument on "x"
    if (v <= 0) throw std::out_of_range("not positive: " + s);
    return v;
}

static std::string shortest(double d) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
}

int main() {
    // Threads handing work over through a condition variable.
    std::mutex m;
    std::condition_variable cv;
    std::vector<int> queue;
    bool done = false;
    long sum = 0;
    std::thread consumer([&] {
        std::unique_lock<std::mutex> lk(m);
        for (;;) {
            cv.wait(lk, [&] { return !queue.empty() || done; });
            while (!queue.empty()) {
                sum += queue.back();
                queue.pop_back();
            }
            if (done) break;
        }
    });
    for (int i = 1; i <= 100; i++) {
        std::lock_guard<std::mutex> lk(m);
        queue.push_back(i);
        cv.notify_one();
    }
    {
        std::lock_guard<std::mutex> lk(m);
        done = true;
    }
    cv.notify_one();
    consumer.join();
    std::cout << "threads: sum=" << sum << "\n";

    // std::jthread with a stop token.
    int ticks = 0;
    {
        std::jthread worker([&ticks](std::stop_token st) {
            while (!st.stop_requested() && ticks < 1000) ticks++;
        });
        worker.join();
    }
    std::cout << "jthread: ticks=" << ticks << "\n";

    // Exceptions across a function boundary.
    int caught = 0;
    for (const char *s : {"12", "x", "-3"}) {
        try {
            parse_positive(s);
        } catch (const std::invalid_argument &) {
            caught += 1;
        } catch (const std::out_of_range &e) {
            caught += 10;
            std::cout << "exception: " << e.what() << "\n";
        }
    }
    std::cout << "exceptions: caught=" << caught << "\n";

    std::cout << "to_chars: " << shortest(0.1) << " " << shortest(1e300) << "\n";

    // std::filesystem: a private directory under /tmp, three files, sorted listing.
    fs::path dir = fs::temp_directory_path() / ("elfcompat-cxx20-" + std::to_string(getpid()));
    fs::create_directories(dir / "sub");
    for (const char *n : {"b.txt", "a.txt", "sub/c.txt"}) std::ofstream(dir / n) << n;
    std::vector<std::string> names;
    for (const auto &e : fs::recursive_directory_iterator(dir))
        names.push_back(fs::relative(e.path(), dir).string() + (e.is_directory() ? "/" : ""));
    std::sort(names.begin(), names.end());
    std::cout << "filesystem:";
    for (const auto &n : names) std::cout << " " << n;
    std::cout << "\n";
    std::cout << "filesystem: size(a.txt)=" << fs::file_size(dir / "a.txt") << "\n";
    fs::remove_all(dir);
    std::cout << "filesystem: removed=" << !fs::exists(dir) << "\n";
    return 7;
}
