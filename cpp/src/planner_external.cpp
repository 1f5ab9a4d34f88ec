// Strategy 2, "external": arena and weights in external memory (SDRAM); the CPU reads and writes them in
// place through its data cache. No SRAM staging: the simulator charges the memory stalls.
#include "tinyops/memory_planner.hpp"
#include "tinyops/planner.hpp"

namespace tinyops {

Plan plan_external(const Network& net, const Board& board) { return plan_value<plan_external_into>(net, board); }

void plan_external_into(const Network& net, const Board& board, Plan& plan, PlannerScratch& scratch) {
  if (place_in_external(net, board, "external", plan, scratch))
    add_whole_ops(plan, net, "external", &scratch.spare_parts);
}

bool place_in_external(const Network& net, const Board& board, const std::string& strategy, Plan& plan,
                       PlannerScratch& scratch) {
  start_plan(plan, net, board, strategy, &scratch);
  const int ext_board = board.first_memory_of_kind(MemoryKind::External);
  if (ext_board < 0) {
    not_fitting(plan, "board " + board.name + " has no external memory", &scratch);
    return false;
  }
  const int ext = use_memory(plan, board, ext_board);

  const int64_t arena_end = place_arena(plan, net, ext, 0, scratch.arena);
  const int64_t end = place_params(net, ext, align_to(arena_end, kArenaAlignment), plan.op_params);
  const int64_t size = plan.memory_sizes[ext];
  if (end > size) {
    not_fitting(plan,
                "arena + weights need " + format_bytes(end) + " > " + format_bytes(size) + " of external memory (" +
                    board.memories[ext_board].name + ", short by " + format_bytes(end - size) + ")",
                &scratch);
    return false;
  }
  return true;
}

}  // namespace tinyops
