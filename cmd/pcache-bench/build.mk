# Extra link flags for build/pcache-bench (included by the top-level Makefile).
# libaio when libaio-dev is installed (tools/deps/bench.txt); without it
# aio_sys.h makes the AIO system calls itself.
# libblkid for the signature probe, libdevmapper for the status samples.
pcache-bench_LIBS := $(if $(wildcard /usr/include/libaio.h),-laio) -lm \
		     -lblkid -ldevmapper
