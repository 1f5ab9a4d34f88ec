#pragma once
// Planners turn (Network, Board) into a Plan, one per execution strategy of DESIGN.md. They are looked up
// by name: make_plan(net, board, "external"). A planner that cannot respect the board returns a Plan with
// fits = false and `why` naming the shortfall in bytes (no ops): reporting, not throwing, lets a batch
// scoring many networks record "does not fit" per network; simulate() on such a plan throws PlanningError.
#include <string>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

using PlannerFn = Plan (*)(const Network&, const Board&);

struct PlannerEntry {
  const char* name;
  PlannerFn fn;
  const char* summary;
};

// The registered strategies, in the order of DESIGN.md (see planner_registry.cpp).
const std::vector<PlannerEntry>& planners();
std::vector<std::string> planner_names();
// Throws InputError("strategy", ...) for an unknown name.
Plan make_plan(const Network& net, const Board& board, const std::string& strategy);

// Strategy 1: activations in internal SRAM (greedy arena), weights in internal flash.
Plan plan_internal(const Network& net, const Board& board);
// Strategy 2: arena and weights in external memory, read in place through the cache.
Plan plan_external(const Network& net, const Board& board);

// --- Building blocks shared by planners -------------------------------------------------------------------
// A plan header for `board`: name, version, strategy, and the SRAM memory with its budget.
Plan start_plan(const Network& net, const Board& board, const std::string& strategy);
// Adds board memory `board_memory` (an index into board.memories) to the plan; returns the plan's index.
int use_memory(Plan& plan, const Board& board, int board_memory);
// Greedy arena for all activation tensors at `offset` in plan memory `memory`: fills tensor_home, adds a
// buffer "arena", returns the arena's end offset.
int64_t place_arena(Plan& plan, const Network& net, int memory, int64_t offset);
// One part covering the whole op, every operand read/written at its home (tensor_home, op_params).
Part whole_op_part(const Plan& plan, const Network& net, const Op& op);
// The same written into a default-constructed `part` (no copy of the part).
void fill_whole_op_part(const Plan& plan, const Network& net, const Op& op, Part& part);
// Appends every op of `net` as one whole part (whole_op_part), labelled `strategy`.
void add_whole_ops(Plan& plan, const Network& net, const std::string& strategy);
// Marks the plan as not fitting: clears placement and ops, keeps the header, records why.
Plan& not_fitting(Plan& plan, const std::string& why);
// "1,204,224 B" style formatting for messages.
std::string format_bytes(int64_t bytes);

}  // namespace tinyops
