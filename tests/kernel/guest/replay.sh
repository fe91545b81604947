# After the power cut: replay must bring every written byte back.
check "create after power cut (replay)" mkcache false
echo "status after replay: $(status)"
check "key_head after replay is not 0:0" [ "$(sfield 7)" != "0:0" ]
check "replayed: range 1 (head)" vf $DEV 1 0 65536
check "replayed: overwritten part" vf $DEV 5 65536 131072
check "replayed: range 2 (head)" vf $DEV 2 8388608 65536
check "replayed: range 2 (dirty overwrite)" vf $DEV 7 8454144 65536
check "replayed: range 2 (tail)" vf $DEV 2 8519680 1966080
check "replayed: range 3" vf $DEV 3 67109376 524288
check "replayed: range 4" vf $DEV 4 20971520 6291456
check "replayed: dirty range" vf $DEV 6 33554432 2097152
check "replayed: unflushed write closed by the kset timer" vf $DEV 8 50331648 262144
check "writeback after replay completes" wait_clean
check "backing: dirty range written back" vf /dev/vda 6 33554432 2097152
check "backing: dirty overwrite written back" vf /dev/vda 7 8454144 65536
check "remove" dmsetup remove pc0
