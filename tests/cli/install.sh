# tests/cli/install.sh - make install / uninstall honour PREFIX and DESTDIR,
# install every tool and man page, and the installed tools run.  Once, for the
# normal build (installing the sanitizer build would test nothing more).
case $BIN in */bin-san) return 0 2>/dev/null || exit 0 ;; esac
R=$T/root
run "install: make install DESTDIR" 0 "make -s -C '$top' install PREFIX=/usr DESTDIR='$R'"
for c in "$top"/cmd/tl-*.c; do
	t=$(basename "$c" .c)
	if [ -x "$R/usr/bin/$t" ]; then pass "install: bin/$t"; else fail "install: bin/$t" "not installed"; fi
done
for m in "$top"/man/*.[1-9]; do
	n=$(basename "$m"); s=${n##*.}
	if [ -f "$R/usr/share/man/man$s/$n" ]; then pass "install: man$s/$n"; else fail "install: man$s/$n" "not installed"; fi
done
run "install: installed tool runs" 0 "'$R/usr/bin/tl-cat' --version"
run "install: make uninstall" 0 "make -s -C '$top' uninstall PREFIX=/usr DESTDIR='$R'"
same "install: uninstall leaves no file" "$(find "$R" -type f | head -n 3)" ""
