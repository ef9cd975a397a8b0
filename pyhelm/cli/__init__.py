"""The pyhelm command: thin click commands over the actions."""
