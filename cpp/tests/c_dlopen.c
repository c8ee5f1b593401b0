/* zedo_c_dlopen LIBRARY ENGINE ITERATIONS < pose: zedo_c_check's first lift, with libzedo_c loaded
 * as FFIs load it (dlopen, RTLD_LOCAL: C#, Rust's libloading, ctypes). Prints "joints" and the 51
 * coordinates (metres). */
#include "zedo/zedo_c.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
    float input[60], joints[51]; /* keypoints (17, 2), scores (17,), K (3, 3) */
    if (argc != 4) {
        fprintf(stderr, "usage: zedo_c_dlopen LIBRARY ENGINE ITERATIONS < pose\n");
        return 2;
    }
    for (int i = 0; i < 60; ++i)
        if (scanf("%f", &input[i]) != 1) return 2;
    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "zedo_c_dlopen: %s\n", dlerror());
        return 1;
    }
    zedo_options (*default_options)(void) = (zedo_options(*)(void))dlsym(lib, "zedo_default_options");
    zedo_lifter* (*create)(const zedo_options*) = (zedo_lifter * (*)(const zedo_options*)) dlsym(lib, "zedo_create");
    int (*lift)(zedo_lifter*, const float*, const float*, const float*, int, float*) = (int (*)(zedo_lifter*, const float*, const float*, const float*, int, float*))dlsym(lib, "zedo_lift");
    const char* (*last_error)(void) = (const char* (*)(void))dlsym(lib, "zedo_last_error");
    zedo_options options = default_options();
    options.engine = argv[2];
    options.iterations = atoi(argv[3]);
    options.threads = 1;
    zedo_lifter* lifter = create(&options);
    if (!lifter || lift(lifter, input, input + 34, input + 51, 1, joints) != ZEDO_OK) {
        fprintf(stderr, "zedo_c_dlopen: %s\n", last_error());
        return 1;
    }
    printf("joints");
    for (int i = 0; i < 51; ++i) printf(" %.9g", joints[i]);
    printf("\n");
    return 0;
}
