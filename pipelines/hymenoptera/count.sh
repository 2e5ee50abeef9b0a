# count.sh VAL.tsv FOREIGN.tsv - the figures of a classified val set
# (id, label, pred, ood) and foreign set (id, pred, reject, ood)
awk -F'\t' '{ n++; if ($3 == "unknown") u++; else if ($3 == $2) c++ }
    END { printf "val: %d of %d accepted (%.1f%%), %d of them right (%.1f%%)\n", n - u, n, 100 * (n - u) / n, c, 100 * c / (n - u) }' "$1"
awk -F'\t' '{ n++; if ($2 == "unknown") u++ }
    END { printf "foreign: %d of %d unknown (%.1f%%)\n", u, n, 100 * u / n }' "$2"
