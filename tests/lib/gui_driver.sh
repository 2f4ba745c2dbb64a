# Driving the desktop app under a test (sourced, bash), through the window's layout hook
# (LANLINE_GUI_LAYOUT=$work/layout.json: each named control's rectangle as last drawn)
# and real X input (xdotool), in the window $window:
#   rect NAME    "X Y" of the named control's centre, waiting up to 5 s for it to appear
#   click NAME   moves the pointer there and clicks, as a hand does
rect() {
  for _ in $(seq 50); do
    local at
    at=$(python3 -c '
import json, sys
try:
    r = json.load(open(sys.argv[1])).get(sys.argv[2])
except Exception:
    r = None
if r: print(int(r[0] + r[2] / 2), int(r[1] + r[3] / 2))' "$work/layout.json" "$1")
    [ -n "$at" ] && { echo "$at"; return 0; }
    sleep 0.1
  done
  return 1
}
click() {
  local at
  at=$(rect "$1") || { echo "no control '$1' on screen"; return 1; }
  # shellcheck disable=SC2086
  # Hover first, then press, as a hand does: ImGui's tabs and overlapping rows take a
  # press only on an item that was already hovered in the frame before.
  # Separate xdotool calls: in one chain, `click` after `mousemove --window` is sent with
  # XSendEvent to the window instead of through XTEST like a real mouse.
  xdotool mousemove --window "$window" $at && sleep 0.15 && xdotool click 1
}
