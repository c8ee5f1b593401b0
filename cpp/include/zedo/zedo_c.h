/* zedo_c.h: a C ABI over zedo's C++ wrapper (libzedo_c), for C, C#, Rust, Go and other FFIs.
 *
 * Units and shapes as zedo.hpp: row-major float32; keypoints in pixels, K the 3 x 3 pinhole
 * intrinsics in pixels; joints in metres in the camera frame (x right, y down, z forward), joint 0
 * the pelvis, NaN for a pose that cannot be placed. Functions that can fail return ZEDO_OK or
 * ZEDO_ERROR (NULL for zedo_create); zedo_last_error() then gives the one-line message. No call
 * lets an exception or a Python error escape. A lifter may be used from several threads.
 */
#ifndef ZEDO_C_H
#define ZEDO_C_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define ZEDO_C_API __declspec(dllexport)
#else
#define ZEDO_C_API __attribute__((visibility("default")))
#endif

#define ZEDO_OK 0
#define ZEDO_ERROR 1

typedef struct zedo_lifter zedo_lifter;

/* Settings; zedo_default_options() fills every field. NULL strings keep the default. */
typedef struct zedo_options {
    const char* engine;   /* bundled prior ("default", "h36m") or an .onnx / .trt file */
    const char* layout;   /* keypoint layout of the input ("h36m17", "coco17", ...) */
    const char* device;   /* "cpu", "cuda", "tensorrt" */
    const char* python;   /* the environment's python executable; NULL: $ZEDO_PYTHON, else the build's */
    int iterations;       /* loop iterations (default 200) */
    int start_candidates; /* 0: zedo's default start; 1: the mean pose */
    int threads;          /* ONNX Runtime intra-op threads; 0: its default */
} zedo_options;

ZEDO_C_API zedo_options zedo_default_options(void);

/* A lifter (starting Python on the first call); NULL on failure. options NULL: the defaults. */
ZEDO_C_API zedo_lifter* zedo_create(const zedo_options* options);

/* Keypoints per pose in the lifter's layout (J), or -1 for a NULL lifter. */
ZEDO_C_API int zedo_keypoint_count(const zedo_lifter* lifter);

/* keypoints (n, J, 2) px, scores (n, J) in [0, 1] or NULL (all 1), K (3, 3) px for all n poses
 * -> joints_out (n, 17, 3) metres, written in place. ZEDO_OK or ZEDO_ERROR. */
ZEDO_C_API int zedo_lift(zedo_lifter* lifter, const float* keypoints, const float* scores, const float* K, int n, float* joints_out);

/* Frees the lifter; NULL does nothing. */
ZEDO_C_API void zedo_destroy(zedo_lifter* lifter);

/* The message of this thread's last failed call ("" if none); valid until its next call. */
ZEDO_C_API const char* zedo_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* ZEDO_C_H */
