// condvar.cpp's turns, with the waiting done in libwait.so (waitlib.cpp).
// Built by tests/cxx_runtime.rs: g++ -O2 -pthread condvar_lib.cpp -L. -lwait -o condvar_lib
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

void wait_turn(std::condition_variable &cv, std::unique_lock<std::mutex> &lock,
               const int &turn, int want);

int main() {
    std::mutex m;
    std::condition_variable cv;
    int turn = 0;
    long sum = 0;
    std::thread worker([&] {
        for (int i = 1; i <= 100; i++) {
            std::unique_lock<std::mutex> lock(m);
            wait_turn(cv, lock, turn, 1);
            sum += i;
            turn = 0;
            cv.notify_one();
        }
    });
    for (int i = 1; i <= 100; i++) {
        std::unique_lock<std::mutex> lock(m);
        turn = 1;
        cv.notify_one();
        wait_turn(cv, lock, turn, 0);
    }
    worker.join();
    std::printf("100 turns, sum %ld\n", sum);
    return sum == 5050 ? 0 : 1;
}
