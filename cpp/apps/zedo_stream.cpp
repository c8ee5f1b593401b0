// zedo_stream [INPUT] [options]: feeds an input's poses (default: the bundled example) to one
// zedo::Stream frame by frame and prints each frame's latency, then the median and the 90th percentile.
#include "command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

const char* kUsage = "zedo_stream [INPUT] [options]  (INPUT as zedo-infer's; default: the bundled example)";

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(q * (v.size() - 1) + 0.5)];
}

void stream_file(const zedo_app::Args& args) {
    if (args.positional.size() > 1) throw zedo::Error(std::string("expected at most one INPUT; usage: ") + kUsage);
    const std::string path = args.positional.empty() ? zedo::example_input() : args.positional[0];
    const zedo::Input input = zedo::read_input(path, args.layout, args.image_size);
    if (input.n < 1) throw zedo::Error(path + ": no poses");
    for (int i = 1; i < input.n; ++i)
        if (!std::equal(input.K.begin(), input.K.begin() + 9, input.K.begin() + 9 * i))
            throw zedo::Error(path + ": pose " + std::to_string(i) + " has another camera (K) than pose 0; a stream has one camera");

    zedo::Options options = args.options;
    options.layout = "h36m17";  // read_input maps every layout onto the prior's 17 joints
    zedo::Stream stream(input.K.data(), options);
    std::printf("%s: %d frames, %d iterations each\n", path.c_str(), input.n, options.iterations);
    std::vector<double> ms;
    float joints[zedo::kJoints * 3];
    for (int i = 0; i < input.n; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const bool valid = stream.update(&input.keypoints[static_cast<size_t>(i) * zedo::kJoints * 2], &input.scores[static_cast<size_t>(i) * zedo::kJoints], joints);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (valid) std::printf("frame %d: %.1f ms, pelvis (%.3f, %.3f, %.3f) m\n", i, ms.back(), joints[0], joints[1], joints[2]);
        else std::printf("frame %d: %.1f ms, not placed (fewer than 5 joints seen)\n", i, ms.back());
    }
    std::printf("per frame: median %.1f ms, 90th percentile %.1f ms, first %.1f ms\n", percentile(ms, 0.5), percentile(ms, 0.9), ms.front());
}

}  // namespace

int main(int argc, char** argv) { return zedo_app::run("zedo_stream", kUsage, argc, argv, stream_file); }
