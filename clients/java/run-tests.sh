#!/usr/bin/env bash
# The Java kit's tests (docs/clients.md §7): compile clients/java/src at the
# Java 8 language level and API (`javac --release 8`, as Android builds
# it) and its tests into target/java/, then run them. Offline checks always
# run; live ones when YAFGATE_URL and the variables of tests/api/clients.rs
# are set. With kotlinc on the PATH, the Kotlin example of docs/clients.md is
# compiled against the kit too (and run, live). Secrets stay in the
# environment: nothing here prints them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$root/target/java"
rm -rf "$out"
mkdir -p "$out/classes" "$out/test-classes"

javac --release 8 -Xlint:all -Werror -encoding UTF-8 -d "$out/classes" \
  $(find "$root/clients/java/src" -name '*.java' | sort)
javac --release 8 -Xlint:all,-options -encoding UTF-8 -cp "$out/classes" -d "$out/test-classes" \
  $(find "$root/clients/java/test" -name '*.java' | sort)

status=0
java -Dyafgate.root="$root" -cp "$out/classes:$out/test-classes" com.yafgate.client.AllTests || status=$?

# The Kotlin example: the marked snippet of docs/clients.md, as written.
if command -v kotlinc >/dev/null; then
  mkdir -p "$out/kotlin"
  awk '/<!-- snippet:kotlin -->/ {on=1; next} on && /^```kotlin/ {next} on && /^```/ {exit} on {print}' \
    "$root/docs/clients.md" > "$out/kotlin/Example.kt"
  if [ ! -s "$out/kotlin/Example.kt" ]; then
    echo "kotlin example: FAILED: docs/clients.md has no marked Kotlin snippet"
    status=1
  elif ! kotlinc -nowarn -cp "$out/classes" -d "$out/kotlin" "$out/kotlin/Example.kt" 2>"$out/kotlin/kotlinc.log"; then
    grep -v 'noverify' "$out/kotlin/kotlinc.log" >&2 || true
    echo "kotlin example: FAILED to compile against the kit"
    status=1
  elif [ -n "${YAFGATE_URL:-}" ]; then
    said=$(kotlin -cp "$out/classes:$out/kotlin" ExampleKt 2>/dev/null) || said="(it failed)"
    if [ "$said" = "hello ${YAFGATE_MOBILE:-}" ]; then
      echo "kotlin example: compiled and ran, printed what docs/clients.md states"
    else
      echo "kotlin example: FAILED: it printed ${said:0:80}"
      status=1
    fi
  else
    echo "kotlin example: compiled against the kit"
  fi
else
  echo "kotlin example: skipped (no kotlinc; the live tests make its calls in KotlinMirror)"
fi
exit "$status"
