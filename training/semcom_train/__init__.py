"""semcom's PyTorch reference: the SPADE-conditioned diffusion U-Net (GESCO/SDM layout),
the segmenter, the receiver's channel + FDS pipeline, training, export and golden vectors."""
