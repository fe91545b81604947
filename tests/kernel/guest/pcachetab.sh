# After pcache.sh's power cut: activate --all from a pcachetab replays the
# cache (the nofail entry whose devices are missing only warns), the data
# reads back, deactivate --all drains, and the backing device holds it all.
T=/tmp/pcachetab
cat >$T <<TAB
# NAME CACHE BACKING OPTIONS
pc0	/dev/pmem0	/dev/vda	gc_percent=40
gone	/dev/pmem7	/dev/vdz	nofail
later	/dev/pmem8	/dev/vdy	noauto
TAB
E=/tmp/err
check "activate --all (the missing nofail entry only warns)" \
	sh -c "pcache activate --all --tab $T 2>$E"
grep -q "gone: not activated (nofail)" $E || echo "stderr: $(cat $E)"
check "the nofail warning" grep -q "gone: not activated (nofail)" $E
check "pc0 has UUID PCACHE-pc0 and gc_percent 40 from the table" \
	[ "$(pcache status --json pc0 | jq -r '.devices[0] | "\(.uuid) \(.gc_percent)"')" = "PCACHE-pc0 40" ]
check "activate pc0 again: already active" sh -c "pcache activate --tab $T pc0 | grep -q 'pc0: already active'"
check "activate of the missing entry by name fails" fails pcache activate --tab $T gone
check "range 4 (stalled writeback) reads back after the cut" vf $DEV 4 20971520 1048576
check "range 5 (dirty at the cut) reads back" vf $DEV 5 33554432 2097152
check "range 1 reads back" vf $DEV 1 0 4194304
check "deactivate --all drains and removes" pcache deactivate --all --tab $T
check "pc0 is gone" fails dmsetup info pc0
check "the backing device holds range 1" vf /dev/vda 1 0 4194304
check "the backing device holds range 2" vf /dev/vda 2 8388608 2097152
check "the backing device holds range 3" vf /dev/vda 3 16777216 1048576
check "the backing device holds range 4" vf /dev/vda 4 20971520 1048576
check "the backing device holds range 5" vf /dev/vda 5 33554432 2097152
