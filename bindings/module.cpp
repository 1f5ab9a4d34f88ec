// pybind11 module tinyops._core: thin wrappers, no logic. One init_* function per core area.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "tinyops/error.hpp"
#include "tinyops/log.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "TinyOps host core: IR, boards, planners and simulator";
  // Bad input is a ValueError, an unsatisfiable request a RuntimeError, each with the core's message.
  py::register_exception<tinyops::InputError>(m, "InputError", PyExc_ValueError);
  py::register_exception<tinyops::PlanningError>(m, "PlanningError", PyExc_RuntimeError);
  tinyops::bindings::init_network(m);
  tinyops::bindings::init_calibration(m);
  tinyops::bindings::init_runtime(m);
  tinyops::bindings::init_board(m);
  tinyops::bindings::init_plan(m);
  tinyops::bindings::init_simulate(m);
  // Logging (cpp/include/tinyops/log.hpp): the level of every component's logger; TINYOPS_LOG sets the first.
  m.def("set_log_level", &tinyops::log::set_log_level, py::arg("level"),
        "Level of the core's loggers: trace, debug, info, warn, error, critical or off (ValueError otherwise).");
  m.def("log_level", &tinyops::log::log_level, "The core's current log level.");
  m.attr("log_levels") = tinyops::log::level_names();
}
