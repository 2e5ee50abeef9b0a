# tests/cli/install.sh - make install / uninstall honour PREFIX and DESTDIR,
# install every tool (tl-bulk among them) and man page and the models, and the
# installed tools run and find the installed models without TL_MODEL_PATH or
# ./models, under a PREFIX and relocated after DESTDIR staging.  Once, for
# the normal build (installing the sanitizer build would test nothing more).
# Each install copies models/ (33 MB): about a second.
case $BIN in */bin-san) return 0 2>/dev/null || exit 0 ;; esac
R=$T/root
mkdir -p "$T/empty"	# the installed tools run here: no ./models
# inst_check NAME ROOT: every tool and man page of the tree is under ROOT
inst_check() {
	for t in $(cd "$top/cmd" && ls tl-*.c | sed 's/\.c$//') tl-shard; do
		if [ -x "$2/bin/$t" ]; then pass "$1: bin/$t"; else fail "$1: bin/$t" "not installed"; fi
	done
	for m in "$top"/man/*.[1-9]; do
		n=$(basename "$m"); s=${n##*.}
		if [ -f "$2/share/man/man$s/$n" ]; then pass "$1: man$s/$n"; else fail "$1: man$s/$n" "not installed"; fi
	done
}

run "install: make install DESTDIR" 0 "make -s -C '$top' install PREFIX=/usr DESTDIR='$R'"
inst_check install "$R/usr"
run "install: installed tool runs" 0 "'$R/usr/bin/tl-cat' --version"
run "install: tl-bulk --help" 0 "'$R/usr/bin/tl-bulk' --help"
"has "install: tl-bulk's usage" "$T/out" "usage: tl-bulk -m model.tlm [-d state-dir] [-n chunk] [-v] [--min-conf p]"
if [ -d "$top/models/mobilenetv2" ]; then
	# staged under DESTDIR, run from there: as if moved into place
	run "install: DESTDIR tl-embed finds its models" 0 \
		"cd '$T/empty' && env -u TL_MODEL_PATH '$R/usr/bin/tl-embed' -m mobilenetv2 --list-layers"
	has "install: DESTDIR tl-embed lists layers" "$T/out" "block_1_expand_relu"
else
	skip "install: DESTDIR tl-embed finds its models" "no models/ (make model)"
fi
run "install: make uninstall" 0 "make -s -C '$top' uninstall PREFIX=/usr DESTDIR='$R'"
same "install: uninstall leaves no file" "$(find "$R" -type f | head -n 3)" ""

mkdir -p "$T/p" && P=$(cd "$T/p" && pwd -P)	# /proc/self/exe has no symlinks
run "install: make install PREFIX" 0 "make -s -C '$top' install PREFIX='$P'"
inst_check "install PREFIX" "$P"
if [ -d "$top/models/mobilenetv2" ]; then
	run "install: PREFIX tl-embed finds its models" 0 \
		"cd '$T/empty' && env -u TL_MODEL_PATH '$P/bin/tl-embed' -m mobilenetv2 --list-layers"
	has "install: PREFIX tl-embed lists layers" "$T/out" "block_1_expand_relu"
fi
# a model that is nowhere: the message lists where it looked, in order
run "install: unknown model" 2 \
	"cd '$T/empty' && env -u TL_MODEL_PATH '$P/bin/tl-embed' -m nosuch --list-layers"
has "install: unknown model lists where it looked" "$T/err" \
	"tl-embed: model 'nosuch' not found in $P/share/tl/models, /usr/local/share/tl/models, ./models"
run "install: make uninstall PREFIX" 0 "make -s -C '$top' uninstall PREFIX='$P'"
same "install: uninstall PREFIX leaves no file" "$(find "$P" -type f | head -n 3)" ""
