#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "board_fixture.hpp"
#include "net_fixture.hpp"
#include "tinyops/error.hpp"
#include "tinyops/planner.hpp"

using namespace tinyops;
using nlohmann::json;

namespace {

Board tiny() { return board_from_yaml_text(fixtures::kTinyBoardYaml, "tiny.yaml"); }

// An external plan with a DMA copy, a ping-pong buffer pair and an output overlay: every field in use.
Plan rich_plan() {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  Plan plan = plan_external(net, tiny());
  int ping = plan.add_buffer("input_ping", BufferKind::Input, Region{plan.sram_memory, 0, 64});
  int out = plan.add_buffer("output", BufferKind::Output, Region{plan.sram_memory, 64, 128});
  Part& p = plan.ops[0].parts[0];
  p.copy_in.push_back(Transfer{Operand::Input, Region{plan.tensor_home[0].memory, plan.tensor_home[0].offset, 64},
                               plan.buffers[ping].region, ping});
  p.copy_out.push_back(Transfer{Operand::Output, plan.buffers[out].region,
                                Region{plan.tensor_home[1].memory, plan.tensor_home[1].offset, 128}, -1});
  p.copy_ahead = true;
  p.out_row_end = 2;
  plan.ops[0].output_overlay = true;
  plan.ops[0].partitioning = Partitioning::Rows;
  plan.ops[0].factor = 2;
  return plan;
}

void expect_plan_error(json j, const std::string& field, const std::string& expected) {
  try {
    plan_from_json(j, "plan.json");
    FAIL() << "expected an InputError at " << field;
  } catch (const InputError& e) {
    EXPECT_EQ(e.source(), "plan.json");
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Plan, JsonRoundTripIsIdentical) {
  for (const Plan& plan : {rich_plan(), plan_internal(fixtures::one_conv(4, 4, 8, 16), tiny()),
                           plan_internal(fixtures::one_conv(64, 64, 16, 16), tiny())}) {
    validate_plan(plan);
    std::string text = plan_to_json_text(plan, 2);
    Plan back = plan_from_json_text(text, "plan.json");
    EXPECT_EQ(back, plan);
    EXPECT_EQ(plan_to_json_text(back, 2), text);
  }
}

TEST(Plan, NonFittingPlanKeepsWhy) {
  Plan plan = plan_internal(fixtures::one_conv(64, 64, 16, 16), tiny());
  Plan back = plan_from_json_text(plan_to_json_text(plan));
  EXPECT_FALSE(back.fits);
  EXPECT_EQ(back.why, plan.why);
}

TEST(Plan, StrictLoadNamesTheField) {
  json good = plan_to_json(rich_plan());
  json j = good;
  j["ops"][0]["parts"][0]["turbo"] = true;
  expect_plan_error(j, "ops[0].parts[0].turbo", "unknown key");
  j = good;
  j.erase("tensor_home");
  expect_plan_error(j, "tensor_home", "missing");
  j = good;
  j["buffers"][0]["region"]["memory"] = "ccm";
  expect_plan_error(j, "buffers[0].region.memory", "plan's memories");
  j = good;
  j["ops"][0]["parts"][0]["copy_in"][0]["dst"]["bytes"] = 32;
  expect_plan_error(j, "ops[0].parts[0].copy_in[0]", "same size");
  j = good;
  j["ops"][0]["parts"][0]["copy_in"][0]["dst"]["offset"] = 100;
  expect_plan_error(j, "ops[0].parts[0].copy_in[0].dst", "inside buffer input_ping");
  j = good;
  j["tensor_home"][0]["offset"] = -4;
  expect_plan_error(j, "tensor_home[0].offset", "integer in [0");
  j = good;
  j["ops"][0]["partitioning"] = "diagonal";
  expect_plan_error(j, "ops[0].partitioning", "rows");
  EXPECT_THROW(plan_from_json_text("{not json", "plan.json"), InputError);
}

TEST(Plan, CopyAheadIntoABufferInUseIsRejected) {
  // Two parts sharing one input buffer, the second copied ahead: it would overwrite the first part's rows.
  Plan plan = rich_plan();
  plan.ops[0].parts[0].copy_ahead = false;
  Part second = plan.ops[0].parts[0];
  second.copy_ahead = true;
  second.copy_out.clear();
  second.out_row_begin = 2;
  second.out_row_end = 4;
  second.at[int(Operand::Input)] = second.copy_in[0].dst;
  plan.ops[0].parts[0].at[int(Operand::Input)] = second.copy_in[0].dst;
  plan.ops[0].parts.push_back(second);
  EXPECT_THROW(validate_plan(plan, "plan.json"), InputError);
}

TEST(Plan, ValidatesAgainstItsNetwork) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  Plan plan = plan_external(net, tiny());
  EXPECT_NO_THROW(validate_plan(plan, net));
  EXPECT_THROW(validate_plan(plan, fixtures::conv_chain({8, 8, 8})), InputError);
}

TEST(Plan, PrefetchMayOnlyReadRowsAlreadyProduced) {
  // conv1 (4x4x8 -> 4x4x8) in two row parts, then conv2 whose first part copies conv1's output ahead.
  Network net("two_convs");
  int t = net.add_input({4, 4, 8});
  for (const char* name : {"conv1", "conv2"}) {
    Op op;
    op.name = name;
    op.kind = OpKind::Conv2D;
    op.inputs = {t};
    t = net.op(net.add_op(op, 8)).output;
  }
  net.mark_output(t);
  Plan plan = plan_external(net, tiny());
  Part whole = plan.ops[0].parts[0];
  plan.ops[0].parts = {whole, whole};
  plan.ops[0].parts[0].out_row_end = 2;
  plan.ops[0].parts[1].out_row_begin = 2;
  int buf = plan.add_buffer("input_ping", BufferKind::Input, Region{plan.sram_memory, 0, 64});
  const Region mid = plan.tensor_home[1];
  Part& first = plan.ops[1].parts[0];
  first.copy_ahead = true;
  first.copy_in = {Transfer{Operand::Input, Region{mid.memory, mid.offset, 64}, plan.buffers[buf].region, buf}};
  EXPECT_NO_THROW(validate_plan(plan, net));  // rows 0-1 (64 B) were written by conv1's first part
  first.copy_in[0].src.offset += 32;          // reaches into rows the last part writes
  EXPECT_THROW(validate_plan(plan, net, "plan.json"), InputError);
}
