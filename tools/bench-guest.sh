#!/bin/sh
# bench-guest.sh - compare pcache-bench io with fio on a live dm-pcache
# device (our module, 1 GiB pmem cache in front of a 2 GiB virtio disk) and
# on the raw pmem device, inside Debian's kernel under qemu (TCG, see
# tests/kernel/vm.sh). Prints compare-fio.sh's tables.
#
# Usage: tools/bench-guest.sh [-n RUNS] [-t SECONDS] [-c] [WORKLOAD...]
#   -c   create the cache with data_crc true
# Needs a built tree (make), fio and jq (tools/install-deps.sh bench kernel).
# Under software emulation every I/O costs about ten times what it costs
# on hardware, and so does each tool's own work: the figures compare the
# two tools with each other, they are not the device's speed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=5
runtime=2
crc=false
while getopts n:t:c opt; do
	case $opt in
	n) runs=$OPTARG ;;
	t) runtime=$OPTARG ;;
	c) crc=true ;;
	*) echo "usage: $0 [-n RUNS] [-t SECONDS] [-c] [rw:bs:jobs:iodepth...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- randwrite:4k:1:1 randwrite:4k:32:1 randread:4k:1:1 \
	randwrite:4k:1:16 randwrite:64k:1:1
for p in "$top/build/pcache-bench" "$(command -v fio)" "$(command -v jq)"; do
	[ -x "$p" ] || { echo "bench-guest: missing ${p:-fio or jq} (make; tools/install-deps.sh bench kernel)" >&2; exit 1; }
done
W=$(mktemp -d /tmp/pcache-bench-guest.XXXXXX)
# Guest RAM (with the pmem region) and the backing disk live in tmpfs and
# are written once in full: a first touch of a page of a sparse file would
# cost the host a block allocation inside the measured I/O.
S=$(mktemp -d /dev/shm/pcache-bench-guest.XXXXXX)
trap 'rm -rf "$W" "$S"' EXIT
. "$top/tests/kernel/vm.sh"
RAM=$S/ram.img
# Emulated HPET reads cost microseconds and need a system call; the TSC is
# read in user space by both tools (vDSO, fio's own clock).
VM_APPEND="clocksource=tsc tsc=reliable"
die() { echo "bench-guest: $VM_ERR" >&2; [ -z "$VM_LOG" ] || tail -n 20 "$VM_LOG" >&2; exit 1; }
vm_find_kernel || die
vm_build_module || die
vm_build_tools || die
mkdir -p "$W/extra/scen" "$W/extra/bin"
cp "$top/cmd/pcache-bench/compare-fio.sh" "$W/extra/bin/"
cat >"$W/extra/scen/fiocmp.conf" <<CONF
RUNS=$runs
RUNTIME=$runtime
WORKLOADS="$*"
DATA_CRC=$crc
CONF
vm_initramfs "$top/build/pcache-bench" "$(command -v fio)" "$(command -v jq)" || die
dd if=/dev/zero of="$RAM" bs=1M count=$(($(numfmt --from=iec "$VM_MEM") >> 20)) status=none
dd if=/dev/zero of="$S/back.img" bs=1M count=2048 status=none
echo "# guest: Debian $KVER under qemu TCG, 2 vCPUs; $runs runs of ${runtime}s per tool and workload"
# A workload run takes about 3 * runtime s per tool under emulation,
# plus the drain of the cache before each run.
n_w=$#
vm_boot fiocmp "$S/back.img" '1G!1G' $((120 + 2 * n_w * runs * (4 * runtime + 30)))
tr -d '\r' <"$W/fiocmp.log" | sed -n 's/^PCB: //p'
if ! grep -q PCT-DONE "$W/fiocmp.log" || grep -q "PCT: not ok" "$W/fiocmp.log"; then
	echo "bench-guest: the guest run failed:" >&2
	tr -d '\r' <"$W/fiocmp.log" | grep -v '^PCB: ' | tail -n 30 >&2
	exit 1
fi
