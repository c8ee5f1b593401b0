// zedo_overhead [CALLS] [ROUNDS] [options]: the wrapper's cost per call at batch 1 against the
// Python API, in one process, on pose 0 of the bundled example with the same settings.
//
// "stubbed": zedo.runtime.estimate is replaced (inside zedo.runtime.apps.embed, and for the Python
// side) by a function returning pose 0's precomputed result, so the time left is the wrapper's
// own: checks, GIL, NumPy views over the caller's buffers, the call, the lock and the copy into
// the caller's buffer. Per round, 20 x CALLS calls of Lifter::lift on the main thread, the same on
// a fresh std::thread (Python makes it a thread state each call), and the same calls of the
// stub from Python. "full": per round, CALLS real calls of Lifter::lift and of estimate from
// Python (its own engine, opened alike); their difference drowns in the run-to-run noise of the
// loop itself. Prints one JSON line, microseconds per call, medians over ROUNDS.
#include "../apps/command.hpp"

#include <pybind11/eval.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace {

namespace py = pybind11;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

template <class F>
double us_per_call(int calls, F&& f) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) f();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / calls;
}

const char* kPython = R"(
import time
import zedo.runtime.apps.embed as embed
from zedo.runtime import estimate, open_engine

def python_loop(function, keypoints, scores, K, engine, config):
    def run(calls):
        start = time.perf_counter()
        for _ in range(calls):
            function(keypoints, K, scores, engine=engine, config=config, layout="h36m17")
        return (time.perf_counter() - start) / calls * 1e6
    return run

def loops(keypoints, scores, K, engine, device, threads, iterations, start_candidates):
    engine = open_engine(engine, device=device, threads=threads)
    config = embed.request(iterations=iterations, start_candidates=start_candidates).config
    result = estimate(keypoints, K=K, scores=scores, engine=engine, config=config, layout="h36m17")
    stub = lambda *args, **kwargs: result
    return python_loop(estimate, keypoints, scores, K, engine, config), python_loop(stub, keypoints, scores, K, engine, config), stub

def swap_estimate(function):
    previous, embed.estimate = embed.estimate, function
    return previous
)";

struct Medians {
    std::vector<double> wrapper, wrapper_thread, python;
};

void bench(const zedo_app::Args& args) {
    const int calls = args.positional.size() > 0 ? zedo_app::whole("CALLS", args.positional[0]) : 100;
    const int rounds = args.positional.size() > 1 ? zedo_app::whole("ROUNDS", args.positional[1]) : 9;
    const zedo::Options& o = args.options;
    const zedo::Input in = zedo::read_input(zedo::example_input());
    zedo::Lifter lifter(o);
    float out[zedo::kJoints * 3];
    auto lift = [&] { lifter.lift(in.keypoints.data(), in.scores.data(), in.K.data(), 1, out); };
    py::object python_full, python_stub, stub, swap, real;
    zedo::detail::with_python([&] {
        py::dict scope;
        py::exec(kPython, scope);
        const auto f32 = [](const float* p, std::vector<py::ssize_t> shape) { return py::array_t<float>(shape, p); };
        py::tuple t = scope["loops"](f32(in.keypoints.data(), {zedo::kJoints, 2}), f32(in.scores.data(), {zedo::kJoints}), f32(in.K.data(), {3, 3}), o.engine, o.device,
                                     o.threads, o.iterations, o.start_candidates);
        python_full = t[0], python_stub = t[1], stub = t[2], swap = scope["swap_estimate"];
    });
    auto python = [&](py::object& loop, int n) { return zedo::detail::with_python([&] { return loop(n).cast<double>(); }); };

    Medians full, stubbed;
    lift();
    python(python_full, 1);
    for (int r = 0; r < rounds; ++r) {
        full.wrapper.push_back(us_per_call(calls, lift));
        full.python.push_back(python(python_full, calls));
    }
    zedo::detail::with_python([&] { real = swap(stub); });  // embed.estimate is now the stub
    for (int r = 0; r < rounds; ++r) {
        stubbed.wrapper.push_back(us_per_call(20 * calls, lift));
        std::thread([&] { stubbed.wrapper_thread.push_back(us_per_call(20 * calls, lift)); }).join();
        stubbed.python.push_back(python(python_stub, 20 * calls));
    }
    zedo::detail::with_python([&] {
        py::module_::import("zedo.runtime.apps.embed").attr("estimate") = real;
        python_full = python_stub = stub = swap = real = py::object();
    });
    const double w = median(stubbed.wrapper), wt = median(stubbed.wrapper_thread), p = median(stubbed.python);
    std::printf("{\"engine\": \"%s\", \"iterations\": %d, \"start_candidates\": %d, \"threads\": %d, \"calls\": %d, \"rounds\": %d, "
                "\"overhead_us\": %.2f, \"overhead_new_thread_us\": %.2f, \"stubbed_wrapper_us\": %.2f, \"stubbed_wrapper_new_thread_us\": %.2f, \"stubbed_python_us\": %.2f, "
                "\"full_wrapper_us\": %.1f, \"full_python_api_us\": %.1f}\n",
                o.engine.c_str(), o.iterations, o.start_candidates, o.threads, calls, rounds, w - p, wt - p, w, wt, p, median(full.wrapper), median(full.python));
}

}  // namespace

int main(int argc, char** argv) { return zedo_app::run("zedo_overhead", "zedo_overhead [CALLS] [ROUNDS] [options]", argc, argv, bench); }
