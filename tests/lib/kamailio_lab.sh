# A Kamailio lab (sourced, bash; after harness.sh and netns_pair.sh): three namespaces on
# one bridge, Kamailio on 198.18.71.1 as registrar and proxy of the domain lanline.test
# (tests/kamailio/kamailio.cfg), hosts 198.18.71.2 ($ns_a) and 198.18.71.3 ($ns_b).
#   kamailio_lab_setup ALGORITHM TRANSPORT USER:PASSWORD...
#                         the namespaces, the subscriber table, the configuration (digest
#                         ALGORITHM MD5|SHA-256; TRANSPORT udp|tls: tls adds Kamailio's TLS
#                         port 5061 with a certificate of its own); sets $registrar
#   start_kamailio / stop_kamailio     the daemon, by PID (in $pids)
#   account_node PROFILE NAMESPACE PASSWORD OPTIONS...
#                         a headless node with the account sip:PROFILE@lanline.test there
#                         (expiry 20 s), its log $work/PROFILE.log; PID in node_pid[PROFILE]
#   ctl, account_state PROFILE, is_registered PROFILE, call_state PROFILE STATE,
#   no_calls PROFILE, check WHAT COMMAND..., until_true SECONDS COMMAND...

kamailio_lab_setup() {
  local algorithm=$1 n ns id=1 entry
  transport=$2
  shift 2
  tag=$$
  ns_srv=lnk-s-$tag ns_a=lnk-a-$tag ns_b=lnk-b-$tag
  harness_cleanup_hook() { netns_cleanup "$ns_srv" "$ns_a" "$ns_b"; }
  # One LAN: a bridge in the server's namespace, a veth from each host to it.
  ip netns add "$ns_srv" && ip -n "$ns_srv" link set lo up &&
    ip -n "$ns_srv" link add br0 type bridge && ip -n "$ns_srv" link set br0 up &&
    ip -n "$ns_srv" addr add 198.18.71.1/24 dev br0 ||
    { echo "FAIL: cannot create namespaces"; exit 1; }
  n=2
  for ns in "$ns_a" "$ns_b"; do
    ip netns add "$ns" && ip -n "$ns" link set lo up &&
      ip link add "k$n-$tag" type veth peer name "kp$n-$tag" &&
      ip link set "k$n-$tag" netns "$ns" && ip link set "kp$n-$tag" netns "$ns_srv" &&
      ip -n "$ns_srv" link set "kp$n-$tag" master br0 && ip -n "$ns_srv" link set "kp$n-$tag" up &&
      ip -n "$ns" addr add "198.18.71.$n/24" dev "k$n-$tag" && ip -n "$ns" link set "k$n-$tag" up ||
      { echo "FAIL: cannot create namespaces"; exit 1; }
    n=$((n + 1))
  done

  # The subscriber table (db_text), one user per USER:PASSWORD.
  db=$work/db
  mkdir -p "$db" "$work/kamailio-run"
  printf '%s\n' 'id(int,auto) table_name(string) table_version(int) ' '0:subscriber:7' >"$db/version"
  echo 'id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) ' \
    >"$db/subscriber"
  for entry in "$@"; do
    echo "$id:${entry%%:*}:lanline.test:${entry#*:}::" >>"$db/subscriber"
    id=$((id + 1))
  done
  sed -e "s|LISTEN_ADDRESS|198.18.71.1|g" -e "s|DB_DIR|$db|g" -e "s|DOMAIN|lanline.test|g" \
    -e "s|AUTH_ALGORITHM|$algorithm|g" -e "s|TLS_CONFIG|$work/tls.cfg|g" \
    "$(dirname "${BASH_SOURCE[0]}")/../kamailio/kamailio.cfg" >"$work/kamailio.cfg"
  kamailio_defines=()
  registrar=198.18.71.1
  if [ "$transport" = tls ]; then
    # A certificate of its own, as a server of a small office has (Lanline does not check
    # a registrar's certificate against a CA yet: see docs/ARCHITECTURE.md).
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lanline.test" \
      -keyout "$work/kamailio.key" -out "$work/kamailio.crt" 2>/dev/null ||
      { echo "FAIL: openssl could not make Kamailio's certificate"; exit 1; }
    printf '%s\n' '[server:default]' 'method = TLSv1.2+' 'verify_certificate = no' \
      'require_certificate = no' "private_key = $work/kamailio.key" \
      "certificate = $work/kamailio.crt" '' '[client:default]' 'method = TLSv1.2+' \
      'verify_certificate = no' 'require_certificate = no' >"$work/tls.cfg"
    kamailio_defines=(-A WITH_TLS)
    registrar=198.18.71.1:5061
  fi
}

kamailio_pid=
start_kamailio() {
  ip netns exec "$ns_srv" kamailio -f "$work/kamailio.cfg" "${kamailio_defines[@]}" -DD -E \
    -Y "$work/kamailio-run" >>"$work/kamailio.out" 2>&1 &
  kamailio_pid=$!
  pids+=("$kamailio_pid")
  wait_for 10 sh -c "ip netns exec $ns_srv ss -Hlun 'sport = :5060' | grep -q 5060 &&
    { [ $transport != tls ] || ip netns exec $ns_srv ss -Hltn 'sport = :5061' | grep -q 5061; }" ||
    { echo "FAIL: kamailio did not start"; tail -20 "$work/kamailio.out"; exit 1; }
}
stop_kamailio() {
  kill -TERM "$kamailio_pid" 2>/dev/null
  wait "$kamailio_pid" 2>/dev/null
}

ctl() { "$bin" ctl "$@"; }
declare -A node_pid
account_node() {  # PROFILE NAMESPACE PASSWORD OPTIONS...
  local profile=$1 ns=$2 password=$3
  shift 3
  printf '%s\n' "$password" >"$work/$profile.password"
  chmod 600 "$work/$profile.password"
  ip netns exec "$ns" "$bin" --headless --profile "$profile" --user "$profile" --name "$profile" \
    --no-discovery --account "sip:$profile@lanline.test" --registrar "$registrar" \
    --account-transport "$transport" --password-file "$work/$profile.password" \
    --account-expires 20 "$@" \
    >>"$work/$profile.log" 2>&1 &
  node_pid[$profile]=$!
  pids+=($!)
  wait_for 10 ctl --profile "$profile" status >/dev/null 2>&1 ||
    { echo "node $profile did not start"; tail -20 "$work/$profile.log"; exit 1; }
}
account_state() { ctl --profile "$1" accounts | jq -r '.accounts[0].state'; }
is_registered() { [ "$(account_state "$1")" = registered ]; }
call_state() { ctl --profile "$1" calls | jq -e --arg s "$2" '.calls | any(.state == $s)' >/dev/null; }
no_calls() { ctl --profile "$1" calls | jq -e '.calls | all(.state == "terminated")' >/dev/null; }
check() {  # WHAT COMMAND...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
until_true() {  # SECONDS COMMAND...
  local deadline=$((SECONDS + $1))
  shift
  while [ $SECONDS -lt $deadline ]; do "$@" && return 0; sleep 0.2; done
  return 1
}

