FIX=kcrc-crash
KEY_HEAD=0:24720
. /scen/kcrc.sh
