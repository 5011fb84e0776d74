package dev.linux.env.registry;

import java.time.Duration;

/**
 * When and how long to wait before trying a registry request again: server errors (5xx), rate
 * limiting (429), request timeouts (408) and failures with no response at all are retried, with
 * exponential backoff capped at {@code maxDelay}; a {@code Retry-After} the server sends wins
 * when it is not longer than the cap. Client errors (4xx) are answers, never retried.
 *
 * @param maxAttempts total attempts including the first
 */
public record RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay) {

  /** Five attempts, 200 ms doubling to at most 5 s. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(5));

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException("delays must satisfy 0 <= initialDelay <= maxDelay");
    }
  }

  /** Whether a response with this status is worth another attempt (0: no response). */
  public boolean isRetryable(int status) {
    return status == 0 || status == 408 || status == 429 || status >= 500 && status != 501 && status != 505;
  }

  /** Whether attempt number {@code attempt} (1-based) may be followed by another. */
  public boolean mayRetryAfter(int attempt) {
    return attempt < maxAttempts;
  }

  /**
   * How long to wait after failed attempt number {@code attempt} (1-based).
   *
   * @param retryAfter the server's {@code Retry-After} header, or null
   */
  public Duration delay(int attempt, String retryAfter) {
    Duration backoff = initialDelay.multipliedBy(1L << Math.min(attempt - 1, 20));
    if (backoff.compareTo(maxDelay) > 0) {
      backoff = maxDelay;
    }
    if (retryAfter != null) {
      try {
        Duration asked = Duration.ofSeconds(Long.parseLong(retryAfter.strip()));
        if (!asked.isNegative() && asked.compareTo(maxDelay) <= 0) {
          return asked;
        }
      } catch (NumberFormatException e) {
        // an HTTP date: not worth parsing, the backoff is a fine answer
      }
    }
    return backoff;
  }
}
