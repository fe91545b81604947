# Extra link flags for build/pcache-bench (included by the top-level Makefile).
pcache-bench_LIBS := -laio -lm
