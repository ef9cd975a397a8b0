# One place for every developer and CI command. `make test` is the test command.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: venv test lint unit demo cluster-bins engine-bin seaweedfs-bin helmfile-bin unittest-bin flux-bins system-deps bench repo-index clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]' --config-settings editable_mode=compat
	$(PY) -m compileall -q pyhelm
	touch $@

venv: $(VENV)/.installed

lint: venv
	$(VENV)/bin/ruff check pyhelm tests bench examples
	$(VENV)/bin/mypy --strict pyhelm examples
	$(VENV)/bin/lint-imports

# Builds (or reuses from ~/.cache/pyhelm) the local control plane binaries.
cluster-bins: venv
	$(PY) -m pyhelm.testing.cluster build

# Builds (or reuses) helm-engine, Helm's own renderer for Go-template charts.
engine-bin: venv
	$(PY) -m pyhelm.testing.engine_build

# SeaweedFS's weed (tools/seaweedfs), the S3-compatible server of the storage tests.
# Cold: about 3 min and 2.7 GB; build it alone, not beside other Go builds.
seaweedfs-bin: venv
	$(PY) -m pyhelm.testing.seaweedfs_build

# helmfile v1.8.0 (tools/helmfile), a client of helm the tests point at pyhelm.
# Cold: about 4 min; build it alone, not beside other Go builds.
helmfile-bin: venv
	$(PY) -m pyhelm.testing.helmfile_build

# helm-unittest v1.1.2 (tools/helm-unittest), the plugin the tests install into pyhelm.
unittest-bin: venv
	$(PY) -m pyhelm.testing.unittest_build

# Flux's source-controller v1.9.6 (tools/source-controller), controller-gen v0.20.1
# (tools/controller-gen) and the flux CLI v2.9.5 (tools/flux), for the controller tests.
# Cold: about 20 min on a loaded 2-core machine; build them alone.
flux-bins: venv
	$(PY) -m pyhelm.testing.flux_build

# Debian's OCI registry (distribution 2.8) and htpasswd, for the registry tests.
system-deps:
	@command -v docker-registry >/dev/null && command -v htpasswd >/dev/null && \
	  command -v gpg >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	   apt-get install -y -qq docker-registry apache2-utils gnupg >/dev/null)

test: venv lint system-deps cluster-bins engine-bin seaweedfs-bin helmfile-bin unittest-bin flux-bins
	$(VENV)/bin/pytest -p no:cacheprovider tests

unit: venv engine-bin seaweedfs-bin
	$(VENV)/bin/pytest -p no:cacheprovider -m 'not cluster' tests

demo: venv cluster-bins engine-bin
	$(PY) -m pyhelm.testing.demo

bench: venv engine-bin
	$(PY) bench/run.py

repo-index: venv
	$(PY) tools/build_repo_index.py charts repo-index

clean:
	rm -rf $(VENV) build *.egg-info
