// zedo_lift INPUT OUTPUT [options]: zedo-infer's input and output files, lifted from C++ through
// zedo::lift_file, the path of `zedo-infer INPUT -o OUTPUT` (the same answer).
#include "command.hpp"

#include <cstdio>

namespace {

const char* kUsage = "zedo_lift INPUT OUTPUT [options]  (INPUT and OUTPUT as zedo-infer's: .npz/.json, detector files)";

void lift_file(const zedo_app::Args& args) {
    if (args.positional.size() != 2) throw zedo::Error(std::string("expected INPUT and OUTPUT; usage: ") + kUsage);
    const std::string& input_path = args.positional[0];
    const std::string& output_path = args.positional[1];
    const zedo::LiftReport r = zedo::lift_file(input_path, output_path, args.options, args.layout, args.image_size, !args.iterations_given);
    for (const auto& note : r.notes) std::fprintf(stderr, "zedo_lift: %s\n", note.c_str());
    if (r.invalid)
        std::fprintf(stderr, "zedo_lift: %d of %d poses could not be lifted (fewer than 5 joints seen, or the prior's output not finite): written with valid = 0 and NaN joints\n", r.invalid, r.n);
    std::printf("%d poses, %d iterations in %.2f s -> %s\n", r.n, r.iterations, r.seconds, output_path.c_str());
}

}  // namespace

int main(int argc, char** argv) { return zedo_app::run("zedo_lift", kUsage, argc, argv, lift_file); }
