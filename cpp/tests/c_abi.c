/* zedo_c_check ENGINE ITERATIONS < pose: one pose through the C ABI, then the bad calls.
 * stdin: 34 keypoint floats (17 x 2 px, h36m17), 17 scores, 9 K floats (px). Prints
 * "joints" and the 51 coordinates (metres), then one line per bad call with its message. */
#include "zedo/zedo_c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void report(const char* name, int status) {
    printf("%s: %s: %s\n", name, status == ZEDO_ERROR ? "error" : "NO ERROR", zedo_last_error());
}

int main(int argc, char** argv) {
    float keypoints[34], scores[17], K[9], joints[51];
    float* all[] = {keypoints, scores, K};
    const int counts[] = {34, 17, 9};
    if (argc != 3) {
        fprintf(stderr, "usage: zedo_c_check ENGINE ITERATIONS < pose\n");
        return 2;
    }
    for (int a = 0; a < 3; ++a)
        for (int i = 0; i < counts[a]; ++i)
            if (scanf("%f", &all[a][i]) != 1) {
                fprintf(stderr, "zedo_c_check: stdin must hold 60 numbers\n");
                return 2;
            }

    zedo_options options = zedo_default_options();
    options.engine = argv[1];
    options.iterations = atoi(argv[2]);
    options.threads = 1;
    zedo_lifter* lifter = zedo_create(&options);
    if (!lifter) {
        fprintf(stderr, "zedo_c_check: %s\n", zedo_last_error());
        return 1;
    }
    if (zedo_lift(lifter, keypoints, scores, K, 1, joints) != ZEDO_OK) {
        fprintf(stderr, "zedo_c_check: %s\n", zedo_last_error());
        return 1;
    }
    printf("joints");
    for (int i = 0; i < 51; ++i) printf(" %.9g", joints[i]);
    printf("\nkeypoint count: %d\n", zedo_keypoint_count(lifter));

    report("null keypoints", zedo_lift(lifter, NULL, scores, K, 1, joints));
    report("null joints", zedo_lift(lifter, keypoints, scores, K, 1, NULL));
    report("n = 0", zedo_lift(lifter, keypoints, scores, K, 0, joints));
    report("n = -2", zedo_lift(lifter, keypoints, scores, K, -2, joints));
    report("null lifter", zedo_lift(NULL, keypoints, scores, K, 1, joints));
    keypoints[10] = NAN;
    report("NaN keypoint", zedo_lift(lifter, keypoints, scores, K, 1, joints));
    options.engine = "no-such-prior";
    zedo_lifter* bad = zedo_create(&options);
    report("unknown engine", bad ? ZEDO_OK : ZEDO_ERROR);
    zedo_destroy(bad);
    zedo_destroy(lifter);
    return 0;
}
