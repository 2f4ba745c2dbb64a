# Reads LeakSanitizer reports and fails on every leak that is not listed, by its exact
# shape, in the file of leaks left by design (tests/sanitizers/lsan_by_design.txt).
#
#   gawk -v known=tests/sanitizers/lsan_by_design.txt -f tests/lib/lsan_check.awk LOG...
#
# A leak's shape is "BYTES OBJECTS FRAME..." with the function names of its allocation
# stack, innermost first ("16384 1 malloc g_malloc"); a frame without a function name is
# written as its module ("libfoo.so.1"). A listed shape must match the whole stack, so a
# leak of Lanline's own, whose stack names Lanline's code, can never match one. BYTES and
# OBJECTS may be "*" in a listed shape, for a library whose leak varies in size from run
# to run; its frames must still match the whole stack.
# Prints each unlisted leak with its stack and exits 1 when there was one; exits 0 when
# there was none (or only listed ones), and says how many listed ones it set aside.
BEGIN {
  if (known == "") { print "lsan_check.awk: -v known=FILE is required" > "/dev/stderr"; exit 2 }
  while ((getline line < known) > 0) {
    sub(/#.*/, "", line)
    gsub(/[ \t]+/, " ", line); sub(/^ /, "", line); sub(/ $/, "", line)
    if (line == "") continue
    split(line, f, " ")
    if (f[1] == "*" || f[2] == "*") any_size[substr(line, length(f[1]) + length(f[2]) + 3)] = 1
    else allowed[line] = 1
  }
  close(known)
  unlisted = 0; listed = 0; in_leak = 0
}

function finish_leak() {
  if (!in_leak) return
  in_leak = 0
  if (shape in allowed || frames in any_size) { listed++; return }
  unlisted++
  printf "unlisted leak (%s) in %s:\n%s", shape, leak_file, stack
}

/(Direct|Indirect) leak of [0-9]+ byte\(s\) in [0-9]+ object\(s\) allocated from:/ {
  finish_leak()
  in_leak = 1
  leak_file = FILENAME
  match($0, /of ([0-9]+) byte\(s\) in ([0-9]+) object/, m)
  shape = m[1] " " m[2]
  frames = ""
  stack = $0 "\n"
  next
}

in_leak && /^ *#[0-9]+ / {
  stack = stack $0 "\n"
  frame = ""
  if (match($0, / in ([^ ]+)/, f)) frame = f[1]
  else if (match($0, /\(([^ ()+]+)\+0x[0-9a-f]+\)/, f)) frame = f[1]
  if (frame == "") frame = "?"
  sub(/.*\//, "", frame)  # a module path: its file name only
  shape = shape " " frame
  frames = frames == "" ? frame : frames " " frame
  next
}

in_leak { finish_leak() }

END {
  finish_leak()
  if (listed > 0) printf "lsan_check: %d leak(s) left by design set aside (%s)\n", listed, known
  exit unlisted > 0 ? 1 : 0
}
