FIX=kcrc-clean
. /scen/kcrc.sh
