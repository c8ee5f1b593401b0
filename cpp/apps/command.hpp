// What zedo_lift and zedo_stream share: zedo-infer's loop options and its error boundary (one
// line "PROG: error: ..." on stderr, exit status 2).
#pragma once

#include "zedo/zedo.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace zedo_app {

constexpr int kExitError = 2;

struct Args {
    std::vector<std::string> positional;
    zedo::Options options;
    std::string layout;                   // --layout, of the input file
    std::array<double, 2> image_size{};   // --image-size W H
    bool iterations_given = false;        // --iterations was given (else zedo's own loops)
};

inline const char* kOptionsHelp =
    "  --engine NAME            bundled prior (default, h36m) or .onnx / .trt file (default: default)\n"
    "  --iterations N           loop iterations (default: zedo-infer's: 200 a pose, 75 a video frame)\n"
    "  --start-candidates C     start from the best of C cluster poses; 1: the mean pose (default: zedo's)\n"
    "  --threads N              ONNX Runtime intra-op threads; 0: its default\n"
    "  --device NAME            cpu, cuda or tensorrt (default: cpu)\n"
    "  --layout NAME            keypoint layout of the input (default: the file's, else inferred)\n"
    "  --image-size W H         image size in pixels: the camera when the input has no K\n";

inline double number(const std::string& flag, const std::string& text) {
    size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
    }
    if (used == 0 || used != text.size()) throw zedo::Error(flag + " takes a number, got '" + text + "'");
    return value;
}

inline int whole(const std::string& flag, const std::string& text) {
    const double value = number(flag, text);
    if (!(value >= -2147483648.0 && value <= 2147483647.0) || value != std::floor(value))
        throw zedo::Error(flag + " takes a whole number, got '" + text + "'");
    return static_cast<int>(value);
}

// argv after the program name: positionals and the options above.
inline Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw zedo::Error(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--engine") a.options.engine = value();
        else if (arg == "--iterations") {
            a.options.iterations = whole(arg, value());
            a.iterations_given = true;
        }
        else if (arg == "--start-candidates") a.options.start_candidates = whole(arg, value());
        else if (arg == "--threads") a.options.threads = whole(arg, value());
        else if (arg == "--device") a.options.device = value();
        else if (arg == "--layout") a.layout = value();
        else if (arg == "--image-size") {
            const std::string w = value(), h = value();
            a.image_size = {number(arg, w), number(arg, h)};
            // {0, 0} stands for "not given" below: a size given must be one.
            if (!(a.image_size[0] >= 1 && a.image_size[0] <= 100000 && a.image_size[1] >= 1 && a.image_size[1] <= 100000))
                throw zedo::Error(arg + " takes the image's width and height in pixels, each in [1, 100000], got " + w + " " + h);
        } else if (arg.rfind("--", 0) == 0) throw zedo::Error("unknown option " + arg);
        else a.positional.push_back(arg);
    }
    return a;
}

// body() inside the error boundary; returns the exit status.
template <class F>
int run(const char* prog, const char* usage, int argc, char** argv, F&& body) {
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
            std::printf("usage: %s\n%s  --version                print the version\n", usage, kOptionsHelp);
            return 0;
        }
        if (std::string(argv[i]) == "--version") {
            std::printf("%s %s\n", prog, ZEDO_VERSION);
            return 0;
        }
    }
    try {
        body(parse(argc, argv));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", prog, e.what());
        return kExitError;
    }
}

}  // namespace zedo_app
