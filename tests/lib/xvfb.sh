# Our own X server for a test: sourced, then `start_xvfb DIR [WxH]` starts Xvfb (1100x720
# unless given, 24-bit, no TCP) with its log in DIR/xvfb.log, sets xvfb_pid and exports
# DISPLAY.
# -displayfd lets Xvfb pick a free display number and tell us which. Returns 1, saying
# why, when it does not come up within 10 s; ending it (by xvfb_pid) is the caller's.
start_xvfb() {
  local dir=$1 size=${2:-1100x720} display=""
  # Xvfb writes the display it chose to fd 3, here a file: a process substitution's pipe
  # (as this read before) can be closed by bash once its child exits, before Xvfb starts,
  # and Xvfb then quits at once on the bad fd (seen in CI: "Xvfb did not start" in 0.2 s).
  rm -f "$dir/xvfb.display"
  Xvfb -displayfd 3 -screen 0 "${size}x24" -nolisten tcp 3> "$dir/xvfb.display" \
    > "$dir/xvfb.log" 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 100); do
    # The number and its newline: a whole line, not a write half seen.
    if [[ $(wc -l < "$dir/xvfb.display" 2> /dev/null) -ge 1 ]]; then
      display=$(tr -dc '0-9' < "$dir/xvfb.display")
      break
    fi
    sleep 0.1
  done
  if [[ -z $display ]]; then
    echo "Xvfb did not start:" >&2
    cat "$dir/xvfb.log" >&2
    return 1
  fi
  export DISPLAY=:$display
}

# `show_picture SECONDS LOG X Y ELEMENTS...` puts a GStreamer picture on the screen: a
# gst-launch-1.0 of ELEMENTS (a source and its caps) drawn by ximagesink, its output in
# LOG, its PID in picture_pids. Waits up to SECONDS for its window, then moves it to X,Y
# ("-" leaves it where Xvfb put it: 0,0). Returns 1 when no window came.
show_picture() {
  local seconds=$1 log=$2 x=$3 y=$4 before
  shift 4
  before=$(xdotool search --name gst-launch 2> /dev/null | wc -l)
  gst-launch-1.0 -q "$@" ! videoconvert ! ximagesink sync=false > "$log" 2>&1 &
  picture_pids+=($!)
  for _ in $(seq $((seconds * 10))); do
    if (($(xdotool search --name gst-launch 2> /dev/null | wc -l) > before)); then
      [[ $x == - ]] || xdotool windowmove "$(xdotool search --name gst-launch | tail -1)" "$x" "$y"
      return 0
    fi
    sleep 0.1
  done
  return 1
}
