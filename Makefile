# The two commands of the README: `make demo` (the main job on a fixture) and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh, idempotent).
.PHONY: deps build release demo test python-test fuzz bench fixtures install uninstall docs

# `make install PREFIX=/usr/local` (DESTDIR for packagers): the release binary in bin/, the
# models and pipelines in share/emopipe/, where the binary finds them (docs/models.md).
PREFIX ?= /usr/local
DESTDIR ?=
SHARE = $(DESTDIR)$(PREFIX)/share/emopipe

deps:
	@scripts/install-deps.sh

build: deps
	swift build

# The Swift runtime is linked in (--static-swift-stdlib): the binary needs only the Debian
# libraries scripts/install-deps.sh installs, wherever it is copied or installed. Every release
# build (Benchmarks/, scripts/) uses the same flags, so none rebuilds another's.
release: deps
	swift build -c release --static-swift-stdlib

demo: release
	.build/release/emopipe run Pipelines/av-affect.yaml Fixtures/face.mp4

test: deps
	swift build
	swift test
	$(MAKE) --no-print-directory python-test
	scripts/fuzz.py --quick --cases 270 --seed 1 --time 180 --keep .build/fuzz-findings
	scripts/test-install.sh

# The Python package (python/) installed into a virtual environment under .build/ with pytest,
# tested against the debug binary.
PYTHON_VENV = .build/python-venv
python-test: build
	@test -x $(PYTHON_VENV)/bin/python || python3 -m venv $(PYTHON_VENV)
	$(PYTHON_VENV)/bin/python -m pip install -q --disable-pip-version-check ./python pytest
	rm -rf python/build python/*.egg-info
	EMOPIPE_BINARY="$(CURDIR)/.build/debug/emopipe" $(PYTHON_VENV)/bin/python -m pytest -q -p no:cacheprovider python/tests

install: release
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(SHARE)"
	install -m 755 .build/release/emopipe "$(DESTDIR)$(PREFIX)/bin/emopipe"
	rm -rf "$(SHARE)/Models" "$(SHARE)/Pipelines"
	cp -R Models Pipelines "$(SHARE)/"
	chmod -R u=rwX,go=rX "$(SHARE)"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/emopipe"
	rm -rf "$(SHARE)"

# A long fuzz run over every input surface (scripts/fuzz.py; 2,700 cases, about 3 minutes):
# crashes and hangs are kept in fuzz-findings/.
fuzz: release
	scripts/fuzz.py --binary .build/release/emopipe --cases 2700 --seed $${SEED:-7} --time 3000 --jobs 2

# Rewrites the generated documentation (docs/stages.md); a test fails when it drifts.
docs: build
	.build/debug/emopipe stages --markdown > docs/stages.md

bench: release
	Benchmarks/run.sh

fixtures: deps
	Fixtures/make-fixtures.sh
