# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing.
BUILD_TYPE ?= Release

.PHONY: run test build configure deps bench format clean

run: build
	scripts/demo.sh

test: configure
	scripts/test.sh

build: configure
	cmake --build build

configure: deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DMANDATE_WERROR=ON -DMANDATE_BENCH=OFF >/dev/null

deps:
	scripts/deps.sh

bench: deps
	scripts/bench.sh

format:
	find src bench fuzz tests -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build build-san build-bench
