// dlopen a library, touch its thread_local in a thread, dlclose the library while the
// thread still holds the object, then let the thread exit: glibc keeps the library loaded
// until the destructor has run; a polyfill that did not would jump into unmapped code.
#include <cstdio>
#include <dlfcn.h>
#include <semaphore.h>
#include <thread>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) { std::printf("dlopen: %s\n", dlerror()); return 1; }
    auto touch = reinterpret_cast<int (*)(void)>(dlsym(h, "touch_lib"));
    sem_t touched, closed;
    sem_init(&touched, 0, 0);
    sem_init(&closed, 0, 0);
    std::thread t([&] {
        std::printf("thread touches: %d %d\n", touch(), touch());
        sem_post(&touched);
        sem_wait(&closed);
        std::printf("thread exits\n");
    });
    sem_wait(&touched);
    std::printf("dlclose: %d\n", dlclose(h));
    sem_post(&closed);
    t.join();
    std::printf("joined\n");
    return 0;
}
