"""The neural reader: a fine-tuned e5-small span model (weights in `weights/`, trained by `training/`)."""
