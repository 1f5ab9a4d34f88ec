// Plan <-> JSON. Memories and buffers are written by name; loading is strict and re-validates the plan.
#include <algorithm>
#include <tuple>
#include <nlohmann/json.hpp>

#include "tinyops/error.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/strict_reader.hpp"

namespace tinyops {
namespace {

using nlohmann::json;

const std::vector<std::string> kOperandNames = {"input", "input2", "weights", "bias", "quant", "output", "scratch"};
const std::vector<std::string> kPartitioningNames = {"none", "rows", "output_channels"};
const std::vector<std::string> kBufferKindNames = {"arena", "input", "weights", "bias", "quant", "output", "scratch"};
constexpr int64_t kMaxBytes = int64_t(1) << 40;

json region_json(const Plan& plan, const Region& r) {
  if (!r.present()) return nullptr;
  return {{"memory", plan.memories.at(r.memory)}, {"offset", r.offset}, {"bytes", r.bytes}};
}

json transfer_json(const Plan& plan, const Transfer& t) {
  return {{"operand", to_string(t.operand)},
          {"src", region_json(plan, t.src)},
          {"dst", region_json(plan, t.dst)},
          {"buffer", t.buffer >= 0 ? json(plan.buffers.at(t.buffer).name) : json(nullptr)}};
}

json range_json(int begin, int end) { return json::array({begin, end}); }

class PlanReader {
 public:
  explicit PlanReader(Plan& plan) : plan_(plan) {}

  Region region(const StrictReader& r) const {
    if (r.raw().is_null()) return Region{};
    r.expect_keys({"memory", "offset", "bytes"});
    Region out;
    std::string name = r.str("memory");
    out.memory = plan_.memory_index(name);
    if (out.memory < 0)
      r.fail("memory",
             "expected one of the plan's memories (" + join_choices(plan_.memories) + "), got \"" + name + "\"");
    out.offset = r.integer("offset", 0, kMaxBytes);
    out.bytes = r.integer("bytes", 0, kMaxBytes);
    return out;
  }

  Transfer transfer(const StrictReader& r) const {
    r.expect_keys({"operand", "src", "dst", "buffer"});
    Transfer t;
    t.operand = Operand(r.choice("operand", kOperandNames));
    t.src = region(r.at("src"));
    t.dst = region(r.at("dst"));
    if (!r.at("buffer").raw().is_null()) {
      std::string name = r.str("buffer");
      t.buffer = plan_.buffer_index(name);
      if (t.buffer < 0) r.fail("buffer", "expected one of the plan's buffers, got \"" + name + "\"");
    }
    return t;
  }

  static std::pair<int, int> range(const StrictReader& r) {
    auto items = r.items();
    if (items.size() != 2) r.fail("expected [begin, end]");
    return {int(items[0].as_integer(0, 1 << 24)), int(items[1].as_integer(0, 1 << 24))};
  }

  Part part(const StrictReader& r) const {
    r.expect_keys({"in_rows", "out_rows", "out_channels", "at", "copy_in", "copy_when_due", "copy_out", "copy_ahead"},
                  {"more_inputs"});
    Part p;
    std::tie(p.in_row_begin, p.in_row_end) = range(r.at("in_rows"));
    std::tie(p.out_row_begin, p.out_row_end) = range(r.at("out_rows"));
    std::tie(p.out_channel_begin, p.out_channel_end) = range(r.at("out_channels"));
    StrictReader at = r.at("at");
    if (!at.raw().is_object()) at.fail("expected a mapping of operand name to region");
    for (auto it = at.raw().begin(); it != at.raw().end(); ++it) {
      auto k = std::find(kOperandNames.begin(), kOperandNames.end(), it.key());
      if (k == kOperandNames.end())
        at.fail(it.key(), "unknown operand (expected one of: " + join_choices(kOperandNames) + ")");
      p.at[k - kOperandNames.begin()] = region(at.at(it.key()));
    }
    if (r.has("more_inputs"))
      for (const auto& m : r.at("more_inputs").items()) p.more_inputs.push_back(region(m));
    for (const auto& t : r.at("copy_in").items()) p.copy_in.push_back(transfer(t));
    for (const auto& t : r.at("copy_when_due").items()) p.copy_when_due.push_back(transfer(t));
    for (const auto& t : r.at("copy_out").items()) p.copy_out.push_back(transfer(t));
    p.copy_ahead = r.boolean("copy_ahead");
    return p;
  }

  OpPlan op(const StrictReader& r) const {
    r.expect_keys({"op", "strategy", "partitioning", "factor", "output_overlay", "parts"});
    OpPlan o;
    o.op = int(r.integer("op", 0, 1 << 20));
    o.strategy = r.str("strategy");
    o.partitioning = Partitioning(r.choice("partitioning", kPartitioningNames));
    o.factor = int(r.integer("factor", 1, 1 << 20));
    o.output_overlay = r.boolean("output_overlay");
    for (const auto& p : r.at("parts").items()) o.parts.push_back(part(p));
    return o;
  }

 private:
  Plan& plan_;
};

}  // namespace

json plan_to_json(const Plan& plan) {
  json j;
  j["format"] = "tinyops-plan";
  j["version"] = 1;
  j["network"] = plan.network;
  j["board"] = plan.board;
  j["board_version"] = plan.board_version;
  j["strategy"] = plan.strategy;
  j["memories"] = json::array();
  for (size_t i = 0; i < plan.memories.size(); ++i)
    j["memories"].push_back({{"name", plan.memories[i]}, {"size_bytes", plan.memory_sizes.at(i)}});
  j["sram_memory"] = plan.sram_memory >= 0 ? json(plan.memories.at(plan.sram_memory)) : json(nullptr);
  j["sram_budget_bytes"] = plan.sram_budget_bytes;
  j["fits"] = plan.fits;
  j["why"] = plan.why;
  j["buffers"] = json::array();
  for (const Buffer& b : plan.buffers)
    j["buffers"].push_back({{"name", b.name}, {"kind", to_string(b.kind)}, {"region", region_json(plan, b.region)}});
  j["tensor_home"] = json::array();
  for (const Region& r : plan.tensor_home) j["tensor_home"].push_back(region_json(plan, r));
  j["op_params"] = json::array();
  for (const auto& p : plan.op_params)
    j["op_params"].push_back({{"weights", region_json(plan, p[kParamWeights])},
                              {"bias", region_json(plan, p[kParamBias])},
                              {"quant", region_json(plan, p[kParamQuant])}});
  j["ops"] = json::array();
  for (const OpPlan& o : plan.ops) {
    json parts = json::array();
    for (const Part& p : o.parts) {
      json at = json::object();
      for (int k = 0; k < kOperandCount; ++k)
        if (p.at[k].present()) at[to_string(Operand(k))] = region_json(plan, p.at[k]);
      json in = json::array(), due = json::array(), out = json::array(), more = json::array();
      for (const Region& r : p.more_inputs) more.push_back(region_json(plan, r));
      for (const Transfer& t : p.copy_in) in.push_back(transfer_json(plan, t));
      for (const Transfer& t : p.copy_when_due) due.push_back(transfer_json(plan, t));
      for (const Transfer& t : p.copy_out) out.push_back(transfer_json(plan, t));
      parts.push_back({{"in_rows", range_json(p.in_row_begin, p.in_row_end)},
                       {"out_rows", range_json(p.out_row_begin, p.out_row_end)},
                       {"out_channels", range_json(p.out_channel_begin, p.out_channel_end)},
                       {"at", at},
                       {"copy_in", in},
                       {"copy_when_due", due},
                       {"copy_out", out},
                       {"copy_ahead", p.copy_ahead}});
      if (!p.more_inputs.empty()) parts.back()["more_inputs"] = more;
    }
    j["ops"].push_back({{"op", o.op},
                        {"strategy", o.strategy},
                        {"partitioning", to_string(o.partitioning)},
                        {"factor", o.factor},
                        {"output_overlay", o.output_overlay},
                        {"parts", parts}});
  }
  return j;
}

Plan plan_from_json(const json& j, const std::string& source) {
  StrictReader r(j, source);
  r.expect_keys({"format", "version", "network", "board", "board_version", "strategy", "memories", "sram_memory",
                 "sram_budget_bytes", "fits", "why", "buffers", "tensor_home", "op_params", "ops"});
  if (r.str("format") != "tinyops-plan") r.fail("format", "expected \"tinyops-plan\"");
  r.integer("version", 1, 1);
  Plan plan;
  plan.network = r.str("network");
  plan.board = r.str("board");
  plan.board_version = int(r.integer("board_version", 0, 1 << 30));
  plan.strategy = r.str("strategy");
  for (const auto& m : r.at("memories").items()) {
    m.expect_keys({"name", "size_bytes"});
    plan.add_memory(m.str("name"), m.integer("size_bytes", 1, kMaxBytes));
  }
  if (!r.at("sram_memory").raw().is_null()) {
    plan.sram_memory = plan.memory_index(r.str("sram_memory"));
    if (plan.sram_memory < 0) r.fail("sram_memory", "expected one of the plan's memories");
  }
  plan.sram_budget_bytes = r.integer("sram_budget_bytes", 0, kMaxBytes);
  plan.fits = r.boolean("fits");
  plan.why = r.str("why");
  PlanReader reader(plan);
  const std::vector<std::string> kParamNames = {"weights", "bias", "quant"};
  for (const auto& b : r.at("buffers").items()) {
    b.expect_keys({"name", "kind", "region"});
    if (b.at("region").raw().is_null()) b.fail("region", "expected a region");
    plan.buffers.push_back(
        Buffer{b.str("name"), BufferKind(b.choice("kind", kBufferKindNames)), reader.region(b.at("region"))});
  }
  for (const auto& t : r.at("tensor_home").items()) plan.tensor_home.push_back(reader.region(t));
  for (const auto& p : r.at("op_params").items()) {
    p.expect_keys({"weights", "bias", "quant"});
    std::array<Region, 3> params;
    for (int k = 0; k < 3; ++k) params[k] = reader.region(p.at(kParamNames[k]));
    plan.op_params.push_back(params);
  }
  for (const auto& o : r.at("ops").items()) plan.ops.push_back(reader.op(o));
  validate_plan(plan, source);
  return plan;
}

std::string plan_to_json_text(const Plan& plan, int indent) { return plan_to_json(plan).dump(indent); }

Plan plan_from_json_text(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(source, "(file)", std::string("expected valid JSON: ") + e.what());
  }
  return plan_from_json(j, source);
}

}  // namespace tinyops
