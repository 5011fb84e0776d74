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

linux_missing_packages_into() { # VAR ARRAY_NAME... -> sets array VAR to the missing package names
  local -n missing_out=$1
  local _lmp_group _lmp_entries entry pkg probe
  shift
  missing_out=()
  for _lmp_group in "$@"; do
    eval "_lmp_entries=(\"\${${_lmp_group}[@]}\")"
    for entry in "${_lmp_entries[@]}"; do
      pkg=${entry%%:*}
      probe=${entry#*:}
      if [[ $probe == /* ]]; then
        [[ -e $probe ]] || missing_out+=("$pkg")
      else
        command -v "$probe" >/dev/null 2>&1 || [[ -x /usr/sbin/$probe || -x /sbin/$probe ]] || missing_out+=("$pkg")
      fi
    done
  done
}

linux_missing_packages() { # ARRAY_NAME... -> prints missing package names
  local names
  linux_missing_packages_into names "$@"
  ((${#names[@]} == 0)) || printf '%s\n' "${names[@]}"
}

linux_ensure_packages() { # ARRAY_NAME...
  local missing names
  linux_missing_packages_into names "$@"
  ((${#names[@]} == 0)) && return 0
  missing=$(printf '%s\n' "${names[@]}" | sort -u | tr '\n' ' ')
  missing=${missing% }
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

# The launcher runs these on every command: they fork no process where bash can do the work itself
# (on a busy machine each fork costs tens of milliseconds). The *_into forms set a variable; the
# plain forms print, for scripts.

linux_java_major_into() { # VAR JAVA_HOME -> sets VAR to the major version from its release file
  local -n major_out=$1
  local line
  major_out=
  [[ -r $2/release ]] || return 1
  while IFS= read -r line; do
    if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then
      major_out=${BASH_REMATCH[1]}
      return 0
    fi
  done <"$2/release"
  return 1
}

linux_java_major() { # JAVA_HOME -> major version from its release file
  local _ljm_v
  linux_java_major_into _ljm_v "$1" && echo "$_ljm_v"
}

linux_find_jdk_into() { # VAR -> a JAVA_HOME with Java >= 21 and javac, preferring JAVA_HOME, then PATH, then the newest installed
  local -n jdk_out=$1
  local candidates=() home best="" best_major=0 _lfj_major javac
  jdk_out=
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java && -x $JAVA_HOME/bin/javac ]] &&
    linux_java_major_into _lfj_major "$JAVA_HOME" && ((_lfj_major >= 21)); then
    jdk_out=$JAVA_HOME
    return 0
  fi
  if javac=$(command -v javac 2>/dev/null); then
    javac=$(readlink -f "$javac")
    javac=${javac%/*}
    candidates+=("${javac%/*}")
  fi
  for home in /usr/lib/jvm/*/ /opt/java/*/ /opt/jdk*/; do
    [[ -d $home ]] && candidates+=("${home%/}")
  done
  for home in "${candidates[@]}"; do
    [[ -x $home/bin/java && -x $home/bin/javac ]] || continue
    linux_java_major_into _lfj_major "$home" || continue
    if ((_lfj_major >= 21 && _lfj_major > best_major)); then
      best=$home
      best_major=$_lfj_major
    fi
  done
  if [[ -z $best ]]; then
    echo "linux: no JDK 21 or newer found (JAVA_HOME, PATH, /usr/lib/jvm); install one, e.g. apt-get install openjdk-21-jdk-headless" >&2
    return 1
  fi
  jdk_out=$best
}

linux_find_jdk() { # prints what linux_find_jdk_into finds
  local jdk
  linux_find_jdk_into jdk && echo "$jdk"
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

linux_cli_classpath_into() { # VAR ROOT -> the CLI's class path (jars only: the JVM's caches require that)
  local -n cp_out=$1
  local jars=("$2"/distro-cli/target/distro-cli-*.jar)
  cp_out="${jars[0]}:$2/distro-cli/target/lib/*"
}

linux_cli_classpath() { # ROOT -> the CLI's class path
  local cp
  linux_cli_classpath_into cp "$1"
  echo "$cp"
}

linux_aot_cache_into() { # VAR ROOT JAVA_HOME -> where that JDK's ahead-of-time cache of the CLI lives
  local -n aot_out=$1
  local _lac_major
  linux_java_major_into _lac_major "$3"
  aot_out="$2/distro-cli/target/linux-java$_lac_major.aot"
}

linux_aot_cache() { # ROOT JAVA_HOME
  local cache
  linux_aot_cache_into cache "$1" "$2"
  echo "$cache"
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

linux_current_aot_cache_into() { # VAR ROOT JAVA_HOME -> the cache if it is newer than every jar, else empty
  local -n current_out=$1
  local _lcac_cache
  current_out=
  linux_aot_cache_into _lcac_cache "$2" "$3"
  [[ -f $_lcac_cache ]] || return 0
  if [[ -n $(find "$2/distro-cli/target" -maxdepth 2 -name '*.jar' -newer "$_lcac_cache" -print -quit 2>/dev/null) ]]; then
    return 0 # jars rebuilt since (by mvn directly): a stale cache only slows the JVM down
  fi
  current_out=$_lcac_cache
}

linux_current_aot_cache() { # ROOT JAVA_HOME -> the cache if it is newer than every jar, else nothing
  local cache
  linux_current_aot_cache_into cache "$1" "$2"
  [[ -z $cache ]] || echo "$cache"
}

# Heavy commands (disk writes, pulls, imports, the daemon) run long enough for the full tiered JIT to
# pay: `create` of a 300 MB layer takes about half the time with it. The others are over before C2
# would compile anything, so they stop at C1 (level 1), which starts faster. The ahead-of-time cache
# made with C1 loads under both (checked on JDK 25 with -Xlog:aot: "Using AOT-linked classes: true").
linux_command_is_heavy() { # ARGS... -> true for the commands that do heavy work in this JVM
  local words=() arg
  for arg in "$@"; do
    [[ $arg == -* ]] && continue
    words+=("$arg")
    ((${#words[@]} == 2)) && break
  done
  case ${words[0]:-} in
    create | import | export | resize | clone) return 0 ;;
    image) [[ ${words[1]:-} == pull || ${words[1]:-} == load ]] ;;
    daemon) [[ ${words[1]:-} == run ]] ;;
    *) return 1 ;;
  esac
}

# The one place that chooses JVM options: the launcher, the daemon it starts (handed over in
# -Dlinux.daemon.jvm-options, read by DaemonLauncher), the ahead-of-time training and bench/run.
# LINUX_JVM_OPTS (space-separated) is appended last and so wins, e.g. -XX:TieredStopAtLevel=1 to
# measure a heavy command as it ran before.
linux_jvm_options_into() { # ARRAY_VAR JAVA_HOME [CACHE] [light|heavy] -> options for a CLI JVM
  local -n opts=$1
  local _ljo_major _ljo_extra
  opts=(-XX:+UseSerialGC -Xss1m --enable-native-access=ALL-UNNAMED)
  [[ ${4:-light} == heavy ]] || opts+=(-XX:TieredStopAtLevel=1)
  linux_java_major_into _ljo_major "$2"
  ((_ljo_major >= 23)) && opts+=(--sun-misc-unsafe-memory-access=allow)
  case ${3:-} in
    *.aot) opts+=("-XX:AOTCache=$3" -Xlog:aot=off -Xlog:cds=off) ;;
    # Before JDK 25: a class-data archive made automatically on first use (and again when the jars
    # change); the JVM checks it against the class path before using it.
    ?*)
      opts+=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$3" -Xlog:cds=off -Xlog:cds+dynamic=off)
      ((_ljo_major >= 24)) && opts+=(-Xlog:aot=off)
      ;;
  esac
  if [[ -n ${LINUX_JVM_OPTS:-} ]]; then
    read -r -a _ljo_extra <<<"$LINUX_JVM_OPTS"
    opts+=("${_ljo_extra[@]}")
  fi
  return 0
}

linux_jvm_options() { # JAVA_HOME [CACHE] -> the options, space-separated
  local options
  linux_jvm_options_into options "$@"
  echo "${options[@]}"
}
