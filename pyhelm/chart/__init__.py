"""Charts: the model, loading from disk or archive, values, dependencies."""
