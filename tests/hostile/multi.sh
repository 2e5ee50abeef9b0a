# tests/hostile/multi.sh - inputs of the several-backbones rows of
# tests/README.md's hostile table (tl-embed -m a+b spellings, tl-train on
# maps of several backbones), made in the current directory.

# m-in.tl: two small images
tl-ingest "$TD/shapes/circle/c1.png" "$TD/shapes/square/s2.jpg" > m-in.tl 2>/dev/null

# m-maps.tl: a header of tl-embed -m a+b -p none (maps plus emb_frozen)
{ echo '{"tl":1,"model":{"name":"a+b","sha256":"0"},"dims":[2,2,1],"layer":"x+y","pool":"none","dims_frozen":[2]}'
  echo '{"id":"r1","label":"ant","split":"train","emb":{"dtype":"<f4","shape":[2,2,1],"data":[1,2,3,4]},"emb_frozen":{"dtype":"<f4","shape":[2],"data":[1,2]}}'
} | tl-cat --from-json > m-maps.tl

# m-maps2.tl: the same with "backbones" whose frozen part's dims are not dims_frozen
{ echo '{"tl":1,"model":{"name":"a+b","sha256":"0"},"dims":[2,2,1],"layer":"x+y","pool":"none","dims_frozen":[9],"backbones":[{"name":"a","sha256":"1","layer":"x","pool":"none","dims":[2,2,1]},{"name":"b","sha256":"2","layer":"y","pool":"avg","dims":[2]}]}'
  echo '{"id":"r1","label":"ant","split":"train","emb":{"dtype":"<f4","shape":[2,2,1],"data":[1,2,3,4]},"emb_frozen":{"dtype":"<f4","shape":[2],"data":[1,2]}}'
} | tl-cat --from-json > m-maps2.tl
