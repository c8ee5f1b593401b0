// zedo_lift INPUT OUTPUT [options]: zedo-infer's input and output files, lifted through
// zedo::Lifter on C++ buffers (the file is read and written by zedo's own readers and writers).
#include "command.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace {

const char* kUsage = "zedo_lift INPUT OUTPUT [options]  (INPUT and OUTPUT as zedo-infer's: .npz/.json, detector files)";

void lift_file(const zedo_app::Args& args) {
    if (args.positional.size() != 2) throw zedo::Error(std::string("expected INPUT and OUTPUT; usage: ") + kUsage);
    const std::string& input_path = args.positional[0];
    const std::string& output_path = args.positional[1];
    zedo::check_output(output_path, input_path);
    const zedo::Input input = zedo::read_input(input_path, args.layout, args.image_size);
    for (const auto& note : input.notes) std::fprintf(stderr, "zedo_lift: %s\n", note.c_str());

    zedo::Options options = args.options;
    options.layout = "h36m17";  // read_input maps every layout onto the prior's 17 joints
    zedo::Lifter lifter(options);
    std::vector<float> joints(static_cast<size_t>(input.n) * zedo::kJoints * 3);
    const auto start = std::chrono::steady_clock::now();
    lifter.lift(zedo::Batch{input.keypoints.data(), input.scores.data(), input.K.data(), input.n, true}, joints.data());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    int invalid = 0;
    for (int i = 0; i < input.n; ++i) invalid += std::isnan(joints[static_cast<size_t>(i) * zedo::kJoints * 3]);
    if (invalid)
        std::fprintf(stderr, "zedo_lift: %d of %d poses could not be lifted (pelvis or a hip missing, or the prior's output not finite): written with valid = 0 and NaN joints\n", invalid, input.n);
    zedo::write_output(output_path, input, joints.data(), args.options);
    std::printf("%d poses, %d iterations in %.2f s -> %s\n", input.n, args.options.iterations, seconds, output_path.c_str());
}

}  // namespace

int main(int argc, char** argv) { return zedo_app::run("zedo_lift", kUsage, argc, argv, lift_file); }
