# After a power cut under load: activation, range A, writeback.
check "create after a power cut under load (replay)" mkcache false
echo "status after replay: $(status)"
check "range A reads back" vf $DEV 41 0 67108864
check "writeback completes" wait_clean 1200
check "backing device holds range A" vf /dev/vda 41 0 67108864
check "remove" dmsetup remove pc0
