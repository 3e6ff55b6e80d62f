// Elementwise and row-wise f32 operations of a forward pass, computed the way
// llama.cpp's CPU backend does (double sums for norms and softmax) so that
// results track the reference fixtures. Pure functions on caller-owned
// buffers; `y` may alias `x` unless noted. Thread-safe.
#pragma once

#include <cstdint>

namespace teamvl::engine {

// y = x / sqrt(mean(x^2) + eps) * weight   (weight may be nullptr: no scaling).
void rmsnorm(const float* x, const float* weight, float* y, int64_t n, float eps);

// y = (x - mean) / sqrt(var + eps) * weight + bias  (weight/bias may be nullptr).
void layernorm(const float* x, const float* weight, const float* bias, float* y, int64_t n,
               float eps);

// In place: x = exp(x - max) / sum. An all -inf row becomes all zeros.
void softmax(float* x, int64_t n);

// y = x * sigmoid(x).
void silu(const float* x, float* y, int64_t n);
// y = silu(gate) * up: the SwiGLU of an FFN (y may alias gate or up).
void swiglu(const float* gate, const float* up, float* y, int64_t n);

// GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
void gelu_tanh(const float* x, float* y, int64_t n);
// The same GELU as ggml's table variant: the input rounded to f16, the result
// rounded to f16, x <= -10 -> 0 and x >= 10 -> x (what llama.cpp's CPU backend
// computes when built with GGML_GELU_FP16, its default).
void gelu_tanh_f16_table(const float* x, float* y, int64_t n);

// y = a + b, y = a * b, y = x * s.
void add(const float* a, const float* b, float* y, int64_t n);
void mul(const float* a, const float* b, float* y, int64_t n);
void scale(const float* x, float s, float* y, int64_t n);

}  // namespace teamvl::engine
