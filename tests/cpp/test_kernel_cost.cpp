// The kernel cost model: the kernel each op runs (the firmware's dispatch, restated) and its features per part,
// against hand-counted loop iterations of the firmware kernels.
#include <gtest/gtest.h>

#include "kernel_cases.hpp"
#include "tinyops/kernel_cost.hpp"

namespace tinyops {
namespace {

using fixtures::WindowCase;
using T = CostTerm;

Part rows(int begin, int end, int channels) {
  Part p;
  p.out_row_begin = begin, p.out_row_end = end;
  p.out_channel_begin = 0, p.out_channel_end = channels;
  return p;
}

CostFeatures features_of(const WindowCase& c, int row_begin, int row_end) {
  const Network net = fixtures::one_windowed_op(c);
  return kernel_features(op_geometry(net, net.ops()[0]), rows(row_begin, row_end, c.out_c));
}

TEST(KernelKind, FollowsTheFirmwareDispatch) {
  struct Expect {
    WindowCase c;
    KernelKind kind;
  };
  const Padding none{}, one{1, 1, 1, 1};
  for (const Expect& e : {
           Expect{{OpKind::Conv2D, 8, 8, 300, 8, 1, 2, none}, KernelKind::Conv1x1},         // pointwise: any depth
           Expect{{OpKind::Conv2D, 8, 8, 28, 8, 3, 1, one}, KernelKind::ConvKxKDsp},        // 3*3*28 = 252 <= 256
           Expect{{OpKind::Conv2D, 8, 8, 29, 8, 3, 1, one}, KernelKind::ConvKxKReference},  // 261 > 256
           Expect{{OpKind::Conv2D, 8, 8, 16, 8, 1, 1, one}, KernelKind::ConvKxKDsp},        // padded 1x1: patches
           Expect{{OpKind::DepthwiseConv2D, 8, 8, 12, 12, 3, 2, one}, KernelKind::DepthwiseDsp},
           Expect{{OpKind::DepthwiseConv2D, 8, 8, 14, 14, 3, 1, one}, KernelKind::DepthwiseReference},  // 14 % 4
           Expect{{OpKind::DepthwiseConv2D, 8, 8, 16, 16, 5, 1, {2, 2, 2, 2}}, KernelKind::DepthwiseDsp},
           Expect{{OpKind::DepthwiseConv2D, 8, 8, 16, 16, 7, 2, {3, 3, 3, 3}}, KernelKind::DepthwiseDsp},
           Expect{{OpKind::DepthwiseConv2D, 8, 8, 14, 14, 5, 1, {2, 2, 2, 2}}, KernelKind::DepthwiseReference},
       }) {
    const Network net = fixtures::one_windowed_op(e.c);
    EXPECT_EQ(kernel_kind(net, net.ops()[0]), e.kind) << to_string(e.kind) << " in_c " << e.c.in_c;
  }
}

TEST(KernelFeatures, DspConvPairsPixelsAcrossRowsAndComputesOddChannelsTwice) {
  // 3x3 conv, 5x5x6 -> 5x5x5 ('same'), rows 1-2: depth 54 = 14 groups of 4 (rounded up); 10 pixels = 5 pairs
  // in raster order; 5 channels computed as 6; one block of 32 (the widened block, 1024 / 56 * 2 = 36, is
  // larger). 5 pairs >= 4: KxK patches widen their weights too.
  const WindowCase c{OpKind::Conv2D, 5, 5, 6, 5, 3, 1, {1, 1, 1, 1}};
  const CostFeatures f = features_of(c, 1, 3);
  EXPECT_EQ(f[int(T::Call)], 1);
  EXPECT_EQ(f[int(T::Output)], 2 * 5 * 5);
  EXPECT_EQ(f[int(T::Mac)], 5 * 2 * 6 * 14 * 4);
  EXPECT_EQ(f[int(T::OutputRow)], 2);
  EXPECT_EQ(f[int(T::Channel)], 0);  // a row part after the first: its one block is held set up
  EXPECT_EQ(f[int(T::PixelBlock)], 5);
  EXPECT_EQ(f[int(T::InputGroup)], 5 * 14);
  EXPECT_EQ(f[int(T::GatherTap)], 10 * 9);  // every pixel gathers its 9 taps
  EXPECT_EQ(f[int(T::Weight)], 0);          // and widened (the first part: 3 channel pairs once)
  EXPECT_EQ(features_of(c, 0, 2)[int(T::Weight)], 6 * 14 * 4);
  EXPECT_EQ(f[int(T::RawMac)], 0);
  EXPECT_EQ(f[int(T::WidenedTile)], 5 * 3);  // 14 groups: the general widened loop, per pixel and channel pair
  EXPECT_EQ(f[int(T::RowVisit)], 0);         // not a term of this kind
  // Row 1 alone: 5 pixels = 2 pairs (raw loop: < 4) and a lone pixel, whose single-pixel loop runs its 5
  // channels once (4 at a time, the fifth in plain C); it is gathered and expanded like a pair.
  const CostFeatures row = features_of(c, 1, 2);
  EXPECT_EQ(row[int(T::Mac)], 2 * 2 * 6 * 14 * 4 + 5 * 14 * 4);
  EXPECT_EQ(row[int(T::RawMac)], 2 * 2 * 6 * 14 * 4);
  EXPECT_EQ(row[int(T::LoneMac)], 4 * 14 * 4);
  EXPECT_EQ(row[int(T::LoneTailMac)], 1 * 14 * 4);
  EXPECT_EQ(row[int(T::WidenedTile)], 0);
  EXPECT_EQ(row[int(T::Weight)], 0);
  EXPECT_EQ(row[int(T::PixelBlock)], 3);
  EXPECT_EQ(row[int(T::InputGroup)], 3 * 14);
  EXPECT_EQ(row[int(T::GatherTap)], 5 * 9);
}

TEST(KernelFeatures, DspConvWidenedBlocksHoldTheirWeights) {
  // 3x3 conv, 4x4x28 -> 11 ('same'): depth 252 = 63 groups; widened blocks of 1024 / 252 * 2 = 8 channels, so
  // 11 channels run as blocks of 8 and 3, the 3 computed as 4.
  const WindowCase c{OpKind::Conv2D, 4, 4, 28, 11, 3, 1, {1, 1, 1, 1}};
  const CostFeatures whole = features_of(c, 0, 4);  // 16 pixels = 8 pairs: widened
  EXPECT_EQ(whole[int(T::Mac)], 8 * 2 * 12 * 63 * 4);
  EXPECT_EQ(whole[int(T::Weight)], 12 * 63 * 4);
  EXPECT_EQ(whole[int(T::RawMac)], 0);
  EXPECT_EQ(whole[int(T::WidenedTile)], 8 * (4 + 2));  // channel pairs of the blocks of 8 and 3 (as 4)
  EXPECT_EQ(whole[int(T::PixelBlock)], 8 * 2);
  EXPECT_EQ(whole[int(T::InputGroup)], 8 * 2 * 63);
  EXPECT_EQ(whole[int(T::GatherTap)], 16 * 2 * 9);
  const CostFeatures row = features_of(c, 0, 1);  // 2 pairs: raw, one block of 32 (11 computed as 12)
  EXPECT_EQ(row[int(T::Mac)], 2 * 2 * 12 * 63 * 4);
  EXPECT_EQ(row[int(T::RawMac)], 2 * 2 * 12 * 63 * 4);
  EXPECT_EQ(row[int(T::Weight)], 0);
  EXPECT_EQ(row[int(T::PixelBlock)], 2);
  EXPECT_EQ(row[int(T::GatherTap)], 4 * 9);
}

TEST(KernelFeatures, PointwiseCallsWidenTheirWeightsOnlyWithEnoughPixelPairs) {
  // 1x1, 4x4x24 -> 10: 6 groups; the whole op is 8 pixel pairs (widened), one row is 2 (raw loop).
  const WindowCase c{OpKind::Conv2D, 4, 4, 24, 10, 1, 1, {}};
  const CostFeatures whole = features_of(c, 0, 4), row = features_of(c, 0, 1);
  EXPECT_EQ(whole[int(T::Mac)], 8 * 2 * 10 * 6 * 4);
  EXPECT_EQ(whole[int(T::Weight)], 10 * 24);
  EXPECT_EQ(whole[int(T::RawMac)], 0);
  EXPECT_EQ(whole[int(T::WidenedTile)], 8 * 5);
  EXPECT_EQ(row[int(T::Weight)], 0);
  EXPECT_EQ(row[int(T::RawMac)], 2 * 2 * 10 * 24);
  EXPECT_EQ(whole[int(T::GatherTap)], 0);  // 1x1 reads pixels in place
}

TEST(KernelFeatures, RowPartsAfterTheFirstFindTheirBlocksSetUp) {
  // The executor keeps a conv2d op's block set-up between its row parts (rt::Conv2dOpState: 1198 words, an entry
  // of 166 header words plus the widened weights): a later row part sets up only the blocks the state cannot hold.
  // 1x1, 16x16x8 -> 80: 2 groups, widened blocks of 32 (32, 32, 16): entries of 166 + 2 * 2 * 32 = 294 words,
  // 4 of them: all 3 blocks held.
  const WindowCase small{OpKind::Conv2D, 16, 16, 8, 80, 1, 1, {}};
  const CostFeatures first = features_of(small, 0, 8), later = features_of(small, 8, 16);
  EXPECT_EQ(first[int(T::Channel)], 80);
  EXPECT_EQ(first[int(T::Weight)], 80 * 8);
  EXPECT_EQ(later[int(T::Channel)], 0);
  EXPECT_EQ(later[int(T::Weight)], 0);
  EXPECT_EQ(later[int(T::Mac)], first[int(T::Mac)]);  // the work itself is the same
  // 1x1, 8x8x72 -> 100: 18 groups, widened blocks of 1024 / 72 * 2 = 28 (28, 28, 28, 16): an entry is
  // 166 + 2 * 18 * 28 = 1174 words, so the state holds one block.
  const WindowCase deep{OpKind::Conv2D, 8, 8, 72, 100, 1, 1, {}};
  const CostFeatures held_one = features_of(deep, 4, 8);
  EXPECT_EQ(held_one[int(T::Channel)], 100 - 28);
  EXPECT_EQ(held_one[int(T::Weight)], (100 - 28) * 72);
  // 1x1, 2x2x60 -> 180, one row a part: 1 pair, not widened; 6 blocks of 166 words, 7 entries: all held.
  const WindowCase tiny{OpKind::Conv2D, 2, 2, 60, 180, 1, 1, {}};
  EXPECT_EQ(features_of(tiny, 0, 1)[int(T::Channel)], 180);
  EXPECT_EQ(features_of(tiny, 1, 2)[int(T::Channel)], 0);
  // A channel part computes other filters: nothing held.
  const Network net = fixtures::one_windowed_op(small);
  Part channels = rows(8, 16, 80);
  channels.out_channel_begin = 32;
  EXPECT_EQ(kernel_features(op_geometry(net, net.ops()[0]), channels)[int(T::Channel)], 48);
}

TEST(KernelFeatures, WidenedCallsOfOneToFourGroupsRunTheUnrolledLoops) {
  // 1x1, 4x4x12 -> 10: 3 groups, 8 pixel pairs (widened): accumulate_pair_widened_small<3>, no per-tile set-up.
  const CostFeatures f = features_of({OpKind::Conv2D, 4, 4, 12, 10, 1, 1, {}}, 0, 4);
  EXPECT_EQ(f[int(T::Mac)], 8 * 2 * 10 * 3 * 4);
  EXPECT_EQ(f[int(T::Weight)], 10 * 12);
  EXPECT_EQ(f[int(T::WidenedTile)], 0);
  // 17 groups: the general loop, 8 pixel pairs x 5 channel pairs.
  EXPECT_EQ(features_of({OpKind::Conv2D, 4, 4, 68, 10, 1, 1, {}}, 0, 4)[int(T::WidenedTile)], 8 * 5);
}

TEST(KernelFeatures, LonePixelRunsItsChannelsOnceOnTheSinglePixelLoop) {
  // 1x1, 3x3x24 -> 5: 9 pixels = 4 pairs + a lone pixel, 5 pairs in all (widened). The pairs compute the odd
  // channel twice (6); the lone pixel's single-pixel loop runs exactly 5 channels, sign-extending in the loop:
  // 4 filters at a time, the fifth in plain C.
  const CostFeatures f = features_of({OpKind::Conv2D, 3, 3, 24, 5, 1, 1, {}}, 0, 3);
  EXPECT_EQ(f[int(T::Mac)], 4 * 2 * 6 * 24 + 5 * 24);
  EXPECT_EQ(f[int(T::Weight)], 6 * 24);
  EXPECT_EQ(f[int(T::RawMac)], 0);
  EXPECT_EQ(f[int(T::LoneMac)], 4 * 24);
  EXPECT_EQ(f[int(T::LoneTailMac)], 1 * 24);
  EXPECT_EQ(f[int(T::WidenedTile)], 4 * 3);  // the 4 pairs' 3 channel pairs (6 groups: the general loop)
  EXPECT_EQ(f[int(T::PixelBlock)], 5);
  EXPECT_EQ(f[int(T::InputGroup)], 5 * 6);
  // A 1x1 map (the classifier's last convolution): one lone pixel, nothing paired.
  const CostFeatures one = features_of({OpKind::Conv2D, 1, 1, 40, 7, 1, 1, {}}, 0, 1);
  EXPECT_EQ(one[int(T::Mac)], 7 * 40);
  EXPECT_EQ(one[int(T::RawMac)], 0);
  EXPECT_EQ(one[int(T::LoneMac)], 4 * 40);
  EXPECT_EQ(one[int(T::LoneTailMac)], 3 * 40);
  EXPECT_EQ(one[int(T::Weight)], 0);
  EXPECT_EQ(one[int(T::PixelBlock)], 1);
  // 1x1, 3x3x192 -> 25: 48 groups, widened blocks of 1024 / 192 * 2 = 10 channels (10, 10, 5): the lone
  // pixel's plain-C channels are each block's count % 4, 2 + 2 + 1.
  const CostFeatures deep = features_of({OpKind::Conv2D, 3, 3, 192, 25, 1, 1, {}}, 0, 3);
  EXPECT_EQ(deep[int(T::LoneMac)], 20 * 192);
  EXPECT_EQ(deep[int(T::LoneTailMac)], 5 * 192);
  EXPECT_EQ(deep[int(T::WidenedTile)], 4 * (5 + 5 + 3));
}

TEST(KernelFeatures, DeepPointwiseFiltersTileWithinRows) {
  // 1x1, 3x3x480 -> 5: deeper than 384, the deep path: per row 1 pair + 1 lone pixel, 2 channel pairs + 1.
  const CostFeatures f = features_of({OpKind::Conv2D, 3, 3, 480, 5, 1, 1, {}}, 0, 3);
  const double tile_outputs = 3 * 2 * 4;
  EXPECT_EQ(f[int(T::Mac)], 9 * 5 * 480);
  EXPECT_EQ(f[int(T::DeepMac)], tile_outputs * 480);
  EXPECT_EQ(f[int(T::TailMac)], 0);
  EXPECT_EQ(f[int(T::OddMac)], (45 - tile_outputs) * 480);
  EXPECT_EQ(f[int(T::Weight)], (5 + 1) * 480);  // the input zero point folded per call, the odd copy's too
  EXPECT_EQ(f[int(T::PixelBlock)], 3 * 2);
  EXPECT_EQ(f[int(T::InputGroup)], 0);
}

TEST(KernelFeatures, ReferenceKernelsCountOnlyTapsInsideTheInput) {
  // 7x7 depthwise on a 2x2 map ('same', pad 3): each output sees the 2x2 input only, 4 taps of 49.
  const CostFeatures dw = features_of({OpKind::DepthwiseConv2D, 2, 2, 6, 6, 7, 1, {3, 3, 3, 3}}, 0, 2);
  EXPECT_EQ(dw[int(T::Mac)], 4 * 4 * 6);
  EXPECT_EQ(dw[int(T::RowVisit)], 4 * 6 * 7);  // the ky loop runs kernel_h times per output
  // 3x3 conv, stride 1, pad 1 on 4x4: rows 0 and 3 see 2 kernel rows, rows 1, 2 see 3; same for columns.
  const CostFeatures conv = features_of({OpKind::Conv2D, 4, 4, 32, 3, 3, 1, {1, 1, 1, 1}}, 0, 1);
  EXPECT_EQ(conv[int(T::Mac)], 2 * (2 + 3 + 3 + 2) * 32 * 3);
}

TEST(KernelFeatures, DspDepthwiseGathersRowsOnceAndRunsEveryTap) {
  // 3x3, stride 1, pad 1 on 4x4x8, output rows 0-1: all 9 taps of 8 windows x 8 channels; input rows -1..2
  // x columns -1..4 gathered (one strip: the ring holds 170 columns of 3 rows), of which rows 0..2 x columns
  // 0..3 from the input and the rest padding (zeros).
  const WindowCase c{OpKind::DepthwiseConv2D, 4, 4, 8, 8, 3, 1, {1, 1, 1, 1}};
  const CostFeatures top = features_of(c, 0, 2), all = features_of(c, 0, 4);
  EXPECT_EQ(top[int(T::Mac)], 2 * 4 * 9 * 8);
  EXPECT_EQ(top[int(T::GatherTap)], 3 * 4 * 8);
  EXPECT_EQ(top[int(T::PaddingTap)], (4 * 6 - 3 * 4) * 8);
  EXPECT_EQ(all[int(T::GatherTap)], 4 * 4 * 8);
  EXPECT_EQ(all[int(T::PaddingTap)], (6 * 6 - 4 * 4) * 8);
  EXPECT_EQ(all[int(T::ChannelRow)], 4 * 8);
  EXPECT_EQ(all[int(T::RowVisit)], 4 * 8 * 3);  // the K ring slots checked per output row
  EXPECT_EQ(all[int(T::Channel)], 8);
  EXPECT_EQ(all[int(T::Weight)], 8 * 9);  // each group's weights sign-extended once per call
  EXPECT_EQ(all[int(T::BorderWindow)], 0);
  // 7x7, stride 2 on 160 columns ('same': 80 outputs): the ring holds 1024 / 14 = 73 columns, so strips of
  // (73 - 7) / 2 + 1 = 34 outputs: 34, 34 and 12, gathering columns -2..70, 66..138 and 134..162 (71, 73 and
  // 26 inside the input); rows 0-2 gather 2 * 2 + 7 = 11 input rows, -2..8 (9 inside).
  const CostFeatures wide = features_of({OpKind::DepthwiseConv2D, 10, 160, 4, 4, 7, 2, {2, 2, 3, 3}}, 0, 3);
  EXPECT_EQ(wide[int(T::GatherTap)], 9 * (71 + 73 + 26) * 4);
  EXPECT_EQ(wide[int(T::PaddingTap)], (11 * (73 + 73 + 29) - 9 * (71 + 73 + 26)) * 4);
  EXPECT_EQ(wide[int(T::ChannelRow)], 3 * 4 * 3);
  EXPECT_EQ(wide[int(T::RowVisit)], 3 * 4 * 3 * 7);
  EXPECT_EQ(wide[int(T::Mac)], 3 * 80 * 49 * 4);
  EXPECT_EQ(wide[int(T::BorderTap)], 0);
  // 5x5, pad 2 on 4x4x8 (narrower than the kernel): no ring; rows see 3, 4, 4, 3 taps, and so do columns;
  // each of the 16 windows x 8 channels sets up its loops over its kernel rows inside (14 per column of
  // windows).
  const CostFeatures tiny = features_of({OpKind::DepthwiseConv2D, 4, 4, 8, 8, 5, 1, {2, 2, 2, 2}}, 0, 4);
  EXPECT_EQ(tiny[int(T::BorderTap)], 14 * 14 * 8);
  EXPECT_EQ(tiny[int(T::BorderWindow)], 16 * 8);
  EXPECT_EQ(tiny[int(T::RowVisit)], 14 * 4 * 8);
  EXPECT_EQ(tiny[int(T::Mac)], 0);
  EXPECT_EQ(tiny[int(T::GatherTap)], 0);
  EXPECT_EQ(tiny[int(T::PaddingTap)], 0);
  EXPECT_EQ(tiny[int(T::ChannelRow)], 4 * 8);
  EXPECT_EQ(tiny[int(T::Weight)], 25 * 8);  // every tap is inside some window's reach
  EXPECT_EQ(all[int(T::Weight)], 9 * 8);    // the ring: all K*K taps per channel group
}

TEST(KernelFeatures, DspDepthwiseOnASmallMapSignExtendsOnlyTapsInside) {
  // 7x7, pad 3 on 2x2x8: the windows start at rows and columns -3 and -2, so they reach kernel rows and columns
  // 2..4 only: 9 of 49 taps per channel group; output row 0 alone reaches kernel rows 3..4 (6 taps).
  const WindowCase c{OpKind::DepthwiseConv2D, 2, 2, 8, 8, 7, 1, {3, 3, 3, 3}};
  EXPECT_EQ(features_of(c, 0, 2)[int(T::Weight)], 9 * 8);
  EXPECT_EQ(features_of(c, 0, 1)[int(T::Weight)], 6 * 8);
  // 7x7, stride 2, 'same' on 4x4 (pad 2 top/left): windows start at -2 and 0, reaching kernel rows 0..5.
  const CostFeatures s2 = features_of({OpKind::DepthwiseConv2D, 4, 4, 8, 8, 7, 2, {2, 2, 3, 3}}, 0, 2);
  EXPECT_EQ(s2[int(T::Weight)], 6 * 6 * 8);
}

TEST(KernelFeatures, FusedHardSwishTabulatesOncePerOpAndLooksEveryOutputUp) {
  fixtures::WindowCase c{OpKind::Conv2D, 4, 4, 8, 6, 1, 1, {}};
  Network net = fixtures::one_windowed_op(c);
  Network swished("swished");
  const int in = swished.add_input({4, 4, 8});
  Op op = net.ops()[0];
  op.inputs = {in};
  op.act = Activation::HardSwish;
  swished.mark_output(swished.op(swished.add_op(op, 6)).output);
  const OpGeometry g = op_geometry(swished, swished.ops()[0]);
  const CostFeatures first = kernel_features(g, rows(0, 2, 6)), second = kernel_features(g, rows(2, 4, 6));
  EXPECT_EQ(first[int(T::ActivationTable)], 1);
  EXPECT_EQ(second[int(T::ActivationTable)], 0);
  EXPECT_EQ(first[int(T::ActivationOutput)], 2 * 4 * 6);
  const CostFeatures plain = kernel_features(op_geometry(net, net.ops()[0]), rows(0, 2, 6));
  EXPECT_EQ(plain[int(T::ActivationTable)], 0);
  EXPECT_EQ(plain[int(T::ActivationOutput)], 0);
}

// The op of `c` (stride 1, "same") with the given requantization shares and activation range, all its rows.
CostFeatures requant_features_of(const WindowCase& c, double general, double left, bool clamped) {
  Network net = fixtures::one_windowed_op(c);
  Network requantized("requantized");
  Op op = net.ops()[0];
  op.inputs = {requantized.add_input({c.h, c.w, c.in_c})};
  op.slow_requant_share = general, op.left_shift_share = left, op.clamped_activation = clamped;
  requantized.mark_output(requantized.op(requantized.add_op(op, c.out_c)).output);
  return kernel_features(op_geometry(requantized, requantized.ops()[0]), rows(0, c.h, c.out_c));  // stride 1, "same"
}

TEST(KernelFeatures, DspKernelsCostEachRequantizationPathAndTheClamp) {
  // 1x1, 4x4x8 -> 10: 160 outputs on the expanded path. 3 of 10 channels left shifts, 1 general.
  const WindowCase pointwise{OpKind::Conv2D, 4, 4, 8, 10, 1, 1, {}};
  const CostFeatures narrow = requant_features_of(pointwise, 0.1, 0.3, true);
  EXPECT_DOUBLE_EQ(narrow[int(T::SlowOutput)], 16);
  EXPECT_DOUBLE_EQ(narrow[int(T::LeftShiftOutput)], 48);
  EXPECT_DOUBLE_EQ(narrow[int(T::ClampedOutput)], 160);  // a narrow range: every output clamped
  // The full int8 range: the fast and left-shift paths saturate by SSAT, the general path still clamps.
  const CostFeatures full = requant_features_of(pointwise, 0.1, 0.3, false);
  EXPECT_DOUBLE_EQ(full[int(T::ClampedOutput)], 16);
  EXPECT_DOUBLE_EQ(full[int(T::LeftShiftOutput)], 48);
  // 3x3 DSP depthwise, 4x4x8 ('same'): 128 outputs, the same paths.
  const CostFeatures dw = requant_features_of({OpKind::DepthwiseConv2D, 4, 4, 8, 8, 3, 1, {1, 1, 1, 1}}, 0, 1, false);
  EXPECT_DOUBLE_EQ(dw[int(T::LeftShiftOutput)], 128);
  EXPECT_DOUBLE_EQ(dw[int(T::SlowOutput)], 0);
  EXPECT_DOUBLE_EQ(dw[int(T::ClampedOutput)], 0);
  // The deep path (1x1, 2x2x480 -> 4: 16 outputs) has no left-shift path and always clamps.
  const CostFeatures deep = requant_features_of({OpKind::Conv2D, 2, 2, 480, 4, 1, 1, {}}, 0.25, 0.5, false);
  EXPECT_DOUBLE_EQ(deep[int(T::SlowOutput)], 12);
  EXPECT_DOUBLE_EQ(deep[int(T::LeftShiftOutput)], 0);
  EXPECT_DOUBLE_EQ(deep[int(T::ClampedOutput)], 16);
  // The reference kernels' one requantization: every channel off the fast path, no clamp term.
  const CostFeatures ref =
      requant_features_of({OpKind::DepthwiseConv2D, 4, 4, 6, 6, 3, 1, {1, 1, 1, 1}}, 0.5, 0.5, true);
  EXPECT_DOUBLE_EQ(ref[int(T::SlowOutput)], 96);
  EXPECT_DOUBLE_EQ(ref[int(T::LeftShiftOutput)], 0);
  EXPECT_DOUBLE_EQ(ref[int(T::ClampedOutput)], 0);
}

TEST(KernelCost, ComputeCyclesIsTheDotProductOfTermsAndFeatures) {
  KernelCost cost;
  cost.term(T::Call).value = 100;
  cost.term(T::Mac).value = 0.5;
  cost.term(T::GatherTap).value = 7;
  CostFeatures f{};
  f[int(T::Call)] = 2, f[int(T::Mac)] = 1000, f[int(T::GatherTap)] = 3, f[int(T::Output)] = 50;
  EXPECT_DOUBLE_EQ(compute_cycles(cost, f), 200 + 500 + 21);
}

}  // namespace
}  // namespace tinyops
