package dev.linux.env.daemon;

import dev.linux.env.LinuxHome;
import dev.linux.env.daemon.proto.DaemonGrpc;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-user daemon: owns the running environments of one linux home and serves its clients on
 * a Unix socket in the private runtime directory (the daemon API and the relayed guest-agent API).
 * One runs per home (a file lock decides); it exits once nothing runs and no client has called for
 * a while, and a VM outlives it (QEMU runs in its own session): the next daemon adopts it.
 */
public final class Daemon {

  /** How long a daemon with nothing running waits for another client before it exits. */
  public static final Duration DEFAULT_LINGER = Duration.ofSeconds(30);
  private static final Duration TICK = Duration.ofSeconds(1);
  /** This process's build (see {@link #buildOf}), fixed when the class loads. */
  static final String BUILD = buildOf(System.getProperty("java.class.path", ""));
  private static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final LinuxHome home;
  private final DaemonFiles files;
  private final DaemonLog log;
  private final Duration linger;
  private final String version;
  private final AtomicInteger openRpcs = new AtomicInteger();
  private final AtomicLong lastRpcNanos = new AtomicLong(System.nanoTime());
  private final CountDownLatch exitRequested = new CountDownLatch(1);

  private Daemon(LinuxHome home, String version, Duration linger, PrintStream logOut) {
    this.home = home;
    this.files = DaemonFiles.of(home);
    this.log = new DaemonLog(logOut);
    this.linger = linger;
    this.version = version;
  }

  /**
   * Runs the daemon of {@code home} until it has nothing to do or a client asks it to exit.
   *
   * @return false (at once) if another daemon already serves this home
   */
  public static boolean run(LinuxHome home, String version, Duration linger, PrintStream log) throws IOException {
    return new Daemon(home, version, linger, log).serve();
  }

  /**
   * Runs the daemon on a background thread of this process (tests, benchmarks, the launcher's
   * start-up training); the future completes with what {@link #run} returns.
   */
  public static java.util.concurrent.CompletableFuture<Boolean> runInBackground(
      LinuxHome home, String version, Duration linger, PrintStream log) {
    java.util.concurrent.CompletableFuture<Boolean> result = new java.util.concurrent.CompletableFuture<>();
    Thread.ofPlatform().name("daemon").daemon().start(() -> {
      try {
        result.complete(run(home, version, linger, log));
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  private boolean serve() throws IOException {
    dev.linux.vm.internal.QuietLogs.install();
    home.ensureRuntime();
    home.makePrivate();
    try (FileChannel lockFile = FileChannel.open(
              files.lock(),
              java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
              java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                  java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        FileLock lock = tryLock(lockFile)) {
      if (lock == null) {
        return false;
      }
      Files.deleteIfExists(files.socket()); // a dead daemon's: the lock says none other lives
      EventLoopGroup boss = new EpollEventLoopGroup(1, new DefaultThreadFactory("daemon-accept", true));
      EventLoopGroup workers = new EpollEventLoopGroup(2, new DefaultThreadFactory("daemon-io", true));
      EnvironmentSupervisor supervisor = new EnvironmentSupervisor(home, log);
      long started = System.currentTimeMillis();
      Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(files.socket().toString()))
          .channelType(EpollServerDomainSocketChannel.class)
          .bossEventLoopGroup(boss)
          .workerEventLoopGroup(workers)
          .maxInboundMessageSize(MAX_MESSAGE_BYTES)
          .addService(new DaemonService(supervisor, started, version, exitRequested::countDown,
              () -> lastRpcNanos.set(System.nanoTime())))
          .fallbackHandlerRegistry(new AgentRelay(supervisor))
          .intercept(new CallCounter())
          .build();
      try {
        server.start();
        Files.setPosixFilePermissions(files.socket(), PosixFilePermissions.fromString("rw-------"));
        log.info("daemon started (pid " + ProcessHandle.current().pid() + ", version " + version + ")");
        Thread.ofVirtual().name("adopt").start(supervisor::adoptRunning);
        loop(supervisor);
      } finally {
        server.shutdown();
        try {
          server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        server.shutdownNow();
        supervisor.close();
        Files.deleteIfExists(files.socket());
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        log.info("daemon exiting");
      }
      return true;
    }
  }

  /**
   * Names the code on {@code classPath}: a hash of each entry with its last-modified time. A
   * rebuild changes it, so a client can tell that a daemon runs code older than its own.
   */
  static String buildOf(String classPath) {
    StringBuilder text = new StringBuilder();
    for (String entry : classPath.split(java.io.File.pathSeparator)) {
      java.io.File file = new java.io.File(entry);
      text.append(file.getAbsolutePath()).append('@').append(file.lastModified()).append('\n');
    }
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The daemon lock, or null when another daemon (another process, or this one) holds it. */
  private static FileLock tryLock(FileChannel file) throws IOException {
    try {
      return file.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return null;
    }
  }

  private void loop(EnvironmentSupervisor supervisor) {
    try {
      while (!exitRequested.await(TICK.toMillis(), TimeUnit.MILLISECONDS)) {
        supervisor.tick();
        boolean quiet = openRpcs.get() == 0 && System.nanoTime() - lastRpcNanos.get() >= linger.toNanos();
        if (quiet && !supervisor.hasWork()) {
          log.info("nothing running and no client for " + linger.toSeconds() + " s");
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Counts calls in flight, so the daemon never exits under a client's feet. */
  private final class CallCounter implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      // Status calls count as activity only when not passive (DaemonService decides): `linux daemon
      // status` in a loop must not keep an otherwise idle daemon alive.
      boolean question = call.getMethodDescriptor().getFullMethodName().equals(DaemonGrpc.getStatusMethod().getFullMethodName());
      openRpcs.incrementAndGet();
      if (!question) {
        lastRpcNanos.set(System.nanoTime());
      }
      AtomicBoolean done = new AtomicBoolean();
      Runnable finish = () -> {
        if (done.compareAndSet(false, true)) {
          if (!question) {
            lastRpcNanos.set(System.nanoTime());
          }
          openRpcs.decrementAndGet();
        }
      };
      ServerCall.Listener<Q> listener;
      try {
        listener = next.startCall(call, headers);
      } catch (RuntimeException e) {
        finish.run();
        throw e;
      }
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
        @Override
        public void onComplete() {
          try {
            super.onComplete();
          } finally {
            finish.run();
          }
        }

        @Override
        public void onCancel() {
          try {
            super.onCancel();
          } finally {
            finish.run();
          }
        }
      };
    }
  }
}
