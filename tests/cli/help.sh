# tests/cli/help.sh - -h/--help and -V/--version, the same in every tool of
# cmd/ (lib/cli/cli.h, tl_cli_opt): -h and --help print the same help on
# stdout, starting "usage: tl-NAME" and listing -h and -V, status 0;
# -V and --version print "tl-NAME VERSION" (TL_VERSION of lib/core/version.h),
# status 0; an unknown option is a usage error: status 2, nothing on stdout,
# "Try 'tl-NAME --help'" on stderr.
help_version=$(sed -n 's/^#define TL_VERSION "\(.*\)"$/\1/p' "$top/lib/core/version.h")
same "help: TL_VERSION found in lib/core/version.h" "$(test -n "$help_version" && echo yes)" yes
for help_src in "$top"/cmd/tl-*.c; do
	help_t=$(basename "$help_src" .c)
	help_b=$BIN/$help_t
	if [ ! -x "$help_b" ]; then
		fail "help: $help_t" "cmd/$help_t.c exists but $help_b was not built"
		continue
	fi
	run "help: $help_t -h" 0 "'$help_b' -h < /dev/null" && cp "$T/out" "$T/help-h"
	same "help: $help_t -h writes nothing on stderr" "$(cat "$T/err")" ""
	case $(head -n 1 "$T/out") in
	"usage: $help_t "*|"usage: $help_t") pass "help: $help_t -h starts with its usage" ;;
	*) fail "help: $help_t -h starts with its usage" "first line [$(head -n 1 "$T/out")]" ;;
	esac
	has "help: $help_t -h lists -h" "$T/out" "  -h, --help "
	has "help: $help_t -h lists -V" "$T/out" "  -V, --version "
	run "help: $help_t --help" 0 "'$help_b' --help < /dev/null"
	same_file "help: $help_t -h and --help print the same" "$T/out" "$T/help-h"
	for help_v in -V --version; do
		run "help: $help_t $help_v" 0 "'$help_b' $help_v < /dev/null"
		same "help: $help_t $help_v prints the version" "$(cat "$T/out")" "$help_t $help_version"
		same "help: $help_t $help_v writes nothing on stderr" "$(cat "$T/err")" ""
	done
	run "help: $help_t --no-such-option" 2 "'$help_b' --no-such-option < /dev/null"
	has "help: $help_t --no-such-option says Try" "$T/err" "Try '$help_t --help'"
	same "help: $help_t --no-such-option writes nothing on stdout" "$(cat "$T/out")" ""
done
