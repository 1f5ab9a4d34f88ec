#pragma once
// Reads the ProxylessNASNets architecture JSON (MCUNet / Once-for-All / TinyOps) into a Network.
// Unknown keys and unsupported features are errors naming the source and the JSON path.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tinyops/network.hpp"

namespace tinyops {

// `source` names the origin in error messages (a file path, or "<dict>").
Network network_from_arch_text(std::string_view text, const std::string& source = "<arch>");
Network network_from_arch(const nlohmann::json& arch, const std::string& source = "<arch>");
nlohmann::json read_json_file(const std::string& path);

// Width multiplier and resolution applied the way MCUNet/OFA derive variants: every channel count
// (the last layers included) becomes make_divisible(c * width, 8); mid_channels stay derived.
nlohmann::json scale_arch(const nlohmann::json& arch, double width_mult, int resolution);
int make_divisible(double value, int divisor = 8);

}  // namespace tinyops
