#pragma once
// The `optimal` strategy (ours, DESIGN.md execution strategy 4): per op, the choice with the lowest simulated
// latency among
//   - row partitioning from the overlay buffers (the published scheme, at its factor or a finer one),
//   - reading every operand in place from external memory (no copies: wins where DMA set-up and halo
//     re-copies cost more than the stalls they save),
//   - output-channel partitioning (weight streaming) for pointwise convs and fully connected layers: the
//     input copied once, filter slices streamed through two ping-pong buffers,
//   - output overlays: row parts written to two SRAM output buffers (from the SRAM the
//     tinyops buffers leave free under the budget) and DMA-copied out while the next part computes (the
//     search runs with and without those buffers, as they take the room of resident tensors: faster kept),
//   - keeping activations resident in the SRAM that is still free (resident_tensors.hpp): ops read and write
//     them in place, without copies or external-memory stalls,
// with cross-op prefetch wherever the next op's first input part already exists (and of its weights, bias and
// quant params where the buffers have room beside the previous op's). It starts from the tinyops
// plan (same buffers) and accepts changes only when the simulator says the whole network gets faster, so it
// is never slower than `tinyops` and never over the SRAM budget. Last, the fixed strategies' plans that fit are
// simulated too and the fastest plan of all is returned: never slower than `internal`, `external` or `tinyops`.
#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

struct OptimalOptions {
  // Row parts written to two SRAM output buffers and copied out while the next part computes, where the
  // simulator says it pays. The blob v2 executor runs them (copy_out transfers; DMA or CPU copy).
  bool output_overlays = true;
  // Cross-op param prefetch: an op's staged weights, bias and quant copied while the previous op's last part
  // computes, where they fit beside what that part reads (OverlayPlanner::prefetch_params); kept if faster.
  bool prefetch_params = true;
  // Activations kept resident in the SRAM the overlay buffers leave free (read and written in place, no copies);
  // the firmware runs them as tensors of its internal arena (BLOB_FORMAT.md, tensor record `memory` 1).
  bool resident_tensors = true;
  // The fixed strategies (kDominatedStrategies) planned too, and the fastest plan that fits kept, relabelled
  // "optimal" (ops "optimal:<its label>"): `optimal` is then never slower than any of them by construction.
  bool fixed_strategies = true;
};

// The strategies `optimal` is never slower than (when they fit the same board and budget).
inline constexpr const char* kDominatedStrategies[] = {"internal", "external", "tinyops"};

// When the overlay buffers do not fit the SRAM budget at all, every op runs in place (the `external` plan,
// relabelled): that plan needs no SRAM, so `optimal` always has a plan when `external` has one.
Plan plan_optimal(const Network& net, const Board& board, const OptimalOptions& options);
// The registered planner: default options.
Plan plan_optimal(const Network& net, const Board& board);

}  // namespace tinyops
