# Shared by bin/linux and bin/test: host packages, the JDK, and the build.
# Sourced, not run. Functions print one-line errors and return non-zero; callers exit.

# package:probe pairs. A probe starting with / is a path that must exist; otherwise a command.
LINUX_RUNTIME_PACKAGES=(
  qemu-system-x86:qemu-system-x86_64
  qemu-system-common:/usr/lib/qemu/virtiofsd
  e2fsprogs:e2fsck
  mmdebstrap:mmdebstrap
  uidmap:newuidmap
)
LINUX_BUILD_PACKAGES=(
  maven:mvn
  golang-go:go
  protobuf-compiler:protoc
  protoc-gen-go:protoc-gen-go
  protoc-gen-go-grpc:protoc-gen-go-grpc
  golang-google-grpc-dev:/usr/share/gocode/src/google.golang.org/grpc
  golang-google-protobuf-dev:/usr/share/gocode/src/google.golang.org/protobuf
  golang-golang-x-sys-dev:/usr/share/gocode/src/golang.org/x/sys
)
LINUX_TEST_PACKAGES=(
  busybox-static:/bin/busybox
  cpio:cpio
  skopeo:skopeo
  umoci:umoci
  docker-registry:docker-registry
  tmux:tmux
  apache2-utils:htpasswd
  attr:getfattr
  libcap2-bin:getcap
)

linux_missing_packages() { # ARRAY_NAME... -> prints missing package names
  local group entry pkg probe
  for group in "$@"; do
    local -n list="$group"
    for entry in "${list[@]}"; do
      pkg=${entry%%:*}
      probe=${entry#*:}
      if [[ $probe == /* ]]; then
        [[ -e $probe ]] || echo "$pkg"
      else
        command -v "$probe" >/dev/null 2>&1 || [[ -x /usr/sbin/$probe || -x /sbin/$probe ]] || echo "$pkg"
      fi
    done
  done
}

linux_ensure_packages() { # ARRAY_NAME...
  local missing
  missing=$(linux_missing_packages "$@" | sort -u | tr '\n' ' ')
  missing=${missing% }
  [[ -z $missing ]] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "linux: missing host packages ($missing) and no apt-get to install them: install their equivalents" >&2
    return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "linux: missing host packages; install them once with: sudo apt-get install -y $missing" >&2
    return 1
  fi
  echo "linux: installing host packages: $missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >&2 || {
      echo "linux: apt-get install $missing failed" >&2
      return 1
    }
  fi
}

linux_java_major() { # JAVA_HOME -> major version from its release file
  local release="$1/release" v
  [[ -r $release ]] || return 1
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  [[ -n $v ]] && echo "$v"
}

linux_find_jdk() { # prints a JAVA_HOME with Java >= 21 and javac, preferring JAVA_HOME, then PATH, then the newest installed
  local candidates=() home best="" best_major=0 major
  [[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for home in /usr/lib/jvm/*/ /opt/java/*/ /opt/jdk*/; do
    [[ -d $home ]] && candidates+=("${home%/}")
  done
  for home in "${candidates[@]}"; do
    [[ -x $home/bin/java && -x $home/bin/javac ]] || continue
    major=$(linux_java_major "$home") || continue
    if ((major >= 21)); then
      if [[ -n ${JAVA_HOME:-} && $home == "$JAVA_HOME" ]]; then
        echo "$home"
        return 0
      fi
      if ((major > best_major)); then
        best=$home
        best_major=$major
      fi
    fi
  done
  if [[ -z $best ]]; then
    echo "linux: no JDK 21 or newer found (JAVA_HOME, PATH, /usr/lib/jvm); install one, e.g. apt-get install openjdk-21-jdk-headless" >&2
    return 1
  fi
  echo "$best"
}

linux_build_is_current() { # ROOT
  local root=$1 stamp=$1/distro-cli/target/.build-stamp
  [[ -f $stamp && -d $1/distro-cli/target/lib ]] || return 1
  [[ -z $(find "$root/pom.xml" "$root"/*/pom.xml "$root"/*/src "$root/guest-init/vminitd" -newer "$stamp" -print -quit 2>/dev/null) ]]
}

linux_build() { # ROOT JAVA_HOME
  local root=$1 log=$1/.build.log
  echo "linux: building (first use or sources changed)..." >&2
  if ! (cd "$root" && JAVA_HOME=$2 mvn -q -B -ntp -DskipTests package >"$log" 2>&1); then
    tail -n 30 "$log" >&2
    echo "linux: build failed; full log: $log" >&2
    return 1
  fi
  touch "$root/distro-cli/target/.build-stamp"
  linux_train_aot "$root" "$2"
}

linux_cli_classpath() { # ROOT -> the CLI's class path (jars only: the JVM's caches require that)
  echo "$(echo "$1"/distro-cli/target/distro-cli-*.jar):$1/distro-cli/target/lib/*"
}

linux_aot_cache() { # ROOT JAVA_HOME -> where that JDK's ahead-of-time cache of the CLI lives
  echo "$1/distro-cli/target/linux-java$(linux_java_major "$2").aot"
}

# JDK 25 and later: an ahead-of-time cache of the classes a command loads and links, made from a
# training run (dev.linux.cli.StartupTraining, against a daemon of its own in a scratch LINUX_HOME,
# no VM), takes about a third off every command's start-up. Best effort: without it the CLI runs
# as before. The cache appears atomically; a half-made one is never used.
linux_train_aot() { # ROOT JAVA_HOME
  local root=$1 jdk=$2 cache scratch cp
  (($(linux_java_major "$jdk") >= 25)) || return 0
  cache=$(linux_aot_cache "$root" "$jdk")
  cp=$(linux_cli_classpath "$root")
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/linux-aot.XXXXXX") || return 0
  # shellcheck disable=SC2046
  if env LINUX_HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch" LINUX_NO_DAEMON= \
      "$jdk/bin/java" $(linux_jvm_options "$jdk") -XX:AOTMode=record "-XX:AOTConfiguration=$scratch/conf" \
      -cp "$cp" dev.linux.cli.StartupTraining >"$scratch/log" 2>&1 &&
    "$jdk/bin/java" $(linux_jvm_options "$jdk") -XX:AOTMode=create "-XX:AOTConfiguration=$scratch/conf" \
      "-XX:AOTCache=$scratch/cache.aot" -cp "$cp" >>"$scratch/log" 2>&1; then
    mv -f "$scratch/cache.aot" "$cache"
  fi
  rm -rf "$scratch"
  return 0
}

linux_current_aot_cache() { # ROOT JAVA_HOME -> the cache if it is newer than every jar, else nothing
  local cache
  cache=$(linux_aot_cache "$1" "$2")
  [[ -f $cache ]] || return 0
  if [[ -n $(find "$1/distro-cli/target" -maxdepth 2 -name '*.jar' -newer "$cache" -print -quit 2>/dev/null) ]]; then
    return 0 # jars rebuilt since (by mvn directly): a stale cache only slows the JVM down
  fi
  echo "$cache"
}

linux_jvm_options() { # JAVA_HOME [CACHE] -> options for a short-lived CLI JVM
  local major opts=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss1m --enable-native-access=ALL-UNNAMED)
  major=$(linux_java_major "$1")
  ((major >= 23)) && opts+=(--sun-misc-unsafe-memory-access=allow)
  case ${2:-} in
    *.aot) opts+=("-XX:AOTCache=$2" -Xlog:aot=off -Xlog:cds=off) ;;
    # Before JDK 25: a class-data archive made automatically on first use (and again when the jars
    # change); the JVM checks it against the class path before using it.
    ?*)
      opts+=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$2" -Xlog:cds=off -Xlog:cds+dynamic=off)
      ((major >= 24)) && opts+=(-Xlog:aot=off)
      ;;
  esac
  echo "${opts[@]}"
}
