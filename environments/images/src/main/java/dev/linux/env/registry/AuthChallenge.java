package dev.linux.env.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235), e.g.
 * {@code Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"}.
 *
 * @param scheme lowercase, e.g. {@code bearer} or {@code basic}
 * @param params parameter names lowercased; quoted values unquoted
 */
public record AuthChallenge(String scheme, Map<String, String> params) {

  public AuthChallenge {
    scheme = scheme.toLowerCase(Locale.ROOT);
    params = Map.copyOf(params);
  }

  public String param(String name) {
    return params.get(name);
  }

  /**
   * Parses every challenge in a header value. Malformed trailing text is ignored rather than
   * rejected: registries in the wild are sloppy, and an unknown challenge only means no auth.
   */
  public static List<AuthChallenge> parse(String header) {
    List<AuthChallenge> out = new ArrayList<>();
    if (header == null) {
      return out;
    }
    Parser p = new Parser(header);
    while (true) {
      p.skipSeparators();
      String scheme = p.token();
      if (scheme.isEmpty()) {
        break;
      }
      Map<String, String> params = new LinkedHashMap<>();
      while (true) {
        p.skipSpaces();
        int mark = p.pos;
        String name = p.token();
        p.skipSpaces();
        if (name.isEmpty() || !p.consume('=')) {
          p.pos = mark; // the next challenge's scheme (or token68, which we do not use)
          if (name.isEmpty() && p.consume(',')) {
            continue;
          }
          break;
        }
        p.skipSpaces();
        String value = p.peek() == '"' ? p.quoted() : p.token();
        params.put(name.toLowerCase(Locale.ROOT), value);
        p.skipSpaces();
        if (!p.consume(',')) {
          break;
        }
      }
      out.add(new AuthChallenge(scheme, params));
      if (p.atEnd()) {
        break;
      }
      if (p.pos == p.lastStart) {
        break; // no progress: give up on the rest
      }
      p.lastStart = p.pos;
    }
    return out;
  }

  private static final class Parser {
    final String s;
    int pos;
    int lastStart = -1;

    Parser(String s) {
      this.s = s;
    }

    boolean atEnd() {
      return pos >= s.length();
    }

    char peek() {
      return atEnd() ? 0 : s.charAt(pos);
    }

    boolean consume(char c) {
      if (peek() == c && !atEnd()) {
        pos++;
        return true;
      }
      return false;
    }

    void skipSpaces() {
      while (!atEnd() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    void skipSeparators() {
      while (!atEnd() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t' || s.charAt(pos) == ',')) {
        pos++;
      }
    }

    String token() {
      int start = pos;
      while (!atEnd() && "!#$%&'*+-.^_`|~:/".indexOf(s.charAt(pos)) >= 0 || !atEnd() && Character.isLetterOrDigit(s.charAt(pos))) {
        pos++;
      }
      return s.substring(start, pos);
    }

    String quoted() {
      StringBuilder b = new StringBuilder();
      pos++; // opening quote
      while (!atEnd() && s.charAt(pos) != '"') {
        if (s.charAt(pos) == '\\' && pos + 1 < s.length()) {
          pos++;
        }
        b.append(s.charAt(pos++));
      }
      pos++; // closing quote
      return b.toString();
    }
  }
}
