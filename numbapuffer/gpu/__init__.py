"""device=\"cuda\": the same game code as CUDA kernels, the GPU env over them."""
