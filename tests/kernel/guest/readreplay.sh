# After a power cut following miss fills (readcache): the CLEAN keys are
# replayed, so the filled ranges are served with the backing suspended.
dmsetup create back --table "0 $SECTORS linear /dev/vda 0"
BACK=/dev/mapper/back
check "create after the power cut (replay with data CRC)" mkcache true
echo "status after replay: $(status)"
check "key_head after replay is not 0:0" [ "$(sfield 7)" != "0:0" ]
check "suspend the backing device" dmsetup suspend back
check "replayed CLEAN keys serve the last fill (backing suspended)" \
	timeout 60 pcpat verify $DEV 61 943718400 4194304
check "resume the backing device" dmsetup resume back
check "raced ranges read back as written" vf $DEV 63 33554432 19660800
check "data read through reads back" vf $DEV 61 134217728 16777216
check "writeback completes" wait_clean 600
check "remove" dmsetup remove pc0
