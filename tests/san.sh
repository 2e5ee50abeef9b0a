# tests/san.sh - sourced by tests/run after each CLI test file: every report
# the sanitizers wrote (ASAN_OPTIONS and UBSAN_OPTIONS log_path=$T/.san/...,
# set by tests/run) is a failure, whichever process of the file it came from.
for _f in "$T"/.san/*; do
	[ -f "$_f" ] || continue
	fail "sanitizer report ${_f##*/}" "$(grep -m 3 -E 'ERROR|SUMMARY|runtime error|#[0-9] ' "$_f" | tr '\n' '|' | head -c 600)"
done
