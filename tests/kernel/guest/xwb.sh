# Upstream (or ours) replays a saved crash image and writes everything back;
# the host compares the backing device with pcache-writeback's result.
. /xc.env
check "replay the saved crash image" mkcache "$CHK_CRC"
echo "status after replay: $(status)"
check "writeback completes" wait_clean 1200
check "remove" dmsetup remove pc0
