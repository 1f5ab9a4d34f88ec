#include <pybind11/stl.h>

#include <array>

#include "bindings.hpp"
#include "tinyops/arch_json.hpp"
#include "tinyops/error.hpp"

namespace py = pybind11;

namespace tinyops::bindings {

void init_network(py::module_& m) {
  py::enum_<OpKind>(m, "OpKind")
      .value("conv2d", OpKind::Conv2D)
      .value("depthwise_conv2d", OpKind::DepthwiseConv2D)
      .value("add", OpKind::Add)
      .value("average_pool", OpKind::AveragePool)
      .value("global_average_pool", OpKind::GlobalAveragePool)
      .value("fully_connected", OpKind::FullyConnected)
      .value("pad", OpKind::Pad)
      .value("mul", OpKind::Mul)
      .value("concatenation", OpKind::Concatenation);
  py::class_<Shape>(m, "Shape")
      .def_readonly("h", &Shape::h)
      .def_readonly("w", &Shape::w)
      .def_readonly("c", &Shape::c)
      .def("__repr__", [](const Shape& s) {
        return "Shape(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ", " + std::to_string(s.c) + ")";
      });
  py::class_<Op>(m, "Op")
      .def_readonly("id", &Op::id)
      .def_readonly("name", &Op::name)
      .def_property_readonly("kind", [](const Op& op) { return std::string(to_string(op.kind)); })
      .def_readonly("inputs", &Op::inputs)
      .def_readonly("output", &Op::output)
      .def_readonly("kernel_h", &Op::kernel_h)
      .def_readonly("kernel_w", &Op::kernel_w)
      .def_readonly("stride", &Op::stride)
      .def_property_readonly("padding",
                             [](const Op& op) {
                               return std::array<int, 4>{op.pad.top, op.pad.left, op.pad.bottom, op.pad.right};
                             })
      .def_property_readonly("act", [](const Op& op) { return std::string(to_string(op.act)); })
      .def_readonly("slow_requant_share", &Op::slow_requant_share)
      .def_readonly("left_shift_share", &Op::left_shift_share)
      .def_readonly("clamped_activation", &Op::clamped_activation)
      .def_readonly("macs", &Op::macs)
      .def_readonly("weight_bytes", &Op::weight_bytes)
      .def_readonly("bias_bytes", &Op::bias_bytes);
  py::class_<Tensor>(m, "Tensor")
      .def_readonly("id", &Tensor::id)
      .def_readonly("name", &Tensor::name)
      .def_readonly("shape", &Tensor::shape)
      .def_readonly("producer", &Tensor::producer)
      .def_readonly("last_use", &Tensor::last_use);
  py::class_<Network>(m, "Network")
      // Builders for front ends other than the arch JSON (the compiler's IR): thin, the core checks shapes.
      .def(py::init<std::string>(), py::arg("name") = "network")
      .def(
          "add_input",
          [](Network& net, int h, int w, int c, const std::string& name) {
            return net.add_input({h, w, c}, name);
          },
          py::arg("h"), py::arg("w"), py::arg("c"), py::arg("name") = "input")
      .def(
          "add_op",
          [](Network& net, const std::string& kind, const std::string& name, const std::vector<int>& inputs,
             int out_channels, int kernel_h, int kernel_w, int stride, const std::array<int, 4>& padding,
             const std::string& act, double slow_requant_share, double left_shift_share, bool clamped_activation,
             bool per_channel_quant) {
            if (!(slow_requant_share >= 0 && slow_requant_share <= 1))
              throw InputError(name, "slow_requant_share", "a share between 0 and 1");
            if (!(left_shift_share >= 0 && left_shift_share <= 1 - slow_requant_share))
              throw InputError(name, "left_shift_share", "a share between 0 and 1 - slow_requant_share");
            Op op;
            op.name = name;
            op.kind = op_kind_from_string(kind);
            op.inputs = inputs;
            op.kernel_h = kernel_h;
            op.kernel_w = kernel_w;
            op.stride = stride;
            op.pad = Padding{padding[0], padding[1], padding[2], padding[3]};
            op.act = activation_from_string(act);
            op.slow_requant_share = slow_requant_share;
            op.left_shift_share = left_shift_share;
            op.clamped_activation = clamped_activation;
            op.per_channel_quant = per_channel_quant;
            return net.add_op(std::move(op), out_channels);
          },
          py::arg("kind"), py::arg("name"), py::arg("inputs"), py::arg("out_channels") = 0, py::arg("kernel_h") = 1,
          py::arg("kernel_w") = 1, py::arg("stride") = 1, py::arg("padding") = std::array<int, 4>{0, 0, 0, 0},
          py::arg("act") = "none", py::arg("slow_requant_share") = 0.0, py::arg("left_shift_share") = 0.0,
          py::arg("clamped_activation") = false, py::arg("per_channel_quant") = false,
          "Append an op; padding is explicit [top, left, bottom, right]; slow_requant_share, left_shift_share: shares "
          "of output channels on the general and the left-shift requantization; clamped_activation: an activation "
          "range narrower than int8; per_channel_quant: a fully connected "
          "op's quant params per output channel (else one pair, TFLite's per tensor). Returns the op id (its output "
          "tensor is "
          "ops[id].output).")
      .def("mark_output", &Network::mark_output, py::arg("tensor_id"))
      .def_property_readonly("name", &Network::name)
      .def_property_readonly("ops", &Network::ops)
      .def_property_readonly("tensors", &Network::tensors)
      .def_property_readonly("input", &Network::input)
      .def_property_readonly("output", &Network::output)
      .def_property_readonly("total_macs", &Network::total_macs)
      .def_property_readonly("param_count", &Network::param_count)
      .def_property_readonly("weight_bytes", &Network::weight_bytes);
  m.def(
      "network_from_arch_json",
      [](const std::string& text, const std::string& source) { return network_from_arch_text(text, source); },
      py::arg("text"), py::arg("source") = "<arch>", "Build a Network from ProxylessNASNets JSON text.");
  m.def(
      "scale_arch_json",
      [](const std::string& text, double width_mult, int resolution) {
        return scale_arch(nlohmann::json::parse(text), width_mult, resolution).dump();
      },
      py::arg("text"), py::arg("width_mult"), py::arg("resolution"));
}

}  // namespace tinyops::bindings
