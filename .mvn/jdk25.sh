# Sourced by ./mvnw and ./lmlab: make JAVA_HOME point at a JDK 25 or newer.
# Order: JAVA_HOME if it is >= 25, then the usual JVM folders. Fails with a clear message.
lmlab_java_feature() { # prints the feature version of the JDK in $1, or nothing
  [ -x "$1/bin/java" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
lmlab_pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(lmlab_java_feature "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then return 0; fi
  fi
  for d in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/jdk* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home "$HOME"/.sdkman/candidates/java/*; do
    [ -d "$d" ] || continue
    v=$(lmlab_java_feature "$d")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then export JAVA_HOME="$d"; return 0; fi
  done
  echo "lmlab: needs a JDK 25 or newer. JAVA_HOME=${JAVA_HOME:-<unset>} is not one, and none was found" >&2
  echo "       under /usr/lib/jvm, /opt or ~/.sdkman. Install one (e.g. Temurin 25) and set JAVA_HOME." >&2
  return 1
}
lmlab_pick_jdk || exit 1
