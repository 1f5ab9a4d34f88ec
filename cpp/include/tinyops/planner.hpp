#pragma once
// Planners turn (Network, Board) into a Plan, one per execution strategy of DESIGN.md. They are looked up
// by name: make_plan(net, board, "external"). A planner that cannot respect the board returns a Plan with
// fits = false and `why` naming the shortfall in bytes (no ops): reporting, not throwing, lets a batch
// scoring many networks record "does not fit" per network; simulate() on such a plan throws PlanningError.
#include <string>
#include <string_view>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/memory_planner.hpp"
#include "tinyops/network.hpp"
#include "tinyops/partitioning.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

// Working storage the planners reuse from one network to the next: a batch scoring thousands of networks keeps
// one (with one Plan) per strategy, so that steady-state planning allocates (almost) nothing.
// Parts a reused plan no longer needs (an op now has fewer), kept with their copy lists' storage for the next
// op that needs more.
using SpareParts = std::vector<Part>;

struct PlannerScratch {
  ArenaScratch arena;
  FactorSearchScratch search;
  RowPartitioning rows;
  SpareParts spare_parts;
  std::vector<OpPlan> spare_ops;  // the ops of a plan that did not fit, kept for the next one (see not_fitting)
};

using PlannerFn = Plan (*)(const Network&, const Board&);
// A planner writing into `out`, reusing the storage `out` already has (its ops, parts and copy lists) and
// `scratch`'s; `out` ends up equal to what the PlannerFn returns.
using PlannerIntoFn = void (*)(const Network&, const Board&, Plan& out, PlannerScratch& scratch);

struct PlannerEntry {
  const char* name;
  PlannerFn fn;
  const char* summary;
  PlannerIntoFn into = nullptr;  // absent: make_plan_into assigns fn's plan
};

// The registered strategies, in the order of DESIGN.md (see planner_registry.cpp).
const std::vector<PlannerEntry>& planners();
std::vector<std::string> planner_names();
// Throws InputError("strategy", ...) for an unknown name.
Plan make_plan(const Network& net, const Board& board, const std::string& strategy);
// The same plan written into `out` (see PlannerIntoFn).
void make_plan_into(const Network& net, const Board& board, const std::string& strategy, Plan& out,
                    PlannerScratch& scratch);
// The registered entry of `strategy`; throws InputError("strategy", ...) for an unknown name.
const PlannerEntry& planner(const std::string& strategy);
void make_plan_into(const PlannerEntry& planner, const Network& net, const Board& board, Plan& out,
                    PlannerScratch& scratch);

// The value form of a PlannerIntoFn.
template <PlannerIntoFn Into>
Plan plan_value(const Network& net, const Board& board) {
  Plan plan;
  PlannerScratch scratch;
  Into(net, board, plan, scratch);
  return plan;
}

// Strategy 1: activations in internal SRAM (greedy arena), weights in internal flash.
Plan plan_internal(const Network& net, const Board& board);
void plan_internal_into(const Network& net, const Board& board, Plan& out, PlannerScratch& scratch);
// Strategy 2: arena and weights in external memory, read in place through the cache.
Plan plan_external(const Network& net, const Board& board);
void plan_external_into(const Network& net, const Board& board, Plan& out, PlannerScratch& scratch);
// The `external` plan without its ops, labelled `strategy`: header, arena and params in external memory (the
// base of the overlay planners, which write every op themselves). False, with the plan marked not fitting,
// when the board's external memory is missing or too small.
bool place_in_external(const Network& net, const Board& board, const std::string& strategy, Plan& out,
                       PlannerScratch& scratch);

// --- Building blocks shared by planners -------------------------------------------------------------------
// A plan header for `board`: name, version, strategy, and the SRAM memory with its budget.
Plan start_plan(const Network& net, const Board& board, const std::string& strategy);
// The same into `plan`, every field reset but the storage of its containers kept; plan.ops keeps its entries
// (or takes scratch->spare_ops' when it has none) as storage for the planner, which then rewrites every op
// (reset_op_plan) or calls not_fitting.
void start_plan(Plan& plan, const Network& net, const Board& board, const std::string& strategy,
                PlannerScratch* scratch = nullptr);
// Rewrites `o` as the plan of op `op` with `n_parts` default parts, keeping the storage of its parts and their
// copy lists (parts it drops go to `spare`, parts it adds come from there first).
void reset_op_plan(OpPlan& o, int op, std::string_view strategy, size_t n_parts, SpareParts* spare = nullptr);
// plan.ops resized to `n_ops`, the parts of dropped ops moved to `spare`.
void resize_ops(Plan& plan, size_t n_ops, SpareParts* spare = nullptr);
// Adds board memory `board_memory` (an index into board.memories) to the plan; returns the plan's index.
int use_memory(Plan& plan, const Board& board, int board_memory);
// Greedy arena for all activation tensors at `offset` in plan memory `memory`: fills tensor_home, adds a
// buffer "arena", returns the arena's end offset.
int64_t place_arena(Plan& plan, const Network& net, int memory, int64_t offset);
int64_t place_arena(Plan& plan, const Network& net, int memory, int64_t offset, ArenaScratch& scratch);
// One part covering the whole op, every operand read/written at its home (tensor_home, op_params).
Part whole_op_part(const Plan& plan, const Network& net, const Op& op);
// The same written into a default-constructed `part` (no copy of the part).
void fill_whole_op_part(const Plan& plan, const Network& net, const Op& op, Part& part);
// Rewrites plan.ops[op.id] as one whole part (whole_op_part), labelled `strategy`.
void add_whole_op(Plan& plan, const Network& net, const Op& op, std::string_view strategy, SpareParts* spare = nullptr);
// Sets plan.ops to every op of `net` as one whole part, labelled `strategy`.
void add_whole_ops(Plan& plan, const Network& net, std::string_view strategy, SpareParts* spare = nullptr);
// Marks the plan as not fitting: clears placement and ops, keeps the header, records why. With `scratch`, the
// ops (and their parts' storage) are kept in scratch->spare_ops for the next plan instead of destroyed.
Plan& not_fitting(Plan& plan, const std::string& why, PlannerScratch* scratch = nullptr);
// "1,204,224 B" style formatting for messages.
std::string format_bytes(int64_t bytes);

}  // namespace tinyops
