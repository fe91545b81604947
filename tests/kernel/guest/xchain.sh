# One link of the cross-check chain (upstream.tap.sh): the module of this
# boot first replays the previous link's crash image and checks it, then
# formats a new cache, runs a seeded workload and is cut at a random
# moment. Settings come from /xc.env (written by the host for every boot):
#   CHK_SEED CHK_REG CHK_N CHK_CRC   the previous link (CHK_SEED empty: none)
#   RUN_SEED RUN_REG RUN_CRC RUN_GC RUN_FILL RUN_WAIT RUN_MS   this link
#   (RUN_SEED empty: no new link; RUN_WAIT=1: cut only after a LAST link
#   and GC were seen; RUN_MS: random delay before the cut, milliseconds)
. /xc.env
MOD=ours
[ -f /lib/mod/upstream ] && MOD=upstream
if [ -n "$CHK_SEED" ]; then
	check "$MOD replays the crash image" mkcache "$CHK_CRC"
	echo "status after replay: $(status)"
	pcwl check $DEV $CHK_SEED $CHK_REG $CHK_N >/tmp/chk.txt 2>&1
	r=$?
	cat /tmp/chk.txt
	check "$MOD: every block holds its last durable write (seed $CHK_SEED, $CHK_N ops synced)" \
		[ $r = 0 ]
	echo "PCT-DIGEST $(sed -n 's/.* digest //p' /tmp/chk.txt)"
	check "$MOD: writeback completes" wait_clean 1200
	check "$MOD: remove" dmsetup remove pc0
fi
[ -n "$RUN_SEED" ] || return 0
dd if=/dev/zero of=/dev/pmem0 bs=1M count=$(($(blockdev --getsize64 /dev/pmem0) >> 20)) \
	2>/dev/null
check "$MOD formats a zeroed cache (data_crc $RUN_CRC)" mkcache "$RUN_CRC"
if [ "$RUN_FILL" = 1 ]; then
	dmsetup remove pc0
	check "fill the log of segment 0" pcimg fill /dev/pmem0
	check "$MOD loads the filled log" mkcache "$RUN_CRC"
fi
check "gc_percent $RUN_GC" dmsetup message pc0 0 gc_percent "$RUN_GC"
echo "status before the workload: $(status)"
pcwl run $DEV $RUN_SEED $RUN_REG &
if [ "$RUN_WAIT" = 1 ]; then
	i=0
	while { [ "$(sfield 7 | cut -d: -f1)" = 0 ] || [ "$(sfield 9)" = "0:0" ]; } &&
	      [ $i -lt 600 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	check "$MOD: the log chained into a new key segment (LAST) before the cut" \
		[ "$(sfield 7 | cut -d: -f1)" != 0 ]
	check "$MOD: GC moved key_tail before the cut" [ "$(sfield 9)" != "0:0" ]
fi
usleep $((RUN_MS * 1000))
echo "status at cut: $(status)"
echo "PCT-CUT"
sleep 1000
