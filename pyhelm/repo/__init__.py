"""Chart repositories: index, client, cache, HTTP server, OCI."""
