#!/bin/sh
# build.sh -- configure (once) and build asyncprobe in build/, out of the
# source tree, so other build trees (the sanitizer one) can sit beside it.
# Extra arguments go to configure.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x configure ]; then
	autoreconf -fi >/dev/null 2>&1
fi
mkdir -p build
cd build
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then
	../configure -q "$@"
fi
make -s -j"$(nproc 2>/dev/null || echo 2)"
