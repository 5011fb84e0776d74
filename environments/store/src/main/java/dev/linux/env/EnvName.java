package dev.linux.env;

import java.util.regex.Pattern;

/**
 * A validated environment name: it becomes a directory name, a host name and part of socket paths,
 * so it is restricted to what is safe in all three.
 */
public record EnvName(String value) {

  public static final int MAX_LENGTH = 48;
  private static final Pattern VALID = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");

  public EnvName {
    if (value == null || value.isEmpty()) {
      throw invalid(value, "the name is empty");
    }
    if (value.length() > MAX_LENGTH) {
      throw invalid(value, "names are at most " + MAX_LENGTH + " characters");
    }
    if (!VALID.matcher(value).matches()) {
      throw invalid(
          value,
          "use lowercase letters, digits and '-', starting and ending with a letter or digit");
    }
  }

  /** Whether {@code value} is a valid name (a directory not named so is no environment). */
  public static boolean isValid(String value) {
    return value != null && !value.isEmpty() && value.length() <= MAX_LENGTH && VALID.matcher(value).matches();
  }

  public static EnvName of(String value) {
    return new EnvName(value);
  }

  private static EnvException invalid(String value, String why) {
    String shown = value == null ? "" : value.length() > 60 ? value.substring(0, 60) + "…" : value;
    // A newline or an escape sequence in what was typed must not break the one line or the terminal.
    shown = shown.codePoints().mapToObj(c -> Character.isISOControl(c) ? String.format("\\x%02x", c) : Character.toString(c))
        .collect(java.util.stream.Collectors.joining());
    return new EnvException(
        EnvException.Code.INVALID_ARGUMENT, "invalid environment name '" + shown + "': " + why);
  }

  @Override
  public String toString() {
    return value;
  }
}
