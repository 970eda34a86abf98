#!/bin/sh
# A tiny test runner: runs the cases of one shard and prints a JUnit report.
shard="${1:-1}"
app="./dist/greeter"
pass=0
fail=0
cases=""
check() {
    name="$1"; expected="$2"; shift 2
    start=$(date +%s)
    actual=$("$app" "$@")
    if [ "$actual" = "$expected" ]; then
        pass=$((pass + 1))
        cases="$cases<testcase classname=\"greeter.shard$shard\" name=\"$name\" time=\"0.001\"/>"
    else
        fail=$((fail + 1))
        cases="$cases<testcase classname=\"greeter.shard$shard\" name=\"$name\" time=\"0.001\"><failure message=\"expected '$expected', got '$actual'\"/></testcase>"
        echo "FAIL $name: expected '$expected', got '$actual'" >&2
    fi
    : "$start"
}
if [ "$shard" = "1" ]; then
    check greets_one "Hello, Ada!" Ada
    check greets_nobody "" 
else
    check greets_two "Hello, Ada!
Hello, Linus!" Ada Linus
fi
echo "shard $shard: $pass passed, $fail failed" >&2
printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="greeter-shard%s" tests="%s" failures="%s">%s</testsuite></testsuites>\n' \
    "$shard" "$((pass + fail))" "$fail" "$cases"
[ "$fail" -eq 0 ]
