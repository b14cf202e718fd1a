#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <math.h>
#include <stdlib.h>
static int ctor_ran;
__attribute__((constructor)) static void c(void){ ctor_ran = 1; }
__attribute__((destructor)) static void d(void){ printf("dtor\n"); }
static void *th(void *a){ return (void*)((long)a * 2); }
int main(int argc, char **argv){
  char buf[64]; char src[64]; snprintf(src, sizeof src, "%s-%d", "x", argc);
  memcpy(buf, src, strlen(src)+1);
  pthread_t t; void *r; pthread_create(&t, 0, th, (void*)21); pthread_join(t, &r);
  printf("ctor=%d buf=%s thread=%ld pow=%.3f\n", ctor_ran, buf, (long)r, pow(atof(argv[0][0]=='.'?"2":"3"), 10.5));
  return 0; }
