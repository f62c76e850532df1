# Shared by the bin/ scripts: finds (or installs) Java 17+ and Maven, and knows the JVM flags
# every Rookery process needs. Sourced, not executed.

ROOKERY_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOKERY_MAVEN_VERSION=3.9.9
# Agrona 2.x (so Aeron and the SBE codecs) reaches into jdk.internal.misc.
# Common pool of at least 2: with parallelism 1 (2-core machines) every CompletableFuture async stage, which
# Ratis uses on each append, starts a new thread.
ROOKERY_JVM_FLAGS="--add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED \
--add-opens java.base/sun.nio.ch=ALL-UNNAMED \
-Djava.util.concurrent.ForkJoinPool.common.parallelism=$(( $(nproc) > 2 ? $(nproc) - 1 : 2 ))"

rookery_java() {
    if command -v java >/dev/null 2>&1; then
        local v
        v=$(java -XX:+IgnoreUnrecognizedVMOptions -version 2>&1 | awk -F'"' '/version/ {print $2}' | cut -d. -f1)
        if [ "${v:-0}" -ge 17 ] 2>/dev/null; then return 0; fi
    fi
    echo "rookery: installing a Java 17 JDK with apt-get" >&2
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
}

# Prints the path of a Maven >= 3.6.3: the one on PATH, else one downloaded once from Maven Central.
rookery_maven() {
    if command -v mvn >/dev/null 2>&1; then
        local v
        v=$(mvn -v 2>/dev/null | awk '/Apache Maven/ {print $3}')
        if printf '%s\n%s\n' "3.6.3" "$v" | sort -V -C 2>/dev/null; then command -v mvn; return 0; fi
    fi
    local dir="${XDG_CACHE_HOME:-$HOME/.cache}/rookery/apache-maven-$ROOKERY_MAVEN_VERSION"
    if [ ! -x "$dir/bin/mvn" ]; then
        echo "rookery: downloading Maven $ROOKERY_MAVEN_VERSION from Maven Central" >&2
        mkdir -p "$(dirname "$dir")"
        local url="https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/$ROOKERY_MAVEN_VERSION/apache-maven-$ROOKERY_MAVEN_VERSION-bin.tar.gz"
        curl -fsSL "$url" | tar -xz -C "$(dirname "$dir")"
    fi
    echo "$dir/bin/mvn"
}

# Builds the runtime jars (no tests) when they are missing or older than the sources.
rookery_ensure_built() {
    local jar="$ROOKERY_HOME/node/runtime/target/rookery-node-0.1.0-SNAPSHOT.jar"
    if [ -f "$jar" ] && [ -d "$ROOKERY_HOME/node/runtime/target/lib" ] && [ -d "$ROOKERY_HOME/node/runtime/target/bundles" ] && \
        [ -z "$(find "$ROOKERY_HOME" -path '*/src/main/*' -newer "$jar" -print -quit 2>/dev/null)" ] && \
        [ -z "$(find "$ROOKERY_HOME" -name pom.xml -newer "$jar" -print -quit 2>/dev/null)" ]; then
        return 0
    fi
    echo "rookery: building (first run, or sources changed)..." >&2
    (cd "$ROOKERY_HOME" && "$(rookery_maven)" -B -q -DskipTests -Dcheckstyle.skip package -pl node/runtime,node/examples/greeter-v1,node/examples/greeter-v2 -am) >&2
}

rookery_classpath() {
    echo "$ROOKERY_HOME/node/runtime/target/rookery-node-0.1.0-SNAPSHOT.jar:$ROOKERY_HOME/node/runtime/target/lib/*"
}
