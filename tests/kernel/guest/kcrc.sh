# Fixtures kcrc-clean / kcrc-crash (upstream kernel, data_crc true).
check "data_crc false is refused" fails mkcache false
check "create with data_crc true" mkcache true
echo "status: $(status)"
[ -n "$KEY_HEAD" ] && check "key_head after replay is $KEY_HEAD" \
	[ "$(sfield 7)" = "$KEY_HEAD" ]
while read -r off len sum; do
	check "range $off+$len reads back as expected" \
		[ "$(range_sha $DEV "$off" "$len")" = "$sum" ]
done < /scen/expect-sha256.txt
check "writeback completes" wait_clean
echo "status clean: $(status)"
check "remove" dmsetup remove pc0
