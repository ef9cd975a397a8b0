"""Releases: the model, status, and Helm's record codec."""
