// libzedo_c: the C ABI of zedo_c.h, compiled from the C++ wrapper (zedo.hpp).
#include "zedo/zedo_c.h"

#include "zedo/zedo.hpp"

#include <new>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#endif

struct ZEDO_HIDDEN zedo_lifter {
    zedo::Lifter lifter;
};

namespace {

thread_local std::string last_error;

// Runs f, turning every exception into ZEDO_ERROR and this thread's last error.
template <class F>
int guarded(F&& f) {
    try {
        f();
        last_error.clear();
        return ZEDO_OK;
    } catch (const std::bad_alloc&) {
        last_error = "out of memory";
    } catch (const std::exception& e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unexpected non-standard exception";
    }
    return ZEDO_ERROR;
}

// An FFI loader (dlopen with RTLD_LOCAL: C#, Rust's libloading, Python's ctypes) hides libpython's
// symbols from the extension modules Python loads (NumPy's); make them global before Python starts.
void export_libpython() {
#if defined(__unix__) || defined(__APPLE__)
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&Py_IsInitialized), &info) && info.dli_fname) dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
#endif
}

std::string text(const char* s, const std::string& fallback) { return s ? s : fallback; }

}  // namespace

extern "C" {

zedo_options zedo_default_options(void) {
    const zedo::Options d;
    return zedo_options{nullptr, nullptr, nullptr, nullptr, d.iterations, d.start_candidates, d.threads};
}

zedo_lifter* zedo_create(const zedo_options* options) {
    zedo_lifter* out = nullptr;
    guarded([&] {
        const zedo_options o = options ? *options : zedo_default_options();
        const zedo::Options d;
        export_libpython();
        zedo::start_python(o.python ? o.python : "");
        out = new zedo_lifter{zedo::Lifter(zedo::Options{text(o.engine, d.engine), text(o.layout, d.layout), text(o.device, d.device), o.iterations, o.start_candidates, o.threads})};
    });
    return out;
}

int zedo_keypoint_count(const zedo_lifter* lifter) { return lifter ? lifter->lifter.keypoint_count() : -1; }

int zedo_lift(zedo_lifter* lifter, const float* keypoints, const float* scores, const float* K, int n, float* joints_out) {
    return guarded([&] {
        if (!lifter) throw zedo::Error("lifter is a null pointer");
        lifter->lifter.lift(keypoints, scores, K, n, joints_out);
    });
}

void zedo_destroy(zedo_lifter* lifter) { delete lifter; }

const char* zedo_last_error(void) { return last_error.c_str(); }

}  // extern "C"
