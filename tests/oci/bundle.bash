# bundle.bash: helpers for the tests of config.json-driven features (phase 3 on), loaded after
# helpers.bash by the 03-*.bats files.

# json_array WORD...: the words as a compact JSON array of strings (newlines and all).
json_array() {
    jq -n -c '$ARGS.positional' --args -- "$@"
}

# add_mount DESTINATION TYPE SOURCE [OPTION...]: append an entry to the bundle's .mounts.
add_mount() {
    local dest=$1 type=$2 source=$3
    shift 3
    update_config --arg d "$dest" --arg t "$type" --arg s "$source" --argjson o "$(json_array "$@")" \
        '.mounts += [{destination: $d, type: $t, source: $s, options: $o}]'
}

# add_hook STAGE PATH [ARG...]: append a hook to .hooks.STAGE with a PATH-only environment.
add_hook() {
    local stage=$1 path=$2
    shift 2
    update_config --arg st "$stage" --arg p "$path" --argjson a "$(json_array "$path" "$@")" \
        '.hooks[$st] += [{path: $p, args: $a, env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}]'
}

# write_script PATH LINE...: an executable /bin/sh script made of the lines.
write_script() {
    local path=$1
    shift
    mkdir -p "$(dirname "$path")"
    printf '%s\n' '#!/bin/sh' "$@" >"$path"
    chmod 755 "$path"
}

# The fields of one line of /proc/self/mountinfo, read from $output (what a container printed of
# its own mountinfo), for the mount on DEST; the topmost one if several are stacked there.
#   mountinfo_entry DEST   the whole line
#   mount_options DEST     field 6, the per-mount options: rw,nosuid,relatime
#   mount_tags DEST        the optional fields: "shared:N", "master:N", "unbindable" ("" if none)
#   mount_fstype DEST      the filesystem type after the "-"
#   mount_super DEST       the superblock options after the source
mountinfo_entry() {
    awk -v d="$1" '$5 == d' <<<"$output" | tail -n 1
}
mount_options() {
    mountinfo_entry "$1" | awk '{print $6}'
}
mount_tags() {
    mountinfo_entry "$1" | awk '{s = ""; for (i = 7; $i != "-"; i++) s = s (s == "" ? "" : " ") $i; print s}'
}
mount_fstype() {
    mountinfo_entry "$1" | awk '{for (i = 7; $i != "-"; i++); print $(i + 1)}'
}
mount_super() {
    mountinfo_entry "$1" | awk '{for (i = 7; $i != "-"; i++); print $(i + 3)}'
}

# has_option LIST WORD: LIST (comma separated) contains WORD.
has_option() {
    [[ ,$1, == *,"$2",* ]]
}

# assert_clean ID: a failed create left nothing: no state directory, no process started from
# this bundle, no mount below the test's temp dir.
assert_clean() {
    [[ ! -e $ROOT/$1 ]] || fail "the state directory $ROOT/$1 is left"
    local left
    left=$(pgrep -f -- "$BUNDLE" || true)
    [[ -z $left ]] || fail "processes left: $left"
    (($(mounts_below_tmpdir) == 0)) || fail "mounts left: $(awk -v t="$BATS_TEST_TMPDIR" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo)"
}

# run_to_file CMD...: `run` CMD, but with its stdout and stderr in a file and stdin /dev/null.
# For a create that should fail: if it wrongly succeeded, the container it left would hold a pipe
# that `run` reads to the end, and the test would hang instead of failing. Sets status, output
# and lines as `run` does.
# shellcheck disable=SC2034 # status, output and lines are Bats's: the assertions read them
run_to_file() {
    local out=$BATS_TEST_TMPDIR/run_to_file.out
    status=0
    "$@" >"$out" 2>&1 </dev/null || status=$?
    output=$(cat "$out")
    mapfile -t lines <"$out"
}

# one_line: the last `run` printed exactly one line.
one_line() {
    ((${#lines[@]} == 1)) || fail "expected one line, got ${#lines[@]}: $output"
}

# ns_inode PATH: the inode of a namespace file, as `ls -iL` prints it.
ns_inode() {
    stat -L -c %i "$1"
}
