"""Helm's plugins: what ``plugin.yaml`` says (both Helm 4's ``apiVersion: v1`` and the
legacy Helm 3 layout), where plugins are found, how their ``subprocess`` runtime runs
them, how they are installed, packaged and removed.

The package follows Helm 4.3's ``internal/plugin`` and its installer, so a plugin
directory is read, listed and run the same by ``helm`` and ``pyhelm``:

- ``metadata`` (with ``yaml_decode``): ``plugin.yaml`` read into one ``Metadata`` shape,
  validated as Helm does;
- ``loader``: the plugins of a path list of directories (``$HELM_PLUGINS``);
- ``runtime``: the platform command, ``$VAR`` expansion and the subprocess runs (CLI,
  hooks, getters, post-renderers);
- ``getters``: URLs of other schemes fetched by the plugin that declares the scheme;
- ``signing``: the PROVENANCE column of ``plugin list``;
- ``archive``, ``installer``, ``vcs``: tarballs in and out, installs from directories,
  tarballs and git, updates and removals.
"""
