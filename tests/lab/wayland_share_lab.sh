#!/usr/bin/env bash
# NOT PASSING YET, and so not in the suite: on this machine the portal's backend cannot
# capture sway's headless output ("wlroots: unable to receive a valid format from
# wlr_screencopy" in xdg-desktop-portal-wlr 0.7 with sway 1.7's pixman renderer, the
# only one without a GPU; upstream emersion/xdg-desktop-portal-wlr#289, open).
# CreateSession and SelectSources are answered; Start fails on the compositor's side.
# Needs: sway swaybg xdg-desktop-portal xdg-desktop-portal-wlr pipewire wireplumber
# gstreamer1.0-pipewire (Debian 12), root (the desktop runs as nobody: sway refuses root).
#
# Screen sharing on a Wayland desktop, through the desktop portal: a sway of ours (its
# headless backend, drawn by pixman: no GPU, no seat) showing a known picture as its
# wallpaper, PipeWire and WirePlumber, xdg-desktop-portal with its wlroots backend
# (configured to pick the one output without asking), all on a session bus of ours. Node
# A runs in that session with no X display, calls B, and `screen start` shares through
# the portal (pipewiresrc): B decodes the picture (its `snapshot screen` against the
# picture, within tolerance) and tesseract reads its text back; `screen monitors` says
# the desktop's dialog picks; `screen stop` ends the share and the portal's session.
#   sudo bash tests/lab/wayland_share_lab.sh LANLINE_BIN FRAME_CHECK
set -uo pipefail
bin=$(readlink -f "$1")
frame_check=$(readlink -f "$2")
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
for tool in sway swaybg pipewire wireplumber dbus-daemon gst-launch-1.0 tesseract python3; do
  command -v $tool > /dev/null || { echo "FAIL: $tool is missing (scripts/packages.txt)"; exit 1; }
done
for portal in /usr/libexec/xdg-desktop-portal /usr/libexec/xdg-desktop-portal-wlr; do
  [[ -x $portal ]] || { echo "FAIL: $portal is missing (scripts/packages.txt)"; exit 1; }
done
gst-inspect-1.0 pipewiresrc > /dev/null 2>&1 ||
  { echo "FAIL: GStreamer's pipewiresrc is missing (gstreamer1.0-pipewire)"; exit 1; }
FAIL_LOG_LINES=20
harness_start /tmp/lanline-wayland.XXXXXX

# The desktop's session: its own runtime directory, config and bus; no X. sway refuses
# to run as root, so the desktop and node A run as an unprivileged user (nobody); the
# test, as root, still reaches their sockets.
desktop_user=nobody
as_desktop() { setpriv --reuid="$desktop_user" --regid="$(id -g "$desktop_user")" --clear-groups "$@"; }
unset DISPLAY
export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_CURRENT_DESKTOP=sway
export XDG_SESSION_TYPE=wayland
export XDG_DATA_HOME=$work/data HOME=$work/home
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr" "$XDG_DATA_HOME" "$HOME" &&
  chmod 700 "$XDG_RUNTIME_DIR"
chmod 755 "$work"
as_desktop dbus-daemon --session --nofork --nopidfile --print-address=3 3> "$work/bus" > "$work/dbus.log" 2>&1 &
pids+=($!)
wait_for 5 test -s "$work/bus" || { fail "the session bus did not start"; harness_summary; exit 1; }
export DBUS_SESSION_BUS_ADDRESS=$(head -1 "$work/bus")

# The picture: white, small black text, as a 1280x720 wallpaper.
text="Lanline shares a Wayland desktop
through the portal and PipeWire 5318
Small text must stay legible at the other end"
gst-launch-1.0 -q videotestsrc pattern=white num-buffers=1 \
  ! video/x-raw,width=1280,height=720,format=BGRx \
  ! textoverlay "text=\"$text\"" font-desc="Sans 16" color=0xff000000 shaded-background=false \
  halignment=left valignment=top xpad=60 ypad=60 \
  ! videoconvert ! pngenc ! filesink location="$work/picture.png" ||
  { fail "cannot make the picture"; harness_summary; exit 1; }
chown -R "$desktop_user" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$HOME"
chmod 644 "$work/picture.png"
cat > "$work/sway.conf" << CONF
output HEADLESS-1 resolution 1280x720 position 0 0 bg $work/picture.png stretch
default_border none
seat * hide_cursor 1
CONF
WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
  as_desktop sway -c "$work/sway.conf" > "$work/sway.log" 2>&1 &
pids+=($!)
wait_for 10 bash -c "ls '$XDG_RUNTIME_DIR' | grep -q '^wayland-[0-9]*\$'" ||
  { fail "sway did not start"; harness_summary; exit 1; }
export WAYLAND_DISPLAY=$(ls "$XDG_RUNTIME_DIR" | grep -m1 '^wayland-[0-9]*$')
as_desktop pipewire > "$work/pipewire.log" 2>&1 &
pids+=($!)
wait_for 5 test -S "$XDG_RUNTIME_DIR/pipewire-0" || fail "pipewire did not start"
as_desktop wireplumber > "$work/wireplumber.log" 2>&1 &
pids+=($!)
printf '[screencast]\nchooser_type=none\noutput_name=HEADLESS-1\nmax_fps=10\n' \
  > "$XDG_CONFIG_HOME/xdg-desktop-portal-wlr/config"
as_desktop /usr/libexec/xdg-desktop-portal-wlr -r -l DEBUG > "$work/portal-wlr.log" 2>&1 &
pids+=($!)
as_desktop /usr/libexec/xdg-desktop-portal -r > "$work/portal.log" 2>&1 &
pids+=($!)
sleep 1

pa=$(free_port) pb=$(free_port)
# A in the desktop's session, as its user; B as root, with a runtime directory of its own
# (a node keeps its control socket only in a directory its user owns).
as_desktop "$bin" --headless --profile a --sip-port "$pa" --user service --name a --no-discovery \
  --video-source none --audio-source test:440 --audio-sink null > "$work/a.log" 2>&1 &
pids+=($!)
mkdir -p "$work/run-b" && chmod 700 "$work/run-b"
XDG_RUNTIME_DIR=$work/run-b "$bin" --headless --profile b --sip-port "$pb" --user service --name b \
  --no-discovery --auto-answer --video-source none --audio-source test:660 --audio-sink null \
  > "$work/b.log" 2>&1 &
pids+=($!)
ctl_a() { as_desktop "$bin" ctl --profile a "$@" 2>&1; }
ctl_b() { XDG_RUNTIME_DIR=$work/run-b "$bin" ctl --profile b "$@" 2>&1; }
wait_for 10 ctl_a status > /dev/null || fail "node a did not start"
wait_for 10 ctl_b status > /dev/null || fail "node b did not start"
state_is() { "ctl_$1" calls | grep -q "\"state\":\"$2\""; }
screen_frames() {
  ctl_b calls | python3 -c '
import json, sys
s = json.load(sys.stdin)["calls"][0]["media"]["screen"]
print(s["frames_received"] if s else -1)' 2> /dev/null || echo -1
}
frames_over() { (($(screen_frames) > $1)); }
no_screen() { (($(screen_frames) < 0)); }

ctl_a call "sip:service@127.0.0.1:$pb" > /dev/null
if wait_for 10 state_is a established && wait_for 5 state_is b established; then
  out=$(ctl_a screen monitors)
  if [[ $out == *"the desktop's own dialog picks"* ]]; then
    pass "screen monitors on Wayland: ${out//$'\n'/ }"
  else fail "screen monitors on Wayland answered: $out"; fi
  out=$(ctl_a screen start)
  if [[ $out == *'"ok":true'* ]] && wait_for 15 frames_over 5; then
    pass "a shares its Wayland screen through the portal; b receives it ($out)"
    sleep 1.5
    if ctl_b snapshot screen "$work/b-screen.png" > /dev/null &&
      r=$("$frame_check" "$work/b-screen.png" --against "$work/picture.png" --max-mean-error 8 \
        --min-close 0.97); then
      pass "b's decoded screen is the desktop's picture: ${r#*: }"
    else fail "b's screen against the picture: ${r:-no snapshot}"; fi
    if words=$(tesseract "$work/b-screen.png" - 2> /dev/null | tr '\n' ' ') &&
      [[ $words == *"through the portal and PipeWire 5318"* && $words == *"Small text must stay legible"* ]]; then
      pass "tesseract reads the small text in b's frame: ${words:0:100}"
    else fail "tesseract read: '${words:-}'"; fi
    if grep -q "through the desktop portal: PipeWire node" "$work/a.log"; then
      pass "a's log names the portal's PipeWire node"
    else fail "a's log does not say it used the portal"; fi
  else
    fail "screen start through the portal: $out (frames at b: $(screen_frames))"
  fi
  ctl_a screen stop > /dev/null
  if wait_for 5 no_screen; then pass "screen stop ends the share"
  else fail "the share did not end after screen stop"; fi
  ctl_a hangup > /dev/null
else
  fail "the call was not established"
fi
harness_summary
