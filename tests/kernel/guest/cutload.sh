# Power cut while writes, writeback and GC are all busy (512 MiB cache).
check "create (512 MiB cache)" mkcache false
check "write 64 MiB with fsync (range A)" wr 41 0 67108864 1048576
(
	i=50
	while pcpat write $DEV $i 134217728 268435456 1048576; do
		i=$((i + 1))
	done
) &
i=0
while [ "$(sfield 9)" = "0:0" ] && [ $i -lt 240 ]; do
	sleep 0.5
	i=$((i + 1))
done
sleep 2
echo "status at cut: $(status)"
check "GC is running at the cut (key_tail moved)" [ "$(sfield 9)" != "0:0" ]
echo "PCT-CUT"
sleep 1000
