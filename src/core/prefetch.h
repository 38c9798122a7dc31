// core/prefetch: a memory hint (fetch this address's cache line, change nothing), for code
// that reads ahead of where it works. Depends on: nothing.
#pragma once

namespace og {

// g++ 12 silently drops some __builtin_prefetch calls (two in a row into different vectors
// came out as nothing at -O2), so on x86 the instruction is written out. A prefetch never
// faults: any address may be given, also one past the end or of nothing at all.
inline void prefetch(const void* address) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ volatile("prefetcht0 (%0)" : : "r"(address));
#else
  __builtin_prefetch(address);
#endif
}

}  // namespace og
