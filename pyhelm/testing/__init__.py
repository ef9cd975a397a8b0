"""What tests and library users need: the local control plane, fixtures, fakes."""
