// Writes the fuzz target's seed corpus: valid blobs of the test network (in place and partitioned,
// padded to an even size so that the fuzzer's CRC repair applies to them).
#include <cstdio>
#include <string>

#include "blob_builder.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  int written = 0;
  for (int variant = 0; variant < 4; ++variant) {
    auto net = tinyops::rt::test::build_test_network(100 + variant, variant % 2 == 1, 2 + variant);
    if (net.blob.size() % 2) net.blob.push_back(0);
    const std::string path = std::string(argv[1]) + "/seed" + std::to_string(variant) + ".blob";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(net.blob.data(), 1, net.blob.size(), f) != net.blob.size()) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
    std::fclose(f);
    ++written;
  }
  std::printf("%d seeds in %s\n", written, argv[1]);
  return 0;
}
