// Two threads take turns through a condition_variable: g++ 12 links
// std::condition_variable::wait(std::unique_lock<std::mutex>&) at GLIBCXX_3.4.30, and
// everything else at versions bullseye's libstdc++ (GLIBCXX_3.4.28) has.
// Built by tests/cxx_runtime.rs: g++ -O2 -pthread condvar.cpp -o condvar
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

int main() {
    std::mutex m;
    std::condition_variable cv;
    int turn = 0;
    long sum = 0;
    std::thread worker([&] {
        for (int i = 1; i <= 100; i++) {
            std::unique_lock<std::mutex> lock(m);
            while (turn != 1)
                cv.wait(lock);
            sum += i;
            turn = 0;
            cv.notify_one();
        }
    });
    for (int i = 1; i <= 100; i++) {
        std::unique_lock<std::mutex> lock(m);
        turn = 1;
        cv.notify_one();
        while (turn != 0)
            cv.wait(lock);
    }
    worker.join();
    std::printf("100 turns, sum %ld\n", sum);
    return sum == 5050 ? 0 : 1;
}
