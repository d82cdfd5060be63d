# The two commands of the README: `make demo` (the main job on a fixture) and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh, idempotent).
.PHONY: deps build release demo test bench fixtures

deps:
	@scripts/install-deps.sh

build: deps
	swift build

release: deps
	swift build -c release

demo: release
	.build/release/emopipe run Pipelines/av-affect.yaml Fixtures/face.mp4

test: deps
	swift build
	swift test

bench: release
	Benchmarks/run.sh

fixtures: deps
	Fixtures/make-fixtures.sh
