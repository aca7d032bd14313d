// Escaping for YAML, Markdown and links (see escape.h).
#include "eden/report/escape.h"

#include <fmt/format.h>

#include <cstdint>

namespace eden::report {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

/// Length of the valid UTF-8 sequence at text[i], or 0 when it is invalid (overlong forms,
/// surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  uint32_t min_code_point = 0;
  uint32_t code_point = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, min_code_point = 0x80, code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, min_code_point = 0x800, code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, min_code_point = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  if (code_point < min_code_point || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  return length;
}

/// True for the UTF-8 encodings of U+0085 (NEL), U+2028 and U+2029 (line/paragraph separator),
/// which YAML and some Markdown renderers treat as line breaks.
bool is_unicode_line_break(std::string_view sequence) {
  return sequence == "\xC2\x85" || sequence == "\xE2\x80\xA8" || sequence == "\xE2\x80\xA9";
}

}  // namespace

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += kReplacementCharacter;
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string single_line(std::string_view text) {
  const std::string clean = sanitize_utf8(text);
  std::string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < clean.size();) {
    const std::size_t length = utf8_sequence_length(clean, i);
    const std::string_view sequence(clean.data() + i, length);
    i += length;
    const auto c = static_cast<uint8_t>(sequence[0]);
    const bool blank = (length == 1 && (c < 0x20 || c == 0x7F || c == ' ')) ||
                       (length == 2 && c == 0xC2 && static_cast<uint8_t>(sequence[1]) < 0xA0) ||
                       is_unicode_line_break(sequence);
    if (blank) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out.append(sequence);
  }
  return out;
}

std::string markdown_text(std::string_view text) {
  std::string out;
  for (char c : single_line(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
      case '~':
      case '#':
      case '!':
      case '$':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string yaml_string(std::string_view text) {
  const std::string clean = sanitize_utf8(text);
  std::string out = "\"";
  for (std::size_t i = 0; i < clean.size();) {
    const std::size_t length = utf8_sequence_length(clean, i);
    const std::string_view sequence(clean.data() + i, length);
    i += length;
    if (length > 1) {
      if (sequence == "\xC2\x85") {
        out += "\\N";
      } else if (sequence == "\xE2\x80\xA8") {
        out += "\\L";
      } else if (sequence == "\xE2\x80\xA9") {
        out += "\\P";
      } else if (sequence == "\xEF\xBB\xBF") {
        out += "\\uFEFF";
      } else if (length == 2 && static_cast<uint8_t>(sequence[0]) == 0xC2 &&
                 static_cast<uint8_t>(sequence[1]) < 0xA0) {
        out += fmt::format("\\x{:02X}", static_cast<uint8_t>(sequence[1]));  // C1 controls
      } else {
        out.append(sequence);
      }
      continue;
    }
    const char c = sequence[0];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<uint8_t>(c) < 0x20 || c == 0x7F) {
          out += fmt::format("\\x{:02X}", static_cast<uint8_t>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string url_path(std::string_view path) {
  std::string out;
  for (char c : path) {
    const auto u = static_cast<uint8_t>(c);
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    out += plain ? std::string(1, c) : fmt::format("%{:02X}", u);
  }
  return out;
}

std::string identifier(std::string_view text, std::string_view fallback) {
  std::string out;
  bool gap = false;
  for (char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    const bool upper = c >= 'A' && c <= 'Z';
    if (keep || upper) {
      if (gap && !out.empty()) out += '_';
      gap = false;
      out += upper ? static_cast<char>(c - 'A' + 'a') : c;
    } else {
      gap = true;
    }
  }
  return out.empty() ? std::string(fallback) : out;
}

}  // namespace eden::report
