# Fixtures kcrc-clean / kcrc-crash (upstream kernel, data_crc true).
check "$FIX: data_crc false is refused" fails mkcache false
check "$FIX: create with data_crc true" mkcache true
echo "status: $(status)"
[ -n "$KEY_HEAD" ] && check "$FIX: key_head after replay is $KEY_HEAD" \
	[ "$(sfield 7)" = "$KEY_HEAD" ]
while read -r off len sum; do
	check "$FIX: range $off+$len reads back as expected" \
		[ "$(range_sha $DEV "$off" "$len")" = "$sum" ]
done < /scen/expect-sha256.txt
check "$FIX: writeback completes" wait_clean
echo "status clean: $(status)"
check "$FIX: remove" dmsetup remove pc0
