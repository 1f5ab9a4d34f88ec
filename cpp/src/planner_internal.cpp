// Strategy 1, "internal" (the MCUNet / TFLite Micro space): the activation arena in the SRAM budget,
// weights in internal flash, every op run whole, reading its operands in place.
#include "tinyops/memory_planner.hpp"
#include "tinyops/planner.hpp"

namespace tinyops {

Plan plan_internal(const Network& net, const Board& board) { return plan_value<plan_internal_into>(net, board); }

void plan_internal_into(const Network& net, const Board& board, Plan& plan, PlannerScratch& scratch) {
  start_plan(plan, net, board, "internal", &scratch);
  const int flash_board = board.first_memory_of_kind(MemoryKind::Flash);
  if (flash_board < 0) {
    not_fitting(plan, "board " + board.name + " has no internal flash for the weights", &scratch);
    return;
  }
  const int flash = use_memory(plan, board, flash_board);

  const int64_t arena_end = place_arena(plan, net, plan.sram_memory, 0, scratch.arena);
  const int64_t weights_end = place_params(net, flash, 0, plan.op_params);
  const int64_t flash_size = plan.memory_sizes[flash];
  std::string why;
  if (arena_end > plan.sram_budget_bytes)
    why = "activation arena needs " + format_bytes(arena_end) + " > SRAM budget " +
          format_bytes(plan.sram_budget_bytes) + " of " + board.sram_memory + " (short by " +
          format_bytes(arena_end - plan.sram_budget_bytes) + ")";
  if (weights_end > flash_size)
    why += std::string(why.empty() ? "" : "; ") + "weights need " + format_bytes(weights_end) + " > " +
           format_bytes(flash_size) + " of internal flash (" + board.memories[flash_board].name + ", short by " +
           format_bytes(weights_end - flash_size) + ")";
  if (!why.empty()) {
    not_fitting(plan, why, &scratch);
    return;
  }
  add_whole_ops(plan, net, "internal", &scratch.spare_parts);
}

}  // namespace tinyops
