// A kernel's dynamic shared memory, declared through one macro so that the
// CPU emulation of tests/cuda_emu/ can hand the same kernel source a buffer
// of its own (it defines BTE_DYNAMIC_SHARED before including the kernel).
#pragma once

#ifndef BTE_DYNAMIC_SHARED
#define BTE_DYNAMIC_SHARED(name) extern __shared__ __align__(128) unsigned char name[]
#endif
