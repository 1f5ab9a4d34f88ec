// Boards: loading (catalog name or YAML path), accessors, and writing a calibrated version back.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "tinyops/board.hpp"
#include "tinyops/error.hpp"

namespace py = pybind11;

namespace tinyops::bindings {
namespace {

SourceKind source_from_string(const std::string& name) {
  for (SourceKind k :
       {SourceKind::Datasheet, SourceKind::Measurement, SourceKind::Fit, SourceKind::Estimate, SourceKind::Derived})
    if (name == to_string(k)) return k;
  throw InputError("source", name, "expected datasheet, measurement, fit, estimate or derived");
}

KernelKind kernel_from_string(const std::string& name) {
  for (int k = 0; k < kKernelKindCount; ++k)
    if (name == to_string(KernelKind(k))) return KernelKind(k);
  throw InputError("kernel", name, "expected a kernel kind such as conv2d_1x1, depthwise_conv2d_dsp, add");
}

Quantity& kernel_term(Board& b, const std::string& kernel, const std::string& term) {
  const KernelKind kind = kernel_from_string(kernel);
  std::string names;
  for (CostTerm t : kernel_terms(kind)) {
    if (term == to_string(t)) return b.kernels[int(kind)].term(t);
    names += std::string(names.empty() ? "" : ", ") + to_string(t);
  }
  throw InputError("term", term, "expected a cost term of " + kernel + " (" + names + ")");
}

}  // namespace

void init_board(py::module_& m) {
  py::class_<Quantity>(m, "Quantity")
      .def_readonly("value", &Quantity::value)
      .def_property_readonly("source", [](const Quantity& q) { return std::string(to_string(q.source)); })
      .def_readonly("ref", &Quantity::ref)
      .def("__repr__", [](const Quantity& q) {
        return "Quantity(" + std::to_string(q.value) + ", " + to_string(q.source) + ", '" + q.ref + "')";
      });
  py::class_<Memory>(m, "Memory")
      .def_readonly("name", &Memory::name)
      .def_property_readonly("kind", [](const Memory& x) { return std::string(to_string(x.kind)); })
      .def_property_readonly("base", [](const Memory& x) { return int64_t(x.base.value); })
      .def_property_readonly("size_bytes", [](const Memory& x) { return int64_t(x.size_bytes.value); })
      .def_property_readonly("read_cycles_per_byte", [](const Memory& x) { return x.read_cycles_per_byte.value; })
      .def_property_readonly("write_cycles_per_byte", [](const Memory& x) { return x.write_cycles_per_byte.value; })
      .def_readonly("cached", &Memory::cached)
      .def_readonly("dma_reachable", &Memory::dma_reachable)
      .def("quantity", [](const Memory& x, const std::string& field) -> Quantity {
        if (field == "base") return x.base;
        if (field == "size_bytes") return x.size_bytes;
        if (field == "read_cycles_per_byte") return x.read_cycles_per_byte;
        if (field == "write_cycles_per_byte") return x.write_cycles_per_byte;
        throw InputError("field", field, "expected base, size_bytes, read_cycles_per_byte or write_cycles_per_byte");
      });
  py::class_<DmaEngine>(m, "DmaEngine")
      .def_readonly("name", &DmaEngine::name)
      .def_property_readonly("streams", [](const DmaEngine& e) { return int(e.streams.value); })
      .def_property_readonly("setup_cycles", [](const DmaEngine& e) { return e.setup_cycles.value; })
      .def_property_readonly("cpu_issue_cycles", [](const DmaEngine& e) { return e.cpu_issue_cycles.value; })
      .def_property_readonly("links", [](const DmaEngine& e) {
        py::list out;
        for (const DmaLink& l : e.links) out.append(py::make_tuple(l.from, l.to, l.bytes_per_cycle.value));
        return out;
      });
  py::class_<Board>(m, "Board")
      .def_readonly("name", &Board::name)
      .def_readonly("description", &Board::description)
      .def_readwrite("version", &Board::version)
      .def_readonly("source", &Board::source)
      .def_property_readonly("core", [](const Board& b) { return b.cpu.core; })
      .def_property_readonly("clock_hz", [](const Board& b) { return b.cpu.clock_hz.value; })
      .def_property_readonly("dcache_bytes", [](const Board& b) { return int64_t(b.cpu.dcache_bytes.value); })
      .def_property_readonly("memcpy_issue_cycles", [](const Board& b) { return b.cpu.memcpy_issue_cycles.value; })
      .def_readonly("memories", &Board::memories)
      .def_readonly("sram_memory", &Board::sram_memory)
      .def_property_readonly("sram_budget_bytes", [](const Board& b) { return int64_t(b.sram_budget_bytes.value); })
      .def_readonly("dma", &Board::dma)
      .def_property_readonly("kernel_kinds",
                             [](const Board&) {
                               std::vector<std::string> out;
                               for (int k = 0; k < kKernelKindCount; ++k) out.emplace_back(to_string(KernelKind(k)));
                               return out;
                             })
      .def(
          "kernel_cost",
          [](Board& b, const std::string& kernel, const std::string& term) { return kernel_term(b, kernel, term); },
          py::arg("kernel"), py::arg("term"),
          "A kernel cost term with its provenance, e.g. ('conv2d_1x1', 'cycles_per_mac').")
      .def(
          "set_kernel_cost",
          [](Board& b, const std::string& kernel, const std::string& term, double value, const std::string& source,
             const std::string& ref) {
            if (!(value >= 0)) throw InputError(kernel, term, "expected a non-negative value");
            kernel_term(b, kernel, term) = Quantity{value, source_from_string(source), ref};
          },
          py::arg("kernel"), py::arg("term"), py::arg("value"), py::arg("source") = "fit", py::arg("ref"),
          "Replace a kernel cost term (calibration); bump .version before saving.")
      .def("to_yaml", &board_to_yaml_text)
      .def(
          "save", [](const Board& b, const std::string& path) { write_board_yaml(b, path); }, py::arg("path"))
      .def("cycles_to_ms", &Board::cycles_to_ms)
      .def("__repr__",
           [](const Board& b) { return "Board('" + b.name + "', version " + std::to_string(b.version) + ")"; });

  m.def("load_board", &load_board, py::arg("name_or_path"), py::arg("catalog_dir"),
        "A catalog name (a <name>.yaml in catalog_dir) or a path to a board YAML file.");
  m.def("board_from_yaml", &board_from_yaml_text, py::arg("text"), py::arg("source") = "<board>");
  m.def(
      "list_boards",
      [](const std::string& catalog_dir) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const CatalogEntry& e : list_board_catalog(catalog_dir)) out.emplace_back(e.name, e.path);
        return out;
      },
      py::arg("catalog_dir"), "(name, path) of every board YAML in the catalog directory.");
}

}  // namespace tinyops::bindings
