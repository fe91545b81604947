# The host's systemd as PID 1 boots what pcache-generator makes of
# /etc/pcachetab, with systemd-udevd and device-mapper's udev rules: see
# pcsysd-test.sh, which pct-test.service runs once local-fs-pre.target is
# reached. The units come from the host (kernel.tap.sh).
if [ ! -x /bin/systemd ] || [ ! -f /etc/systemd/system/pct.target ]; then
	notok "systemd and the test units are in the initramfs"
else
	# libdevmapper waits for udev (cookies) when udev runs
	unset DM_DISABLE_UDEV
	exec /bin/systemd --unit=pct.target --show-status=0 \
		--log-target=console --log-level=warning
	notok "exec systemd"
fi
