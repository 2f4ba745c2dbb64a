# Our own X server for a test: sourced, then `start_xvfb DIR [WxH]` starts Xvfb (1100x720
# unless given, 24-bit, no TCP) with its log in DIR/xvfb.log, sets xvfb_pid and exports
# DISPLAY.
# -displayfd lets Xvfb pick a free display number and tell us which. Returns 1, saying
# why, when it does not come up within 10 s; ending it (by xvfb_pid) is the caller's.
start_xvfb() {
  local dir=$1 size=${2:-1100x720} display=""
  exec 3<> <(:)
  Xvfb -displayfd 3 -screen 0 "${size}x24" -nolisten tcp > "$dir/xvfb.log" 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 50); do read -r -t 0.2 display <&3 && break; done
  exec 3>&-
  if [[ -z $display ]]; then
    echo "Xvfb did not start:" >&2
    cat "$dir/xvfb.log" >&2
    return 1
  fi
  export DISPLAY=:$display
}
