"""Reconciles Flux HelmRelease objects (``helm.toolkit.fluxcd.io/v2``) with pyhelm's
actions: ``reconcile_release`` is one typed step, ``loop.Controller`` the watch and work
queue around it (``pyhelm controller``)."""
