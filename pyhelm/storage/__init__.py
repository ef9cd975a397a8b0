"""Release storage drivers (secret, configmap, memory) and the release store."""
