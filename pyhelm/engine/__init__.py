"""Rendering: the Jinja2 sandbox, filters, manifests, kind order, hooks. Pure."""
