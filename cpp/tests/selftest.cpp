// zedo_selftest: the wrapper's checks that need C++ (tests/test_cpp.py runs them).
//   zedo_selftest info                   which Python runs zedo
//   zedo_selftest threads [options]      two threads calling one Lifter agree with one thread
//   zedo_selftest bad-inputs [options]   every bad input is a zedo::Error, and the lifter works after
//   zedo_selftest views                  the NumPy arrays the wrapper hands Python are the caller's memory
#include "../apps/command.hpp"

#include <cmath>
#include <cstdio>
#include <functional>
#include <thread>

namespace {

constexpr int kPoseFloats = zedo::kJoints * 3;

// Pose i of the bundled example, lifted alone.
void lift_one(zedo::Lifter& lifter, const zedo::Input& in, int i, float* out) {
    lifter.lift(&in.keypoints[i * zedo::kJoints * 2], &in.scores[i * zedo::kJoints], &in.K[i * 9], 1, out);
}

int threads(const zedo_app::Args& args) {
    const zedo::Input in = zedo::read_input(zedo::example_input());
    const int n = std::min(in.n, 6);
    zedo::Lifter lifter(args.options);
    std::vector<float> alone(n * kPoseFloats), together(n * kPoseFloats);
    for (int i = 0; i < n; ++i) lift_one(lifter, in, i, &alone[i * kPoseFloats]);
    std::string failure;
    auto worker = [&](int first) {
        try {
            for (int i = first; i < n; i += 2) lift_one(lifter, in, i, &together[i * kPoseFloats]);
        } catch (const std::exception& e) {
            failure = e.what();
        }
    };
    std::thread a(worker, 0), b(worker, 1);
    a.join();
    b.join();
    if (!failure.empty()) throw zedo::Error("a thread failed: " + failure);
    double worst = 0;
    for (size_t k = 0; k < alone.size(); ++k) worst = std::max(worst, static_cast<double>(std::fabs(alone[k] - together[k])));
    std::printf("threads: %d poses from 2 threads, max difference to one thread %.3g m\n", n, worst);
    return worst <= 1e-6 && std::isfinite(worst) ? 0 : 1;
}

int bad_inputs(const zedo_app::Args& args) {
    const zedo::Input in = zedo::read_input(zedo::example_input());
    const float* kp = in.keypoints.data();
    const float* sc = in.scores.data();
    const float* K = in.K.data();
    std::vector<float> out(kPoseFloats), nan_kp(kp, kp + zedo::kJoints * 2), flipped(K, K + 9);
    nan_kp[2 * 5] = NAN;  // the left knee, with score > 0
    flipped[0] = -flipped[0];
    zedo::Lifter lifter(args.options);
    auto with = [&](auto change) {
        zedo::Options o = args.options;
        change(o);
        return o;
    };
    const std::vector<std::pair<const char*, std::function<void()>>> cases = {
        {"null keypoints", [&] { lifter.lift(nullptr, sc, K, 1, out.data()); }},
        {"null K", [&] { lifter.lift(kp, sc, nullptr, 1, out.data()); }},
        {"null joints_out", [&] { lifter.lift(kp, sc, K, 1, nullptr); }},
        {"n = 0", [&] { lifter.lift(kp, sc, K, 0, out.data()); }},
        {"n = -1", [&] { lifter.lift(kp, sc, K, -1, out.data()); }},
        {"NaN keypoint with a positive score", [&] { lifter.lift(nan_kp.data(), sc, K, 1, out.data()); }},
        {"negative focal length", [&] { lifter.lift(kp, sc, flipped.data(), 1, out.data()); }},
        {"unknown engine", [&] { zedo::Lifter(with([](zedo::Options& o) { o.engine = "no-such-prior"; })); }},
        {"missing engine file", [&] { zedo::Lifter(with([](zedo::Options& o) { o.engine = "/nonexistent/prior.onnx"; })); }},
        {"unknown layout", [&] { zedo::Lifter(with([](zedo::Options& o) { o.layout = "coco18"; })); }},
        {"iterations 0", [&] { zedo::Lifter(with([](zedo::Options& o) { o.iterations = 0; })); }},
        {"threads -1", [&] { zedo::Lifter(with([](zedo::Options& o) { o.threads = -1; })); }},
        {"stream null K", [&] { zedo::Stream(nullptr, args.options); }},
        {"stream NaN keypoint", [&] { zedo::Stream(K, args.options).update(nan_kp.data(), sc, out.data()); }},
    };
    int failures = 0;
    for (const auto& [name, run] : cases) {
        try {
            run();
            std::printf("%s: NO ERROR\n", name);
            ++failures;
        } catch (const zedo::Error& e) {
            std::printf("%s: error: %s\n", name, e.what());
        }
    }
    lifter.lift(kp, sc, K, 1, out.data());
    const bool ok = std::isfinite(out[0]) && std::isfinite(out[kPoseFloats - 1]);
    std::printf("after the errors: %s\n", ok ? "ok" : "NOT FINITE");
    return failures == 0 && ok ? 0 : 1;
}

// The arrays over the caller's buffers: the same address (no copy), read-only inputs, and writes
// to an output reaching the caller's memory.
int views() {
    zedo::start_python();
    float data[6] = {1, 2, 3, 4, 5, 6};
    return zedo::detail::with_python([&] {
        auto in = zedo::detail::view<2>(data, {3, 2});
        auto out = zedo::detail::view<2>(data, {3, 2}, true);
        out.attr("__setitem__")(pybind11::make_tuple(2, 1), 7.5);
        const bool same = in.data() == data && out.data() == data, flags = !in.writeable() && out.writeable(), written = data[5] == 7.5f;
        std::printf("views: same memory %d, input read-only and output writable %d, written through %d\n", same, flags, written);
        return same && flags && written ? 0 : 1;
    });
}

}  // namespace

int main(int argc, char** argv) {
    int status = 0;
    const int rc = zedo_app::run("zedo_selftest", "zedo_selftest info|threads|bad-inputs|views [options]", argc, argv, [&](const zedo_app::Args& args) {
        const std::string what = args.positional.empty() ? "" : args.positional[0];
        if (what == "info") std::printf("%s\n", zedo::python_info().c_str());
        else if (what == "threads") status = threads(args);
        else if (what == "bad-inputs") status = bad_inputs(args);
        else if (what == "views") status = views();
        else throw zedo::Error("expected info, threads, bad-inputs or views");
    });
    return rc ? rc : status;
}
