// Writes the fuzz target's seed corpus: valid blobs of the two test networks, between them every op kind, in
// place and partitioned, and of the first with its constants in a flash image; padded to an even size so that
// the fuzzer's CRC repair applies to them. Each seed is loaded first: a seed the loader refuses would only
// exercise its first checks.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "blob_builder.hpp"
#include "tinyops/rt/runtime.hpp"

namespace {

using tinyops::rt::test::TestNetwork;

bool loads(const TestNetwork& net, const std::string& name) {
  using namespace tinyops::rt;
  std::vector<uint32_t> blob((net.blob.size() + 3) / 4), external(net.external_bytes / 4 + 1),
      internal(net.internal_bytes / 4 + 1);  // uint32 storage: 4-byte aligned
  std::memcpy(blob.data(), net.blob.data(), net.blob.size());
  const auto* file = reinterpret_cast<const uint8_t*>(blob.data());
  const FlashImage flash = flash_image_in_file(file, static_cast<uint32_t>(net.blob.size()));
  const Arenas arenas{reinterpret_cast<uint8_t*>(external.data()),
                      net.external_bytes,
                      reinterpret_cast<uint8_t*>(internal.data()),
                      net.internal_bytes,
                      flash.data,
                      flash.bytes};
  Model model;
  LoadError error;
  const Status status = load_model(file, static_cast<uint32_t>(net.blob.size()), arenas, &model, &error);
  if (status == Status::kOk) return true;
  std::fprintf(stderr, "%s does not load: %s (%s %u: %s)\n", name.c_str(), to_string(status), error.table,
               static_cast<unsigned>(error.index), error.field);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  using Builder = TestNetwork (*)(uint32_t seed, bool partitioned, int parts);
  // The third: the test network with its constants in the flash image that follows the blob (as `internal`
  // plans weights in internal flash); the fuzz target hands what follows a blob to the loader as its flash slot.
  const auto in_flash = [](uint32_t seed, bool partitioned, int parts) {
    namespace test = tinyops::rt::test;
    test::Plan plan = test::make_test_plan(seed, partitioned, parts);
    plan.constants_in_flash = true;
    return TestNetwork{test::build(plan), plan.external_bytes, plan.internal_bytes};
  };
  const Builder networks[] = {tinyops::rt::test::build_test_network, tinyops::rt::test::build_new_ops_network,
                              in_flash};
  const char* names[] = {"seed", "new_ops_seed", "flash_seed"};
  int written = 0;
  for (int n = 0; n < 3; ++n) {
    for (int variant = 0; variant < 4; ++variant) {
      auto net = networks[n](100 + variant, variant % 2 == 1, 2 + variant);
      const std::string path = std::string(argv[1]) + "/" + names[n] + std::to_string(variant) + ".blob";
      if (!loads(net, path)) return 1;
      if (net.blob.size() % 2) net.blob.push_back(0);
      FILE* f = std::fopen(path.c_str(), "wb");
      if (!f || std::fwrite(net.blob.data(), 1, net.blob.size(), f) != net.blob.size()) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
      std::fclose(f);
      ++written;
    }
  }
  std::printf("%d seeds in %s\n", written, argv[1]);
  return 0;
}
