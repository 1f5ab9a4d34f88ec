#pragma once
#include <pybind11/pybind11.h>

namespace tinyops::bindings {
void init_network(pybind11::module_& m);
void init_calibration(pybind11::module_& m);
void init_runtime(pybind11::module_& m);  // the firmware runtime on the host port (where it is built)
void init_board(pybind11::module_& m);
void init_plan(pybind11::module_& m);
void init_simulate(pybind11::module_& m);
}  // namespace tinyops::bindings
