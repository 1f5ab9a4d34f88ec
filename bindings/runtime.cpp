// The firmware runtime's host port, for Python: load a model blob with the firmware's own loader and run
// batches of int8 images through the firmware's executor and kernels (bit-exact with the MCU builds).
// Thin: the loop over images is here only so that it runs without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bindings.hpp"

#if TINYOPS_HAVE_RT
#include "tinyops/rt/runtime.hpp"
#endif

namespace py = pybind11;

namespace tinyops::bindings {

#if TINYOPS_HAVE_RT
namespace {

// Owns the copy of the .blob file (4-byte aligned, as the loader requires: the blob and its flash image) and, per
// worker thread, both arenas of one loaded model (the executor keeps no state outside its arenas and the Results it is
// given).
class HostRuntime {
 public:
  explicit HostRuntime(const py::bytes& blob) {
    const std::string bytes = blob;
    blob_bytes_ = uint32_t(bytes.size());
    blob_.assign((bytes.size() + 3) / 4, 0);
    std::memcpy(blob_.data(), bytes.data(), bytes.size());
    workers_.push_back(load());  // throws with the loader's reason
  }

  uint32_t input_bytes() const { return workers_[0]->model.input_bytes(); }
  uint32_t output_bytes() const { return workers_[0]->model.output_bytes(); }
  std::vector<int> shape(uint16_t index) const {
    const rt::fb::Tensor& t = workers_[0]->model.tensor(index);
    return {t.height(), t.width(), t.channels()};
  }
  std::vector<int> input_shape() const { return shape(workers_[0]->model.input_tensor()); }
  std::vector<int> output_shape() const { return shape(workers_[0]->model.output_tensor()); }

  // images: N x (input bytes) int8, C-contiguous. Returns N x (output bytes). Images are dealt out in
  // contiguous chunks to `threads` workers, each with its own arenas.
  py::array_t<int8_t> run(const py::array_t<int8_t, py::array::c_style>& images, int threads) {
    const py::ssize_t n = images.ndim() == 0 ? 0 : images.shape(0);
    if (images.ndim() < 1 || images.size() != n * py::ssize_t(input_bytes()))
      throw std::invalid_argument("images: expected int8 of shape (N, " + std::to_string(input_bytes()) +
                                  " bytes per image), got " + std::to_string(images.size()) + " bytes");
    if (threads < 1) throw std::invalid_argument("threads: expected >= 1, got " + std::to_string(threads));
    const int workers = int(std::min<py::ssize_t>(threads, std::max<py::ssize_t>(n, 1)));
    while (int(workers_.size()) < workers) workers_.push_back(load());
    py::array_t<int8_t> out({n, py::ssize_t(output_bytes())});
    const int8_t* src = images.data();
    int8_t* dst = out.mutable_data();
    std::vector<rt::Status> status(workers, rt::Status::kOk);
    {
      py::gil_scoped_release release;
      auto work = [&](int w) {
        Worker& k = *workers_[w];
        for (py::ssize_t i = n * w / workers; i < n * (w + 1) / workers && status[w] == rt::Status::kOk; ++i) {
          std::memcpy(k.model.input(), src + i * input_bytes(), input_bytes());
          status[w] = rt::run_model(k.model, &k.results);
          std::memcpy(dst + i * output_bytes(), k.model.output(), output_bytes());
        }
      };
      std::vector<std::thread> pool;
      for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
      work(0);
      for (std::thread& t : pool) t.join();
    }
    for (rt::Status s : status)
      if (s != rt::Status::kOk) throw std::runtime_error(std::string("run failed: ") + rt::to_string(s));
    return out;
  }

  // Per-op results of the first worker's last image: (cycles, dma_wait_cycles, parts, dma_bytes) per op.
  py::dict last_results() const {
    const rt::Results& r = workers_[0]->results;
    py::list ops;
    for (uint32_t k = 0; k < r.op_count && k < rt::kMaxOps; ++k) {
      const rt::OpResult& o = r.ops[k];
      ops.append(py::dict(py::arg("cycles") = o.cycles, py::arg("dma_wait_cycles") = o.dma_wait_cycles,
                          py::arg("parts") = o.parts, py::arg("dma_bytes") = o.dma_bytes));
    }
    return py::dict(py::arg("unit") = std::string(r.cycles_unit, strnlen(r.cycles_unit, 8)),
                    py::arg("total_cycles") = r.total_cycles, py::arg("ops") = ops);
  }

 private:
  struct Worker {
    std::vector<uint32_t> external, internal;
    rt::Model model;
    rt::Results results{};
  };

  std::unique_ptr<Worker> load() const {
    auto w = std::make_unique<Worker>();
    // Arena sizes come from the blob; the loader re-checks them against everything else.
    rt::LoadError error{};
    const auto* raw = reinterpret_cast<const uint8_t*>(blob_.data());
    uint32_t external_bytes = 0, internal_bytes = 0;
    rt::Status status = rt::blob_arena_bytes(raw, blob_bytes_, &external_bytes, &internal_bytes, &error);
    w->external.assign(external_bytes / 4 + 1, 0);
    w->internal.assign(internal_bytes / 4 + 1, 0);
    // The .blob file's flash image (the constants the plan puts in internal flash) plays the flash slot.
    const rt::FlashImage flash = rt::flash_image_in_file(raw, blob_bytes_);
    const rt::Arenas arenas{reinterpret_cast<uint8_t*>(w->external.data()),
                            uint32_t(w->external.size() * 4),
                            reinterpret_cast<uint8_t*>(w->internal.data()),
                            uint32_t(w->internal.size() * 4),
                            flash.data,
                            flash.bytes};
    if (status == rt::Status::kOk) status = rt::load_model(raw, blob_bytes_, arenas, &w->model, &error);
    if (status != rt::Status::kOk) {
      throw std::invalid_argument(std::string("model blob rejected: ") + rt::to_string(status) + " at " +
                                  (error.table ? error.table : "?") + "[" + std::to_string(error.index) + "]." +
                                  (error.field ? error.field : "?"));
    }
    return w;
  }

  std::vector<uint32_t> blob_;
  uint32_t blob_bytes_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace

void init_runtime(py::module_& m) {
  py::class_<HostRuntime>(m, "HostRuntime",
                          "A model blob loaded by the firmware's loader, run by its executor on the host port.")
      .def(py::init<const py::bytes&>(), py::arg("blob"))
      .def_property_readonly("input_shape", &HostRuntime::input_shape)
      .def_property_readonly("output_shape", &HostRuntime::output_shape)
      .def("run", &HostRuntime::run, py::arg("images"), py::arg("threads") = 1,
           "Run N int8 images (N x input bytes, C-contiguous) on `threads` workers; returns N x output bytes. "
           "Releases the GIL.")
      .def("last_results", &HostRuntime::last_results);
}
#else
void init_runtime(py::module_&) {}  // the firmware runtime is not part of this build
#endif

}  // namespace tinyops::bindings
