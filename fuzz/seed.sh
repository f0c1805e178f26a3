#!/bin/sh
# Fills fuzz/corpus/<target>/ with starting inputs from the repository's own files
# (rule files, scenarios, workbooks) and fuzz/seeds/. Safe to run again: it only adds.
set -eu
cd "$(dirname "$0")"
repo=..

# Copies each file given into corpus/$1, named after its path so names never clash.
add() {
    target=$1
    shift
    mkdir -p "corpus/$target"
    for file in "$@"; do
        [ -f "$file" ] || continue
        cp "$file" "corpus/$target/$(echo "${file#"$repo"/}" | tr '/' '_')"
    done
}

add rules $(find "$repo/rules" "$repo/tests/fixtures" "$repo/tests/broken" -name '*.rules' -size -64k | sort)
add scenario $(find "$repo/scenarios" "$repo/tests/fixtures/scenarios" "$repo/tests/broken" \
    -name '*.toml' -size -64k | sort)

# The workbook target reads its first byte as the file's extension (see
# fuzz_targets/workbook.rs): 0 .xlsx, 1 .xlsm, 2 .xlsb, 3 .xls, 4 .ods, 5 .csv.
mkdir -p corpus/workbook
for file in $(find seeds/workbook "$repo/tests/fixtures/data" "$repo/tests/broken" -type f \
    \( -name '*.xlsx' -o -name '*.xlsb' -o -name '*.xls' -o -name '*.ods' -o -name '*.csv' \) -size -64k |
    sort); do
    case "$file" in
        *.xlsx) selector='\000' ;;
        *.xlsb) selector='\002' ;;
        *.xls) selector='\003' ;;
        *.ods) selector='\004' ;;
        *.csv) selector='\005' ;;
    esac
    name=$(echo "${file#"$repo"/}" | tr '/' '_')
    { printf "$selector"; cat "$file"; } > "corpus/workbook/$name"
done
