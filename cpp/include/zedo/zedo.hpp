// zedo.hpp: zedo's runtime inside a C++17 application, through pybind11's embedded interpreter.
//
// Header-only. Link the target with pybind11::embed (see cpp/CMakeLists.txt). Units and frames as
// zedo.runtime: keypoints in pixels, K the 3 x 3 pinhole intrinsics in pixels, row-major float32;
// results in metres in the camera frame (x right, y down, z forward), joint 0 the pelvis
// (= the translation), Human3.6M's 17-joint order. A pose that cannot be placed (fewer than 5
// joints seen) comes back as NaN.
//
//   zedo::Lifter lifter;                                   // starts Python once per process
//   lifter.lift(keypoints, scores, K, n, joints_out);      // (n,17,2), (n,17) or nullptr, (3,3) -> (n,17,3)
//
// Python: the first Lifter or Stream (or zedo::start_python) starts one interpreter for the whole
// process from the Python named by start_python's argument, else $ZEDO_PYTHON, else the Python the
// program was built against (ZEDO_BUILD_PYTHON). Name an environment's own python (a venv's
// bin/python): Python then reads its pyvenv.cfg and site-packages as that python would. The
// interpreter lives until the process exits and is never finalised (NumPy cannot be restarted
// in one process). Every call takes the GIL itself, so any C++ thread may call; the thread that
// started Python does not keep it. A Python error becomes zedo::Error with one line (set
// ZEDO_DEBUG=1 for the Python traceback instead).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// Types that hold Python objects are hidden, as pybind11's own are (GCC warns otherwise unless the
// program is built with -fvisibility=hidden); each binary has its own copy of this header's code.
#if defined(__GNUC__) && !defined(_WIN32)
#define ZEDO_HIDDEN __attribute__((visibility("hidden")))
#else
#define ZEDO_HIDDEN
#endif

namespace zedo {

inline constexpr int kJoints = 17;  // the prior's joints (Human3.6M order)

// Every failure: bad arguments, Python errors, a Python that cannot import zedo.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The settings of a Lifter or Stream (zedo-infer's options of the same names).
struct Options {
    std::string engine = "default";  // bundled prior ("default", "h36m") or an .onnx / .trt file
    std::string layout = "h36m17";   // keypoint layout of the input (coco17, halpe26, ...); sets J
    std::string device = "cpu";      // ONNX Runtime provider: cpu, cuda, tensorrt
    int iterations = 200;            // loop iterations, one prior call each (zedo's default)
    int start_candidates = 0;        // 0: zedo's default start (best of 1000 cluster poses); 1: the mean pose
    int threads = 0;                 // ONNX Runtime intra-op threads; 0: its default
};

// A batch of poses in the caller's memory (read in place, never copied or kept).
struct Batch {
    const float* keypoints = nullptr;  // (n, J, 2) px, J = keypoint_count() of the layout
    const float* scores = nullptr;     // (n, J) in [0, 1] (0: missing, its keypoint may be NaN); nullptr: all 1
    const float* K = nullptr;          // (3, 3) px for every pose, or (n, 3, 3) with K_per_pose
    int n = 0;
    bool K_per_pose = false;
};

namespace detail ZEDO_HIDDEN {

namespace py = pybind11;

#ifdef ZEDO_BUILD_PYTHON
inline const char* build_python() { return ZEDO_BUILD_PYTHON; }
#else
inline const char* build_python() { return ""; }
#endif

struct State {
    std::mutex mutex;
    bool started = false;
    std::string failure;           // why Python could not start; every later call repeats it
    py::object* module = nullptr;  // zedo.runtime.apps.embed, kept until exit
    PyInterpreterState* interpreter = nullptr;
};

inline State& state() {
    static State* s = new State();  // never destroyed: static destructors run after Python is gone
    return *s;
}

inline std::string trim(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r"), end = text.find_last_not_of(" \t\r");
    return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

// "ImportError: <the first non-blank line of its message>", before zedo's own wording is there.
inline std::string brief(py::error_already_set& e) {
    std::istringstream lines(py::str(e.value()).cast<std::string>());
    std::string line;
    while (std::getline(lines, line) && trim(line).empty()) {
    }
    return py::str(e.type().attr("__name__")).cast<std::string>() + ": " + trim(line);
}

// The Python interpreter to start: the argument, $ZEDO_PYTHON, the build's, else libpython's own.
inline std::pair<std::string, std::string> choose_python(const std::string& given) {
    if (!given.empty()) return {given, "zedo::start_python"};
    if (const char* env = std::getenv("ZEDO_PYTHON"); env && *env) return {env, "ZEDO_PYTHON"};
    if (*build_python()) return {build_python(), "the build's Python (ZEDO_BUILD_PYTHON)"};
    return {"", "libpython's default prefix"};
}

inline std::string how_to_point() {
    std::string text = "set ZEDO_PYTHON to the python of the environment where zedo is installed (e.g. /path/to/venv/bin/python, with pip install -e \".[cpp]\" done there)";
    if (std::getenv("PYTHONHOME")) text += "; PYTHONHOME is set, which stops Python from reading a venv's pyvenv.cfg: unset it";
    return text;
}

// The Python version a venv's pyvenv.cfg names ("" when `python` is not in a venv), as Python
// itself finds that file: beside the executable's folder, else in it.
inline std::string venv_version(const std::string& python) {
    const std::string dir = python.substr(0, python.find_last_of('/') + 1);
    if (dir.empty()) return "";  // a bare name: Python looks it up on PATH
    for (const std::string& cfg : {dir + "../pyvenv.cfg", dir + "pyvenv.cfg"}) {
        std::ifstream in(cfg);
        if (!in) continue;
        for (std::string line; std::getline(in, line);) {
            const auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            const std::string key = trim(line.substr(0, eq));
            if (key == "version" || key == "version_info") return trim(line.substr(eq + 1));
        }
        return "";
    }
    return "";
}

// Refuse a path that is no file, and a venv of another Python version than the libpython this
// program links; Python is not touched yet, so a later start_python may name another.
inline void check_python(const std::string& python, const std::string& origin) {
    if (!std::ifstream(python).good()) throw Error("no Python at " + python + " (from " + origin + "); " + how_to_point());
    const std::string version = venv_version(python), want = std::to_string(PY_MAJOR_VERSION) + "." + std::to_string(PY_MINOR_VERSION);
    if (!version.empty() && version != want && version.rfind(want + ".", 0) != 0)
        throw Error(python + " (from " + origin + ") is in a Python " + version + " environment but this program was built against Python " PY_VERSION ": use a " + want + " environment, or rebuild against that one");
}

inline void initialize(const std::string& python, const std::string& origin) {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0;  // the application keeps SIGINT and friends
    config.parse_argv = 0;
    PyStatus status = python.empty() ? PyStatus_Ok() : PyConfig_SetBytesString(&config, &config.program_name, python.c_str());
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status))
        throw Error("Python " PY_VERSION " failed to start from " + (python.empty() ? origin : python + " (" + origin + ")") + ": " + (status.err_msg ? status.err_msg : "unknown error") + "; " + how_to_point());
}

inline void import_zedo(const std::string& origin) {
    try {
        state().module = new py::object(py::module_::import("zedo.runtime.apps.embed"));
    } catch (py::error_already_set& e) {
        auto sys = py::module_::import("sys");  // always there once Python runs
        const auto text = [&](const char* name) { return py::str(sys.attr(name)).cast<std::string>(); };
        const std::string used = "Python " + text("version").substr(0, text("version").find(' ')) + " at " + text("executable") + " (chosen by " + origin + "; sys.prefix " + text("prefix") + ")";
        throw Error("cannot import zedo.runtime.apps.embed in " + used + ": " + brief(e) + "; " + how_to_point());
    }
}

inline py::object& module() { return *state().module; }

// One line for a Python error: the runtime's own wording (zedo.runtime.apps.commands.one_line).
inline std::string message(py::error_already_set& e) {
    if (std::getenv("ZEDO_DEBUG")) return e.what();
    try {
        return module().attr("one_line")(e.value()).cast<std::string>();
    } catch (py::error_already_set&) {
        return brief(e);
    }
}

// A Python thread state for a C++ thread that has none, made on its first call and kept until the
// thread ends: otherwise Python makes and frees one on every call (about 30 us).
class ThreadState {
public:
    ThreadState() {
        if (!PyGILState_GetThisThreadState()) own_ = PyThreadState_New(state().interpreter);
    }
    ~ThreadState() {
        if (!own_) return;
        PyEval_RestoreThread(own_);
        PyThreadState_Clear(own_);
        PyThreadState_DeleteCurrent();
    }
    ThreadState(const ThreadState&) = delete;
    ThreadState& operator=(const ThreadState&) = delete;

private:
    PyThreadState* own_ = nullptr;
};

// The GIL for this thread (pybind11's), taken over the thread's kept ThreadState.
struct KeepThreadState {
    KeepThreadState() { thread_local ThreadState kept; }
};
class Gil : KeepThreadState {
    py::gil_scoped_acquire gil_;
};

// f() with the GIL held; a Python (or pybind11) error becomes zedo::Error after the GIL is let go.
template <class F>
auto with_python(F&& f) -> decltype(f()) {
    std::string text;
    {
        Gil gil;
        try {
            return f();
        } catch (py::error_already_set& e) {
            text = message(e);
        } catch (const std::exception& e) {
            text = e.what();
        }
    }
    throw Error(text);
}

// A NumPy array over the caller's memory: no copy; read-only unless `writable`.
template <size_t D>
py::array_t<float> view(const float* data, const std::array<py::ssize_t, D>& shape, bool writable = false) {
    py::array_t<float> a(std::vector<py::ssize_t>(shape.begin(), shape.end()), data, py::none());
    if (!writable) a.attr("setflags")(py::arg("write") = false);
    return a;
}

inline void check_pointer(const void* p, const char* name) {
    if (!p) throw Error(std::string(name) + " is a null pointer");
}

// A Python object owned from C++: released with the GIL held, whatever thread destroys it.
class Handle {
public:
    Handle() = default;
    Handle(Handle&& other) noexcept : obj_(std::move(other.obj_)) {}
    Handle& operator=(Handle&&) = delete;
    Handle(const Handle&) = delete;
    ~Handle() {
        if (obj_) {
            Gil gil;
            obj_ = py::object();
        }
    }
    py::object& get() {
        if (!obj_) throw Error("this zedo object was moved from");
        return obj_;
    }
    void set(py::object obj) { obj_ = std::move(obj); }

private:
    py::object obj_;
};

inline py::object open(const char* kind, const Options& o, py::object K = py::none()) {
    py::dict kw(py::arg("engine") = o.engine, py::arg("layout") = o.layout, py::arg("device") = o.device, py::arg("threads") = o.threads,
                py::arg("iterations") = o.iterations, py::arg("start_candidates") = o.start_candidates);
    return K.is_none() ? module().attr(kind)(**kw) : module().attr(kind)(K, **kw);
}

}  // namespace detail

// Start Python for this process (once; later calls do nothing). `python`: the environment's
// python executable; empty: $ZEDO_PYTHON, else the build's Python. An application that already
// runs Python keeps its own interpreter (zedo must import there). A Python that failed to start
// or to import zedo cannot be replaced in the same process: later calls repeat that failure.
inline void start_python(const std::string& python = "") {
    auto& s = detail::state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.started) return;
    if (!s.failure.empty()) throw Error(s.failure);
    const auto [path, origin] = detail::choose_python(python);
    if (!path.empty()) detail::check_python(path, origin);
    const bool ours = !Py_IsInitialized();
    try {
        if (ours) detail::initialize(path, origin);
        {
            pybind11::gil_scoped_acquire gil;
            s.interpreter = PyInterpreterState_Get();
            detail::import_zedo(origin);
        }
        if (ours) PyEval_SaveThread();  // let every thread in; calls take the GIL themselves
        s.started = true;
    } catch (const Error& e) {
        if (ours && Py_IsInitialized() && PyGILState_Check()) PyEval_SaveThread();
        s.failure = e.what();
        throw;
    }
}

// "Python 3.11.7 at /venv/bin/python (sys.prefix /venv; zedo from ...)": which Python runs zedo.
inline std::string python_info() {
    start_python();
    return detail::with_python([] { return detail::module().attr("describe_python")().cast<std::string>(); });
}

// Lifts batches of poses (zedo.runtime.estimate). Safe to call from several threads: calls on one
// Lifter take turns; for parallel work give each thread its own Lifter.
class ZEDO_HIDDEN Lifter {
public:
    explicit Lifter(const Options& options = {}) {
        start_python();
        count_ = detail::with_python([&] {
            impl_.set(detail::open("Lifter", options));
            return impl_.get().attr("keypoint_count").cast<int>();
        });
    }

    // J: keypoints per pose in the layout (17 for h36m17 and coco17, 26 for halpe26, ...).
    int keypoint_count() const { return count_; }

    // keypoints (n, J, 2) px, scores (n, J) or nullptr, K (3, 3) px for all n poses -> joints_out (n, 17, 3) m.
    void lift(const float* keypoints, const float* scores, const float* K, int n, float* joints_out) {
        lift(Batch{keypoints, scores, K, n, false}, joints_out);
    }

    // The batch in place -> joints_out (n, 17, 3) metres, written in place.
    void lift(const Batch& b, float* joints_out) {
        detail::check_pointer(b.keypoints, "keypoints");
        detail::check_pointer(b.K, "K");
        detail::check_pointer(joints_out, "joints_out");
        if (b.n < 1) throw Error("n (the number of poses) must be >= 1, got " + std::to_string(b.n));
        const pybind11::ssize_t n = b.n, J = count_;
        detail::with_python([&] {
            auto& impl = impl_.get();
            pybind11::object scores = b.scores ? pybind11::object(detail::view<2>(b.scores, {n, J})) : pybind11::none();
            pybind11::object K = b.K_per_pose ? detail::view<3>(b.K, {n, 3, 3}) : detail::view<2>(b.K, {3, 3});
            impl.attr("lift")(detail::view<3>(b.keypoints, {n, J, 2}), scores, K, detail::view<3>(joints_out, {n, kJoints, 3}, true));
        });
    }

private:
    detail::Handle impl_;
    int count_ = 0;
};

// One person, frame by frame (zedo.runtime.PoseStream); K (3, 3) px is copied at construction.
class ZEDO_HIDDEN Stream {
public:
    Stream(const float* K, const Options& options = {}) {
        detail::check_pointer(K, "K");
        start_python();
        count_ = detail::with_python([&] {
            impl_.set(detail::open("Stream", options, detail::view<2>(K, {3, 3})));
            return impl_.get().attr("keypoint_count").cast<int>();
        });
    }

    int keypoint_count() const { return count_; }

    // keypoints (J, 2) px, scores (J,) or nullptr -> joints_out (17, 3) metres; false (NaN joints)
    // when the frame cannot be placed.
    bool update(const float* keypoints, const float* scores, float* joints_out) {
        detail::check_pointer(keypoints, "keypoints");
        detail::check_pointer(joints_out, "joints_out");
        const pybind11::ssize_t J = count_;
        return detail::with_python([&] {
            pybind11::object sc = scores ? pybind11::object(detail::view<1>(scores, {J})) : pybind11::none();
            return impl_.get().attr("update")(detail::view<2>(keypoints, {J, 2}), sc, detail::view<2>(joints_out, {kJoints, 3}, true)).cast<bool>();
        });
    }

    // Forget the person: the next frame starts afresh.
    void reset() {
        detail::with_python([&] { impl_.get().attr("reset")(); });
    }

private:
    detail::Handle impl_;
    int count_ = 0;
};

// A zedo-infer input file (zedo.runtime.load_input: zedo's .npz / .json, OpenPose, MMPose,
// AlphaPose), mapped to the prior's 17 joints: lift it with a Lifter whose layout is h36m17.
struct Input {
    int n = 0;
    std::vector<float> keypoints;  // (n, 17, 2) px
    std::vector<float> scores;     // (n, 17)
    std::vector<float> K;          // (n, 3, 3) px: lift with K_per_pose
    std::string layout;            // the file's own layout, for the output
    std::vector<long long> frame, track;  // (n,) where the file has them, else empty
    std::vector<std::string> notes;       // what was assumed (the layout, the camera)
};

namespace detail ZEDO_HIDDEN {

inline std::vector<float> floats(const py::handle& a) {
    auto arr = py::cast<py::array_t<float, py::array::c_style | py::array::forcecast>>(a);
    return std::vector<float>(arr.data(), arr.data() + arr.size());
}

inline std::vector<long long> ints(const py::handle& a) {
    if (a.is_none()) return {};
    auto arr = py::cast<py::array_t<long long, py::array::c_style | py::array::forcecast>>(a);
    return std::vector<long long>(arr.data(), arr.data() + arr.size());
}

// zedo.runtime.apps.embed.read_input's dict as an Input.
inline Input to_input(const py::dict& d) {
    Input in;
    in.keypoints = floats(d["keypoints"]);
    in.scores = floats(d["scores"]);
    in.K = floats(d["K"]);
    in.n = static_cast<int>(in.scores.size() / kJoints);
    in.layout = d["layout"].cast<std::string>();
    in.frame = ints(d["frame"]);
    in.track = ints(d["track"]);
    for (auto note : d["notes"]) in.notes.push_back(note.cast<std::string>());
    return in;
}

}  // namespace detail

// `layout` "" and image_size {0, 0}: the file's own, or inferred (zedo-infer's --layout, --image-size).
inline Input read_input(const std::string& path, const std::string& layout = "", std::array<double, 2> image_size = {0, 0}) {
    start_python();
    return detail::with_python([&] {
        namespace py = pybind11;
        py::object size = image_size[0] || image_size[1] ? py::object(py::make_tuple(image_size[0], image_size[1])) : py::object(py::none());
        return detail::to_input(detail::module().attr("read_input")(path, layout, size));
    });
}

// Refuse an output path zedo-infer would refuse (unknown suffix, a folder, the input itself),
// before a long run.
inline void check_output(const std::string& path, const std::string& input_path) {
    start_python();
    detail::with_python([&] { detail::module().attr("check_output")(path, input_path); });
}

// The bundled example's path (32 poses, zedo's .npz format).
inline std::string example_input() {
    start_python();
    return detail::with_python([] { return pybind11::str(detail::module().attr("EXAMPLE")).cast<std::string>(); });
}

// zedo-infer's output (zedo.runtime.save_output, written atomically) for `input` lifted to
// joints_3d (input.n, 17, 3) metres with `options`.
inline void write_output(const std::string& path, const Input& input, const float* joints_3d, const Options& options) {
    detail::check_pointer(joints_3d, "joints_3d");
    start_python();
    detail::with_python([&] {
        namespace py = pybind11;
        const py::ssize_t n = input.n;
        auto indices = [](const std::vector<long long>& v) { return v.empty() ? py::object(py::none()) : py::object(py::array_t<long long>(v.size(), v.data())); };
        detail::module().attr("write_output")(path, detail::view<3>(joints_3d, {n, kJoints, 3}), detail::view<3>(input.K.data(), {n, 3, 3}), input.layout,
                                              indices(input.frame), indices(input.track), py::arg("engine") = options.engine,
                                              py::arg("iterations") = options.iterations, py::arg("start_candidates") = options.start_candidates);
    });
}

// What lift_file did: poses lifted, those written with valid 0, seconds, loop iterations, notes.
struct LiftReport {
    int n = 0;
    int invalid = 0;
    double seconds = 0;
    int iterations = 0;
    std::vector<std::string> notes;
};

// An input file lifted into an output file exactly as `zedo-infer INPUT -o OUTPUT` does (one path
// in zedo.runtime.pipeline.run, so the same answer, a video smoothed per track). `options.layout`
// is ignored (`layout` "": the file's own, or inferred); `default_iterations`: zedo's own
// (per-pose and video loops) instead of options.iterations.
inline LiftReport lift_file(const std::string& input_path, const std::string& output_path, const Options& options, const std::string& layout = "",
                            std::array<double, 2> image_size = {0, 0}, bool default_iterations = false) {
    start_python();
    return detail::with_python([&] {
        namespace py = pybind11;
        py::object size = image_size[0] || image_size[1] ? py::object(py::make_tuple(image_size[0], image_size[1])) : py::object(py::none());
        py::object iterations = default_iterations ? py::object(py::none()) : py::object(py::int_(options.iterations));
        py::dict got = detail::module().attr("lift_file")(input_path, output_path, py::arg("engine") = options.engine, py::arg("layout") = layout,
                                                          py::arg("device") = options.device, py::arg("threads") = options.threads,
                                                          py::arg("iterations") = iterations, py::arg("start_candidates") = options.start_candidates,
                                                          py::arg("image_size") = size);
        LiftReport r;
        r.n = got["n"].cast<int>();
        r.invalid = got["invalid"].cast<int>();
        r.seconds = got["seconds"].cast<double>();
        r.iterations = got["iterations"].cast<int>();
        for (auto note : got["notes"]) r.notes.push_back(note.cast<std::string>());
        return r;
    });
}

}  // namespace zedo
