package dev.linux.env;

import dev.linux.env.image.ArchiveLoader;
import dev.linux.env.image.DebianBootstrap;
import dev.linux.env.image.Descriptor;
import dev.linux.env.image.ImageException;
import dev.linux.env.image.ImageRef;
import dev.linux.env.image.OciImage;
import dev.linux.env.image.OciLayout;
import dev.linux.env.image.Platform;
import dev.linux.env.registry.ImagePuller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns what the user typed after {@code --image} into an image to write: an OCI layout on disk
 * ({@code oci:DIR[:TAG]}), an archive loaded into the local store ({@code oci-archive:FILE[:TAG]},
 * {@code docker-archive:FILE}), or a registry reference, taken from the store or pulled into it
 * when it is not there. The default image is bootstrapped into the store from this machine's
 * package sources the first time it is needed.
 */
final class ImageResolver {

  /** An image ready to be written, with the name recorded for the environment. */
  record ResolvedImage(OciImage image, String displayName) {}

  private final LinuxHome home;
  private final Progress progress;
  private final Images images;

  ImageResolver(LinuxHome home, Progress progress) {
    this(home, progress, new Images(home, System.getenv()));
  }

  ImageResolver(LinuxHome home, Progress progress, Images images) {
    this.home = home;
    this.progress = progress;
    this.images = images;
  }

  ResolvedImage resolve(String reference) {
    try {
      if (reference.equals(CreateOptions.DEFAULT_IMAGE_ALIAS)) {
        return defaultImage();
      }
      ImageRef ref = ImageRef.parse(reference);
      return forThisGuest(switch (ref.transport()) {
        case OCI -> fromLayout(Path.of(ref.path()), ref.tag(), ref.toString());
        // What `image ls` shows is what works: a tag in the local store as typed (say `latest`,
        // from `image load --tag latest`) before any registry.
        case REGISTRY -> hasTag(home.images(), reference) ? fromLayout(home.images(), reference, reference) : fromStore(ref);
        case OCI_ARCHIVE, DOCKER_ARCHIVE -> fromArchive(ref);
      });
    } catch (IllegalArgumentException | ImageException e) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, e.getMessage(), e);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "image '" + reference + "': " + e.getMessage(), e);
    }
  }

  /**
   * The default reference from its registry (taken from the store when it is there); when the
   * registry cannot be reached (no network, DNS failure, refused, no answer within
   * {@link #REACH_TIMEOUT}), the local Debian bootstrap, with a one-line notice.
   */
  private ResolvedImage defaultImage() throws IOException {
    ImageRef ref = ImageRef.parse(CreateOptions.DEFAULT_IMAGE_ALIAS);
    String tag = ref.familiarName();
    if (hasTag(home.images(), tag)) {
      return fromLayout(home.images(), tag, tag);
    }
    String unreachable = unreachable(ref.registry());
    if (unreachable == null) {
      try {
        return fromStore(ref);
      } catch (EnvException e) {
        if (e.code() != EnvException.Code.UNAVAILABLE) {
          throw e;
        }
        unreachable = e.getMessage();
      }
    }
    progress.notice("Registry " + ref.registry() + " unreachable (" + unreachable + "); using the local Debian bootstrap instead.");
    return bootstrapImage();
  }

  private static final java.time.Duration REACH_TIMEOUT = java.time.Duration.ofSeconds(5);

  /**
   * Why the registry cannot be reached with one quick request to its API root, or null if it
   * answers at all (a 401 is an answer): one attempt, no retries, at most {@link #REACH_TIMEOUT}.
   */
  private static String unreachable(String registry) {
    java.net.URI api = dev.linux.env.registry.RegistryEndpoint.of(registry, java.util.Set.of()).base().resolve("/v2/");
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .connectTimeout(REACH_TIMEOUT).followRedirects(java.net.http.HttpClient.Redirect.NEVER).build();
    var request = java.net.http.HttpRequest.newBuilder(api).timeout(REACH_TIMEOUT).GET().build();
    var answer = client.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.discarding());
    try {
      answer.get(REACH_TIMEOUT.toMillis() + 500, java.util.concurrent.TimeUnit.MILLISECONDS);
      return null;
    } catch (java.util.concurrent.TimeoutException e) {
      answer.cancel(true);
      return "no answer within " + REACH_TIMEOUT.toSeconds() + " s";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.net.http.HttpConnectTimeoutException) {
        return "no answer within " + REACH_TIMEOUT.toSeconds() + " s";
      }
      if (cause instanceof java.net.ConnectException && cause.getCause() instanceof java.nio.channels.ClosedChannelException) {
        return "connection refused";
      }
      while (cause.getCause() != null && (cause.getMessage() == null || cause instanceof java.net.ConnectException)) {
        cause = cause.getCause();
      }
      if (cause instanceof java.nio.channels.UnresolvedAddressException || cause instanceof java.net.UnknownHostException) {
        return "cannot resolve " + api.getHost();
      }
      return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    } finally {
      client.shutdownNow();
    }
  }

  private ResolvedImage bootstrapImage() throws IOException {
    DebianBootstrap bootstrap = DebianBootstrap.forThisHost();
    String tag = bootstrap.tag();
    Path store = home.images();
    if (!hasTag(store, tag)) {
      progress.notice("Bootstrapping the default image " + tag + " from this machine's package sources (a few minutes, once)...");
      Files.createDirectories(store);
      bootstrap.bootstrap(store);
      progress.notice("Stored " + tag + " in the local image store.");
    }
    return fromLayout(store, tag, tag);
  }

  private ResolvedImage fromStore(ImageRef ref) {
    Path store = home.images();
    String tag = ref.familiarName();
    if (!hasTag(store, tag)) {
      progress.notice("Pulling " + tag + "...");
      ImagePuller.Result pulled = images.pull(ref.toString(), Platform.host(), new PullProgress(progress));
      progress.notice("Pulled " + tag + " (" + pulled.manifest().digest().shortForm() + ")");
    }
    return fromLayout(store, tag, tag);
  }

  private ResolvedImage fromArchive(ImageRef ref) {
    List<ArchiveLoader.Loaded> loaded = images.load(Path.of(ref.path()), ref.tag());
    if (loaded.size() != 1) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "image '" + ref + "': the archive holds "
          + loaded.size() + " images; name one by tag");
    }
    ArchiveLoader.Loaded image = loaded.getFirst();
    Descriptor manifest = image.manifest();
    Platform platform = manifest.platform() != null ? manifest.platform() : Platform.host();
    OciLayout layout = OciLayout.open(home.images().toAbsolutePath());
    String name = image.tags().isEmpty() ? ref.toString() : image.tags().getFirst();
    return new ResolvedImage(layout.imageOf(new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size()), platform), name);
  }

  private static ResolvedImage fromLayout(Path dir, String tag, String displayName) {
    if (!Files.isDirectory(dir)) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "image '" + displayName + "': no such directory: " + dir);
    }
    OciLayout layout = OciLayout.open(dir.toAbsolutePath());
    return new ResolvedImage(layout.image(tag), displayName);
  }

  /**
   * Refuses an image built for another architecture than the guest's (the host's): it would write
   * a disk on which every command fails with "exec format error". An image that does not say is
   * taken as it is.
   */
  static ResolvedImage forThisGuest(ResolvedImage resolved) {
    var config = resolved.image().config();
    if (config.architecture().isEmpty()) {
      return resolved;
    }
    Platform image = new Platform(config.os().isEmpty() ? "linux" : config.os(), config.architecture(), null);
    Platform guest = Platform.host();
    if (!guest.accepts(image)) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, "image " + resolved.displayName() + " is for " + image
          + ", but the guest is " + guest + " (platforms available: " + image + ")");
    }
    return resolved;
  }

  private static boolean hasTag(Path store, String tag) {
    return Files.isRegularFile(store.resolve("index.json")) && OciLayout.open(store).hasTag(tag);
  }

  /** Reports a pull's downloads as one task per blob. */
  private record PullProgress(Progress progress) implements ImagePuller.Listener {
    @Override
    public void blobProgress(Descriptor blob, long bytes) {
      progress.progress("download " + blob.digest().shortForm(), bytes, blob.size());
    }
  }

}
