// Internal to kernels/cpu: the thread count every CPU kernel (ours and
// oneDNN's, which runs on the same OpenMP runtime) uses.
//
// OpenMP's thread count is a per-thread setting (omp_set_num_threads only
// changes the calling thread's), and the C API runs kernels on many caller
// threads, so cpu::set_num_threads stores the count globally and every kernel
// entry calls apply_num_threads(), which brings the calling thread in line.
#pragma once

namespace bte::cpu::detail {

// Sets the calling thread's OpenMP thread count to the global setting (a
// no-op when it already matches) and returns it.
int apply_num_threads();

}  // namespace bte::cpu::detail
