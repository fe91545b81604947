# Fixture kfresh (formatted by the upstream kernel).
check "create" mkcache false
check "status" status_is "0 $SECTORS pcache 0 63 63 1 70 1182 0:0 0:0 0:0"
check "remove" dmsetup remove pc0
