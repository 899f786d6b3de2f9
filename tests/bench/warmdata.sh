# shellcheck shell=bash
# The warm-up data set: BENCH_WARM_ORDERS orders in database bench_warm, loaded with COPY
# (through the pipeline it would take minutes and measure ingest again).
#
# A template order goes through the real pipeline first (sluice publish -> validate ->
# postgres), so every generated row has exactly the shape and the document bytes sluice itself
# stores. Each of its table rows is then repeated N times by awk with the uid substituted
# (order_uid, payment.transaction and the items' rid all contain it) and piped into `\copy`.

BENCH_WARM_ORDERS=${BENCH_WARM_ORDERS:-1000000}

# ensure_warm_db: loads bench_warm once per run; later callers reuse it.
ensure_warm_db() {
  local n=$BENCH_WARM_ORDERS dir=$BENCH_STATE/warmdata
  if [ -f "$dir/loaded" ]; then return 0; fi
  mkdir -p "$dir"
  create_db bench_warm
  info "storing a template order through the pipeline"
  start_pipeline warm-template bench_warm warm
  wait_pipeline_ready
  publish warm --count 1 --prefix tmpl
  wait_for "the template order" 60 curl -fsS -o /dev/null "$PIPE_URL/order/tmpl-1" || die "template order not stored"
  stop_pipeline

  local table cols
  for table in orders deliveries payments items; do
    cols=$(psql_db bench_warm -c "select string_agg(column_name, ', ' order by ordinal_position)
      from information_schema.columns where table_name = '$table'")
    psql_db bench_warm -c "\\copy (select $cols from $table where order_uid = 'tmpl-1') to '$dir/$table.tsv'"
  done
  psql_db bench_warm -c "truncate orders cascade; delete from offsets"

  # uids warm0000001..: as long as the publisher's generated ones (~12-16 characters).
  for table in orders deliveries payments items; do
    ticking "loading $n rows into $table" load_warm_table "$table" "$n" "$dir/$table.tsv" ||
      die "loading $table failed"
  done
  # So the scan reads settled pages (hint bits set), whichever of baseline or sluice goes first.
  ticking "vacuum analyze" psql_db bench_warm -c "vacuum analyze orders, deliveries, payments, items"
  touch "$dir/loaded"
}

# load_warm_table TABLE N TEMPLATE_TSV: the template row N times, uid substituted, into COPY.
load_warm_table() {
  local table=$1 n=$2 template=$3 cols
  cols=$(psql_db bench_warm -c "select string_agg(column_name, ', ' order by ordinal_position)
    from information_schema.columns where table_name = '$table'")
  # Split once at the uid and join per row: a regex substitution per row made awk the
  # bottleneck (minutes for 1M rows of 800 bytes); this keeps COPY the slow side.
  awk -v n="$n" '{
      k = split($0, part, "tmpl-1")
      for (i = 1; i <= n; i++) {
        uid = sprintf("warm%07d", i); row = part[1]
        for (j = 2; j <= k; j++) row = row uid part[j]
        print row
      }
    }' "$template" | psql_db bench_warm -c "\\copy $table ($cols) from stdin"
}

# mean compact JSON size of the warm orders, in bytes
warm_json_mean() { psql_db bench_warm -c "select round(avg(octet_length(document::text)), 1) from orders"; }
