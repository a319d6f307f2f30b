"""What a run leaves on disk: atomic writes, run folders and manifests, the stage cache, article selection."""
