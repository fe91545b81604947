# Cache device prepared by pcache-format --lazy (data CRC on, gc_percent 50):
# the module completes the initialisation at first activation, honouring
# the stored options, and from then on it behaves as a full format.
. /scen/pformat.sh
