// The cost model's kernel selector (kernel_kind, host core) against the firmware's own dispatch predicates
// (conv2d_dsp_applies, depthwise_conv2d_dsp_applies): on shapes either side of every rule, the kind the
// core costs is the kernel the firmware runs.
#include <gtest/gtest.h>

#include "kernel_cases.hpp"
#include "tinyops/kernel_cost.hpp"
#include "tinyops/rt/kernels.hpp"

namespace tinyops {
namespace {

TEST(FirmwareDispatch, TheCostModelCostsTheKernelTheFirmwareRuns) {
  static_assert(kMaxDspConvPatch == rt::kMaxConvPatch, "the DSP conv patch limit moved in the firmware");
  static_assert(kDepthwiseDspRingWords == rt::kDepthwiseDspRingWords, "the DSP depthwise ring moved in the firmware");
  static_assert(kDspConvSetUpWords == (rt::kConv2dOpStateBytes - 8) / 4, "the conv2d op state moved in the firmware");
  int cases = 0;
  for (OpKind kind : {OpKind::Conv2D, OpKind::DepthwiseConv2D})
    for (int kernel : {1, 3, 5, 7})
      for (int stride : {1, 2})
        for (int pad : {0, 1})
          for (int channels : {3, 4, 14, 16, 28, 29, 32, 256, 300}) {
            if (pad * 2 >= kernel && kernel > 1) continue;
            const fixtures::WindowCase c{
                kind, 9, 9, channels, kind == OpKind::Conv2D ? 8 : channels, kernel, stride, {pad, pad, pad, pad}};
            const Network net = fixtures::one_windowed_op(c);
            const KernelKind costed = kernel_kind(net, net.ops()[0]);
            rt::WindowGeometry g{kernel, kernel, stride, stride, 1, 1, pad, pad, 1, -128, 127};
            const rt::InputRows in{nullptr, 9, 9, channels, 0, 9, 0};
            if (kind == OpKind::Conv2D) {
              const bool dsp = rt::conv2d_dsp_applies(g, in);
              EXPECT_EQ(costed != KernelKind::ConvKxKReference, dsp) << kernel << "x" << kernel << " c" << channels;
              EXPECT_EQ(costed == KernelKind::Conv1x1, kernel == 1 && pad == 0);
            } else {
              const bool dsp = rt::depthwise_conv2d_dsp_applies(g, in);
              EXPECT_EQ(costed == KernelKind::DepthwiseDsp, dsp) << kernel << "x" << kernel << " c" << channels;
            }
            ++cases;
          }
  EXPECT_GT(cases, 200);
}

}  // namespace
}  // namespace tinyops
