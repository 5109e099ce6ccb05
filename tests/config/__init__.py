"""Tests of the branch files and runtime settings (shared.config)."""
