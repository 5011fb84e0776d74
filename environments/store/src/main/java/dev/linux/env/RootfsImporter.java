package dev.linux.env;

import dev.linux.env.ext4.Ext4Options;
import dev.linux.env.ext4.Ext4Writer;
import dev.linux.env.image.ImageException;
import dev.linux.env.image.ProgressListener;
import dev.linux.env.image.RootfsTarball;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * {@code linux import}: a new environment whose disk is written straight from a root filesystem
 * tarball, WSL style. The tarball is applied by {@link RootfsTarball} as one tree, without image
 * layer semantics: a {@code .wh.*} name is an ordinary file there, not a whiteout. The record names
 * the tarball's file name (or {@code stdin}) and the sha256 of the bytes read.
 */
final class RootfsImporter {

  private final EnvironmentStore store;
  private final Progress progress;

  RootfsImporter(EnvironmentStore store, Progress progress) {
    this.store = store;
    this.progress = progress;
  }

  /** Imports from a file; {@code options.image()} is ignored (the file's name is recorded). */
  EnvironmentRecord importFile(EnvName name, Path tarball, CreateOptions options) {
    if (!Files.isRegularFile(tarball)) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "no such file: " + tarball);
    }
    String source = tarball.getFileName().toString();
    return importWith(name, source, options, (sink, listener) -> {
      try (InputStream in = Files.newInputStream(tarball)) {
        return digestOf(in, counted -> nonEmpty(RootfsTarball.apply(counted, "tarball " + source, sink), "tarball " + source), listener, Files.size(tarball));
      }
    });
  }

  /** Imports from a stream (standard input), recorded as {@code stdin}. */
  EnvironmentRecord importStream(EnvName name, InputStream in, CreateOptions options) {
    return importWith(name, "stdin", options,
        (sink, listener) -> digestOf(in, counted -> nonEmpty(RootfsTarball.apply(counted, "tarball (stdin)", sink), "tarball (stdin)"), listener, 0));
  }

  /** An empty tarball (or an empty stdin) makes an environment that can never run anything. */
  private static long nonEmpty(long entries, String what) {
    if (entries == 0) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, what + " is empty: it holds no files, so nothing could run in it");
    }
    return entries;
  }

  private interface Apply {
    String apply(Ext4Writer sink, ProgressListener listener) throws IOException;
  }

  private interface Body {
    long apply(InputStream in) throws IOException;
  }

  /** Runs {@code body} over {@code in}, reading it to its end, and returns the digest of all of it. */
  private static String digestOf(InputStream in, Body body, ProgressListener listener, long total) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    listener.started(0, 1, "rootfs", total);
    try (InputStream digesting = new DigestInputStream(new Counting(in, listener, total), sha)) {
      body.apply(digesting);
      digesting.transferTo(java.io.OutputStream.nullOutputStream());
    }
    listener.finished(0, 1);
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }

  private EnvironmentRecord importWith(EnvName name, String source, CreateOptions options, Apply apply) {
    try (EnvironmentStore.Lock lock = store.lock(name)) {
      if (store.find(name).isPresent()) {
        throw store.alreadyExists(name);
      }
      return store.create(name, files -> {
        String digest;
        String label = name.value().length() <= 16 ? name.value() : name.value().substring(0, 16);
        try (Ext4Writer writer = Ext4Writer.create(files.disk(), Ext4Options.ofSize(options.disk().bytes()).withLabel(label))) {
          digest = apply.apply(writer, new Listener(progress, source));
        } catch (ImageException | IllegalArgumentException e) {
          throw new EnvException(EnvException.Code.INVALID_ARGUMENT, e.getMessage(), e);
        }
        return new EnvironmentRecord(name.value(), source, digest, Instant.now(), options.cpus(),
            options.memory().bytes(), options.disk().bytes(), ImageDefaults.NONE);
      });
    }
  }

  /** Renders progress as "Importing FILE". */
  private record Listener(Progress progress, String source) implements ProgressListener {
    @Override
    public void progress(int index, long bytesRead, long totalBytes) {
      progress.progress("Importing " + source, bytesRead, Math.max(totalBytes, 0));
    }
  }

  /** Reports bytes read at most every 1 MiB. */
  private static final class Counting extends java.io.FilterInputStream {
    private final ProgressListener listener;
    private final long total;
    private long read;
    private long reported;

    Counting(InputStream in, ProgressListener listener, long total) {
      super(in);
      this.listener = listener;
      this.total = total;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(int n) {
      read += n;
      if (read - reported >= (1 << 20)) {
        reported = read;
        listener.progress(0, read, total);
      }
    }
  }
}
