#!/usr/bin/env bash
# Chat throughput and latency with storage on (issue 15's benchmark): two headless nodes
# on loopback, each with its own profile database (SQLite in WAL mode, synchronous=NORMAL:
# a commit reaches the OS at once and the disk at each checkpoint). A client on alice's
# control socket sends MESSAGES messages (default 2000) to bob as fast as alice takes
# them; a client on bob's socket takes the message.received events. Per message, latency
# = bob's event minus the moment alice's `message` command was written (one clock: one
# host). Prints messages per second end to end (first command to last event) and the
# latency's median and p99. No reference is named for this: Lanline's own figures.
#
#   chat_bench.sh LANLINE_BIN [MESSAGES]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=$(readlink -f "${1:?usage: chat_bench.sh LANLINE_BIN [MESSAGES]}")
count=${2:-2000}
source "$here/../lib/harness.sh"
harness_start /tmp/lanline-chat-bench.XXXXXX
port_a=$(free_port)
port_b=$((port_a + 10))  # each node takes TLS on its port + 1: apart
for who in alice:$port_a bob:$port_b; do
  name=${who%%:*} port=${who##*:}
  "$bin" --headless --profile "$name" --user "$name" --sip-port "$port" --no-discovery \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
done
for name in alice bob; do
  wait_for 10 sh -c "'$bin' ctl --profile $name status >/dev/null 2>&1" ||
    { echo "node $name did not start"; exit 1; }
done
python3 - "$XDG_RUNTIME_DIR/lanline/alice.sock" "$XDG_RUNTIME_DIR/lanline/bob.sock" \
  "sip:bob@127.0.0.1:$port_b" "$count" <<'PY'
import json, socket, sys, threading, time

alice_sock, bob_sock, target, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("r")

received = {}
done = threading.Event()
bob, bob_lines = connect(bob_sock)
bob.sendall(b'{"id":1,"cmd":"events"}\n')
assert json.loads(bob_lines.readline()).get("ok")

def listen():
    for line in bob_lines:
        event = json.loads(line)
        if event.get("event") == "message.received" and event.get("text", "").startswith("bench-"):
            received.setdefault(event["text"], time.monotonic())
            if len(received) == count:
                done.set()
                return

threading.Thread(target=listen, daemon=True).start()
alice, alice_lines = connect(alice_sock)
sent = {}
start = time.monotonic()
for i in range(count):
    text = f"bench-{i}"
    sent[text] = time.monotonic()
    alice.sendall((json.dumps({"id": i + 2, "cmd": "message", "target": target, "text": text}) + "\n").encode())
    reply = json.loads(alice_lines.readline())
    if not reply.get("ok"):
        print("refused:", reply)
        sys.exit(1)
taken = time.monotonic() - start
if not done.wait(120):
    print(f"only {len(received)} of {count} arrived within 120 s")
    sys.exit(1)
end = max(received.values())
latency = sorted((received[t] - sent[t]) * 1000 for t in sent)
median = latency[len(latency) // 2]
p99 = latency[min(len(latency) - 1, int(len(latency) * 0.99))]
print(f"{count} messages, alice took them in {taken:.2f} s ({count / taken:.0f}/s stored and queued)")
print(f"end to end: {count / (end - start):.0f} messages/s (first command to last event at bob)")
print(f"latency, command to bob's event: median {median:.1f} ms, p99 {p99:.1f} ms, max {latency[-1]:.1f} ms")
PY
