#pragma once
// STM32F7 DMA2 memory-to-memory streams (RM0385 §8; only DMA2 can do memory-to-memory). Stream s copies
// from its peripheral-port address to its memory-port address through the FIFO, in chunks of up to
// 65535 items of the widest width both addresses and the length allow. Cache maintenance is the
// caller's (the port's) job.
#include <stdint.h>

namespace tinyops::rt::stm32f7::dma2 {

inline constexpr int kStreams = 2;  // DMA2 streams 0 and 1

void init();
// Starts the copy and returns; a copy still in flight on the stream is completed first.
void start(int stream, void* dst, const void* src, uint32_t bytes);
// Polls the stream until the whole copy has landed (starting its remaining chunks); false on a
// transfer error.
bool wait(int stream);

}  // namespace tinyops::rt::stm32f7::dma2
