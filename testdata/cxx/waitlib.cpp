// A shared library whose only C++ runtime import is
// std::condition_variable::wait(std::unique_lock<std::mutex>&)@GLIBCXX_3.4.30: its
// verneed for libstdc++.so.6 lists GLIBCXX_3.4.30 alone, so re-pointing to
// GLIBCXX_3.4.11 must add that version (a new vernaux) to the file.
// Built by tests/cxx_runtime.rs: g++ -O2 -fPIC -shared waitlib.cpp -o libwait.so
#include <condition_variable>
#include <mutex>

void wait_turn(std::condition_variable &cv, std::unique_lock<std::mutex> &lock,
               const int &turn, int want) {
    while (turn != want)
        cv.wait(lock);
}
