// The firmware runtime's host port, for Python: load a model blob with the firmware's own loader and run
// batches of int8 images through the firmware's executor and kernels (bit-exact with the MCU builds).
// Thin: the loop over images is here only so that it runs without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings.hpp"

#if TINYOPS_HAVE_RT
#include "tinyops/rt/runtime.hpp"
#endif

namespace py = pybind11;

namespace tinyops::bindings {

#if TINYOPS_HAVE_RT
namespace {

// Owns the blob copy (4-byte aligned, as the loader requires) and both arenas of one loaded model.
class HostRuntime {
 public:
  explicit HostRuntime(const py::bytes& blob) {
    const std::string bytes = blob;
    blob_.assign((bytes.size() + 3) / 4, 0);
    std::memcpy(blob_.data(), bytes.data(), bytes.size());
    const auto* raw = reinterpret_cast<const uint8_t*>(blob_.data());
    rt::BlobHeader header{};
    if (bytes.size() >= sizeof header) std::memcpy(&header, raw, sizeof header);
    // Arena sizes come from the header; the loader re-checks them against everything else.
    external_.assign(header.external_arena_bytes / 4 + 1, 0);
    internal_.assign(header.internal_arena_bytes / 4 + 1, 0);
    rt::Arenas arenas{reinterpret_cast<uint8_t*>(external_.data()), uint32_t(external_.size() * 4),
                      reinterpret_cast<uint8_t*>(internal_.data()), uint32_t(internal_.size() * 4)};
    rt::LoadError error{};
    const rt::Status status = rt::load_model(raw, uint32_t(bytes.size()), arenas, &model_, &error);
    if (status != rt::Status::kOk) {
      throw std::invalid_argument(std::string("model blob rejected: ") + rt::to_string(status) + " at " +
                                  (error.table ? error.table : "?") + "[" + std::to_string(error.index) + "]." +
                                  (error.field ? error.field : "?"));
    }
  }

  uint32_t input_bytes() const { return model_.input_bytes(); }
  uint32_t output_bytes() const { return model_.output_bytes(); }
  std::vector<int> shape(uint16_t index) const {
    const rt::TensorRecord t = model_.tensor(index);
    return {t.height, t.width, t.channels};
  }
  std::vector<int> input_shape() const { return shape(model_.header().input_tensor); }
  std::vector<int> output_shape() const { return shape(model_.header().output_tensor); }

  // images: N x (input bytes) int8, C-contiguous. Returns N x (output bytes).
  py::array_t<int8_t> run(const py::array_t<int8_t, py::array::c_style>& images) {
    const py::ssize_t n = images.ndim() == 0 ? 0 : images.shape(0);
    if (images.ndim() < 1 || images.size() != n * py::ssize_t(input_bytes()))
      throw std::invalid_argument("images: expected int8 of shape (N, " + std::to_string(input_bytes()) +
                                  " bytes per image), got " + std::to_string(images.size()) + " bytes");
    py::array_t<int8_t> out({n, py::ssize_t(output_bytes())});
    const int8_t* src = images.data();
    int8_t* dst = out.mutable_data();
    rt::Status status = rt::Status::kOk;
    {
      py::gil_scoped_release release;
      for (py::ssize_t i = 0; i < n && status == rt::Status::kOk; ++i) {
        std::memcpy(model_.input(), src + i * input_bytes(), input_bytes());
        status = rt::run_model(model_, &results_);
        std::memcpy(dst + i * output_bytes(), model_.output(), output_bytes());
      }
    }
    if (status != rt::Status::kOk) throw std::runtime_error(std::string("run failed: ") + rt::to_string(status));
    return out;
  }

  // Per-op results of the last run: (cycles, dma_wait_cycles, parts, dma_bytes) per op, unit.
  py::dict last_results() const {
    py::list ops;
    for (uint32_t k = 0; k < results_.op_count && k < rt::kMaxOps; ++k) {
      const rt::OpResult& r = results_.ops[k];
      ops.append(py::dict(py::arg("cycles") = r.cycles, py::arg("dma_wait_cycles") = r.dma_wait_cycles,
                          py::arg("parts") = r.parts, py::arg("dma_bytes") = r.dma_bytes));
    }
    return py::dict(py::arg("unit") = std::string(results_.cycles_unit, strnlen(results_.cycles_unit, 8)),
                    py::arg("total_cycles") = results_.total_cycles, py::arg("ops") = ops);
  }

 private:
  std::vector<uint32_t> blob_, external_, internal_;
  rt::Model model_;
  rt::Results results_{};
};

}  // namespace

void init_runtime(py::module_& m) {
  py::class_<HostRuntime>(m, "HostRuntime",
                          "A model blob loaded by the firmware's loader, run by its executor on the host port.")
      .def(py::init<const py::bytes&>(), py::arg("blob"))
      .def_property_readonly("input_shape", &HostRuntime::input_shape)
      .def_property_readonly("output_shape", &HostRuntime::output_shape)
      .def("run", &HostRuntime::run, py::arg("images"),
           "Run N int8 images (N x input bytes, C-contiguous); returns N x output bytes. Releases the GIL.")
      .def("last_results", &HostRuntime::last_results);
}
#else
void init_runtime(py::module_&) {}  // the firmware runtime is not part of this build
#endif

}  // namespace tinyops::bindings
