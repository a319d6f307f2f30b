"""Models: locating and loading them, the transformers and CTranslate2 backends, batching and packing."""
