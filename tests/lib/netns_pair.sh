# Two hosts of a namespace lab (../shared/LAB.md), sourced (bash):
#   netns_pair NS_A IF_A ADDR_A NS_B IF_B ADDR_B   two namespaces with loopback up and a
#                                                  veth between them (IF_A in NS_A with
#                                                  ADDR_A, e.g. 198.18.60.1/24), both up
#   netns_cleanup NS...                            ends every process left in each
#                                                  namespace (by PID) and deletes it
netns_pair() {
  local ns_a=$1 if_a=$2 addr_a=$3 ns_b=$4 if_b=$5 addr_b=$6 ns
  ip netns add "$ns_a" && ip netns add "$ns_b" || return 1
  ip link add "$if_a" type veth peer name "$if_b" || return 1
  ip link set "$if_a" netns "$ns_a" && ip link set "$if_b" netns "$ns_b" || return 1
  ip -n "$ns_a" addr add "$addr_a" dev "$if_a" && ip -n "$ns_b" addr add "$addr_b" dev "$if_b" ||
    return 1
  for ns in "$ns_a" "$ns_b"; do ip -n "$ns" link set lo up; done
  ip -n "$ns_a" link set "$if_a" up && ip -n "$ns_b" link set "$if_b" up
}

netns_cleanup() {
  local ns
  for ns in "$@"; do
    ip netns pids "$ns" 2> /dev/null | xargs -r kill -9 2> /dev/null
    ip netns del "$ns" 2> /dev/null
  done
}
